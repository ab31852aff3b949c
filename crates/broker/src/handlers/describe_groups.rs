//! DescribeGroups v0-v6: state, protocol and members of each group. An unknown group is
//! reported as Dead, and from v6 with GROUP_ID_NOT_FOUND (KIP-1043).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;

/// READ, DELETE and DESCRIBE (AclOperation codes 3, 6 and 8): what anyone may do to a group on
/// a broker without an authorizer.
const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8);

fn text(s: String) -> StrBytes {
    StrBytes::from_string(s)
}

pub async fn handle(ctx: &Ctx<'_>, request: DescribeGroupsRequest) -> DescribeGroupsResponse {
    let groups = request
        .groups
        .into_iter()
        .map(|group_id| {
            let described = ctx.state.groups.describe(&group_id);
            let members = described
                .members
                .into_iter()
                .map(|m| {
                    let member = DescribedGroupMember::default()
                        .with_member_id(text(m.member_id))
                        .with_client_id(text(m.client_id))
                        .with_client_host(text(m.client_host))
                        .with_member_metadata(m.metadata)
                        .with_member_assignment(m.assignment);
                    if ctx.version >= 4 {
                        member.with_group_instance_id(m.instance_id.map(text))
                    } else {
                        member
                    }
                })
                .collect();
            let mut group = DescribedGroup::default()
                .with_group_id(group_id.clone())
                .with_group_state(StrBytes::from_static_str(described.state))
                .with_protocol_type(text(described.protocol_type))
                .with_protocol_data(text(described.protocol_name))
                .with_members(members);
            if !described.found && ctx.version >= 6 {
                group.error_code = ResponseError::GroupIdNotFound.code();
                group.error_message = Some(text(format!("Group {} not found.", group_id.as_str())));
            } else if ctx.version >= 3 && request.include_authorized_operations {
                group.authorized_operations = GROUP_OPERATIONS;
            }
            group
        })
        .collect();
    DescribeGroupsResponse::default().with_groups(groups)
}
