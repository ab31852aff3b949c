//! SyncGroup v0-v5: the leader hands in the assignment; every member waits for its share.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::group::api::{code, SyncOutcome, SyncRequest};

pub async fn handle(ctx: &Ctx<'_>, request: SyncGroupRequest) -> SyncGroupResponse {
    // From v5 the protocol type and name are mandatory.
    let outcome = if ctx.version >= 5
        && (request.protocol_type.is_none() || request.protocol_name.is_none())
    {
        SyncOutcome::failed(ResponseError::InconsistentGroupProtocol)
    } else {
        let sync = SyncRequest {
            group_id: request.group_id.to_string(),
            member_id: request.member_id.to_string(),
            instance_id: request.group_instance_id.map(|id| id.to_string()),
            generation_id: request.generation_id,
            protocol_type: request.protocol_type.map(|t| t.to_string()),
            protocol_name: request.protocol_name.map(|n| n.to_string()),
            assignments: request
                .assignments
                .into_iter()
                .map(|a| (a.member_id.to_string(), a.assignment))
                .collect(),
        };
        ctx.state.groups.sync(sync).await
    };
    let response = SyncGroupResponse::default()
        .with_error_code(code(outcome.error))
        .with_assignment(outcome.assignment);
    if ctx.version >= 5 {
        response
            .with_protocol_type(outcome.protocol_type.map(StrBytes::from_string))
            .with_protocol_name(outcome.protocol_name.map(StrBytes::from_string))
    } else {
        response
    }
}
