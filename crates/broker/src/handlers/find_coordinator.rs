//! FindCoordinator (TODO: implement).

use kafka_protocol::messages::{FindCoordinatorRequest, FindCoordinatorResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: FindCoordinatorRequest) -> FindCoordinatorResponse {
    FindCoordinatorResponse::default()
}
