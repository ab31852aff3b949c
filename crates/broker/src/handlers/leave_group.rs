//! LeaveGroup v0-v5: one member (v0-v2) or a batch identified by member or instance id (v3+).

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::group::api::{code, MemberIdentity};

pub async fn handle(ctx: &Ctx<'_>, request: LeaveGroupRequest) -> LeaveGroupResponse {
    let members: Vec<MemberIdentity> = if ctx.version >= 3 {
        request
            .members
            .iter()
            .map(|m| MemberIdentity {
                member_id: m.member_id.to_string(),
                instance_id: m.group_instance_id.as_ref().map(|id| id.to_string()),
            })
            .collect()
    } else {
        vec![MemberIdentity {
            member_id: request.member_id.to_string(),
            instance_id: None,
        }]
    };
    let results = match ctx.state.groups.leave(&request.group_id, &members) {
        Ok(results) => results,
        Err(error) => return LeaveGroupResponse::default().with_error_code(error.code()),
    };
    if ctx.version < 3 {
        // Older clients read the member's error at the top level.
        let error = results.first().copied().flatten();
        return LeaveGroupResponse::default().with_error_code(code(error));
    }
    let responses = members
        .into_iter()
        .zip(results)
        .map(|(member, error)| {
            MemberResponse::default()
                .with_member_id(StrBytes::from_string(member.member_id))
                .with_group_instance_id(member.instance_id.map(StrBytes::from_string))
                .with_error_code(code(error))
        })
        .collect();
    LeaveGroupResponse::default().with_members(responses)
}
