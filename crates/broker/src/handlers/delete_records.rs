//! DeleteRecords: moves each partition's log start offset forward (offset -1 means the high
//! watermark) and reports the new low watermark; offsets beyond the high watermark are
//! OFFSET_OUT_OF_RANGE. On a broker with a log directory the response waits until the new log
//! start offsets are checkpointed.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};

use crate::dispatch::Ctx;

/// The offset that stands for "up to the high watermark".
const HIGH_WATERMARK: i64 = -1;

pub async fn handle(ctx: &Ctx<'_>, request: DeleteRecordsRequest) -> DeleteRecordsResponse {
    let flush_mark = ctx.state.storage.as_ref().map(|s| s.mark());
    let mut topics: Vec<DeleteRecordsTopicResult> = request
        .topics
        .into_iter()
        .map(|wanted| {
            let topic = ctx.state.topic(&wanted.name);
            let partitions = wanted
                .partitions
                .iter()
                .map(|p| {
                    let response = DeleteRecordsPartitionResult::default()
                        .with_partition_index(p.partition_index);
                    let Some(partition) =
                        topic.as_ref().and_then(|t| t.partition(p.partition_index))
                    else {
                        return response
                            .with_low_watermark(-1)
                            .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                    };
                    let mut log = partition.log.lock();
                    let offset = if p.offset == HIGH_WATERMARK {
                        log.high_watermark()
                    } else {
                        p.offset
                    };
                    match log.delete_before(offset) {
                        Ok(low) => response.with_low_watermark(low),
                        Err(_) => response
                            .with_low_watermark(-1)
                            .with_error_code(ResponseError::OffsetOutOfRange.code()),
                    }
                })
                .collect();
            DeleteRecordsTopicResult::default()
                .with_name(wanted.name)
                .with_partitions(partitions)
        })
        .collect();
    if let (Some(storage), Some(mark)) = (&ctx.state.storage, flush_mark) {
        if let Err(failed) = storage.flushed_since(mark).await {
            for partition in topics
                .iter_mut()
                .flat_map(|t| t.partitions.iter_mut())
                .filter(|p| p.error_code == 0)
            {
                partition.error_code = failed.response_error().code();
                partition.low_watermark = -1;
            }
        }
    }
    DeleteRecordsResponse::default().with_topics(topics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::test_support::{ctx_at, encodes_at_every_version, state, versions};
    use bytes::{Bytes, BytesMut};
    use ferrokafka_wire::record_batch::validate_batches;
    use kafka_protocol::messages::delete_records_request::{
        DeleteRecordsPartition, DeleteRecordsTopic,
    };
    use kafka_protocol::messages::{ApiKey, TopicName};
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };
    use std::collections::BTreeMap;

    fn three_records() -> Bytes {
        let records: Vec<Record> = (0..3)
            .map(|i| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: i,
                sequence: -1,
                timestamp: 1,
                key: None,
                value: Some(Bytes::from_static(b"v")),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        let options = RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        };
        RecordBatchEncoder::encode(&mut buf, &records, &options).unwrap();
        buf.freeze()
    }

    fn request(topic: &str, partitions: &[(i32, i64)]) -> DeleteRecordsRequest {
        DeleteRecordsRequest::default().with_topics(vec![DeleteRecordsTopic::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partitions(
                partitions
                    .iter()
                    .map(|(p, o)| {
                        DeleteRecordsPartition::default()
                            .with_partition_index(*p)
                            .with_offset(*o)
                    })
                    .collect(),
            )])
    }

    #[tokio::test]
    async fn moves_the_low_watermark() {
        for version in versions(ApiKey::DeleteRecords) {
            let state = state();
            let topic = state.create_topic("t", 2, BTreeMap::new()).unwrap();
            let batches = validate_batches(&three_records()).unwrap();
            topic
                .partition(0)
                .unwrap()
                .log
                .lock()
                .append(&batches, 0, None, &mut |_, _| Ok(()))
                .unwrap();
            topic
                .partition(1)
                .unwrap()
                .log
                .lock()
                .append(&batches, 0, None, &mut |_, _| Ok(()))
                .unwrap();
            let response = handle(
                &ctx_at(&state, version),
                request("t", &[(0, 2), (1, -1), (2, 0)]),
            )
            .await;
            encodes_at_every_version(ApiKey::DeleteRecords, version, &response);
            let outcomes: Vec<_> = response.topics[0]
                .partitions
                .iter()
                .map(|p| (p.low_watermark, p.error_code))
                .collect();
            assert_eq!(
                outcomes,
                vec![
                    (2, 0),
                    (3, 0),
                    (-1, ResponseError::UnknownTopicOrPartition.code())
                ]
            );
            let response = handle(&ctx_at(&state, version), request("t", &[(0, 4), (0, -5)])).await;
            let codes: Vec<_> = response.topics[0]
                .partitions
                .iter()
                .map(|p| p.error_code)
                .collect();
            assert_eq!(codes, vec![ResponseError::OffsetOutOfRange.code(); 2]);
            assert_eq!(topic.partition(0).unwrap().log.lock().log_start_offset(), 2);
        }
    }
}
