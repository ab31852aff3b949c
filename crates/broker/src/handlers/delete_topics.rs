//! DeleteTopics (TODO: implement).

use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: DeleteTopicsRequest) -> DeleteTopicsResponse {
    DeleteTopicsResponse::default()
}
