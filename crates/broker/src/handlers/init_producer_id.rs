//! InitProducerId for idempotent producers: hands out a fresh producer id at epoch 0.
//! Transactional ids are refused until the transaction coordinator exists.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};

use crate::dispatch::Ctx;

pub async fn handle(ctx: &Ctx<'_>, request: InitProducerIdRequest) -> InitProducerIdResponse {
    if request.transactional_id.is_some() {
        return InitProducerIdResponse::default()
            .with_error_code(ResponseError::TransactionalIdAuthorizationFailed.code());
    }
    InitProducerIdResponse::default()
        .with_producer_id(ctx.state.next_producer_id().into())
        .with_producer_epoch(0)
}
