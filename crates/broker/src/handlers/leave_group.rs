//! LeaveGroup (TODO: implement).

use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: LeaveGroupRequest) -> LeaveGroupResponse {
    LeaveGroupResponse::default()
}
