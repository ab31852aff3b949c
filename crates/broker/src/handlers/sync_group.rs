//! SyncGroup (TODO: implement).

use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: SyncGroupRequest) -> SyncGroupResponse {
    SyncGroupResponse::default()
}
