//! JoinGroup (TODO: implement).

use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: JoinGroupRequest) -> JoinGroupResponse {
    JoinGroupResponse::default()
}
