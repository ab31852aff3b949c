//! InitProducerId: a fresh producer id for an idempotent producer; for a transactional one, the
//! id's producer id at a bumped epoch, fencing older instances. An open transaction of the id is
//! aborted first and the client told CONCURRENT_TRANSACTIONS, to retry, as Kafka does. Versions
//! before 4 get INVALID_PRODUCER_EPOCH where newer ones get PRODUCER_FENCED.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use crate::dispatch::Ctx;
use crate::producer_state::{NO_PRODUCER_EPOCH, NO_PRODUCER_ID};
use crate::txn::{self, InitOutcome};

/// PRODUCER_FENCED as a client of `version` understands it.
pub fn fenced_for(
    version: i16,
    first_version_with_fenced: i16,
    error: ResponseError,
) -> ResponseError {
    if error == ResponseError::ProducerFenced && version < first_version_with_fenced {
        ResponseError::InvalidProducerEpoch
    } else {
        error
    }
}

fn failed(error: ResponseError) -> InitProducerIdResponse {
    InitProducerIdResponse::default()
        .with_error_code(error.code())
        .with_producer_id(ProducerId(NO_PRODUCER_ID))
        .with_producer_epoch(NO_PRODUCER_EPOCH)
}

pub async fn handle(ctx: &Ctx<'_>, request: InitProducerIdRequest) -> InitProducerIdResponse {
    let expected = match (request.producer_id.0, request.producer_epoch) {
        (NO_PRODUCER_ID, NO_PRODUCER_EPOCH) => None,
        (NO_PRODUCER_ID, _) | (_, NO_PRODUCER_EPOCH) => {
            return failed(ResponseError::InvalidRequest)
        }
        (producer_id, epoch) => Some((producer_id, epoch)),
    };
    let now = txn::now_ms();
    let outcome = ctx.state.txns.init_producer_id(
        request.transactional_id.as_deref().map(|id| id.as_str()),
        request.transaction_timeout_ms,
        expected,
        now,
    );
    match outcome {
        InitOutcome::Ready { producer_id, epoch } => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(producer_id))
            .with_producer_epoch(epoch),
        InitOutcome::Failed(error) => failed(fenced_for(ctx.version, 4, error)),
        InitOutcome::AbortFirst(plan) => {
            txn::write_markers(ctx.state, &plan, now);
            failed(ResponseError::ConcurrentTransactions)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::test_support::{ctx_at, state};
    use kafka_protocol::messages::TransactionalId;
    use kafka_protocol::protocol::StrBytes;

    fn request(id: Option<&str>, timeout_ms: i32) -> InitProducerIdRequest {
        InitProducerIdRequest::default()
            .with_transactional_id(id.map(|id| TransactionalId(StrBytes::from_string(id.into()))))
            .with_transaction_timeout_ms(timeout_ms)
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1)
    }

    #[tokio::test]
    async fn idempotent_producers_get_fresh_ids_at_epoch_zero() {
        let state = state();
        let ctx = ctx_at(&state, 1);
        let a = handle(&ctx, request(None, 0)).await;
        let b = handle(&ctx, request(None, 0)).await;
        assert_eq!((a.error_code, a.producer_epoch), (0, 0));
        assert_ne!(a.producer_id, b.producer_id);
    }

    #[tokio::test]
    async fn a_transactional_id_keeps_its_producer_id_and_bumps_its_epoch() {
        let state = state();
        let ctx = ctx_at(&state, 1);
        let first = handle(&ctx, request(Some("tx"), 60_000)).await;
        let second = handle(&ctx, request(Some("tx"), 60_000)).await;
        assert_eq!(first.producer_id, second.producer_id);
        assert_eq!((first.producer_epoch, second.producer_epoch), (0, 1));
    }

    #[tokio::test]
    async fn refuses_timeouts_beyond_the_maximum_and_empty_ids() {
        let state = state();
        let ctx = ctx_at(&state, 1);
        let too_long = handle(&ctx, request(Some("tx"), 900_001)).await;
        assert_eq!(
            too_long.error_code,
            ResponseError::InvalidTransactionTimeout.code()
        );
        assert_eq!(too_long.producer_id, ProducerId(-1));
        let zero = handle(&ctx, request(Some("tx"), 0)).await;
        assert_eq!(
            zero.error_code,
            ResponseError::InvalidTransactionTimeout.code()
        );
        let empty = handle(&ctx, request(Some(""), 1000)).await;
        assert_eq!(empty.error_code, ResponseError::InvalidRequest.code());
        let half = request(None, 0).with_producer_id(ProducerId(3));
        assert_eq!(
            handle(&ctx, half).await.error_code,
            ResponseError::InvalidRequest.code()
        );
    }

    #[tokio::test]
    async fn a_stale_expected_epoch_is_fenced_in_each_versions_terms() {
        let state = state();
        let first = handle(&ctx_at(&state, 4), request(Some("tx"), 60_000)).await;
        handle(&ctx_at(&state, 4), request(Some("tx"), 60_000)).await;
        handle(&ctx_at(&state, 4), request(Some("tx"), 60_000)).await;
        let stale = request(Some("tx"), 60_000)
            .with_producer_id(first.producer_id)
            .with_producer_epoch(first.producer_epoch);
        let v4 = handle(&ctx_at(&state, 4), stale.clone()).await;
        assert_eq!(v4.error_code, ResponseError::ProducerFenced.code());
        let v3 = handle(&ctx_at(&state, 3), stale).await;
        assert_eq!(v3.error_code, ResponseError::InvalidProducerEpoch.code());
    }
}
