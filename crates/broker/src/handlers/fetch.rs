//! Fetch: serves stored batches from the requested offsets, long-polling up to `max_wait_ms`
//! until `min_bytes` are available. Sessions are not kept (session id 0 in every response, a
//! full fetch every time), which KIP-227 allows. Total `max_bytes` and `partition_max_bytes`
//! are soft for the first batch returned (KIP-74). read_committed (isolation level 1) fetches
//! read only up to the last stable offset and get the aborted transactions of the range
//! returned, so the client can drop their records; every fetch reports the last stable offset.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::fetch_response::{
    AbortedTransaction, FetchableTopicResponse, PartitionData,
};
use kafka_protocol::messages::{FetchRequest, FetchResponse, ProducerId};
use tokio::time::Instant;

use crate::dispatch::Ctx;

pub async fn handle(ctx: &Ctx<'_>, request: FetchRequest) -> FetchResponse {
    if request.session_id != 0 {
        return FetchResponse::default()
            .with_error_code(ResponseError::FetchSessionIdNotFound.code());
    }
    let deadline = Instant::now() + Duration::from_millis(request.max_wait_ms.max(0) as u64);
    let min_bytes = request.min_bytes.max(0) as usize;
    loop {
        // Register interest before reading so an append between the read and the wait wakes us.
        let appended = ctx.state.appended.notified();
        tokio::pin!(appended);
        appended.as_mut().enable();
        let (responses, bytes, errors) = read_all(ctx, &request);
        if bytes >= min_bytes.max(1) || errors || Instant::now() >= deadline {
            return FetchResponse::default().with_responses(responses);
        }
        if tokio::time::timeout_at(deadline, appended).await.is_err() {
            let (responses, ..) = read_all(ctx, &request);
            return FetchResponse::default().with_responses(responses);
        }
    }
}

/// Reads every requested partition once: the responses, the record bytes gathered, and whether
/// any partition failed (which answers the fetch at once, as Kafka does).
fn read_all(ctx: &Ctx<'_>, request: &FetchRequest) -> (Vec<FetchableTopicResponse>, usize, bool) {
    let mut remaining = request.max_bytes.max(0) as usize;
    let mut total = 0;
    let mut errors = false;
    let read_committed = request.isolation_level == 1;
    let responses = request
        .topics
        .iter()
        .map(|wanted| {
            let partitions = wanted
                .partitions
                .iter()
                .map(|p| {
                    let data =
                        read_partition(ctx, wanted, p, remaining, total == 0, read_committed);
                    if data.error_code != 0 {
                        errors = true;
                    }
                    let len = data.records.as_ref().map_or(0, Bytes::len);
                    total += len;
                    remaining = remaining.saturating_sub(len);
                    data
                })
                .collect();
            FetchableTopicResponse::default()
                .with_topic(wanted.topic.clone())
                .with_topic_id(wanted.topic_id)
                .with_partitions(partitions)
        })
        .collect();
    (responses, total, errors)
}

fn read_partition(
    ctx: &Ctx<'_>,
    wanted: &FetchTopic,
    requested: &FetchPartition,
    remaining: usize,
    first: bool,
    read_committed: bool,
) -> PartitionData {
    let (index, offset) = (requested.partition, requested.fetch_offset);
    let response = PartitionData::default()
        .with_partition_index(index)
        .with_aborted_transactions(read_committed.then(Vec::new));
    let topic = if ctx.version >= 13 {
        ctx.state.topic_by_id(wanted.topic_id)
    } else {
        ctx.state.topic(&wanted.topic)
    };
    let Some(topic) = topic else {
        let error = if ctx.version >= 13 {
            ResponseError::UnknownTopicId
        } else {
            ResponseError::UnknownTopicOrPartition
        };
        return response
            .with_error_code(error.code())
            .with_high_watermark(-1);
    };
    let Some(partition) = topic.partition(index) else {
        return response
            .with_error_code(ResponseError::UnknownTopicOrPartition.code())
            .with_high_watermark(-1);
    };
    let log = partition.log.lock();
    let limit = (requested.partition_max_bytes.max(0) as usize).min(remaining);
    let stable = log.last_stable_offset();
    let response = response
        .with_high_watermark(log.high_watermark())
        .with_last_stable_offset(stable)
        .with_log_start_offset(log.log_start_offset());
    let max_offset = if read_committed {
        stable
    } else {
        log.high_watermark()
    };
    match log.read_below(offset, limit, first, max_offset) {
        Ok(read) if read_committed => {
            let aborted = log
                .aborted_between(offset, read.end_offset)
                .into_iter()
                .map(|t| {
                    AbortedTransaction::default()
                        .with_producer_id(ProducerId(t.producer_id))
                        .with_first_offset(t.first_offset)
                })
                .collect();
            response
                .with_records(Some(read.records))
                .with_aborted_transactions(Some(aborted))
        }
        Ok(read) => response.with_records(Some(read.records)),
        Err(_) => response.with_error_code(ResponseError::OffsetOutOfRange.code()),
    }
}
