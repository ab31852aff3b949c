//! Request dispatch: reads the request header, routes the body to its API's handler module and
//! frames the response. The route table is also the list of APIs ApiVersions advertises.

use std::net::SocketAddr;

use bytes::{BufMut, Bytes, BytesMut};
use ferrokafka_wire::versions::message_versions;
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, VersionRange};

use crate::handlers;
use crate::state::State;

/// Why a connection is closed instead of answered.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("request of {0} bytes is too short for a header")]
    TooShort(usize),
    #[error("unknown or unsupported API key {0}")]
    UnknownApi(i16),
    #[error("unsupported version {1} of API {0:?}")]
    UnsupportedVersion(ApiKey, i16),
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("response could not be encoded: {0}")]
    Encode(String),
}

fn malformed(error: impl std::fmt::Display) -> DispatchError {
    DispatchError::Malformed(error.to_string())
}

/// What a handler sees of the request besides its body.
pub struct Ctx<'a> {
    pub state: &'a State,
    pub header: &'a RequestHeader,
    pub version: i16,
    pub peer: SocketAddr,
}

impl Ctx<'_> {
    /// The client id the request carried, or "" when it had none.
    pub fn client_id(&self) -> &str {
        self.header.client_id.as_deref().unwrap_or("")
    }
}

macro_rules! routes {
    ($($api:ident => $module:ident,)*) => {
        /// Every API this broker serves.
        pub const SERVED_APIS: &[ApiKey] = &[ApiKey::Produce, $(ApiKey::$api,)*];

        async fn route(ctx: &Ctx<'_>, key: ApiKey, body: &mut Bytes) -> Result<Option<BytesMut>, DispatchError> {
            match key {
                ApiKey::Produce => {
                    let request = Decodable::decode(body, ctx.version).map_err(malformed)?;
                    let request: kafka_protocol::messages::ProduceRequest = request;
                    let silent = request.acks == 0;
                    let response = handlers::produce::handle(ctx, request).await;
                    if silent { Ok(None) } else { frame(ctx, key, &response).map(Some) }
                }
                $(ApiKey::$api => {
                    let request = Decodable::decode(body, ctx.version).map_err(malformed)?;
                    let response = handlers::$module::handle(ctx, request).await;
                    frame(ctx, key, &response).map(Some)
                })*
                _ => Err(DispatchError::UnknownApi(key as i16)),
            }
        }
    };
}

routes! {
    Fetch => fetch,
    ListOffsets => list_offsets,
    Metadata => metadata,
    OffsetCommit => offset_commit,
    OffsetFetch => offset_fetch,
    FindCoordinator => find_coordinator,
    JoinGroup => join_group,
    Heartbeat => heartbeat,
    LeaveGroup => leave_group,
    SyncGroup => sync_group,
    DescribeGroups => describe_groups,
    ListGroups => list_groups,
    ApiVersions => api_versions,
    CreateTopics => create_topics,
    DeleteTopics => delete_topics,
    DeleteRecords => delete_records,
    InitProducerId => init_producer_id,
    OffsetForLeaderEpoch => offset_for_leader_epoch,
    DescribeConfigs => describe_configs,
    AlterConfigs => alter_configs,
    CreatePartitions => create_partitions,
    DeleteGroups => delete_groups,
    IncrementalAlterConfigs => incremental_alter_configs,
    OffsetDelete => offset_delete,
    DescribeCluster => describe_cluster,
    AddPartitionsToTxn => add_partitions_to_txn,
    AddOffsetsToTxn => add_offsets_to_txn,
    EndTxn => end_txn,
    TxnOffsetCommit => txn_offset_commit,
    DescribeProducers => describe_producers,
    DescribeTransactions => describe_transactions,
    ListTransactions => list_transactions,
}

/// The versions advertised for `key`. Produce is advertised from v0 because librdkafka before
/// 2.11.1 disables compression otherwise (as Kafka 4 does); versions below the decodable range
/// are refused when they arrive.
pub fn advertised_versions(key: ApiKey) -> Option<VersionRange> {
    if !SERVED_APIS.contains(&key) {
        return None;
    }
    let decodable = message_versions(key)?;
    Some(match key {
        ApiKey::Produce => VersionRange {
            min: 0,
            max: decodable.max,
        },
        _ => decodable,
    })
}

/// Handles one request frame. `Ok(None)` means the request wants no response (acks=0).
pub async fn handle(
    state: &State,
    peer: SocketAddr,
    frame: Bytes,
) -> Result<Option<BytesMut>, DispatchError> {
    if frame.len() < 8 {
        return Err(DispatchError::TooShort(frame.len()));
    }
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let key = ApiKey::try_from(raw_key).map_err(|_| DispatchError::UnknownApi(raw_key))?;
    let decodable = message_versions(key)
        .filter(|_| SERVED_APIS.contains(&key))
        .ok_or(DispatchError::UnknownApi(raw_key))?;
    if version < decodable.min || version > decodable.max {
        if key == ApiKey::ApiVersions {
            return Ok(Some(handlers::api_versions::unsupported_version(
                correlation_id,
            )));
        }
        return Err(DispatchError::UnsupportedVersion(key, version));
    }
    let mut body = frame;
    let header =
        RequestHeader::decode(&mut body, key.request_header_version(version)).map_err(malformed)?;
    let ctx = Ctx {
        state,
        header: &header,
        version,
        peer,
    };
    route(&ctx, key, &mut body).await
}

/// Frames a response: length, response header, body.
fn frame<R: Encodable + HeaderVersion>(
    ctx: &Ctx<'_>,
    key: ApiKey,
    response: &R,
) -> Result<BytesMut, DispatchError> {
    let encode_error = |e: anyhow::Error| {
        tracing::error!(?key, version = ctx.version, error = %e, "response encoding failed");
        DispatchError::Encode(e.to_string())
    };
    let header_version = R::header_version(ctx.version);
    let header = ResponseHeader::default().with_correlation_id(ctx.header.correlation_id);
    let size = header.compute_size(header_version).map_err(encode_error)?
        + response.compute_size(ctx.version).map_err(encode_error)?;
    let mut out = BytesMut::with_capacity(4 + size);
    out.put_u32(size as u32);
    header
        .encode(&mut out, header_version)
        .map_err(encode_error)?;
    response
        .encode(&mut out, ctx.version)
        .map_err(encode_error)?;
    Ok(out)
}
