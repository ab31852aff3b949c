//! CreatePartitions (TODO: implement).

use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: CreatePartitionsRequest) -> CreatePartitionsResponse {
    CreatePartitionsResponse::default()
}
