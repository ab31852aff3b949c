//! A group's committed offsets: who may commit (members of the current generation, or anyone
//! with generation -1 while the group is Empty), what OffsetFetch reports, and OffsetDelete.
//! Offsets belong to the group and outlive its members.

use kafka_protocol::error::ResponseError;

use super::api::{CommitPartition, FetchedOffset, PartitionResults};
use super::classic::{Env, Group, GroupState};

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
