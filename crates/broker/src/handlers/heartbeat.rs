//! Heartbeat v0-v4: keeps a member's session alive and tells it when to rejoin.

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use crate::dispatch::Ctx;
use crate::group::api::{code, MemberIdentity};

pub async fn handle(ctx: &Ctx<'_>, request: HeartbeatRequest) -> HeartbeatResponse {
    let member = MemberIdentity {
        member_id: request.member_id.to_string(),
        instance_id: request.group_instance_id.map(|id| id.to_string()),
    };
    let error = ctx
        .state
        .groups
        .heartbeat(&request.group_id, &member, request.generation_id);
    HeartbeatResponse::default().with_error_code(code(error))
}
