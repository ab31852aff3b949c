//! Produce: validates each partition's record batches (size, magic, CRC32C, then the producer's
//! epoch, sequence and transaction) and appends them as received, patching only base offset and
//! leader epoch (and the timestamp header on LogAppendTime topics). A retried idempotent batch
//! is answered with its original offset. A producer's first transactional write to a partition
//! is verified with the transaction coordinator, as Kafka does: a partition not added to the
//! transaction gets INVALID_TXN_STATE (v0-v10) or TRANSACTION_ABORTABLE (v11+). acks=0
//! requests get no response; dispatch drops it.

use ferrokafka_wire::record_batch::{validate_batches, BatchHeader};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_request::PartitionProduceData;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::producer_state::Refusal;
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
    let mut appended = false;
    let responses = request
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
                        Some(refused) => Err(error(refused)),
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
    ProduceResponse::default().with_responses(responses)
}

/// Where a partition's records went, or why they were refused.
struct Appended {
    base_offset: i64,
    log_append_time: i64,
    log_start_offset: i64,
}

struct Refused {
    error: ResponseError,
    message: Option<String>,
}

fn error(error: ResponseError) -> Refused {
    Refused {
        error,
        message: None,
    }
}

/// The produce path's verification that the producer's transaction includes the partition,
/// with Kafka's translation of the coordinator's answer for producers.
fn verify(
    ctx: &Ctx<'_>,
    transactional_id: Option<&str>,
    partition: (String, i32),
    producer_id: i64,
    epoch: i16,
) -> Result<(), Refusal> {
    let not_added = |error| Refusal {
        error,
        message: "Partition was not added to the transaction".to_string(),
    };
    let verified = ctx.state.txns.verify(
        transactional_id.unwrap_or_default(),
        producer_id,
        epoch,
        &[partition],
    );
    match verified {
        Ok(errors) if errors.iter().all(Option::is_none) => Ok(()),
        Ok(_) if ctx.version > 10 => Err(not_added(ResponseError::TransactionAbortable)),
        Ok(_) => Err(not_added(ResponseError::InvalidTxnState)),
        Err(ResponseError::ProducerFenced) => Err(Refusal {
            error: ResponseError::InvalidProducerEpoch,
            message: format!("Producer {producer_id} with epoch {epoch} is fenced"),
        }),
        Err(ResponseError::ConcurrentTransactions) => Err(Refusal {
            error: ResponseError::NotEnoughReplicas,
            message: "Unable to verify the partition has been added to the transaction. Underlying error: CONCURRENT_TRANSACTIONS".to_string(),
        }),
        Err(error) => Err(Refusal {
            error,
            message: error.to_string(),
        }),
    }
}

fn append(
    ctx: &Ctx<'_>,
    topic: Option<&Topic>,
    transactional_id: Option<&str>,
    data: PartitionProduceData,
) -> Result<Appended, Refused> {
    let missing = if ctx.version >= 13 {
        ResponseError::UnknownTopicId
    } else {
        ResponseError::UnknownTopicOrPartition
    };
    let topic = topic.ok_or_else(|| error(missing))?;
    let partition = topic
        .partition(data.index)
        .ok_or_else(|| error(ResponseError::UnknownTopicOrPartition))?;
    let records = data.records.unwrap_or_default();
    let batches = validate_batches(&records).map_err(|e| Refused {
        error: e.response_error(),
        message: Some(e.to_string()),
    })?;
    let max_message_bytes: usize = ctx
        .state
        .topic_config(topic, "max.message.bytes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    if let Some((_, too_big)) = batches.iter().find(|(_, b)| b.len() > max_message_bytes) {
        return Err(Refused {
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
    let name = format!("{}-{}", topic.name, data.index);
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
    let appended = log
        .append(
            &batches,
            LEADER_EPOCH,
            log_append_time,
            &name,
            &mut verify_txn,
        )
        .map_err(|refused| Refused {
            error: refused.error,
            message: Some(refused.message),
        })?;
    Ok(Appended {
        base_offset: appended.base_offset,
        log_append_time: appended.log_append_time.unwrap_or(-1),
        log_start_offset: log.log_start_offset(),
    })
}

fn partition_response(
    ctx: &Ctx<'_>,
    index: i32,
    outcome: Result<Appended, Refused>,
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
