//! Produce: validates each partition's record batches (size, magic, CRC32C) and appends them as
//! received, patching only base offset and leader epoch (and the timestamp header on
//! LogAppendTime topics). acks=0 requests get no response; dispatch drops it. On a broker
//! with a log directory the response waits for the fsyncs the flush policy asked for.

use std::time::{SystemTime, UNIX_EPOCH};

use ferrokafka_wire::record_batch::validate_batches;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_request::PartitionProduceData;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::state::{Topic, LEADER_EPOCH};

pub async fn handle(ctx: &Ctx<'_>, request: ProduceRequest) -> ProduceResponse {
    let flush_mark = ctx.state.storage.as_ref().map(|s| s.mark());
    let acks = request.acks;
    let acks_valid = matches!(request.acks, -1..=1);
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
                    let outcome = if acks_valid {
                        append(ctx, topic.as_deref(), data)
                    } else {
                        Err(error(ResponseError::InvalidRequiredAcks))
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

fn append(
    ctx: &Ctx<'_>,
    topic: Option<&Topic>,
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
        .map(|_| now_ms());
    let mut log = partition.log.lock();
    let base_offset = log
        .append(&batches, LEADER_EPOCH, log_append_time)
        .map_err(|e| Refused {
            error: e.response_error(),
            message: Some(e.to_string()),
        })?;
    Ok(Appended {
        base_offset,
        log_append_time: log_append_time.unwrap_or(-1),
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

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
