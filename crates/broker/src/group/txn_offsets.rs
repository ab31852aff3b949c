//! Offsets committed inside transactions (TxnOffsetCommit): held per producer id and invisible
//! to OffsetFetch until the transaction commits (a fetch asking for stable offsets is told
//! UNSTABLE_OFFSET_COMMIT meanwhile), then materialised as committed offsets, or dropped when
//! the transaction aborts.

use kafka_protocol::error::ResponseError;

use super::api::CommitPartition;
use super::classic::{Group, GroupState};
use super::offsets::{Committed, MAX_METADATA_LENGTH};

impl Group {
    /// Kafka's checks on a transactional commit: anyone may commit without a generation (the
    /// producer need not be a member); with one, the member must belong to it, outside the
    /// sync phase.
    fn check_txn_commit(
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
        }
        if self.state == GroupState::CompletingRebalance {
            return Err(ResponseError::RebalanceInProgress);
        }
        Ok(())
    }

    /// Holds offsets for `producer_id`'s transaction; one result per partition, in order.
    pub fn txn_commit(
        &mut self,
        producer_id: i64,
        member_id: &str,
        instance_id: Option<&str>,
        generation_id: i32,
        partitions: Vec<CommitPartition>,
    ) -> Result<Vec<Option<ResponseError>>, ResponseError> {
        self.check_txn_commit(member_id, instance_id, generation_id)?;
        let pending = self.pending_txn_offsets.entry(producer_id).or_default();
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
                pending.insert((p.topic, p.partition), committed);
                None
            })
            .collect())
    }

    /// Applies (commit) or drops (abort) the offsets `producer_id`'s transaction held; returns
    /// the partitions whose offsets were applied.
    pub fn end_txn(&mut self, producer_id: i64, commit: bool) -> Vec<(String, i32)> {
        let Some(pending) = self.pending_txn_offsets.remove(&producer_id) else {
            return Vec::new();
        };
        if !commit {
            return Vec::new();
        }
        let mut applied = Vec::with_capacity(pending.len());
        for ((topic, partition), committed) in pending {
            applied.push((topic.clone(), partition));
            self.offsets
                .entry(topic)
                .or_default()
                .insert(partition, committed);
        }
        applied
    }

    /// Whether an open transaction holds an offset for the partition.
    pub fn has_pending_txn_offset(&self, topic: &str, partition: i32) -> bool {
        let key = (topic.to_string(), partition);
        self.pending_txn_offsets
            .values()
            .any(|offsets| offsets.contains_key(&key))
    }
}
