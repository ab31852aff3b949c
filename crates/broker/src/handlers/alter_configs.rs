//! AlterConfigs (TODO: implement).

use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: AlterConfigsRequest) -> AlterConfigsResponse {
    AlterConfigsResponse::default()
}
