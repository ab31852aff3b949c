//! The group consumer: membership and heartbeats on a background task (so heartbeats go on while
//! the application handles messages), a fetcher that keeps one batch ready per partition, the
//! offsets the application resolved, committed on request and before every rebalance, and a
//! metadata watch that rejoins when the group's topics change.
//!
//! The application pulls batches with [`Consumer::next`], handles them, and hands each back with
//! [`Consumer::batch_done`]; a partition is never handed out twice at once, so each partition
//! is consumed in order.

pub mod assignors;
mod fetcher;
pub mod membership;
pub mod offsets;
pub mod partition_reader;
pub mod records;
mod watch;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_protocol::error::ResponseError;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::cluster::Cluster;
use crate::connection::ConnectionOptions;
use crate::error::{Error, Result};
use crate::retry::{retry, retry_if, RetryError, RetryOptions};
pub use assignors::{
    AssignmentRequest, Assignor, AssignorKind, CustomAssignors, CustomAssignorsHandle,
    EncodedAssignment, GroupMember,
};
pub use membership::{Coordinator, Generation, GroupSettings};
pub use records::{BatchContext, Record, Records};
pub use watch::PartitionIds;

/// A topic and partition.
pub type TopicPartition = (String, i32);

/// Most events kept for the application between two polls.
const MAX_EVENTS: usize = 1024;

/// Consumer settings (kafkajs's ConsumerConfig, defaulted by the JavaScript layer).
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    pub group: GroupSettings,
    pub heartbeat_interval: Duration,
    pub retry: RetryOptions,
    pub max_bytes_per_partition: i32,
    pub min_bytes: i32,
    pub max_bytes: i32,
    pub max_wait: Duration,
    pub read_uncommitted: bool,
    pub rack_id: String,
    /// How often the metadata watch looks at the cluster (kafkajs's `metadataMaxAge`).
    pub metadata_max_age: Duration,
    /// Whether the subscription has patterns: the watch then reports every topic name
    /// ([`Event::Topics`]) when they change.
    pub watch_topics: bool,
}

/// Something the application may want to know, as kafkajs's instrumentation events.
#[derive(Debug, Clone)]
pub enum Event {
    GroupJoin {
        generation: Generation,
        duration_ms: u64,
    },
    Heartbeat {
        member_id: String,
        generation_id: i32,
    },
    Rebalancing {
        member_id: String,
    },
    FetchStart {
        node_id: i32,
    },
    Fetch {
        node_id: i32,
        duration_ms: u64,
        /// The record batches with messages the response held, over all its partitions.
        record_batches: usize,
    },
    /// The assignment named topics this member does not subscribe to; they are left out.
    UnsubscribedTopics {
        generation_id: i32,
        member_id: String,
        assigned_topics: Vec<String>,
        topics_subscribed: Vec<String>,
        topics_not_subscribed: Vec<String>,
    },
    /// The cluster's topics changed (reported only with `watch_topics`).
    Topics {
        names: Vec<String>,
    },
}

/// A partition's fetched messages, handed to the application.
#[derive(Debug, Clone)]
pub struct Batch {
    pub topic: String,
    pub partition: i32,
    pub high_watermark: i64,
    /// The offset this batch was fetched from.
    pub fetched_offset: i64,
    /// The offset after the fetched record batches (control records included).
    pub next_offset: i64,
    pub contexts: Vec<BatchContext>,
    pub records: Records,
}

/// What [`Consumer::next`] returns.
#[derive(Debug, Default)]
pub struct Poll {
    pub batch: Option<Batch>,
    /// The consumer cannot go on (kafkajs's crash).
    pub failure: Option<RetryError>,
    /// The consumer was stopped.
    pub stopped: bool,
}

#[derive(Debug, Default)]
struct PartitionState {
    /// The next offset to fetch.
    position: i64,
    /// Bumped by seeks and rewinds, so fetches started before them are dropped.
    epoch: u64,
    ready: Option<Batch>,
    fetching: bool,
    busy: bool,
    /// The next offset to commit, once the application resolved it.
    resolved: Option<i64>,
    committed: Option<i64>,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Phase {
    Joining,
    Stable,
    Stopped,
}

struct State {
    phase: Phase,
    generation: Option<Generation>,
    partitions: BTreeMap<TopicPartition, PartitionState>,
    paused: HashSet<TopicPartition>,
    seeks: HashMap<TopicPartition, i64>,
    events: VecDeque<Event>,
    failure: Option<RetryError>,
    cursor: usize,
    /// The group must be joined again (the subscription or the group's partitions changed).
    rejoin: bool,
}

/// What the consumer subscribes to: topic names in subscription order, and where each starts
/// without a committed offset.
struct Subscription {
    topics: Vec<String>,
    from_beginning: HashMap<String, bool>,
}

/// What the background tasks and the application share.
struct Inner {
    cluster: Arc<Cluster>,
    /// How the fetcher opens its connections.
    connection: ConnectionOptions,
    fetch_connections: fetcher::FetchConnections,
    coordinator: Coordinator,
    options: ConsumerOptions,
    subscription: Mutex<Subscription>,
    /// Whether resolved offsets are committed before rebalances and on stop.
    auto_commit: bool,
    state: Mutex<State>,
    /// Wakes `next` (a batch, an event, a failure, a stop).
    ready: Notify,
    /// Wakes the fetcher (a partition needs fetching).
    fetch_wanted: Notify,
    /// Wakes the membership task (stop, or a rejoin).
    membership: Notify,
    /// Wakes the metadata watch (stop, or a new generation).
    watch: Notify,
}

/// A running group consumer. Dropping it does not leave the group: call [`Consumer::stop`].
pub struct Consumer {
    inner: Arc<Inner>,
}

impl Consumer {
    /// Starts consuming `topics` (each with its fromBeginning setting) in the group: joins in
    /// the background and fetches once partitions are assigned. With `auto_commit`, resolved
    /// offsets are also committed before each rebalance and on stop.
    pub fn start(
        cluster: Arc<Cluster>,
        connection: ConnectionOptions,
        options: ConsumerOptions,
        topics: Vec<(String, bool)>,
        auto_commit: bool,
    ) -> Consumer {
        let inner = Arc::new(Inner {
            coordinator: Coordinator::new(
                cluster.clone(),
                options.group.clone(),
                connection.clone(),
            ),
            connection,
            fetch_connections: Default::default(),
            cluster,
            options,
            subscription: Mutex::new(Subscription {
                topics: topics.iter().map(|(t, _)| t.clone()).collect(),
                from_beginning: topics.into_iter().collect(),
            }),
            auto_commit,
            state: Mutex::new(State {
                phase: Phase::Joining,
                generation: None,
                partitions: BTreeMap::new(),
                paused: HashSet::new(),
                seeks: HashMap::new(),
                events: VecDeque::new(),
                failure: None,
                cursor: 0,
                rejoin: false,
            }),
            ready: Notify::new(),
            fetch_wanted: Notify::new(),
            membership: Notify::new(),
            watch: Notify::new(),
        });
        tokio::spawn(membership_loop(inner.clone()));
        tokio::spawn(fetcher::run(inner.clone()));
        tokio::spawn(watch::run(inner.clone()));
        Consumer { inner }
    }

    /// Adds topics (each with its fromBeginning setting) to the subscription and rejoins the
    /// group with it.
    pub fn subscribe(&self, topics: Vec<(String, bool)>) {
        let mut subscription = self.inner.subscription.lock();
        let mut added = false;
        for (topic, from_beginning) in topics {
            if !subscription.topics.contains(&topic) {
                subscription.topics.push(topic.clone());
                added = true;
            }
            subscription.from_beginning.insert(topic, from_beginning);
        }
        drop(subscription);
        if added {
            self.inner.request_rejoin();
        }
    }

    /// The subscribed topics.
    pub fn topics(&self) -> Vec<String> {
        self.inner.subscription.lock().topics.clone()
    }

    /// The next batch to handle (or a failure, or the stop), waiting until there is one.
    pub async fn next(&self) -> Poll {
        loop {
            let notified = self.inner.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(poll) = self.inner.take() {
                return poll;
            }
            notified.await;
        }
    }

    /// What [`next`](Self::next) would return now, if it would not wait.
    pub fn try_next(&self) -> Option<Poll> {
        self.inner.take()
    }

    /// The events since the last call, waiting until there is one; empty once stopped.
    pub async fn events(&self) -> Vec<Event> {
        self.events_waiting().await;
        self.drain_events()
    }

    /// Waits until there are events to take; false once the consumer stopped with none left.
    pub async fn events_waiting(&self) -> bool {
        loop {
            let notified = self.inner.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = self.inner.state.lock();
                if !state.events.is_empty() {
                    return true;
                }
                if state.phase == Phase::Stopped {
                    return false;
                }
            }
            notified.await;
        }
    }

    /// The events since the last call, at once (an application that takes them with each batch
    /// sees those that came before the batch first).
    pub fn drain_events(&self) -> Vec<Event> {
        self.inner.state.lock().events.drain(..).collect()
    }

    /// Hands a batch back. `resolved` is the next offset to commit, if the application resolved
    /// any of it; `rewind_to`, when the batch was not consumed to its end (pause, error, stop),
    /// is where fetching continues.
    pub fn batch_done(&self, tp: &TopicPartition, resolved: Option<i64>, rewind_to: Option<i64>) {
        let mut state = self.inner.state.lock();
        if let Some(p) = state.partitions.get_mut(tp) {
            p.busy = false;
            if let Some(resolved) = resolved {
                p.resolved = Some(p.resolved.map_or(resolved, |r| r.max(resolved)));
            }
            if let Some(offset) = rewind_to {
                p.position = offset;
                p.epoch += 1;
                p.ready = None;
            }
        }
        drop(state);
        self.inner.ready.notify_waiters();
        self.inner.fetch_wanted.notify_one();
    }

    /// Records resolved offsets (the next offset to commit per partition).
    pub fn resolve(&self, offsets: &[(TopicPartition, i64)]) {
        let mut state = self.inner.state.lock();
        for (tp, offset) in offsets {
            if let Some(p) = state.partitions.get_mut(tp) {
                p.resolved = Some(*offset);
            }
        }
    }

    /// Resolved offsets not yet committed.
    pub fn uncommitted(&self) -> Vec<(TopicPartition, i64)> {
        self.inner.uncommitted()
    }

    /// Commits `offsets`, or every resolved offset not yet committed when `None`.
    pub async fn commit(
        &self,
        offsets: Option<Vec<(TopicPartition, i64)>>,
    ) -> Result<(), RetryError> {
        self.inner.commit(offsets).await
    }

    /// Continues `tp` from `offset`. A negative offset, as in kafkajs, is no committed offset:
    /// the partition restarts where its topic's fromBeginning setting says.
    pub fn seek(&self, tp: TopicPartition, offset: i64) {
        let offset = if offset < 0 {
            self.inner.reset_offset(&tp.0)
        } else {
            offset
        };
        let mut state = self.inner.state.lock();
        state.seeks.insert(tp, offset);
        drop(state);
        self.inner.fetch_wanted.notify_one();
    }

    pub fn pause(&self, partitions: &[TopicPartition]) {
        self.inner
            .state
            .lock()
            .paused
            .extend(partitions.iter().cloned());
    }

    pub fn resume(&self, partitions: &[TopicPartition]) {
        let mut state = self.inner.state.lock();
        for tp in partitions {
            state.paused.remove(tp);
        }
        drop(state);
        self.inner.ready.notify_waiters();
        self.inner.fetch_wanted.notify_one();
    }

    pub fn paused(&self) -> Vec<TopicPartition> {
        let mut paused: Vec<_> = self.inner.state.lock().paused.iter().cloned().collect();
        paused.sort();
        paused
    }

    /// The partitions assigned in the current generation.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.inner.state.lock().partitions.keys().cloned().collect()
    }

    /// Stops: waits for handed-out batches to come back, commits what was resolved, and leaves
    /// the group.
    pub async fn stop(&self) {
        let was = {
            let mut state = self.inner.state.lock();
            std::mem::replace(&mut state.phase, Phase::Stopped)
        };
        self.inner.ready.notify_waiters();
        self.inner.fetch_wanted.notify_one();
        self.inner.membership.notify_one();
        self.inner.watch.notify_one();
        if was == Phase::Stopped {
            return;
        }
        self.inner.wait_for_handed_out().await;
        if self.inner.auto_commit {
            let _ = self.inner.commit(None).await;
        }
        let _ = self.inner.coordinator.leave().await;
        self.inner.fetch_connections.lock().clear();
    }

    /// The group coordinator.
    pub fn coordinator(&self) -> &Coordinator {
        &self.inner.coordinator
    }
}

impl Inner {
    /// Where a partition of `topic` without a committed offset starts.
    fn reset_offset(&self, topic: &str) -> i64 {
        if self.subscription.lock().from_beginning.get(topic) == Some(&true) {
            offsets::EARLIEST
        } else {
            offsets::LATEST
        }
    }

    fn take(&self) -> Option<Poll> {
        let mut state = self.state.lock();
        if state.phase == Phase::Stopped {
            return Some(Poll {
                stopped: true,
                ..Poll::default()
            });
        }
        if let Some(failure) = state.failure.take() {
            return Some(Poll {
                failure: Some(failure),
                ..Poll::default()
            });
        }
        let mut batch = None;
        if state.phase == Phase::Stable {
            let keys: Vec<TopicPartition> = state.partitions.keys().cloned().collect();
            let start = state.cursor;
            for i in 0..keys.len() {
                let tp = &keys[(start + i) % keys.len()];
                if state.paused.contains(tp) || state.seeks.contains_key(tp) {
                    continue;
                }
                let p = state.partitions.get_mut(tp).expect("listed key");
                if p.busy || p.ready.is_none() {
                    continue;
                }
                p.busy = true;
                batch = p.ready.take();
                state.cursor = (start + i + 1) % keys.len();
                break;
            }
        }
        if batch.is_some() {
            self.fetch_wanted.notify_one();
        }
        batch.is_some().then_some(Poll {
            batch,
            ..Poll::default()
        })
    }

    fn emit(&self, event: Event) {
        let mut state = self.state.lock();
        if state.events.len() >= MAX_EVENTS {
            state.events.pop_front();
        }
        state.events.push_back(event);
        drop(state);
        self.ready.notify_waiters();
    }

    fn stopped(&self) -> bool {
        self.state.lock().phase == Phase::Stopped
    }

    /// Asks the membership task to join the group again.
    fn request_rejoin(&self) {
        self.state.lock().rejoin = true;
        self.membership.notify_one();
    }

    /// Whether this member led the group and assigned from a topic that had no partitions.
    fn assigned_topic_without_partitions(&self) -> bool {
        let state = self.state.lock();
        state
            .generation
            .as_ref()
            .and_then(|g| g.assigned_from.as_ref())
            .is_some_and(|from| from.values().any(Vec::is_empty))
    }

    fn uncommitted(&self) -> Vec<(TopicPartition, i64)> {
        self.state
            .lock()
            .partitions
            .iter()
            .filter_map(|(tp, p)| {
                p.resolved
                    .filter(|r| p.committed != Some(*r))
                    .map(|r| (tp.clone(), r))
            })
            .collect()
    }

    async fn commit(&self, offsets: Option<Vec<(TopicPartition, i64)>>) -> Result<(), RetryError> {
        let offsets = offsets.unwrap_or_else(|| self.uncommitted());
        if offsets.is_empty() {
            return Ok(());
        }
        let Some(generation) = self.state.lock().generation.clone() else {
            return Ok(());
        };
        let committer = offsets::Committer {
            group_id: &self.options.group.group_id,
            generation_id: generation.generation_id,
            member_id: &generation.member_id,
            group_instance_id: self.options.group.group_instance_id.as_deref(),
        };
        let committed = retry(self.options.retry, |_| {
            let (committer, offsets) = (&committer, &offsets);
            self.coordinator.on_coordinator(move |c| async move {
                offsets::commit(&c, committer, offsets).await
            })
        })
        .await;
        if let Err(RetryError::NonRetriable(Error::Protocol {
            error: ResponseError::RebalanceInProgress | ResponseError::IllegalGeneration,
            ..
        })) = &committed
        {
            // As kafkajs does, a commit the group refuses while it rebalances starts this
            // member's rejoin at once, instead of at its next heartbeat, so no more batches are
            // handed out whose commits would be refused too; unless a rejoin already began.
            let current = {
                let state = self.state.lock();
                state.phase == Phase::Stable
                    && state.generation.as_ref().map(|g| g.generation_id)
                        == Some(generation.generation_id)
            };
            if current {
                self.request_rejoin();
            }
        }
        committed?;
        let mut state = self.state.lock();
        for (tp, offset) in &offsets {
            if let Some(p) = state.partitions.get_mut(tp) {
                p.committed = Some(*offset);
                p.resolved = Some(p.resolved.map_or(*offset, |r| r.max(*offset)));
            }
        }
        Ok(())
    }

    /// Waits until no batch is handed out, or the rebalance timeout passed.
    async fn wait_for_handed_out(&self) {
        let deadline = Instant::now() + self.options.group.rebalance_timeout;
        loop {
            // `ready` wakes every waiter when a batch comes back; `membership` wakes only one,
            // which may be the membership task instead of this wait.
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.state.lock().partitions.values().any(|p| p.busy) {
                return;
            }
            if tokio::time::timeout_at(deadline.into(), notified)
                .await
                .is_err()
            {
                return;
            }
        }
    }

    fn crash(&self, error: RetryError) {
        self.state.lock().failure = Some(error);
        self.ready.notify_waiters();
    }

    /// Joins (retrying as kafkajs does), then sets up the assigned partitions' positions.
    async fn join(&self) -> Result<(), RetryError> {
        let started = Instant::now();
        // kafkajs gives up on a throwing custom assigner at a member's first join, and retries
        // it when the member rejoins.
        let rejoining = self.state.lock().generation.is_some();
        let mut generation = retry_if(self.options.retry, membership::join_retriable, |_| async {
            self.state.lock().rejoin = false;
            let topics = self.subscription.lock().topics.clone();
            self.coordinator
                .join_and_sync(&topics)
                .await
                .map_err(|error| match error {
                    Error::Assignor {
                        message,
                        thrown: true,
                        ..
                    } => Error::Assignor {
                        message,
                        thrown: true,
                        retriable: rejoining,
                    },
                    other => other,
                })
        })
        .await?;
        let subscribed = self.subscription.lock().topics.clone();
        let not_subscribed: Vec<String> = generation
            .assigned_topics
            .iter()
            .filter(|t| !subscribed.contains(t))
            .cloned()
            .collect();
        if !not_subscribed.is_empty() {
            generation
                .assignment
                .retain(|topic, _| subscribed.contains(topic));
            self.emit(Event::UnsubscribedTopics {
                generation_id: generation.generation_id,
                member_id: generation.member_id.clone(),
                assigned_topics: generation.assigned_topics.clone(),
                topics_subscribed: subscribed,
                topics_not_subscribed: not_subscribed,
            });
        }
        let assigned: Vec<TopicPartition> = generation
            .assignment
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p)))
            .collect();
        let committed = if assigned.is_empty() {
            HashMap::new()
        } else {
            retry(self.options.retry, |_| {
                let assigned = &assigned;
                self.coordinator.on_coordinator(move |c| async move {
                    offsets::fetch_committed(&c, &self.options.group.group_id, assigned).await
                })
            })
            .await?
        };
        let mut state = self.state.lock();
        let mut partitions = BTreeMap::new();
        for tp in assigned {
            let committed = committed.get(&tp).copied().filter(|o| *o >= 0);
            let position = committed.unwrap_or_else(|| self.reset_offset(&tp.0));
            if committed.is_none() {
                state.seeks.entry(tp.clone()).or_insert(position);
            }
            partitions.insert(
                tp,
                PartitionState {
                    position,
                    committed,
                    resolved: committed,
                    ..PartitionState::default()
                },
            );
        }
        state.partitions = partitions;
        state.generation = Some(generation.clone());
        if state.phase != Phase::Stopped {
            state.phase = Phase::Stable;
        }
        drop(state);
        self.emit(Event::GroupJoin {
            generation,
            duration_ms: started.elapsed().as_millis() as u64,
        });
        self.fetch_wanted.notify_one();
        self.watch.notify_one();
        Ok(())
    }

    /// Heartbeats every heartbeat interval until the group rebalances or this member must
    /// rejoin (Ok), or the consumer stops or fails (Err).
    async fn heartbeat_until_rebalance(&self) -> Result<(), ()> {
        let mut next_heartbeat = Instant::now() + self.options.heartbeat_interval;
        loop {
            let notified = self.membership.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.stopped() {
                return Err(());
            }
            let (generation, rejoin) = {
                let state = self.state.lock();
                (state.generation.clone(), state.rejoin)
            };
            let Some(generation) = generation.filter(|_| !rejoin) else {
                return Ok(());
            };
            if Instant::now() < next_heartbeat {
                let _ = tokio::time::timeout_at(next_heartbeat.into(), notified).await;
                continue;
            }
            next_heartbeat = Instant::now() + self.options.heartbeat_interval;
            match self.coordinator.heartbeat(&generation).await {
                Ok(()) => self.emit(Event::Heartbeat {
                    member_id: generation.member_id.clone(),
                    generation_id: generation.generation_id,
                }),
                Err(Error::Protocol {
                    error: ResponseError::UnknownMemberId,
                    ..
                }) => {
                    self.coordinator.reset_member_id();
                    return Ok(());
                }
                Err(Error::Protocol {
                    error: ResponseError::RebalanceInProgress | ResponseError::IllegalGeneration,
                    ..
                }) => return Ok(()),
                Err(error) if error.is_retriable() => {}
                Err(error) => {
                    self.crash(RetryError::NonRetriable(error));
                    return Err(());
                }
            }
        }
    }

    /// Before rejoining: no more batches out, wait for those handed out, commit.
    async fn prepare_rebalance(&self) {
        let member_id = {
            let mut state = self.state.lock();
            if state.phase == Phase::Stable {
                state.phase = Phase::Joining;
            }
            for p in state.partitions.values_mut() {
                p.ready = None;
                p.epoch += 1;
            }
            state
                .generation
                .as_ref()
                .map(|g| g.member_id.clone())
                .unwrap_or_default()
        };
        self.emit(Event::Rebalancing { member_id });
        self.wait_for_handed_out().await;
        if self.auto_commit {
            let _ = self.commit(None).await;
        }
    }
}

async fn membership_loop(inner: Arc<Inner>) {
    loop {
        if inner.stopped() {
            return;
        }
        if let Err(error) = inner.join().await {
            inner.crash(error);
            return;
        }
        if inner.heartbeat_until_rebalance().await.is_err() {
            return;
        }
        inner.prepare_rebalance().await;
    }
}
