//! DeleteGroups (TODO: implement).

use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: DeleteGroupsRequest) -> DeleteGroupsResponse {
    DeleteGroupsResponse::default()
}
