//! The request path as a function, for the fuzz target in fuzz/: one request frame in, the framed
//! response (or the reason the connection would be closed) out, exactly as a connection runs it.
//! Compiled only with the `fuzzing` feature; not part of the broker's API.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};

pub use crate::dispatch::DispatchError;
use crate::state::State;

/// Runs one request frame (the bytes after its length prefix) through header decoding,
/// dispatch, the API's handler and response framing. `Ok(None)`: no response is due (acks=0);
/// `Err`: the connection would be closed.
pub async fn handle_frame(state: &State, frame: Bytes) -> Result<Option<BytesMut>, DispatchError> {
    crate::dispatch::handle(state, SocketAddr::from(([127, 0, 0, 1], 0)), frame).await
}
