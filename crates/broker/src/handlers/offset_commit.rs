//! OffsetCommit (TODO: implement).

use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: OffsetCommitRequest) -> OffsetCommitResponse {
    OffsetCommitResponse::default()
}
