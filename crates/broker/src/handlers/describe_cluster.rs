//! DescribeCluster (TODO: implement).

use kafka_protocol::messages::{DescribeClusterRequest, DescribeClusterResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: DescribeClusterRequest) -> DescribeClusterResponse {
    DescribeClusterResponse::default()
}
