//! Offsets: ListOffsets for `fetchTopicOffsets(ByTimestamp)`, OffsetFetch and OffsetCommit
//! (through the group coordinator) for `fetchOffsets`, `setOffsets` and `resetOffsets`, and
//! DeleteRecords for `deleteTopicRecords`.

use std::collections::{BTreeMap, HashMap};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::{
    BrokerId, DeleteRecordsRequest, GroupId, ListOffsetsRequest, OffsetFetchRequest,
};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::{as_string, check, member, str_bytes, topic_name, version_in, Admin};
use crate::error::{Error, Result};
use crate::retry::{retry, RetryError};

/// ListOffsets timestamps meaning "the end" and "the start" of a partition.
const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
/// kafkajs reads offsets with READ_COMMITTED.
const READ_COMMITTED: i8 = 1;

/// A partition's offsets in `fetchTopicOffsets`'s result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionOffset {
    pub partition: i32,
    #[serde(serialize_with = "as_string")]
    pub offset: i64,
    #[serde(serialize_with = "as_string")]
    pub high: i64,
    #[serde(serialize_with = "as_string")]
    pub low: i64,
}

/// A partition's offset for a timestamp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicTimestampOffset {
    pub partition: i32,
    #[serde(serialize_with = "as_string")]
    pub offset: i64,
}

/// kafkajs's `fetchOffsets` argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchOffsetsRequest {
    pub group_id: String,
    #[serde(default)]
    pub topics: Vec<String>,
}

/// A group's committed offsets for one topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicOffsets {
    pub topic: String,
    pub partitions: Vec<TopicPartitionOffsets>,
}

/// A committed offset; `-1` when the group has none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicPartitionOffsets {
    pub partition: i32,
    #[serde(serialize_with = "as_string")]
    pub offset: i64,
    pub metadata: Option<String>,
}

/// kafkajs's `setOffsets` argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetOffsetsRequest {
    pub group_id: String,
    pub topic: String,
    pub partitions: Vec<SeekEntry>,
}

/// A partition and an offset (kafkajs takes offsets as strings or numbers).
#[derive(Debug, Clone, Deserialize)]
pub struct SeekEntry {
    pub partition: i32,
    #[serde(deserialize_with = "offset_from_js")]
    pub offset: i64,
}

fn offset_from_js<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Offset {
        Number(f64),
        Text(String),
    }
    match Offset::deserialize(deserializer)? {
        Offset::Number(n) if n.is_finite() => Ok(n as i64),
        Offset::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("Invalid offset \"{t}\""))),
        Offset::Number(n) => Err(serde::de::Error::custom(format!("Invalid offset {n}"))),
    }
}

/// A partition whose records could not be deleted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartitionRecordsError {
    pub partition: i32,
    #[serde(serialize_with = "as_string")]
    pub offset: i64,
    /// The Kafka error code, or `None` when the partition has no known leader.
    pub error_code: Option<i16>,
}

/// What `deleteTopicRecords` ended with: the partitions that failed, and whether retriable
/// failures outlasted the retries (then `retry_count`/`retry_time` say how many and how long).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteRecordsOutcome {
    pub errors: Vec<PartitionRecordsError>,
    pub retry_count: Option<u32>,
    pub retry_time: Option<u64>,
}

impl Admin {
    /// Each partition's latest (`offset`, `high`) and earliest (`low`) offsets.
    pub async fn fetch_topic_offsets(
        &self,
        topic: String,
    ) -> Result<Vec<PartitionOffset>, RetryError> {
        self.retrying(&[ResponseError::UnknownTopicOrPartition], || async {
            let high = self.list_offsets(&topic, LATEST).await?;
            let low = self.list_offsets(&topic, EARLIEST).await?;
            Ok(high
                .iter()
                .map(|(&partition, &offset)| PartitionOffset {
                    partition,
                    offset,
                    high: offset,
                    low: low.get(&partition).copied().unwrap_or(-1),
                })
                .collect())
        })
        .await
    }

    /// Each partition's first offset at or after `timestamp` (latest when absent), the
    /// high watermark where no record is that recent.
    pub async fn fetch_topic_offsets_by_timestamp(
        &self,
        topic: String,
        timestamp: Option<i64>,
    ) -> Result<Vec<TopicTimestampOffset>, RetryError> {
        self.retrying(&[ResponseError::UnknownTopicOrPartition], || async {
            let high = self.list_offsets(&topic, LATEST).await?;
            let found = self
                .list_offsets(&topic, timestamp.unwrap_or(LATEST))
                .await?;
            Ok(found
                .iter()
                .map(|(&partition, &offset)| TopicTimestampOffset {
                    partition,
                    offset: if offset >= 0 {
                        offset
                    } else {
                        high.get(&partition).copied().unwrap_or(offset)
                    },
                })
                .collect())
        })
        .await
    }

    /// ListOffsets for every partition of `topic` at `timestamp`, one request per leader.
    async fn list_offsets(&self, topic: &str, timestamp: i64) -> Result<BTreeMap<i32, i64>> {
        let mut offsets = BTreeMap::new();
        for (leader, partitions) in self.leaders_of(topic).await? {
            let connection = self.cluster.connection_to_node(leader).await?;
            let request = ListOffsetsRequest::default()
                .with_replica_id(BrokerId(-1))
                .with_isolation_level(READ_COMMITTED)
                .with_topics(vec![ListOffsetsTopic::default()
                    .with_name(topic_name(topic))
                    .with_partitions(
                        partitions
                            .iter()
                            .map(|p| {
                                ListOffsetsPartition::default()
                                    .with_partition_index(*p)
                                    .with_timestamp(timestamp)
                            })
                            .collect(),
                    )]);
            let version = version_in::<ListOffsetsRequest>(&connection, 1, i16::MAX)?;
            let response = connection.send_at(&request, version).await?;
            for partition in response.topics.iter().flat_map(|t| &t.partitions) {
                if let Some(error) = Error::from_code(partition.error_code, None) {
                    if error.is_retriable() {
                        self.cluster.invalidate();
                    }
                    return Err(error);
                }
                offsets.insert(partition.partition_index, partition.offset);
            }
        }
        Ok(offsets)
    }

    /// `topic`'s partitions grouped by leader.
    async fn leaders_of(&self, topic: &str) -> Result<BTreeMap<i32, Vec<i32>>> {
        let metadata = self
            .cluster
            .topics_metadata(&[topic.to_string()], false)
            .await?;
        let mut leaders: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
        for partition in metadata
            .topics
            .get(topic)
            .map(|t| t.partitions.as_slice())
            .unwrap_or_default()
        {
            leaders
                .entry(partition.leader)
                .or_default()
                .push(partition.partition);
        }
        Ok(leaders)
    }

    /// `topic`'s partition ids, ascending.
    async fn partitions_of(&self, topic: &str) -> Result<Vec<i32>, RetryError> {
        let topics = [topic.to_string()];
        let metadata = self
            .retrying(&[ResponseError::LeaderNotAvailable], || {
                self.cluster.topics_metadata(&topics, false)
            })
            .await?;
        Ok(metadata
            .topics
            .get(topic)
            .map(|t| t.partitions.iter().map(|p| p.partition).collect())
            .unwrap_or_default())
    }

    /// A group's committed offsets for `topics` (every topic it committed when empty).
    pub async fn fetch_offsets(
        &self,
        request: FetchOffsetsRequest,
    ) -> Result<Vec<TopicOffsets>, RetryError> {
        let mut wanted = Vec::new();
        for topic in &request.topics {
            wanted.push(
                OffsetFetchRequestTopic::default()
                    .with_name(topic_name(topic))
                    .with_partition_indexes(self.partitions_of(topic).await?),
            );
        }
        let group = request.group_id.clone();
        let response = self
            .with_coordinator(&group, |coordinator| {
                let wanted = wanted.clone();
                let group = group.clone();
                async move {
                    let version = version_in::<OffsetFetchRequest>(&coordinator, 2, 7)?;
                    let fetch = OffsetFetchRequest::default()
                        .with_group_id(GroupId(str_bytes(&group)))
                        .with_topics((!wanted.is_empty()).then_some(wanted));
                    let response = coordinator.send_at(&fetch, version).await?;
                    check(response.error_code)?;
                    for partition in response.topics.iter().flat_map(|t| &t.partitions) {
                        check(partition.error_code)?;
                    }
                    Ok(response)
                }
            })
            .await?;
        Ok(response
            .topics
            .iter()
            .map(|t| TopicOffsets {
                topic: t.name.0.to_string(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| TopicPartitionOffsets {
                        partition: p.partition_index,
                        offset: p.committed_offset,
                        metadata: p
                            .metadata
                            .as_ref()
                            .filter(|m| !m.is_empty())
                            .map(|m| m.to_string()),
                    })
                    .collect(),
            })
            .collect())
    }

    /// Commits `partitions`' offsets for an idle group, as a short-lived member of it (see
    /// `member.rs`). Resolves with the group's state instead when it has members (kafkajs refuses
    /// then).
    pub async fn set_offsets(
        &self,
        request: SetOffsetsRequest,
    ) -> Result<Option<String>, RetryError> {
        let state = self
            .describe_groups(vec![request.group_id.clone()])
            .await?
            .into_iter()
            .next()
            .map(|g| g.state)
            .unwrap_or_default();
        if !matches!(state.as_str(), "Empty" | "Dead") {
            return Ok(Some(state));
        }
        let partitions = self.partitions_of(&request.topic).await?;
        let offsets = OffsetCommitRequestTopic::default()
            .with_name(topic_name(&request.topic))
            .with_partitions(
                request
                    .partitions
                    .iter()
                    .map(|p| {
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(p.partition)
                            .with_committed_offset(p.offset)
                            .with_committed_leader_epoch(-1)
                    })
                    .collect(),
            );
        let group = &request.group_id;
        let topic = &request.topic;
        self.with_coordinator(group, |coordinator| {
            let partitions = partitions.clone();
            let offsets = offsets.clone();
            async move {
                member::commit_as_member(&coordinator, group, topic, partitions, offsets).await
            }
        })
        .await?;
        Ok(None)
    }

    /// Sets every partition of `topic` to its start (`earliest`) or end for an idle group.
    pub async fn reset_offsets(
        &self,
        group_id: String,
        topic: String,
        earliest: bool,
    ) -> Result<Option<String>, RetryError> {
        let offset = if earliest { EARLIEST } else { LATEST };
        let partitions = self
            .partitions_of(&topic)
            .await?
            .into_iter()
            .map(|partition| SeekEntry { partition, offset })
            .collect();
        self.set_offsets(SetOffsetsRequest {
            group_id,
            topic,
            partitions,
        })
        .await
    }

    /// Deletes the records of `topic` before each partition's offset (-1: the high watermark),
    /// retrying partitions that failed with a retriable error.
    pub async fn delete_topic_records(
        &self,
        topic: String,
        partitions: Vec<SeekEntry>,
    ) -> Result<DeleteRecordsOutcome, RetryError> {
        let leaders = self
            .leaders_of(&topic)
            .await
            .map_err(RetryError::NonRetriable)?;
        let led: HashMap<i32, i32> = leaders
            .iter()
            .flat_map(|(leader, ps)| ps.iter().map(move |p| (*p, *leader)))
            .collect();
        let leaderless: Vec<PartitionRecordsError> = partitions
            .iter()
            .filter(|p| !led.contains_key(&p.partition))
            .map(|p| PartitionRecordsError {
                partition: p.partition,
                offset: p.offset,
                error_code: None,
            })
            .collect();
        if !leaderless.is_empty() {
            return Ok(DeleteRecordsOutcome {
                errors: leaderless,
                retry_count: None,
                retry_time: None,
            });
        }
        let pending = Mutex::new(partitions);
        let failed = Mutex::new(Vec::new());
        let outcome = retry(self.retry, |_| async {
            let todo = pending.lock().clone();
            let errors = self.delete_records_once(&topic, &todo).await?;
            let retriable = !errors.is_empty()
                && errors.iter().all(|e| {
                    e.error_code
                        .and_then(|c| Error::from_code(c, None))
                        .is_some_and(|e| e.is_retriable())
                });
            let first = errors.first().and_then(|e| e.error_code);
            pending
                .lock()
                .retain(|p| errors.iter().any(|e| e.partition == p.partition));
            *failed.lock() = errors;
            match first.and_then(|c| Error::from_code(c, None)) {
                Some(error) if retriable => {
                    self.cluster.invalidate();
                    Err(error)
                }
                _ => Ok(()),
            }
        })
        .await;
        let errors = failed.into_inner();
        match outcome {
            Ok(()) => Ok(DeleteRecordsOutcome {
                errors,
                retry_count: None,
                retry_time: None,
            }),
            Err(RetryError::Exhausted {
                retry_count,
                retry_time,
                ..
            }) if !errors.is_empty() => Ok(DeleteRecordsOutcome {
                errors,
                retry_count: Some(retry_count),
                retry_time: Some(retry_time),
            }),
            Err(other) => Err(other),
        }
    }

    /// One DeleteRecords round: a request per leader; the partitions that failed.
    async fn delete_records_once(
        &self,
        topic: &str,
        partitions: &[SeekEntry],
    ) -> Result<Vec<PartitionRecordsError>> {
        let leaders = self.leaders_of(topic).await?;
        let mut errors = Vec::new();
        for (leader, led) in leaders {
            let mine: Vec<&SeekEntry> = partitions
                .iter()
                .filter(|p| led.contains(&p.partition))
                .collect();
            if mine.is_empty() {
                continue;
            }
            let connection = self.cluster.connection_to_node(leader).await?;
            let request = DeleteRecordsRequest::default()
                .with_timeout_ms(5000)
                .with_topics(vec![DeleteRecordsTopic::default()
                    .with_name(topic_name(topic))
                    .with_partitions(
                        mine.iter()
                            .map(|p| {
                                DeleteRecordsPartition::default()
                                    .with_partition_index(p.partition)
                                    .with_offset(p.offset)
                            })
                            .collect(),
                    )]);
            let response = connection.send(&request).await?;
            for result in response.topics.iter().flat_map(|t| &t.partitions) {
                if result.error_code != 0 {
                    let offset = mine
                        .iter()
                        .find(|p| p.partition == result.partition_index)
                        .map_or(-1, |p| p.offset);
                    errors.push(PartitionRecordsError {
                        partition: result.partition_index,
                        offset,
                        error_code: Some(result.error_code),
                    });
                }
            }
        }
        Ok(errors)
    }
}
