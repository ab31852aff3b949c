//! IncrementalAlterConfigs (TODO: implement).

use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};

use crate::dispatch::Ctx;

pub async fn handle(
    _ctx: &Ctx<'_>,
    _request: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    IncrementalAlterConfigsResponse::default()
}
