//! ListOffsets: the offset for a timestamp, or for the special timestamps -1 (latest), -2
//! (earliest), -3 (the record with the largest timestamp) and -4 (earliest local). For
//! read_committed (isolation level 1, v2+) the latest offset is the last stable offset and a
//! timestamp lookup finds only offsets below it, as on Kafka.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use crate::dispatch::Ctx;
use crate::state::LEADER_EPOCH;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;

pub async fn handle(ctx: &Ctx<'_>, request: ListOffsetsRequest) -> ListOffsetsResponse {
    let read_committed = ctx.version >= 2 && request.isolation_level == 1;
    let topics = request
        .topics
        .into_iter()
        .map(|wanted| {
            let topic = ctx.state.topic(&wanted.name);
            let partitions = wanted
                .partitions
                .iter()
                .map(|p| {
                    let response = ListOffsetsPartitionResponse::default()
                        .with_partition_index(p.partition_index);
                    let Some(partition) =
                        topic.as_ref().and_then(|t| t.partition(p.partition_index))
                    else {
                        return response
                            .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                    };
                    let log = partition.log.lock();
                    let fetchable = if read_committed {
                        log.last_stable_offset()
                    } else {
                        log.high_watermark()
                    };
                    let found = match p.timestamp {
                        LATEST => Some((fetchable, -1)),
                        EARLIEST | EARLIEST_LOCAL => Some((log.log_start_offset(), -1)),
                        MAX_TIMESTAMP => log
                            .max_timestamp_offset()
                            .filter(|(offset, _)| *offset < fetchable),
                        ts if ts < 0 => None,
                        ts => log
                            .offset_for_timestamp(ts)
                            .filter(|(offset, _)| *offset < fetchable),
                    };
                    let (offset, timestamp) = found.unwrap_or((-1, -1));
                    let response = response.with_offset(offset).with_timestamp(timestamp);
                    if ctx.version >= 4 {
                        response.with_leader_epoch(if offset >= 0 { LEADER_EPOCH } else { -1 })
                    } else {
                        response
                    }
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(wanted.name)
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}
