//! OffsetFetch v1-v9: committed offsets of one group (v1-v7) or several (v8+); a null topic
//! list means every partition the group has committed, and a partition with nothing committed
//! reports offset -1. With require_stable (v7+, read_committed consumers), a partition an open
//! transaction holds an offset for answers UNSTABLE_OFFSET_COMMIT.

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::group::api::{code, FetchTopics, FetchedOffset};

fn name(topic: String) -> TopicName {
    TopicName(StrBytes::from_string(topic))
}

pub async fn handle(ctx: &Ctx<'_>, request: OffsetFetchRequest) -> OffsetFetchResponse {
    let groups = &ctx.state.groups;
    if ctx.version >= 8 {
        let responses = request
            .groups
            .into_iter()
            .map(|group| {
                let wanted: FetchTopics = group.topics.map(|topics| {
                    topics
                        .into_iter()
                        .map(|t| (t.name.to_string(), t.partition_indexes))
                        .collect()
                });
                let topics = groups
                    .fetch_offsets(&group.group_id, wanted, request.require_stable)
                    .into_iter()
                    .map(|(topic, offsets)| {
                        let partitions = offsets.into_iter().map(partitions_v8).collect();
                        OffsetFetchResponseTopics::default()
                            .with_name(name(topic))
                            .with_partitions(partitions)
                    })
                    .collect();
                OffsetFetchResponseGroup::default()
                    .with_group_id(group.group_id)
                    .with_topics(topics)
            })
            .collect();
        return OffsetFetchResponse::default().with_groups(responses);
    }
    let wanted: FetchTopics = request.topics.map(|topics| {
        topics
            .into_iter()
            .map(|t| (t.name.to_string(), t.partition_indexes))
            .collect()
    });
    let topics = groups
        .fetch_offsets(
            &request.group_id,
            wanted,
            ctx.version >= 7 && request.require_stable,
        )
        .into_iter()
        .map(|(topic, offsets)| {
            let partitions = offsets
                .into_iter()
                .map(|offset| partition(ctx.version, offset))
                .collect();
            OffsetFetchResponseTopic::default()
                .with_name(name(topic))
                .with_partitions(partitions)
        })
        .collect();
    OffsetFetchResponse::default().with_topics(topics)
}

fn partition(version: i16, offset: FetchedOffset) -> OffsetFetchResponsePartition {
    let partition = OffsetFetchResponsePartition::default()
        .with_partition_index(offset.partition)
        .with_committed_offset(offset.offset)
        .with_error_code(code(offset.error))
        .with_metadata(Some(StrBytes::from_string(offset.metadata)));
    if version >= 5 {
        partition.with_committed_leader_epoch(offset.leader_epoch)
    } else {
        partition
    }
}

fn partitions_v8(offset: FetchedOffset) -> OffsetFetchResponsePartitions {
    OffsetFetchResponsePartitions::default()
        .with_partition_index(offset.partition)
        .with_committed_offset(offset.offset)
        .with_committed_leader_epoch(offset.leader_epoch)
        .with_error_code(code(offset.error))
        .with_metadata(Some(StrBytes::from_string(offset.metadata)))
}
