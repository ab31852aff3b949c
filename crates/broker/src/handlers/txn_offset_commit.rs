//! TxnOffsetCommit: offsets committed inside the producer's open transaction, held by the group
//! until the transaction ends and visible only if it commits. Partitions of unknown topics get
//! UNKNOWN_TOPIC_OR_PARTITION. The transaction must include the group (AddOffsetsToTxn):
//! otherwise, as on Kafka 4, v0-v3 get INVALID_TXN_STATE and v4 TRANSACTION_ABORTABLE, while v5
//! (transaction version 2) adds the group itself; a stale epoch gets INVALID_PRODUCER_EPOCH.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};

use crate::dispatch::Ctx;
use crate::group::api::{code, CommitPartition, TxnCommitRequest};
use crate::txn;

/// The error a producer sees when the transaction coordinator refused the commit.
fn coordinator_error(version: i16, error: ResponseError) -> ResponseError {
    match error {
        ResponseError::ProducerFenced => ResponseError::InvalidProducerEpoch,
        ResponseError::TransactionAbortable if version < 4 => ResponseError::InvalidTxnState,
        other => other,
    }
}

pub async fn handle(ctx: &Ctx<'_>, request: TxnOffsetCommitRequest) -> TxnOffsetCommitResponse {
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
                    leader_epoch: if ctx.version >= 2 {
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
        let group_id = request.group_id.to_string();
        let commit = TxnCommitRequest {
            group_id: group_id.clone(),
            producer_id: request.producer_id.0,
            generation_id: if ctx.version >= 3 {
                request.generation_id
            } else {
                -1
            },
            member_id: request.member_id.to_string(),
            instance_id: request.group_instance_id.as_ref().map(|id| id.to_string()),
            offsets: commits,
        };
        let id = request.transactional_id.as_str();
        let (producer_id, epoch) = (request.producer_id.0, request.producer_epoch);
        let txns = &ctx.state.txns;
        // Transaction version 2 (v5) adds the group to the transaction with this request.
        let added = if ctx.version >= 5 {
            txns.add(
                id,
                producer_id,
                epoch,
                Vec::new(),
                vec![group_id.clone()],
                txn::now_ms(),
            )
        } else {
            Ok(())
        };
        added
            .and_then(|()| {
                txns.with_group(id, producer_id, epoch, &group_id, || {
                    ctx.state.groups.txn_commit(commit)
                })
            })
            .map_err(|error| coordinator_error(ctx.version, error))
            .and_then(|committed| committed)
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
                    TxnOffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code(error))
                })
                .collect();
            TxnOffsetCommitResponseTopic::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    TxnOffsetCommitResponse::default().with_topics(topics)
}
