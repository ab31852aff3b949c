//! EndTxn: commits or aborts the producer's open transaction. The coordinator decides, the
//! markers are written to every partition of the transaction and its group offsets applied or
//! dropped before the answer, so a committed transaction is readable when the producer hears
//! so. v5+ (transaction version 2) bumps the epoch and returns the new one. Versions before 2
//! get INVALID_PRODUCER_EPOCH where newer ones get PRODUCER_FENCED.

use kafka_protocol::messages::{EndTxnRequest, EndTxnResponse, ProducerId};

use super::init_producer_id::fenced_for;
use crate::dispatch::Ctx;
use crate::group::api::code;
use crate::txn::{self, EndOutcome};

pub async fn handle(ctx: &Ctx<'_>, request: EndTxnRequest) -> EndTxnResponse {
    let now = txn::now_ms();
    let outcome = ctx.state.txns.end(
        request.transactional_id.as_str(),
        request.producer_id.0,
        request.producer_epoch,
        request.committed,
        ctx.version >= 5,
        now,
    );
    let (error, producer_id, epoch) = match outcome {
        EndOutcome::Done {
            error,
            producer_id,
            epoch,
        } => (error, producer_id, epoch),
        EndOutcome::Write(plan) => {
            let (producer_id, epoch) = txn::write_markers(ctx.state, &plan, now);
            (None, producer_id, epoch)
        }
    };
    EndTxnResponse::default()
        .with_error_code(code(error.map(|e| fenced_for(ctx.version, 2, e))))
        .with_producer_id(ProducerId(producer_id))
        .with_producer_epoch(epoch)
}
