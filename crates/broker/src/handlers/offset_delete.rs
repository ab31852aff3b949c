//! OffsetDelete: removes a group's committed offsets for partitions of existing topics, unless
//! the group's members subscribe to the topic (GROUP_SUBSCRIBED_TO_TOPIC).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::group::api::{code, PartitionResults};

pub async fn handle(ctx: &Ctx<'_>, request: OffsetDeleteRequest) -> OffsetDeleteResponse {
    let mut refused: PartitionResults = Vec::new();
    let mut valid: Vec<(String, Vec<i32>)> = Vec::new();
    for topic in &request.topics {
        let known = ctx.state.topic(&topic.name);
        let (exists, missing): (Vec<i32>, Vec<i32>) = topic
            .partitions
            .iter()
            .map(|p| p.partition_index)
            .partition(|p| known.as_ref().and_then(|t| t.partition(*p)).is_some());
        if !missing.is_empty() {
            let errors = missing
                .into_iter()
                .map(|p| (p, Some(ResponseError::UnknownTopicOrPartition)))
                .collect();
            refused.push((topic.name.to_string(), errors));
        }
        if !exists.is_empty() {
            valid.push((topic.name.to_string(), exists));
        }
    }
    let deleted = match ctx.state.groups.delete_offsets(&request.group_id, valid) {
        Ok(deleted) => deleted,
        Err(error) => return OffsetDeleteResponse::default().with_error_code(error.code()),
    };
    let topics = refused
        .into_iter()
        .chain(deleted)
        .map(|(topic, partitions)| {
            let partitions = partitions
                .into_iter()
                .map(|(p, error)| {
                    OffsetDeleteResponsePartition::default()
                        .with_partition_index(p)
                        .with_error_code(code(error))
                })
                .collect();
            OffsetDeleteResponseTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic)))
                .with_partitions(partitions)
        })
        .collect();
    OffsetDeleteResponse::default().with_topics(topics)
}
