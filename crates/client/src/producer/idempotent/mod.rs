//! The idempotent producer's sender: one task that owns every partition's queue (see
//! [`queue`]), writes the producer id, epoch and sequence numbers into each record batch, and
//! keeps each partition's batches in sequence order on the wire, however requests fail.
//!
//! Up to five Produce requests are in flight per broker, as Kafka allows for idempotence: the
//! broker remembers a producer's last five batches per partition, so any batch it appended but
//! whose answer was lost is among them and its resend is recognised as a duplicate. A batch is
//! retried with kafkajs's backoff and retry count; the batches behind a failed one are resent
//! after it, without using their own retries. OUT_OF_ORDER_SEQUENCE_NUMBER on a batch the broker
//! should have expected, UNKNOWN_PRODUCER_ID, or a batch given up on leaves a gap in the
//! partition's sequence: an idempotent producer then bumps its epoch (InitProducerId, KIP-360)
//! and numbers every unacknowledged batch again from 0, as the Java client does; a transactional
//! one fails the batch, and its transaction must be aborted. DUPLICATE_SEQUENCE_NUMBER means the
//! broker already has the batch: it counts as written.

mod identity;
pub(crate) mod queue;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ferrokafka_wire::records::BatchOptions;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::produce_response::PartitionProduceResponse;
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, TopicName, TransactionalId};
use kafka_protocol::protocol::StrBytes;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

pub use identity::{init_producer_id, ProducerIdentity};
use queue::{PartitionQueue, Run, Settings, Stage};

use super::batches::{encode_records, MAX_REQUEST_BYTES};
use super::{Part, RecordMetadata};
use crate::cluster::{Cluster, Metadata};
use crate::error::{Error, Result};
use crate::retry::{Backoff, RetryError, RetryOptions};

/// Kafka's limit on in-flight requests per connection for an idempotent producer.
pub const MAX_IN_FLIGHT: usize = 5;

/// The newest Produce version a transactional producer that adds its partitions with
/// AddPartitionsToTxn may use; v12 lets the broker add them itself (transactions v2, KIP-890).
const MAX_TRANSACTIONAL_PRODUCE_VERSION: i16 = 11;

/// How the sender works.
#[derive(Debug, Clone)]
pub struct SenderOptions {
    pub retry: RetryOptions,
    /// Produce requests in flight per broker, at most [`MAX_IN_FLIGHT`].
    pub max_in_flight: usize,
    /// Set for a transactional producer: its batches are transactional and its Produce
    /// requests carry the id.
    pub transactional_id: Option<String>,
    /// The transaction timeout InitProducerId carries (kafkajs sends it for idempotent
    /// producers too).
    pub transaction_timeout_ms: i32,
}

/// What became of one submitted part: the metadata of its first message, or why it failed.
pub type PartOutcome = Result<RecordMetadata, RetryError>;

/// A topic and partition.
type PartitionKey = (Arc<str>, i32);

enum Event {
    Submit {
        parts: Vec<(Part, i32)>,
        settings: Settings,
        reply: oneshot::Sender<Vec<PartOutcome>>,
    },
    Restart(ProducerIdentity),
    Connected {
        leader: i32,
        error: Option<Error>,
    },
    Answered {
        request: u64,
        answer: Result<ProduceResponse>,
    },
    Leaders(Result<Arc<Metadata>>),
    Bumped(Result<ProducerIdentity>),
}

/// The handle to a running sender; the sender stops once every handle is dropped and nothing
/// is left in flight.
pub struct Sender {
    events: mpsc::UnboundedSender<Event>,
    shared: Arc<Shared>,
}

/// What the sender and its handle both read.
struct Shared {
    identity: Mutex<ProducerIdentity>,
    /// Set when a transactional producer's batch failed in a way that leaves a gap in its
    /// sequence numbers; cleared by [`Sender::restart`].
    broken: AtomicBool,
}

impl Sender {
    /// Starts a sender with no producer id yet: give it one with [`Sender::restart`].
    pub fn start(cluster: Arc<Cluster>, options: SenderOptions) -> Sender {
        let (events, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            identity: Mutex::new(ProducerIdentity::NONE),
            broken: AtomicBool::new(false),
        });
        let actor = Actor {
            cluster,
            options: SenderOptions {
                max_in_flight: options.max_in_flight.clamp(1, MAX_IN_FLIGHT),
                ..options
            },
            shared: shared.clone(),
            events: events.downgrade(),
            partitions: BTreeMap::new(),
            submissions: HashMap::new(),
            next_submission: 0,
            requests: HashMap::new(),
            next_request: 0,
            in_flight: HashMap::new(),
            connecting: HashSet::new(),
            refreshing: false,
            bump: None,
        };
        tokio::spawn(actor.run(queue));
        Sender { events, shared }
    }

    /// Whether a transactional producer's sequence numbers have a gap, so it needs a new epoch
    /// before its next transaction.
    pub fn needs_new_epoch(&self) -> bool {
        self.shared.broken.load(Ordering::Acquire)
    }

    /// Switches to `identity` and numbers every unacknowledged batch again from 0; sends made
    /// after this call use it. Call it with nothing in flight: at the start, or between
    /// transactions.
    pub fn restart(&self, identity: ProducerIdentity) {
        let _ = self.events.send(Event::Restart(identity));
    }

    /// Sends `parts` (each with the leader its metadata named) and resolves with one outcome
    /// per part, in order.
    pub async fn send(&self, parts: Vec<(Part, i32)>, settings: Settings) -> Vec<PartOutcome> {
        let count = parts.len();
        let (reply, outcome) = oneshot::channel();
        let submitted = self.events.send(Event::Submit {
            parts,
            settings,
            reply,
        });
        let stopped = || {
            let error = Error::connection("", "the producer's sender stopped");
            vec![Err(RetryError::NonRetriable(error)); count]
        };
        match submitted {
            Ok(()) => outcome.await.unwrap_or_else(|_| stopped()),
            Err(_) => stopped(),
        }
    }
}

/// One part's progress.
struct PartProgress {
    topic: Arc<str>,
    partition: i32,
    remaining: usize,
    metadata: Option<RecordMetadata>,
    failure: Option<RetryError>,
}

/// A submission waiting for its parts.
struct Tracking {
    reply: oneshot::Sender<Vec<PartOutcome>>,
    parts: Vec<PartProgress>,
    open: usize,
}

/// One partition's state in the sender.
struct PartitionState {
    topic_id: Uuid,
    leader: Option<i32>,
    queue: PartitionQueue,
}

/// A Produce request awaiting its answer: which batches it carried.
struct InFlightRequest {
    leader: i32,
    batches: Vec<(PartitionKey, i32)>,
}

/// An epoch bump waiting for the in-flight requests to finish, or under way.
struct Bump {
    started: bool,
    backoff: Backoff,
    not_before: Instant,
}

struct Actor {
    cluster: Arc<Cluster>,
    options: SenderOptions,
    shared: Arc<Shared>,
    /// Weak, so the actor alone does not keep itself running.
    events: mpsc::WeakUnboundedSender<Event>,
    partitions: BTreeMap<PartitionKey, PartitionState>,
    submissions: HashMap<u64, Tracking>,
    next_submission: u64,
    requests: HashMap<u64, InFlightRequest>,
    next_request: u64,
    in_flight: HashMap<i32, usize>,
    connecting: HashSet<i32>,
    refreshing: bool,
    bump: Option<Bump>,
}

impl Actor {
    /// Handles events until every handle and every task of the sender is gone; after each
    /// burst of events, sends what may be sent.
    async fn run(mut self, mut queue: mpsc::UnboundedReceiver<Event>) {
        loop {
            let wake = self.next_wake();
            tokio::select! {
                event = queue.recv() => match event {
                    Some(event) => self.handle(event),
                    None => return,
                },
                () = sleep_until(wake) => {}
            }
            while let Ok(event) = queue.try_recv() {
                self.handle(event);
            }
            self.dispatch();
        }
    }

    /// A sender for a task of this actor; `None` once the sender is shutting down.
    fn events(&self) -> Option<mpsc::UnboundedSender<Event>> {
        self.events.upgrade()
    }

    /// The earliest future moment a resend or a bump is due.
    fn next_wake(&self) -> Option<Instant> {
        let now = Instant::now();
        let bump = self
            .bump
            .as_ref()
            .filter(|b| !b.started)
            .map(|b| b.not_before);
        self.partitions
            .values()
            .filter_map(|p| p.queue.due())
            .chain(bump)
            .filter(|due| *due > now)
            .min()
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Submit {
                parts,
                settings,
                reply,
            } => self.submit(parts, settings, reply),
            Event::Restart(identity) => {
                *self.shared.identity.lock() = identity;
                self.shared.broken.store(false, Ordering::Release);
                for state in self.partitions.values_mut() {
                    state.queue.restart_sequences();
                }
            }
            Event::Connected { leader, error } => {
                self.connecting.remove(&leader);
                if let Some(error) = error {
                    self.fail_leader(leader, error);
                }
            }
            Event::Answered { request, answer } => self.answered(request, answer),
            Event::Leaders(metadata) => self.leaders(metadata),
            Event::Bumped(identity) => self.bumped(identity),
        }
    }

    fn submit(
        &mut self,
        parts: Vec<(Part, i32)>,
        settings: Settings,
        reply: oneshot::Sender<Vec<PartOutcome>>,
    ) {
        if !self.shared.identity.lock().is_assigned() {
            let error = Error::State(
                "The idempotent producer has no producer id: connect it first".to_string(),
            );
            let _ = reply.send(vec![Err(RetryError::NonRetriable(error)); parts.len()]);
            return;
        }
        let id = self.next_submission;
        self.next_submission += 1;
        let mut progress = Vec::with_capacity(parts.len());
        for (index, (part, leader)) in parts.into_iter().enumerate() {
            let key = (part.topic.clone(), part.partition);
            let state = self
                .partitions
                .entry(key)
                .or_insert_with(|| PartitionState {
                    topic_id: part.topic_id,
                    leader: None,
                    queue: PartitionQueue::default(),
                });
            if state.leader.is_none() && leader >= 0 {
                state.leader = Some(leader);
            }
            progress.push(PartProgress {
                topic: part.topic.clone(),
                partition: part.partition,
                remaining: part.messages.len(),
                metadata: None,
                failure: None,
            });
            state.queue.push(Run {
                owner: (id, index),
                end: part.messages.len(),
                messages: part.messages,
                start: 0,
                settings,
            });
        }
        let open = progress.iter().filter(|p| p.remaining > 0).count();
        let tracking = Tracking {
            reply,
            parts: progress,
            open,
        };
        if open == 0 {
            finish(tracking);
        } else {
            self.submissions.insert(id, tracking);
        }
    }

    /// Sends what may be sent now: per broker with a free slot, requests of at most one batch
    /// per partition.
    fn dispatch(&mut self) {
        let now = Instant::now();
        if self.bump.is_some() {
            self.continue_bump(now);
            return;
        }
        let mut leaders = BTreeSet::new();
        let mut leaderless = BTreeSet::new();
        for ((topic, _), state) in &self.partitions {
            match state.leader {
                Some(leader) if !state.queue.is_idle() => {
                    leaders.insert(leader);
                }
                None if state.queue.wants_to_send(now) => {
                    leaderless.insert(topic.to_string());
                }
                _ => {}
            }
        }
        if !leaderless.is_empty() && !self.refreshing {
            self.refreshing = true;
            let Some(events) = self.events() else { return };
            let cluster = self.cluster.clone();
            let topics: Vec<String> = leaderless.into_iter().collect();
            tokio::spawn(async move {
                cluster.invalidate();
                let metadata = cluster.refresh(&topics, false).await;
                let _ = events.send(Event::Leaders(metadata));
            });
        }
        for leader in leaders {
            self.dispatch_to(leader, now);
        }
    }

    /// Sends requests to `leader` while it has free slots and something to send.
    fn dispatch_to(&mut self, leader: i32, now: Instant) {
        while self.in_flight.get(&leader).copied().unwrap_or(0) < self.options.max_in_flight {
            let Some(connection) = self.cluster.open_connection_to_node(leader) else {
                if self.connecting.insert(leader) {
                    let Some(events) = self.events() else { return };
                    let cluster = self.cluster.clone();
                    tokio::spawn(async move {
                        let error = cluster.connection_to_node(leader).await.err();
                        let _ = events.send(Event::Connected { leader, error });
                    });
                }
                return;
            };
            let version = match connection.version_of::<ProduceRequest>() {
                Ok(version) if self.options.transactional_id.is_some() => {
                    version.min(MAX_TRANSACTIONAL_PRODUCE_VERSION)
                }
                Ok(version) => version,
                Err(error) => {
                    self.fail_leader_for_good(leader, error);
                    return;
                }
            };
            let (request, carried, unencodable) = self.build(leader, version, now);
            for (key, sequence, error) in unencodable {
                self.give_up(&key, sequence, RetryError::NonRetriable(error));
            }
            if carried.is_empty() {
                return;
            }
            match connection.start(&request, version) {
                Ok(response) => {
                    let id = self.next_request;
                    self.next_request += 1;
                    self.requests.insert(
                        id,
                        InFlightRequest {
                            leader,
                            batches: carried,
                        },
                    );
                    *self.in_flight.entry(leader).or_default() += 1;
                    let events = self.events();
                    tokio::spawn(async move {
                        let answer = response.await;
                        let Some(events) = events else { return };
                        let _ = events.send(Event::Answered {
                            request: id,
                            answer,
                        });
                    });
                }
                Err(error) => {
                    for (key, sequence) in carried {
                        self.attempt_failed(&key, sequence, error.clone(), true, now);
                    }
                    return;
                }
            }
        }
    }

    /// One Produce request for `leader`: the next batch of each of its partitions, within
    /// [`MAX_REQUEST_BYTES`]. Also returns the batches it carries, and those that did not
    /// encode.
    #[allow(clippy::type_complexity)]
    fn build(
        &mut self,
        leader: i32,
        version: i16,
        now: Instant,
    ) -> (
        ProduceRequest,
        Vec<(PartitionKey, i32)>,
        Vec<(PartitionKey, i32, Error)>,
    ) {
        let identity = *self.shared.identity.lock();
        let transactional = self.options.transactional_id.is_some();
        let mut topics: Vec<TopicProduceData> = Vec::new();
        let mut carried = Vec::new();
        let mut unencodable = Vec::new();
        let mut bytes = 0;
        let mut timeout_ms = 0;
        for (key, state) in self.partitions.iter_mut() {
            if state.leader != Some(leader) {
                continue;
            }
            let Some(batch) = state.queue.next_to_send(now) else {
                continue;
            };
            if !carried.is_empty() && bytes + batch.bytes > MAX_REQUEST_BYTES {
                continue;
            }
            let options = BatchOptions {
                compression: batch.settings.compression,
                producer_id: identity.id,
                producer_epoch: identity.epoch,
                base_sequence: batch.sequence,
                transactional,
            };
            let records = match encode_records(batch.messages(), &options, batch.bytes) {
                Ok(records) => records,
                Err(error) => {
                    unencodable.push((key.clone(), batch.sequence, error));
                    continue;
                }
            };
            batch.stage = Stage::InFlight;
            bytes += batch.bytes;
            timeout_ms = timeout_ms.max(batch.settings.timeout_ms);
            carried.push((key.clone(), batch.sequence));
            let data = PartitionProduceData::default()
                .with_index(key.1)
                .with_records(Some(records));
            match topics.iter_mut().find(|t| t.name.0.as_str() == &*key.0) {
                Some(topic) => topic.partition_data.push(data),
                None => {
                    let mut topic = TopicProduceData::default()
                        .with_name(TopicName(StrBytes::from_string(key.0.to_string())))
                        .with_partition_data(vec![data]);
                    if version >= 13 {
                        topic.topic_id = state.topic_id;
                    }
                    topics.push(topic);
                }
            }
        }
        let request = ProduceRequest::default()
            .with_transactional_id(
                self.options
                    .transactional_id
                    .as_ref()
                    .map(|id| TransactionalId(StrBytes::from_string(id.clone()))),
            )
            .with_acks(-1)
            .with_timeout_ms(timeout_ms)
            .with_topic_data(topics);
        (request, carried, unencodable)
    }

    fn answered(&mut self, id: u64, answer: Result<ProduceResponse>) {
        let Some(request) = self.requests.remove(&id) else {
            return;
        };
        if let Some(count) = self.in_flight.get_mut(&request.leader) {
            *count = count.saturating_sub(1);
        }
        let now = Instant::now();
        let response = match answer {
            Ok(response) => response,
            Err(error) => {
                for (key, sequence) in request.batches {
                    self.attempt_failed(&key, sequence, error.clone(), true, now);
                }
                return;
            }
        };
        for (key, sequence) in request.batches {
            let topic_id = self.partitions.get(&key).map(|p| p.topic_id);
            // Produce v13+ answers with topic ids instead of names.
            let answered = response
                .responses
                .iter()
                .filter(|t| {
                    t.name.0.as_str() == &*key.0
                        || (t.name.0.is_empty() && Some(t.topic_id) == topic_id)
                })
                .flat_map(|t| &t.partition_responses)
                .find(|p| p.index == key.1);
            match answered {
                Some(answer) => self.partition_answered(&key, sequence, answer, now),
                None => {
                    let error = Error::Encoding(format!(
                        "the broker did not answer for {}-{}",
                        key.0, key.1
                    ));
                    self.give_up(&key, sequence, RetryError::NonRetriable(error));
                }
            }
        }
    }

    fn partition_answered(
        &mut self,
        key: &PartitionKey,
        sequence: i32,
        answer: &PartitionProduceResponse,
        now: Instant,
    ) {
        let message = answer.error_message.as_ref().map(|m| m.to_string());
        let Some(error) = Error::from_code(answer.error_code, message) else {
            return self.acknowledged(key, sequence, answer);
        };
        let code = ResponseError::try_from_code(answer.error_code);
        let transactional = self.options.transactional_id.is_some();
        match code {
            Some(ResponseError::DuplicateSequenceNumber) => {
                self.acknowledged(key, sequence, answer)
            }
            Some(ResponseError::OutOfOrderSequenceNumber)
                if !self
                    .partitions
                    .get(key)
                    .is_some_and(|p| p.queue.is_front(sequence)) =>
            {
                self.attempt_failed(key, sequence, error, false, now)
            }
            Some(ResponseError::OutOfOrderSequenceNumber | ResponseError::UnknownProducerId) => {
                if transactional {
                    self.give_up(key, sequence, RetryError::NonRetriable(error));
                } else {
                    self.request_bump(now);
                    self.attempt_failed(key, sequence, error, false, now);
                }
            }
            _ if error.is_retriable() => self.attempt_failed(key, sequence, error, true, now),
            _ => self.give_up(key, sequence, RetryError::NonRetriable(error)),
        }
    }

    /// The broker has the batch: every part in it progresses, and a part's first message gets
    /// its offset.
    fn acknowledged(
        &mut self,
        key: &PartitionKey,
        sequence: i32,
        answer: &PartitionProduceResponse,
    ) {
        let Some(batch) = self
            .partitions
            .get_mut(key)
            .and_then(|p| p.queue.remove(sequence))
        else {
            return;
        };
        let mut position = 0i64;
        for run in batch.runs {
            let count = run.len();
            let first = run.start == 0;
            let offset = if answer.base_offset < 0 {
                -1
            } else {
                answer.base_offset + position
            };
            self.progress(run.owner, count, |part| {
                if first {
                    part.metadata = Some(RecordMetadata {
                        topic_name: part.topic.to_string(),
                        partition: part.partition,
                        error_code: 0,
                        base_offset: offset,
                        log_append_time: answer.log_append_time_ms,
                        log_start_offset: answer.log_start_offset,
                    });
                }
            });
            position += count as i64;
        }
    }

    /// A failed attempt: the batch is resent later, or given up on once its retries are used.
    /// A counted failure also forgets the partition's leader, so it is looked up again first.
    fn attempt_failed(
        &mut self,
        key: &PartitionKey,
        sequence: i32,
        error: Error,
        counted: bool,
        now: Instant,
    ) {
        let retry = self.options.retry;
        let Some(state) = self.partitions.get_mut(key) else {
            return;
        };
        if counted {
            state.leader = None;
        }
        if let Some(gave_up) = state.queue.failed(sequence, error, counted, retry, now) {
            self.gave_up(gave_up.runs, gave_up.error);
        }
    }

    /// Fails the batch with `sequence` for good.
    fn give_up(&mut self, key: &PartitionKey, sequence: i32, error: RetryError) {
        let Some(batch) = self
            .partitions
            .get_mut(key)
            .and_then(|p| p.queue.remove(sequence))
        else {
            return;
        };
        self.gave_up(batch.runs, error);
    }

    /// The messages of a batch given up on fail; the partition's sequence now has a gap.
    fn gave_up(&mut self, runs: Vec<Run>, error: RetryError) {
        for run in runs {
            let error = error.clone();
            self.progress(run.owner, run.len(), move |part| {
                part.failure.get_or_insert(error);
            });
        }
        if self.options.transactional_id.is_some() {
            self.shared.broken.store(true, Ordering::Release);
        } else {
            self.request_bump(Instant::now());
        }
    }

    /// `leader` could not be reached: the due batch of each of its partitions fails an attempt.
    fn fail_leader(&mut self, leader: i32, error: Error) {
        let now = Instant::now();
        let due: Vec<(PartitionKey, i32)> = self
            .partitions
            .iter_mut()
            .filter(|(_, state)| state.leader == Some(leader))
            .filter_map(|(key, state)| {
                let batch = state.queue.next_to_send(now)?;
                Some((key.clone(), batch.sequence))
            })
            .collect();
        for (key, sequence) in due {
            self.attempt_failed(&key, sequence, error.clone(), true, now);
        }
    }

    /// `leader` cannot take Produce requests at all: everything queued for it fails.
    fn fail_leader_for_good(&mut self, leader: i32, error: Error) {
        let runs: Vec<Run> = self
            .partitions
            .values_mut()
            .filter(|state| state.leader == Some(leader))
            .flat_map(|state| state.queue.drain())
            .collect();
        for run in runs {
            let error = RetryError::NonRetriable(error.clone());
            self.progress(run.owner, run.len(), move |part| {
                part.failure.get_or_insert(error);
            });
        }
    }

    /// New metadata: partitions without a leader take theirs; those still without one fail an
    /// attempt.
    fn leaders(&mut self, metadata: Result<Arc<Metadata>>) {
        self.refreshing = false;
        let now = Instant::now();
        let mut failed = Vec::new();
        for (key, state) in self.partitions.iter_mut() {
            if state.leader.is_some() {
                continue;
            }
            let leader = match &metadata {
                Ok(metadata) => metadata
                    .topics
                    .get(&*key.0)
                    .and_then(|t| t.partitions.iter().find(|p| p.partition == key.1))
                    .map(|p| p.leader)
                    .filter(|leader| *leader >= 0),
                Err(_) => None,
            };
            if leader.is_some() {
                state.leader = leader;
                continue;
            }
            if let Some(batch) = state.queue.next_to_send(now) {
                let error = match &metadata {
                    Ok(_) => Error::Protocol {
                        error: ResponseError::LeaderNotAvailable,
                        message: None,
                    },
                    Err(error) => error.clone(),
                };
                failed.push((key.clone(), batch.sequence, error));
            }
        }
        for (key, sequence, error) in failed {
            self.attempt_failed(&key, sequence, error, true, now);
        }
    }

    /// Asks for an epoch bump; it starts once nothing is in flight.
    fn request_bump(&mut self, now: Instant) {
        if self.bump.is_none() {
            self.bump = Some(Bump {
                started: false,
                backoff: Backoff::new(self.options.retry),
                not_before: now,
            });
        }
    }

    fn continue_bump(&mut self, now: Instant) {
        let Some(bump) = self.bump.as_mut() else {
            return;
        };
        if bump.started || bump.not_before > now || !self.requests.is_empty() {
            return;
        }
        let Some(events) = self.events.upgrade() else {
            return;
        };
        bump.started = true;
        let current = *self.shared.identity.lock();
        let cluster = self.cluster.clone();
        let timeout_ms = self.options.transaction_timeout_ms;
        tokio::spawn(async move {
            let bumped = async {
                let connection = cluster.any_connection().await?;
                init_producer_id(&connection, None, timeout_ms, Some(current)).await
            };
            let _ = events.send(Event::Bumped(bumped.await));
        });
    }

    fn bumped(&mut self, identity: Result<ProducerIdentity>) {
        let Some(mut bump) = self.bump.take() else {
            return;
        };
        match identity {
            Ok(identity) => {
                *self.shared.identity.lock() = identity;
                for state in self.partitions.values_mut() {
                    state.queue.restart_sequences();
                }
            }
            Err(error) => {
                let wait = error
                    .is_retriable()
                    .then(|| bump.backoff.next_wait())
                    .flatten();
                match wait {
                    Some(wait) => {
                        bump.started = false;
                        bump.not_before = Instant::now() + wait;
                        self.bump = Some(bump);
                    }
                    None => {
                        let error = if error.is_retriable() {
                            bump.backoff.exhausted(error)
                        } else {
                            RetryError::NonRetriable(error)
                        };
                        let runs: Vec<Run> = self
                            .partitions
                            .values_mut()
                            .flat_map(|state| state.queue.drain())
                            .collect();
                        for run in runs {
                            let error = error.clone();
                            self.progress(run.owner, run.len(), move |part| {
                                part.failure.get_or_insert(error);
                            });
                        }
                    }
                }
            }
        }
    }

    /// `count` messages of the part `owner` are settled; `update` records how. The submission
    /// is answered once all its parts are settled.
    fn progress(
        &mut self,
        owner: queue::Owner,
        count: usize,
        update: impl FnOnce(&mut PartProgress),
    ) {
        let (submission, index) = owner;
        let Some(tracking) = self.submissions.get_mut(&submission) else {
            return;
        };
        let part = &mut tracking.parts[index];
        if part.remaining == 0 {
            return;
        }
        update(part);
        part.remaining = part.remaining.saturating_sub(count);
        if part.remaining == 0 {
            tracking.open -= 1;
        }
        if tracking.open == 0 {
            if let Some(tracking) = self.submissions.remove(&submission) {
                finish(tracking);
            }
        }
    }
}

/// Answers a settled submission.
fn finish(tracking: Tracking) {
    let outcomes = tracking
        .parts
        .into_iter()
        .map(|part| match (part.failure, part.metadata) {
            (Some(failure), _) => Err(failure),
            (None, Some(metadata)) => Ok(metadata),
            (None, None) => Err(RetryError::NonRetriable(Error::Encoding(format!(
                "no offset for {}-{}",
                part.topic, part.partition
            )))),
        })
        .collect();
    let _ = tracking.reply.send(outcomes);
}

async fn sleep_until(wake: Option<Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
