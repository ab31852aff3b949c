//! AddPartitionsToTxn: adds partitions to a producer's open transaction, starting one if none
//! is open. v0-v3 (clients) carry one transaction; v4+ carry a batch of them, as brokers send
//! them, each either added or, with verifyOnly, only checked (NONE or TRANSACTION_ABORTABLE per
//! partition). A partition of an unknown topic fails the whole transaction: it gets
//! UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as on Kafka.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, TopicName, TransactionalId,
};

use super::init_producer_id::fenced_for;
use crate::dispatch::Ctx;
use crate::group::api::code;
use crate::txn::{self, metadata::TopicPartition};

/// One transaction of the request, in version-free terms.
struct Wanted {
    transactional_id: TransactionalId,
    producer_id: i64,
    epoch: i16,
    verify_only: bool,
    topics: Vec<AddPartitionsToTxnTopic>,
}

pub async fn handle(
    ctx: &Ctx<'_>,
    request: AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    if ctx.version < 4 {
        let wanted = Wanted {
            transactional_id: request.v3_and_below_transactional_id,
            producer_id: request.v3_and_below_producer_id.0,
            epoch: request.v3_and_below_producer_epoch,
            verify_only: false,
            topics: request.v3_and_below_topics,
        };
        return AddPartitionsToTxnResponse::default()
            .with_results_by_topic_v3_and_below(add(ctx, wanted));
    }
    let results = request
        .transactions
        .into_iter()
        .map(|t| {
            let transactional_id = t.transactional_id.clone();
            let wanted = Wanted {
                transactional_id: t.transactional_id,
                producer_id: t.producer_id.0,
                epoch: t.producer_epoch,
                verify_only: t.verify_only,
                topics: t.topics,
            };
            AddPartitionsToTxnResult::default()
                .with_transactional_id(transactional_id)
                .with_topic_results(add(ctx, wanted))
        })
        .collect();
    AddPartitionsToTxnResponse::default().with_results_by_transaction(results)
}

/// Adds (or verifies) one transaction's partitions; the result per partition, by topic.
fn add(ctx: &Ctx<'_>, wanted: Wanted) -> Vec<AddPartitionsToTxnTopicResult> {
    let partitions: Vec<TopicPartition> = wanted
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| (t.name.to_string(), *p)))
        .collect();
    let exists = |(topic, index): &TopicPartition| {
        ctx.state
            .topic(topic)
            .and_then(|t| t.partition(*index))
            .is_some()
    };
    let errors: Vec<Option<ResponseError>> = if !partitions.iter().all(exists) {
        partitions
            .iter()
            .map(|p| {
                Some(if exists(p) {
                    ResponseError::OperationNotAttempted
                } else {
                    ResponseError::UnknownTopicOrPartition
                })
            })
            .collect()
    } else {
        let id = wanted.transactional_id.as_str();
        let outcome = if wanted.verify_only {
            ctx.state
                .txns
                .verify(id, wanted.producer_id, wanted.epoch, &partitions)
        } else {
            ctx.state
                .txns
                .add(
                    id,
                    wanted.producer_id,
                    wanted.epoch,
                    partitions.clone(),
                    Vec::new(),
                    txn::now_ms(),
                )
                .map(|()| vec![None; partitions.len()])
        };
        outcome
            .unwrap_or_else(|error| vec![Some(fenced_for(ctx.version, 2, error)); partitions.len()])
    };
    let mut errors = errors.into_iter();
    wanted
        .topics
        .into_iter()
        .map(|topic| {
            let results = topic
                .partitions
                .iter()
                .map(|index| {
                    AddPartitionsToTxnPartitionResult::default()
                        .with_partition_index(*index)
                        .with_partition_error_code(code(errors.next().flatten()))
                })
                .collect();
            AddPartitionsToTxnTopicResult::default()
                .with_name(TopicName(topic.name.0))
                .with_results_by_partition(results)
        })
        .collect()
}
