//! Heartbeat (TODO: implement).

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: HeartbeatRequest) -> HeartbeatResponse {
    HeartbeatResponse::default()
}
