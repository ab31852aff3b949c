//! ApiVersions: the APIs and versions this broker serves. A request at a version the broker does
//! not know is still answered, with a v0 body carrying UNSUPPORTED_VERSION and the full list
//! (KIP-511); the response header is always v0.

use bytes::{BufMut, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::Encodable;

use crate::dispatch::{advertised_versions, Ctx, SERVED_APIS};

pub async fn handle(_ctx: &Ctx<'_>, _request: ApiVersionsRequest) -> ApiVersionsResponse {
    supported()
}

fn supported() -> ApiVersionsResponse {
    let mut keys: Vec<ApiVersion> = SERVED_APIS
        .iter()
        .filter_map(|key| {
            let range = advertised_versions(*key)?;
            Some(
                ApiVersion::default()
                    .with_api_key(*key as i16)
                    .with_min_version(range.min)
                    .with_max_version(range.max),
            )
        })
        .collect();
    keys.sort_by_key(|k| k.api_key);
    ApiVersionsResponse::default().with_api_keys(keys)
}

/// The framed answer to an ApiVersions request of an unknown version.
pub fn unsupported_version(correlation_id: i32) -> BytesMut {
    let body = supported().with_error_code(ResponseError::UnsupportedVersion.code());
    let size = 4 + body.compute_size(0).expect("v0 ApiVersions always encodes");
    let mut out = BytesMut::with_capacity(4 + size);
    out.put_u32(size as u32);
    out.put_i32(correlation_id);
    body.encode(&mut out, 0)
        .expect("v0 ApiVersions always encodes");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::ApiKey;
    use kafka_protocol::protocol::Decodable;

    #[test]
    fn advertises_produce_from_v0_and_every_served_api() {
        let response = supported();
        let produce = response.api_keys.iter().find(|k| k.api_key == 0).unwrap();
        assert_eq!(produce.min_version, 0);
        assert_eq!(response.api_keys.len(), SERVED_APIS.len());
        assert!(response
            .api_keys
            .iter()
            .any(|k| k.api_key == ApiKey::ApiVersions as i16 && k.max_version >= 3));
    }

    #[test]
    fn unknown_version_gets_a_v0_answer() {
        let mut framed = unsupported_version(7).freeze();
        assert_eq!(
            framed.len(),
            4 + u32::from_be_bytes(framed[..4].try_into().unwrap()) as usize
        );
        let _ = framed.split_to(4);
        assert_eq!(i32::from_be_bytes(framed[..4].try_into().unwrap()), 7);
        let _ = framed.split_to(4);
        let body = ApiVersionsResponse::decode(&mut framed, 0).unwrap();
        assert_eq!(body.error_code, 35);
        assert!(!body.api_keys.is_empty());
    }
}
