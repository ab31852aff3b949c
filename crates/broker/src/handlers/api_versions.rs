//! ApiVersions: the APIs and versions this broker serves, and (v3+) the one feature it has:
//! transaction version 2 (KIP-890), finalized as on a Kafka 4 cluster, which tells clients such as
//! the Java producer to end every transaction with a new epoch and to let Produce and
//! TxnOffsetCommit add partitions and groups to it. A request at a version the broker does not
//! know is still answered, with a v0 body carrying UNSUPPORTED_VERSION and the full list
//! (KIP-511); the response header is always v0.

use bytes::{BufMut, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::{
    ApiVersion, FinalizedFeatureKey, SupportedFeatureKey,
};
use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::{Encodable, StrBytes};

use crate::dispatch::{advertised_versions, Ctx, SERVED_APIS};

/// The feature naming the transaction protocol version.
const TRANSACTION_VERSION: &str = "transaction.version";
/// The highest transaction version served, and the one in force.
const TRANSACTION_VERSION_LEVEL: i16 = 2;
/// The epoch of the finalized features, which never change here.
const FINALIZED_FEATURES_EPOCH: i64 = 1;

pub async fn handle(ctx: &Ctx<'_>, _request: ApiVersionsRequest) -> ApiVersionsResponse {
    let response = supported();
    if ctx.version < 3 {
        return response;
    }
    let name = || StrBytes::from_static_str(TRANSACTION_VERSION);
    // Like Kafka, v3 lists only supported features whose lowest version is above 0, which
    // clients of that era expect.
    let supported = if ctx.version >= 4 {
        vec![SupportedFeatureKey::default()
            .with_name(name())
            .with_min_version(0)
            .with_max_version(TRANSACTION_VERSION_LEVEL)]
    } else {
        Vec::new()
    };
    response
        .with_supported_features(supported)
        .with_finalized_features_epoch(FINALIZED_FEATURES_EPOCH)
        .with_finalized_features(vec![FinalizedFeatureKey::default()
            .with_name(name())
            .with_min_version_level(TRANSACTION_VERSION_LEVEL)
            .with_max_version_level(TRANSACTION_VERSION_LEVEL)])
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

    #[tokio::test]
    async fn finalizes_transaction_version_2_from_v3() {
        let state = crate::handlers::test_support::state();
        for version in crate::handlers::test_support::versions(ApiKey::ApiVersions) {
            let ctx = crate::handlers::test_support::ctx_at(&state, version);
            let response = handle(&ctx, ApiVersionsRequest::default()).await;
            let finalized: Vec<_> = response
                .finalized_features
                .iter()
                .map(|f| (f.name.as_str(), f.min_version_level, f.max_version_level))
                .collect();
            let supported: Vec<_> = response
                .supported_features
                .iter()
                .map(|f| (f.name.as_str(), f.min_version, f.max_version))
                .collect();
            match version {
                0..=2 => assert!(finalized.is_empty() && supported.is_empty()),
                3 => {
                    assert_eq!(finalized, vec![("transaction.version", 2, 2)]);
                    assert!(supported.is_empty());
                }
                _ => {
                    assert_eq!(finalized, vec![("transaction.version", 2, 2)]);
                    assert_eq!(supported, vec![("transaction.version", 0, 2)]);
                }
            }
            crate::handlers::test_support::encodes_at_every_version(
                ApiKey::ApiVersions,
                version,
                &response,
            );
        }
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
