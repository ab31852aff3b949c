//! CreateTopics (TODO: implement).

use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: CreateTopicsRequest) -> CreateTopicsResponse {
    CreateTopicsResponse::default()
}
