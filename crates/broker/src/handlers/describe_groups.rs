//! DescribeGroups (TODO: implement).

use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: DescribeGroupsRequest) -> DescribeGroupsResponse {
    DescribeGroupsResponse::default()
}
