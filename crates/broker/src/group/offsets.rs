//! A group's committed offsets: who may commit (members of the current generation, or anyone
//! with generation -1 while the group is Empty), what OffsetFetch reports, and OffsetDelete.
//! Offsets belong to the group and outlive its members; with a log directory they outlive the
//! broker too ([`OffsetJournal`]).

use std::sync::{Arc, OnceLock};

use kafka_protocol::error::ResponseError;

use super::api::{CommitPartition, FetchedOffset, PartitionResults};
use super::classic::{Env, Group, GroupState};
use crate::storage::{GroupOffsets, OffsetMeta, OffsetRecord, Storage};

/// The longest commit metadata accepted (`offset.metadata.max.bytes`), in UTF-16 units as Java
/// counts string length.
pub const MAX_METADATA_LENGTH: usize = 4096;

/// One committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: String,
}

impl Group {
    /// Kafka's checks on who commits: a simple (generation < 0) commit needs an Empty group;
    /// otherwise the member must belong to the current generation, outside the sync phase.
    fn check_commit(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
        generation_id: i32,
    ) -> Result<(), ResponseError> {
        if generation_id < 0 && self.state == GroupState::Empty {
            return Ok(());
        }
        if generation_id >= 0 || !member_id.is_empty() || instance_id.is_some() {
            self.validate_member(member_id, instance_id)?;
            if generation_id != self.generation {
                return Err(ResponseError::IllegalGeneration);
            }
        } else if self.state != GroupState::Empty {
            return Err(ResponseError::UnknownMemberId);
        }
        if self.state == GroupState::CompletingRebalance {
            return Err(ResponseError::RebalanceInProgress);
        }
        Ok(())
    }

    /// Commits offsets; the result has one entry per partition, in order.
    pub fn commit(
        &mut self,
        env: &Env,
        member_id: &str,
        instance_id: Option<&str>,
        generation_id: i32,
        partitions: Vec<CommitPartition>,
    ) -> Result<Vec<Option<ResponseError>>, ResponseError> {
        self.check_commit(member_id, instance_id, generation_id)?;
        if matches!(
            self.state,
            GroupState::Stable | GroupState::PreparingRebalance
        ) {
            self.keep_alive(env, member_id);
        }
        Ok(partitions
            .into_iter()
            .map(|p| {
                let metadata = p.metadata.unwrap_or_default();
                if metadata.encode_utf16().count() > MAX_METADATA_LENGTH {
                    return Some(ResponseError::OffsetMetadataTooLarge);
                }
                let committed = Committed {
                    offset: p.offset,
                    leader_epoch: p.leader_epoch,
                    metadata,
                };
                self.offsets
                    .entry(p.topic)
                    .or_default()
                    .insert(p.partition, committed);
                None
            })
            .collect())
    }

    /// The committed offset of a partition, or -1 when there is none.
    pub fn fetch(&self, topic: &str, partition: i32) -> FetchedOffset {
        match self.offsets.get(topic).and_then(|t| t.get(&partition)) {
            Some(c) => FetchedOffset {
                partition,
                offset: c.offset,
                leader_epoch: c.leader_epoch,
                metadata: c.metadata.clone(),
                error: None,
            },
            None => no_offset(partition),
        }
    }

    /// Every committed offset, by topic name and partition.
    pub fn fetch_all(&self) -> Vec<(String, Vec<FetchedOffset>)> {
        self.offsets
            .iter()
            .filter(|(_, partitions)| !partitions.is_empty())
            .map(|(topic, partitions)| {
                let offsets = partitions.keys().map(|p| self.fetch(topic, *p)).collect();
                (topic.clone(), offsets)
            })
            .collect()
    }

    /// OffsetDelete: refused while a non-consumer group has members; per topic, refused while
    /// the members subscribe to it.
    pub fn delete_offsets(
        &mut self,
        topics: Vec<(String, Vec<i32>)>,
    ) -> Result<PartitionResults, ResponseError> {
        if self.state != GroupState::Empty && !self.uses_consumer_protocol() {
            return Err(ResponseError::NonEmptyGroup);
        }
        Ok(topics
            .into_iter()
            .map(|(topic, partitions)| {
                if self.is_subscribed_to(&topic) {
                    let refused = partitions
                        .into_iter()
                        .map(|p| (p, Some(ResponseError::GroupSubscribedToTopic)))
                        .collect();
                    return (topic, refused);
                }
                if let Some(committed) = self.offsets.get_mut(&topic) {
                    for p in &partitions {
                        committed.remove(p);
                    }
                    if committed.is_empty() {
                        self.offsets.remove(&topic);
                    }
                }
                (topic, partitions.into_iter().map(|p| (p, None)).collect())
            })
            .collect())
    }
}

/// What OffsetFetch reports for a partition with no committed offset.
pub fn no_offset(partition: i32) -> FetchedOffset {
    FetchedOffset {
        partition,
        offset: -1,
        leader_epoch: -1,
        metadata: String::new(),
        error: None,
    }
}

/// Where a broker with a log directory records every change to committed offsets, before the
/// request that made it is answered; a broker without one keeps them in memory only.
#[derive(Debug, Default)]
pub struct OffsetJournal(OnceLock<Arc<Storage>>);

impl OffsetJournal {
    /// Starts recording into `storage`.
    pub fn attach(&self, storage: Arc<Storage>) {
        let _ = self.0.set(storage);
    }

    fn record(&self, record: OffsetRecord) -> Result<(), ResponseError> {
        match self.0.get() {
            Some(storage) => storage
                .record_offsets(record)
                .map_err(|e| e.response_error()),
            None => Ok(()),
        }
    }

    /// Records the partitions `results` says were committed; a partition whose change could not
    /// be recorded gets the storage error instead.
    pub fn committed(
        &self,
        group: &Group,
        partitions: &[(String, i32)],
        results: &mut [Option<ResponseError>],
    ) {
        for ((topic, partition), result) in partitions.iter().zip(results.iter_mut()) {
            let Some(committed) = group.offsets.get(topic).and_then(|t| t.get(partition)) else {
                continue;
            };
            if result.is_none() {
                *result = self
                    .record(OffsetRecord::Commit {
                        group: group.id.clone(),
                        topic: topic.clone(),
                        partition: *partition,
                        committed: OffsetMeta {
                            offset: committed.offset,
                            leader_epoch: committed.leader_epoch,
                            metadata: committed.metadata.clone(),
                        },
                    })
                    .err();
            }
        }
    }

    /// Records the partitions OffsetDelete removed.
    pub fn deleted(&self, group_id: &str, results: &PartitionResults) {
        for (topic, partitions) in results {
            for (partition, _) in partitions.iter().filter(|(_, error)| error.is_none()) {
                let _ = self.record(OffsetRecord::Delete {
                    group: group_id.to_string(),
                    topic: topic.clone(),
                    partition: *partition,
                });
            }
        }
    }

    /// Records a deleted group.
    pub fn group_deleted(&self, group_id: &str) {
        let _ = self.record(OffsetRecord::DeleteGroup {
            group: group_id.to_string(),
        });
    }

    /// Records that a deleted topic's offsets were dropped.
    pub fn topic_deleted(&self, topic: &str) {
        let _ = self.record(OffsetRecord::DeleteTopic {
            topic: topic.to_string(),
        });
    }
}

/// Groups holding the offsets a log directory kept: Empty, with nothing but their offsets.
pub fn restored_groups(offsets: GroupOffsets) -> impl Iterator<Item = Group> {
    offsets.into_iter().map(|(id, topics)| {
        let mut group = Group::new(&id);
        group.offsets = topics
            .into_iter()
            .map(|(topic, partitions)| {
                let partitions = partitions
                    .into_iter()
                    .map(|(p, c)| {
                        let committed = Committed {
                            offset: c.offset,
                            leader_epoch: c.leader_epoch,
                            metadata: c.metadata,
                        };
                        (p, committed)
                    })
                    .collect();
                (topic, partitions)
            })
            .collect();
        group
    })
}
