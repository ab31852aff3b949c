//! OffsetFetch (TODO: implement).

use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: OffsetFetchRequest) -> OffsetFetchResponse {
    OffsetFetchResponse::default()
}
