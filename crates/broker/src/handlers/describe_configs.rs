//! DescribeConfigs (TODO: implement).

use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: DescribeConfigsRequest) -> DescribeConfigsResponse {
    DescribeConfigsResponse::default()
}
