//! ListGroups (TODO: implement).

use kafka_protocol::messages::{ListGroupsRequest, ListGroupsResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: ListGroupsRequest) -> ListGroupsResponse {
    ListGroupsResponse::default()
}
