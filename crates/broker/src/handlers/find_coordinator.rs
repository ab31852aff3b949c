//! FindCoordinator: this broker coordinates every group and every transactional id. Versions
//! 4+ look up a batch of keys; other coordinator types (share groups) are an INVALID_REQUEST.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;

const GROUP: i8 = 0;
const TRANSACTION: i8 = 1;

/// The coordinator's node id, host and port, or why there is none.
fn coordinator(ctx: &Ctx<'_>, key_type: i8) -> Result<(i32, StrBytes, i32), ResponseError> {
    match key_type {
        GROUP | TRANSACTION => Ok((
            ctx.state.config.node_id,
            StrBytes::from_string(ctx.state.advertised_host.clone()),
            ctx.state.advertised_port,
        )),
        _ => Err(ResponseError::InvalidRequest),
    }
}

pub async fn handle(ctx: &Ctx<'_>, request: FindCoordinatorRequest) -> FindCoordinatorResponse {
    let found = coordinator(ctx, request.key_type);
    let (node_id, host, port) = found.clone().unwrap_or((-1, StrBytes::default(), -1));
    let error_code = found.as_ref().err().map_or(0, |e| e.code());
    if ctx.version >= 4 {
        let coordinators = request
            .coordinator_keys
            .into_iter()
            .map(|key| {
                Coordinator::default()
                    .with_key(key)
                    .with_node_id(BrokerId(node_id))
                    .with_host(host.clone())
                    .with_port(port)
                    .with_error_code(error_code)
            })
            .collect();
        return FindCoordinatorResponse::default().with_coordinators(coordinators);
    }
    let response = FindCoordinatorResponse::default()
        .with_error_code(error_code)
        .with_node_id(BrokerId(node_id))
        .with_host(host)
        .with_port(port);
    if ctx.version >= 1 {
        // Kafka writes the error's message, which for no error is "NONE".
        let message = match &found {
            Ok(_) => "NONE".to_string(),
            Err(error) => error.to_string(),
        };
        response.with_error_message(Some(StrBytes::from_string(message)))
    } else {
        response
    }
}
