//! Produce: validates each partition's record batches (size, magic, CRC32C, then the producer's
//! epoch, sequence and transaction) and appends them as received, patching only base offset and
//! leader epoch (and the timestamp header on LogAppendTime topics). A retried idempotent batch
//! is answered with its original offset. A producer's first transactional write to a partition
//! is checked with the transaction coordinator, as Kafka 4 does: a partition not added to the
//! transaction gets INVALID_TXN_STATE (v3-v10) or TRANSACTION_ABORTABLE (v11); from v12
//! (transaction version 2) the write adds the partition to the transaction itself. acks=0
//! requests get no response; dispatch drops it. On a broker with a log directory the response
//! waits for the fsyncs the flush policy asked for.

use ferrokafka_wire::record_batch::{validate_batches, BatchHeader};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_request::PartitionProduceData;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::log::Refusal;
use crate::state::{Topic, LEADER_EPOCH};
use crate::txn;

/// Whether a partition's records start with a transactional batch (Kafka's check for a
/// request that needs a transactional id).
fn is_transactional(data: &PartitionProduceData) -> bool {
    data.records
        .as_ref()
        .and_then(|records| BatchHeader::parse(records).ok())
        .is_some_and(|header| header.is_transactional())
}

pub async fn handle(ctx: &Ctx<'_>, request: ProduceRequest) -> ProduceResponse {
    let transactional = request
        .topic_data
        .iter()
        .flat_map(|t| &t.partition_data)
        .any(is_transactional);
    let refuse_all = if transactional && request.transactional_id.is_none() {
        Some(ResponseError::TransactionalIdAuthorizationFailed)
    } else if !matches!(request.acks, -1..=1) {
        Some(ResponseError::InvalidRequiredAcks)
    } else {
        None
    };
    let transactional_id = request.transactional_id.as_ref().map(|id| id.to_string());
    let flush_mark = ctx.state.storage.as_ref().map(|s| s.mark());
    let acks = request.acks;
    let mut appended = false;
    let mut responses: Vec<TopicProduceResponse> = request
        .topic_data
        .into_iter()
        .map(|topic_data| {
            let topic = if ctx.version >= 13 {
                ctx.state.topic_by_id(topic_data.topic_id)
            } else {
                ctx.state.topic(&topic_data.name)
            };
            let partitions = topic_data
                .partition_data
                .into_iter()
                .map(|data| {
                    let index = data.index;
                    let outcome = match refuse_all {
                        None => append(ctx, topic.as_deref(), transactional_id.as_deref(), data),
                        Some(refused) => Err(refused.into()),
                    };
                    appended |= outcome.is_ok();
                    partition_response(ctx, index, outcome)
                })
                .collect();
            TopicProduceResponse::default()
                .with_name(topic_data.name)
                .with_topic_id(topic_data.topic_id)
                .with_partition_responses(partitions)
        })
        .collect();
    if appended {
        ctx.state.appended.notify_waiters();
    }
    if let (Some(storage), Some(mark)) = (&ctx.state.storage, flush_mark) {
        if appended && acks != 0 {
            if let Err(failed) = storage.flushed_since(mark).await {
                refuse_appended(ctx, &mut responses, &failed);
            }
        }
    }
    ProduceResponse::default().with_responses(responses)
}

/// Turns the partitions appended to into storage errors: the fsync they waited for failed.
fn refuse_appended(
    ctx: &Ctx<'_>,
    responses: &mut [TopicProduceResponse],
    failed: &crate::storage::StorageError,
) {
    for partition in responses
        .iter_mut()
        .flat_map(|t| t.partition_responses.iter_mut())
        .filter(|p| p.error_code == 0)
    {
        partition.error_code = failed.response_error().code();
        partition.base_offset = -1;
        if ctx.version >= 8 {
            partition.error_message = Some(StrBytes::from_string(failed.to_string()));
        }
    }
}

/// Where a partition's records went.
struct Appended {
    base_offset: i64,
    log_append_time: i64,
    log_start_offset: i64,
}

/// The produce path's check that the producer's transaction includes the partition (from v12,
/// adding it), with Kafka's translation of the coordinator's answer for producers.
fn verify(
    ctx: &Ctx<'_>,
    transactional_id: Option<&str>,
    partition: (String, i32),
    producer_id: i64,
    epoch: i16,
) -> Result<(), Refusal> {
    let id = transactional_id.unwrap_or_default();
    let txns = &ctx.state.txns;
    let outcome = if ctx.version >= 12 {
        txns.add(
            id,
            producer_id,
            epoch,
            vec![partition],
            Vec::new(),
            txn::now_ms(),
        )
        .map(|()| vec![None])
    } else {
        txns.verify(id, producer_id, epoch, &[partition])
    };
    let custom = |error, message: &str| Refusal {
        error,
        message: Some(message.to_string()),
    };
    match outcome {
        Ok(errors) if errors.iter().all(Option::is_none) => Ok(()),
        Ok(_) if ctx.version > 10 => Err(ResponseError::TransactionAbortable.into()),
        Ok(_) => Err(custom(
            ResponseError::InvalidTxnState,
            "Partition was not added to the transaction",
        )),
        Err(ResponseError::ProducerFenced) => Err(ResponseError::InvalidProducerEpoch.into()),
        Err(ResponseError::ConcurrentTransactions) => Err(custom(
            ResponseError::NotEnoughReplicas,
            "Unable to verify the partition has been added to the transaction. Underlying error: CONCURRENT_TRANSACTIONS",
        )),
        Err(error) => Err(error.into()),
    }
}

fn append(
    ctx: &Ctx<'_>,
    topic: Option<&Topic>,
    transactional_id: Option<&str>,
    data: PartitionProduceData,
) -> Result<Appended, Refusal> {
    let missing = if ctx.version >= 13 {
        ResponseError::UnknownTopicId
    } else {
        ResponseError::UnknownTopicOrPartition
    };
    let topic = topic.ok_or_else(|| Refusal::from(missing))?;
    let partition = topic
        .partition(data.index)
        .ok_or_else(|| Refusal::from(ResponseError::UnknownTopicOrPartition))?;
    let records = data.records.unwrap_or_default();
    let batches = validate_batches(&records).map_err(|e| Refusal {
        error: e.response_error(),
        message: Some(e.to_string()),
    })?;
    let max_message_bytes: usize = ctx
        .state
        .topic_config(topic, "max.message.bytes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    if let Some((_, too_big)) = batches.iter().find(|(_, b)| b.len() > max_message_bytes) {
        return Err(Refusal {
            error: ResponseError::MessageTooLarge,
            message: Some(format!(
                "The request included a message larger than the max message size the server will accept: {} > {max_message_bytes}",
                too_big.len()
            )),
        });
    }
    let log_append_time = ctx
        .state
        .topic_config(topic, "message.timestamp.type")
        .filter(|t| t == "LogAppendTime")
        .map(|_| txn::now_ms());
    let mut verify_txn = |pid, epoch| {
        verify(
            ctx,
            transactional_id,
            (topic.name.clone(), data.index),
            pid,
            epoch,
        )
    };
    let mut log = partition.log.lock();
    let appended = log.append(&batches, LEADER_EPOCH, log_append_time, &mut verify_txn)?;
    Ok(Appended {
        base_offset: appended.base_offset,
        log_append_time: appended.log_append_time.unwrap_or(-1),
        log_start_offset: log.log_start_offset(),
    })
}

fn partition_response(
    ctx: &Ctx<'_>,
    index: i32,
    outcome: Result<Appended, Refusal>,
) -> PartitionProduceResponse {
    let response = PartitionProduceResponse::default().with_index(index);
    let with_start = |r: PartitionProduceResponse, start: i64| {
        if ctx.version >= 5 {
            r.with_log_start_offset(start)
        } else {
            r
        }
    };
    match outcome {
        Ok(done) => with_start(
            response
                .with_base_offset(done.base_offset)
                .with_log_append_time_ms(done.log_append_time),
            done.log_start_offset,
        ),
        Err(refused) => {
            let response = response
                .with_error_code(refused.error.code())
                .with_base_offset(-1);
            if ctx.version >= 8 {
                response.with_error_message(refused.message.map(StrBytes::from_string))
            } else {
                response
            }
        }
    }
}
