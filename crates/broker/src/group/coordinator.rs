//! The coordinator of every classic group on this broker: looks groups up (creating them on a
//! first join or a simple offset commit), applies Kafka's request-level checks, parks JoinGroup
//! and SyncGroup requests without holding any lock, and runs the groups' timers.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use parking_lot::Mutex;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::api::{
    CommitRequest, DescribedGroup, FetchTopics, FetchedOffset, JoinOutcome, JoinRequest,
    ListedGroup, MemberIdentity, PartitionResults, SyncOutcome, SyncRequest, TxnCommitRequest,
};
use super::classic::{Env, Group, GroupState};
use super::offsets::{no_offset, restored_groups, OffsetJournal};
use crate::config::BrokerConfig;
use crate::storage::{GroupOffsets, Storage};

/// The group type every group here has, as ListGroups v5+ reports it.
pub const CLASSIC_GROUP_TYPE: &str = "classic";

#[derive(Debug)]
struct Inner {
    groups: Mutex<BTreeMap<String, Group>>,
    initial_delay_ms: i64,
    min_session_timeout_ms: i32,
    max_session_timeout_ms: i32,
    /// Signalled when a timer may have been set earlier than the one the timer task awaits.
    timers_changed: Notify,
    journal: OffsetJournal,
}

/// All consumer groups of the broker. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GroupCoordinator {
    inner: Arc<Inner>,
}

impl GroupCoordinator {
    pub fn new(config: &BrokerConfig) -> Self {
        GroupCoordinator {
            inner: Arc::new(Inner {
                groups: Mutex::new(BTreeMap::new()),
                initial_delay_ms: i64::try_from(config.group_initial_rebalance_delay_ms)
                    .unwrap_or(i64::MAX),
                min_session_timeout_ms: config.group_min_session_timeout_ms,
                max_session_timeout_ms: config.group_max_session_timeout_ms,
                timers_changed: Notify::new(),
                journal: OffsetJournal::default(),
            }),
        }
    }

    /// Brings back the groups a log directory kept offsets for, and records every later change
    /// to offsets there.
    pub fn restore(&self, offsets: GroupOffsets, storage: Arc<Storage>) {
        let mut groups = self.inner.groups.lock();
        for group in restored_groups(offsets) {
            groups.insert(group.id.clone(), group);
        }
        self.inner.journal.attach(storage);
    }

    fn env(&self) -> Env {
        Env {
            now: Instant::now(),
            initial_delay_ms: self.inner.initial_delay_ms,
        }
    }

    /// JoinGroup. Waits, without blocking anyone else, until the join phase completes.
    pub async fn join(&self, request: JoinRequest) -> JoinOutcome {
        let member_id = request.member_id.clone();
        if request.group_id.is_empty() {
            return JoinOutcome::failed(ResponseError::InvalidGroupId, member_id);
        }
        let timeout = request.session_timeout_ms;
        if timeout < self.inner.min_session_timeout_ms
            || timeout > self.inner.max_session_timeout_ms
        {
            return JoinOutcome::failed(ResponseError::InvalidSessionTimeout, member_id);
        }
        let (reply, outcome) = oneshot::channel();
        {
            let mut groups = self.inner.groups.lock();
            let group = match groups.entry(request.group_id.clone()) {
                Entry::Occupied(group) => group.into_mut(),
                Entry::Vacant(_) if !member_id.is_empty() => {
                    return JoinOutcome::failed(ResponseError::UnknownMemberId, member_id);
                }
                Entry::Vacant(slot) => slot.insert(Group::new(&request.group_id)),
            };
            group.join(&self.env(), request, reply);
        }
        self.inner.timers_changed.notify_one();
        outcome
            .await
            .unwrap_or_else(|_| JoinOutcome::failed(ResponseError::UnknownMemberId, member_id))
    }

    /// SyncGroup. A follower waits, without blocking anyone else, for the leader's assignment.
    pub async fn sync(&self, request: SyncRequest) -> SyncOutcome {
        if request.group_id.is_empty() {
            return SyncOutcome::failed(ResponseError::InvalidGroupId);
        }
        let (reply, outcome) = oneshot::channel();
        {
            let mut groups = self.inner.groups.lock();
            let Some(group) = groups.get_mut(&request.group_id) else {
                return SyncOutcome::failed(ResponseError::UnknownMemberId);
            };
            group.sync(&self.env(), request, reply);
        }
        self.inner.timers_changed.notify_one();
        outcome
            .await
            .unwrap_or_else(|_| SyncOutcome::failed(ResponseError::RebalanceInProgress))
    }

    /// Heartbeat.
    pub fn heartbeat(
        &self,
        group_id: &str,
        member: &MemberIdentity,
        generation_id: i32,
    ) -> Option<ResponseError> {
        if group_id.is_empty() {
            return Some(ResponseError::InvalidGroupId);
        }
        let env = self.env();
        match self.inner.groups.lock().get_mut(group_id) {
            Some(group) => group.heartbeat(&env, member, generation_id),
            None => Some(ResponseError::UnknownMemberId),
        }
    }

    /// LeaveGroup: one result per member, or an error for the whole request.
    pub fn leave(
        &self,
        group_id: &str,
        members: &[MemberIdentity],
    ) -> Result<Vec<Option<ResponseError>>, ResponseError> {
        if group_id.is_empty() {
            return Err(ResponseError::InvalidGroupId);
        }
        let env = self.env();
        let results = match self.inner.groups.lock().get_mut(group_id) {
            Some(group) => group.leave(&env, members),
            None => vec![Some(ResponseError::UnknownMemberId); members.len()],
        };
        self.inner.timers_changed.notify_one();
        Ok(results)
    }

    /// OffsetCommit: one result per partition, or an error for every partition.
    pub fn commit(
        &self,
        request: CommitRequest,
    ) -> Result<Vec<Option<ResponseError>>, ResponseError> {
        let env = self.env();
        let mut groups = self.inner.groups.lock();
        let group = match groups.entry(request.group_id.clone()) {
            Entry::Occupied(group) => group.into_mut(),
            Entry::Vacant(slot) if request.generation_id < 0 => {
                slot.insert(Group::new(&request.group_id))
            }
            Entry::Vacant(_) if request.group_id_not_found_supported => {
                return Err(ResponseError::GroupIdNotFound)
            }
            Entry::Vacant(_) => return Err(ResponseError::IllegalGeneration),
        };
        let partitions: Vec<(String, i32)> = request
            .offsets
            .iter()
            .map(|p| (p.topic.clone(), p.partition))
            .collect();
        let mut results = group.commit(
            &env,
            &request.member_id,
            request.instance_id.as_deref(),
            request.generation_id,
            request.offsets,
        )?;
        self.inner
            .journal
            .committed(group, &partitions, &mut results);
        Ok(results)
    }

    /// TxnOffsetCommit: holds the offsets until the producer's transaction ends; one result per
    /// partition, or an error for every partition. A missing group is created for a commit
    /// without a generation.
    pub fn txn_commit(
        &self,
        request: TxnCommitRequest,
    ) -> Result<Vec<Option<ResponseError>>, ResponseError> {
        if request.group_id.is_empty() {
            return Err(ResponseError::InvalidGroupId);
        }
        let mut groups = self.inner.groups.lock();
        let group = match groups.entry(request.group_id.clone()) {
            Entry::Occupied(group) => group.into_mut(),
            Entry::Vacant(slot) if request.generation_id < 0 => {
                slot.insert(Group::new(&request.group_id))
            }
            Entry::Vacant(_) => return Err(ResponseError::IllegalGeneration),
        };
        group.txn_commit(
            request.producer_id,
            &request.member_id,
            request.instance_id.as_deref(),
            request.generation_id,
            request.offsets,
        )
    }

    /// Applies (commit) or drops (abort) the offsets a producer's transaction held for `groups`,
    /// recording the applied ones as ordinary commits are.
    pub fn end_txn(&self, producer_id: i64, groups: &[String], commit: bool) {
        let mut all = self.inner.groups.lock();
        for group_id in groups {
            let Some(group) = all.get_mut(group_id) else {
                continue;
            };
            let partitions = group.end_txn(producer_id, commit);
            let mut results = vec![None; partitions.len()];
            self.inner
                .journal
                .committed(group, &partitions, &mut results);
            for ((topic, partition), error) in partitions.iter().zip(&results) {
                if let Some(error) = error {
                    tracing::warn!(
                        group = group_id,
                        topic,
                        partition,
                        %error,
                        "a transaction's committed offset was not recorded"
                    );
                }
            }
        }
    }

    /// OffsetFetch for one group: the asked partitions (-1 where nothing is committed), or with
    /// `None` every committed partition. With `require_stable`, a partition an open
    /// transaction holds an offset for answers UNSTABLE_OFFSET_COMMIT.
    pub fn fetch_offsets(
        &self,
        group_id: &str,
        topics: FetchTopics,
        require_stable: bool,
    ) -> Vec<(String, Vec<FetchedOffset>)> {
        let groups = self.inner.groups.lock();
        let group = groups.get(group_id);
        let stable = |topic: &str, offset: FetchedOffset| match group {
            Some(g) if require_stable && g.has_pending_txn_offset(topic, offset.partition) => {
                FetchedOffset {
                    error: Some(ResponseError::UnstableOffsetCommit),
                    ..no_offset(offset.partition)
                }
            }
            _ => offset,
        };
        let fetched = match topics {
            None => group.map(Group::fetch_all).unwrap_or_default(),
            Some(topics) => topics
                .into_iter()
                .map(|(topic, partitions)| {
                    let offsets = partitions
                        .into_iter()
                        .map(|p| group.map_or_else(|| no_offset(p), |g| g.fetch(&topic, p)))
                        .collect();
                    (topic, offsets)
                })
                .collect(),
        };
        fetched
            .into_iter()
            .map(|(topic, offsets)| {
                let offsets = offsets.into_iter().map(|o| stable(&topic, o)).collect();
                (topic, offsets)
            })
            .collect()
    }

    /// DescribeGroups for one group.
    pub fn describe(&self, group_id: &str) -> DescribedGroup {
        match self.inner.groups.lock().get(group_id) {
            Some(group) => group.describe(),
            None => DescribedGroup {
                group_id: group_id.to_string(),
                found: false,
                state: "Dead",
                protocol_type: String::new(),
                protocol_name: String::new(),
                members: Vec::new(),
            },
        }
    }

    /// ListGroups, filtered by state and type names (case-insensitive; empty filters match all).
    pub fn list(&self, states: &[String], types: &[String]) -> Vec<ListedGroup> {
        let normalize = |names: &[String]| -> BTreeSet<String> {
            names.iter().map(|s| s.trim().to_lowercase()).collect()
        };
        let states = normalize(states);
        let types = normalize(types);
        if !types.is_empty() && !types.contains(CLASSIC_GROUP_TYPE) {
            return Vec::new();
        }
        self.inner
            .groups
            .lock()
            .values()
            .filter(|g| states.is_empty() || states.contains(&g.state.name().to_lowercase()))
            .map(Group::listed)
            .collect()
    }

    /// DeleteGroups: removes Empty groups with their offsets.
    pub fn delete(&self, group_ids: &[String]) -> Vec<(String, Option<ResponseError>)> {
        let mut groups = self.inner.groups.lock();
        let mut seen = BTreeSet::new();
        group_ids
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .map(|id| {
                let error = match groups.get(id) {
                    None => Some(ResponseError::GroupIdNotFound),
                    Some(group) if group.state != GroupState::Empty => {
                        Some(ResponseError::NonEmptyGroup)
                    }
                    Some(_) => {
                        groups.remove(id);
                        self.inner.journal.group_deleted(id);
                        None
                    }
                };
                (id.clone(), error)
            })
            .collect()
    }

    /// Drops every group's committed offsets of a deleted topic, as Kafka does when a topic is
    /// deleted.
    pub fn forget_topic(&self, topic: &str) {
        let mut groups = self.inner.groups.lock();
        for group in groups.values_mut() {
            group.offsets.remove(topic);
            for pending in group.pending_txn_offsets.values_mut() {
                pending.retain(|(t, _), _| t != topic);
            }
        }
        self.inner.journal.topic_deleted(topic);
    }

    /// OffsetDelete: per partition results, or an error for the whole request.
    pub fn delete_offsets(
        &self,
        group_id: &str,
        topics: Vec<(String, Vec<i32>)>,
    ) -> Result<PartitionResults, ResponseError> {
        let mut groups = self.inner.groups.lock();
        let results = match groups.get_mut(group_id) {
            Some(group) => group.delete_offsets(topics)?,
            None => return Err(ResponseError::GroupIdNotFound),
        };
        self.inner.journal.deleted(group_id, &results);
        Ok(results)
    }

    /// Expires sessions and completes rebalances on time until `shutdown`.
    pub async fn run_timers(self, shutdown: CancellationToken) {
        loop {
            let next = self.expire_due();
            let due = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.inner.timers_changed.notified() => {}
                _ = due => {}
            }
        }
    }

    /// Runs every due timer and returns when the next one is due.
    fn expire_due(&self) -> Option<Instant> {
        let env = self.env();
        let mut groups = self.inner.groups.lock();
        groups
            .values_mut()
            .filter_map(|group| {
                group.expire(&env);
                group.next_deadline()
            })
            .min()
    }
}
