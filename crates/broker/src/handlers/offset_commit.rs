//! OffsetCommit v2-v9: partitions of unknown topics are refused with UNKNOWN_TOPIC_OR_PARTITION;
//! the rest go to the group coordinator, whose group-level error applies to all of them.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};

use crate::dispatch::Ctx;
use crate::group::api::{code, CommitPartition, CommitRequest};

pub async fn handle(ctx: &Ctx<'_>, request: OffsetCommitRequest) -> OffsetCommitResponse {
    // Per request partition: an error known up front, or the index of its commit.
    let mut commits = Vec::new();
    let mut slots: Vec<Vec<Result<usize, ResponseError>>> = Vec::new();
    for topic in &request.topics {
        let known = ctx.state.topic(&topic.name);
        let topic_slots = topic
            .partitions
            .iter()
            .map(|p| {
                if known
                    .as_ref()
                    .and_then(|t| t.partition(p.partition_index))
                    .is_none()
                {
                    return Err(ResponseError::UnknownTopicOrPartition);
                }
                commits.push(CommitPartition {
                    topic: topic.name.to_string(),
                    partition: p.partition_index,
                    offset: p.committed_offset,
                    leader_epoch: if ctx.version >= 6 {
                        p.committed_leader_epoch
                    } else {
                        -1
                    },
                    metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
                });
                Ok(commits.len() - 1)
            })
            .collect();
        slots.push(topic_slots);
    }
    let results = if commits.is_empty() {
        Ok(Vec::new())
    } else {
        ctx.state.groups.commit(CommitRequest {
            group_id: request.group_id.to_string(),
            generation_id: request.generation_id_or_member_epoch,
            member_id: request.member_id.to_string(),
            instance_id: request.group_instance_id.as_ref().map(|id| id.to_string()),
            group_id_not_found_supported: ctx.version >= 9,
            offsets: commits,
        })
    };
    let topics = request
        .topics
        .into_iter()
        .zip(slots)
        .map(|(topic, topic_slots)| {
            let partitions = topic
                .partitions
                .iter()
                .zip(topic_slots)
                .map(|(p, slot)| {
                    let error = match (slot, &results) {
                        (Err(error), _) => Some(error),
                        (Ok(_), Err(error)) => Some(*error),
                        (Ok(index), Ok(results)) => results[index],
                    };
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code(error))
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    OffsetCommitResponse::default().with_topics(topics)
}
