//! ListGroups v0-v5: every group, optionally filtered by state (v4+) and type (v5+); all groups
//! here are classic groups.

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::group::CLASSIC_GROUP_TYPE;

pub async fn handle(ctx: &Ctx<'_>, request: ListGroupsRequest) -> ListGroupsResponse {
    let names =
        |filter: Vec<StrBytes>| -> Vec<String> { filter.iter().map(|s| s.to_string()).collect() };
    let states = if ctx.version >= 4 {
        names(request.states_filter)
    } else {
        Vec::new()
    };
    let types = if ctx.version >= 5 {
        names(request.types_filter)
    } else {
        Vec::new()
    };
    let groups = ctx
        .state
        .groups
        .list(&states, &types)
        .into_iter()
        .map(|g| {
            let mut listed = ListedGroup::default()
                .with_group_id(GroupId(StrBytes::from_string(g.group_id)))
                .with_protocol_type(StrBytes::from_string(g.protocol_type));
            if ctx.version >= 4 {
                listed.group_state = StrBytes::from_static_str(g.state);
            }
            if ctx.version >= 5 {
                listed.group_type = StrBytes::from_static_str(CLASSIC_GROUP_TYPE);
            }
            listed
        })
        .collect();
    ListGroupsResponse::default().with_groups(groups)
}
