//! AddOffsetsToTxn: the producer's open transaction will commit offsets for a group (Kafka adds
//! the group's __consumer_offsets partition), starting a transaction if none is open. Versions
//! before 2 get INVALID_PRODUCER_EPOCH where newer ones get PRODUCER_FENCED.

use kafka_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};

use super::init_producer_id::fenced_for;
use crate::dispatch::Ctx;
use crate::group::api::code;
use crate::txn;

pub async fn handle(ctx: &Ctx<'_>, request: AddOffsetsToTxnRequest) -> AddOffsetsToTxnResponse {
    let added = ctx.state.txns.add(
        request.transactional_id.as_str(),
        request.producer_id.0,
        request.producer_epoch,
        Vec::new(),
        vec![request.group_id.to_string()],
        txn::now_ms(),
    );
    let error = added.err().map(|e| fenced_for(ctx.version, 2, e));
    AddOffsetsToTxnResponse::default().with_error_code(code(error))
}
