//! DeleteGroups v0-v2: deletes Empty groups and their committed offsets; a group with members
//! is NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse, GroupId};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::group::api::code;

pub async fn handle(ctx: &Ctx<'_>, request: DeleteGroupsRequest) -> DeleteGroupsResponse {
    let ids: Vec<String> = request.groups_names.iter().map(|g| g.to_string()).collect();
    let results = ctx
        .state
        .groups
        .delete(&ids)
        .into_iter()
        .map(|(group_id, error)| {
            DeletableGroupResult::default()
                .with_group_id(GroupId(StrBytes::from_string(group_id)))
                .with_error_code(code(error))
        })
        .collect();
    DeleteGroupsResponse::default().with_results(results)
}
