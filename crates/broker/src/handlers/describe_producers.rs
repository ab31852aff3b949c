//! DescribeProducers: the producers each partition knows, with their epoch, last sequence and
//! timestamp, coordinator epoch and the start offset of their open transaction (-1 for none).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_producers_response::{
    PartitionResponse, ProducerState, TopicResponse,
};
use kafka_protocol::messages::{DescribeProducersRequest, DescribeProducersResponse, ProducerId};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;

pub async fn handle(ctx: &Ctx<'_>, request: DescribeProducersRequest) -> DescribeProducersResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|wanted| {
            let topic = ctx.state.topic(&wanted.name);
            let partitions = wanted
                .partition_indexes
                .iter()
                .map(|index| {
                    let response = PartitionResponse::default().with_partition_index(*index);
                    let Some(partition) = topic.as_ref().and_then(|t| t.partition(*index)) else {
                        let error = ResponseError::UnknownTopicOrPartition;
                        return response
                            .with_error_code(error.code())
                            .with_error_message(Some(StrBytes::from_string(error.to_string())));
                    };
                    let log = partition.log.lock();
                    let producers = log
                        .producers()
                        .entries()
                        .map(|(producer_id, entry)| {
                            ProducerState::default()
                                .with_producer_id(ProducerId(producer_id))
                                .with_producer_epoch(i32::from(entry.epoch))
                                .with_last_sequence(entry.last_seq())
                                .with_last_timestamp(entry.last_timestamp)
                                .with_coordinator_epoch(entry.coordinator_epoch)
                                .with_current_txn_start_offset(
                                    entry.current_txn_first_offset.unwrap_or(-1),
                                )
                        })
                        .collect();
                    response.with_active_producers(producers)
                })
                .collect();
            TopicResponse::default()
                .with_name(wanted.name)
                .with_partitions(partitions)
        })
        .collect();
    DescribeProducersResponse::default().with_topics(topics)
}
