//! OffsetDelete (TODO: implement).

use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: OffsetDeleteRequest) -> OffsetDeleteResponse {
    OffsetDeleteResponse::default()
}
