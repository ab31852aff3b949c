//! JoinGroup v0-v9: asks the group coordinator to admit the member and waits for the join
//! phase to complete; the leader's response carries every member's metadata.

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::group::api::{code, JoinOutcome, JoinRequest};
use crate::group::Protocol;

fn text(s: String) -> StrBytes {
    StrBytes::from_string(s)
}

pub async fn handle(ctx: &Ctx<'_>, request: JoinGroupRequest) -> JoinGroupResponse {
    // Version 0 has no rebalance timeout: the session timeout serves as both.
    let rebalance_timeout_ms = if ctx.version == 0 {
        request.session_timeout_ms
    } else {
        request.rebalance_timeout_ms
    };
    let join = JoinRequest {
        group_id: request.group_id.to_string(),
        member_id: request.member_id.to_string(),
        instance_id: request.group_instance_id.map(|id| id.to_string()),
        client_id: ctx.client_id().to_string(),
        client_host: format!("/{}", ctx.peer.ip()),
        session_timeout_ms: request.session_timeout_ms,
        rebalance_timeout_ms,
        protocol_type: request.protocol_type.to_string(),
        protocols: request
            .protocols
            .into_iter()
            .map(|p| Protocol {
                name: p.name.to_string(),
                metadata: p.metadata,
            })
            .collect(),
        requires_known_member_id: ctx.version >= 4,
        supports_skip_assignment: ctx.version >= 9,
    };
    let outcome = ctx.state.groups.join(join).await;
    response(ctx.version, outcome)
}

fn response(version: i16, outcome: JoinOutcome) -> JoinGroupResponse {
    let members = outcome
        .members
        .into_iter()
        .map(|m| {
            let member = JoinGroupResponseMember::default()
                .with_member_id(text(m.member_id))
                .with_metadata(m.metadata);
            if version >= 5 {
                member.with_group_instance_id(m.instance_id.map(text))
            } else {
                member
            }
        })
        .collect();
    // Before v7 the protocol name is not nullable: "" stands for none; from v7 "" is sent as null.
    let protocol_name = if version >= 7 {
        outcome
            .protocol_name
            .filter(|name| !name.is_empty())
            .map(text)
    } else {
        Some(text(outcome.protocol_name.unwrap_or_default()))
    };
    let mut response = JoinGroupResponse::default()
        .with_error_code(code(outcome.error))
        .with_generation_id(outcome.generation_id)
        .with_protocol_name(protocol_name)
        .with_leader(text(outcome.leader))
        .with_member_id(text(outcome.member_id))
        .with_members(members);
    if version >= 7 {
        response.protocol_type = outcome.protocol_type.map(text);
    }
    if version >= 9 {
        response.skip_assignment = outcome.skip_assignment;
    }
    response
}
