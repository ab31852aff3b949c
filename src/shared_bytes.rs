//! `Bytes` handed to JavaScript as a Buffer over the same memory, without a copy: the Buffer owns
//! a reference to the bytes and releases it when it is collected. Where the runtime refuses
//! external buffers, the bytes are copied into a Buffer of its own.

use std::ffi::c_void;
use std::ptr;

use bytes::Bytes;
use napi::bindgen_prelude::{ToNapiValue, TypeName, ValueType};
use napi::{check_status, sys, Error, Result, Status};

/// Bytes that cross into JavaScript as a Buffer viewing them.
pub struct SharedBytes(pub Bytes);

impl TypeName for SharedBytes {
    fn type_name() -> &'static str {
        "Buffer"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for SharedBytes {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let bytes = val.0;
        let mut result = ptr::null_mut();
        if bytes.is_empty() {
            check_status!(sys::napi_create_buffer(
                env,
                0,
                ptr::null_mut(),
                &mut result
            ))?;
            return Ok(result);
        }
        let len = bytes.len();
        let data = bytes.as_ptr().cast_mut().cast::<c_void>();
        let owner = Box::into_raw(Box::new(bytes));
        let status = sys::napi_create_external_buffer(
            env,
            len,
            data,
            Some(release),
            owner.cast(),
            &mut result,
        );
        if status == sys::Status::napi_ok {
            return Ok(result);
        }
        let bytes = Box::from_raw(owner);
        if status != sys::Status::napi_no_external_buffers_allowed {
            return Err(Error::new(
                Status::from(status),
                "Failed to create a Buffer over fetched bytes".to_owned(),
            ));
        }
        check_status!(sys::napi_create_buffer_copy(
            env,
            len,
            bytes.as_ptr().cast(),
            ptr::null_mut(),
            &mut result
        ))?;
        Ok(result)
    }
}

/// The finalizer of a Buffer made by [`SharedBytes`]: drops its reference to the bytes.
unsafe extern "C" fn release(_env: sys::napi_env, _data: *mut c_void, owner: *mut c_void) {
    drop(Box::from_raw(owner.cast::<Bytes>()));
}
