//! Transactions, as kafkajs's `producer.transaction()` offers them: a transactional producer
//! with its own producer id (InitProducerId for the transactional id, on its transaction
//! coordinator), kafkajs's state machine (UNINITIALIZED, READY, TRANSACTING, COMMITTING,
//! ABORTING) with its error messages, AddPartitionsToTxn before the first send to a partition,
//! AddOffsetsToTxn and TxnOffsetCommit (on the group's coordinator) for `sendOffsets`, and EndTxn
//! once the transaction's sends have settled.
//!
//! Each `transaction()` is a generation: calls made with an older generation, or after the
//! transaction ended, fail with kafkajs's "Cannot continue to use transaction once ended".
//! Requests use the transactions-v1 protocol (the client adds partitions itself), so EndTxn,
//! TxnOffsetCommit and Produce stay below the versions that mean transactions v2.

mod coordinator;

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, EndTxnRequest, GroupId, ProducerId,
    TopicName, TransactionalId, TxnOffsetCommitRequest,
};
use kafka_protocol::protocol::StrBytes;
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::cluster::Cluster;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::producer::idempotent::{init_producer_id, ProducerIdentity};
use crate::producer::{
    Idempotence, Producer, ProducerOptions, RecordMetadata, SendOptions, TopicMessages,
};
use crate::retry::{retry, RetryError, RetryOptions};
use coordinator::{connect_to_coordinator, coordinator_moved, CoordinatorKind};

/// The newest AddPartitionsToTxn version a client sends; v4+ is the brokers' batched form.
const MAX_ADD_PARTITIONS_VERSION: i16 = 3;
/// The newest EndTxn version of transactions v1; v5 bumps the epoch at every end (KIP-890).
const MAX_END_TXN_VERSION: i16 = 4;
/// The newest TxnOffsetCommit version of transactions v1.
const MAX_TXN_OFFSET_COMMIT_VERSION: i16 = 4;

/// How soon a request answered CONCURRENT_TRANSACTIONS is first sent again, doubling up to
/// [`CONCURRENT_TRANSACTIONS_MAX_BACKOFF`]: the coordinator answers it while the previous
/// transaction's markers are being written, which takes milliseconds, so the Java client too
/// retries it after 20 ms (KAFKA-5477) instead of after the usual backoff.
const CONCURRENT_TRANSACTIONS_BACKOFF: Duration = Duration::from_millis(5);
const CONCURRENT_TRANSACTIONS_MAX_BACKOFF: Duration = Duration::from_millis(20);
/// How long such quick retries go on before the usual backoff takes over.
const CONCURRENT_TRANSACTIONS_WINDOW: Duration = Duration::from_secs(2);

/// kafkajs's message for a call on a transaction that has ended.
pub const ENDED: &str = "Cannot continue to use transaction once ended";
/// kafkajs's message for `transaction()` while one is active.
pub const ONGOING: &str = "There is already an ongoing transaction for this producer. Please end the transaction before beginning another.";

/// A transactional producer's settings.
#[derive(Debug, Clone)]
pub struct TransactionOptions {
    pub transactional_id: String,
    /// kafkajs's `transactionTimeout` (default 60000 ms).
    pub transaction_timeout_ms: i32,
    /// The retries of coordinator requests (kafkajs uses the client's retry options there).
    pub coordinator_retry: RetryOptions,
}

/// The state of kafkajs's transaction state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Uninitialized,
    Ready,
    Transacting,
    Committing,
    Aborting,
}

impl Phase {
    /// The name kafkajs's messages use.
    fn name(self) -> &'static str {
        match self {
            Phase::Uninitialized => "UNINITIALIZED",
            Phase::Ready => "READY",
            Phase::Transacting => "TRANSACTING",
            Phase::Committing => "COMMITTING",
            Phase::Aborting => "ABORTING",
        }
    }
}

struct State {
    phase: Phase,
    generation: u64,
    identity: ProducerIdentity,
    /// Partitions added to the current transaction.
    partitions: HashSet<(String, i32)>,
    offsets_added: bool,
}

/// Offsets to commit in a transaction: per topic, (partition, offset) pairs.
pub type TopicOffsets = Vec<(String, Vec<(i32, i64)>)>;

/// A transactional producer and its transaction state.
pub struct Transactions {
    cluster: Arc<Cluster>,
    producer: Producer,
    options: TransactionOptions,
    state: Mutex<State>,
    /// The transaction coordinator's address, once found.
    coordinator: Mutex<Option<String>>,
    /// Serialises InitProducerId, so concurrent `transaction()` calls share one producer id.
    initialising: tokio::sync::Mutex<()>,
    /// Serialises AddPartitionsToTxn, so concurrent sends add each partition once.
    adding: tokio::sync::Mutex<()>,
    /// Sends of the current transaction still running; EndTxn waits for none.
    sending: watch::Sender<usize>,
}

/// Counts a send as running until dropped.
struct Running<'a>(&'a watch::Sender<usize>);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count -= 1);
    }
}

impl Transactions {
    /// A transactional producer on `cluster`; `producer` gives its retry, partitioner,
    /// auto-creation and in-flight settings (its idempotence setting is replaced).
    pub fn new(
        cluster: Arc<Cluster>,
        producer: ProducerOptions,
        options: TransactionOptions,
    ) -> Transactions {
        let producer = Producer::new(
            cluster.clone(),
            ProducerOptions {
                idempotence: Some(Idempotence {
                    transactional_id: Some(options.transactional_id.clone()),
                    transaction_timeout_ms: options.transaction_timeout_ms,
                }),
                ..producer
            },
        );
        Transactions {
            cluster,
            producer,
            options,
            state: Mutex::new(State {
                phase: Phase::Uninitialized,
                generation: 0,
                identity: ProducerIdentity::NONE,
                partitions: HashSet::new(),
                offsets_added: false,
            }),
            coordinator: Mutex::new(None),
            initialising: tokio::sync::Mutex::new(()),
            adding: tokio::sync::Mutex::new(()),
            sending: watch::Sender::new(0),
        }
    }

    /// Begins a transaction (initialising the producer id the first time, or after a
    /// transaction left a gap in its sequence numbers) and returns its generation.
    pub async fn begin(&self) -> Result<u64, RetryError> {
        if self.state.lock().phase == Phase::Transacting {
            return Err(RetryError::NonRetriable(Error::State(ONGOING.to_string())));
        }
        self.initialise().await?;
        let mut state = self.state.lock();
        if state.phase != Phase::Ready {
            return Err(RetryError::NonRetriable(Error::State(format!(
                "Transaction state exception: Cannot call \"beginTransaction\" in state \"{}\"",
                state.phase.name()
            ))));
        }
        state.phase = Phase::Transacting;
        state.generation += 1;
        Ok(state.generation)
    }

    /// Whether transaction `generation` is the active one.
    pub fn is_active(&self, generation: u64) -> bool {
        let state = self.state.lock();
        state.phase == Phase::Transacting && state.generation == generation
    }

    /// Sends in transaction `generation`, adding new partitions to it first.
    pub async fn send(
        &self,
        generation: u64,
        topic_messages: Vec<TopicMessages>,
        options: SendOptions,
    ) -> Result<Vec<RecordMetadata>, RetryError> {
        let _running = self.running(generation)?;
        let prepared = self.producer.prepare(topic_messages).await?;
        let partitions: Vec<(String, i32)> = prepared
            .parts
            .iter()
            .map(|part| (part.topic.to_string(), part.partition))
            .collect();
        self.add_partitions(generation, partitions).await?;
        self.producer.deliver(prepared, options).await
    }

    /// kafkajs's `sendOffsets`: adds the group to the transaction (AddOffsetsToTxn), then
    /// commits `offsets` for it on the group's coordinator (TxnOffsetCommit).
    pub async fn send_offsets(
        &self,
        generation: u64,
        group_id: &str,
        offsets: TopicOffsets,
    ) -> Result<(), RetryError> {
        let _running = self.running(generation)?;
        let identity = self.state.lock().identity;
        let transactional_id = &self.options.transactional_id;
        let request = AddOffsetsToTxnRequest::default()
            .with_transactional_id(transactional_id_of(transactional_id))
            .with_producer_id(ProducerId(identity.id))
            .with_producer_epoch(identity.epoch)
            .with_group_id(GroupId(StrBytes::from_string(group_id.to_string())));
        self.on_coordinator(|connection| {
            let request = request.clone();
            async move {
                let response = connection.send(&request).await?;
                check(response.error_code)
            }
        })
        .await?;
        self.state.lock().offsets_added = true;
        let topics: Vec<TxnOffsetCommitRequestTopic> = offsets
            .into_iter()
            .map(|(topic, partitions)| {
                TxnOffsetCommitRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic)))
                    .with_partitions(
                        partitions
                            .into_iter()
                            .map(|(partition, offset)| {
                                TxnOffsetCommitRequestPartition::default()
                                    .with_partition_index(partition)
                                    .with_committed_offset(offset)
                            })
                            .collect(),
                    )
            })
            .collect();
        let request = TxnOffsetCommitRequest::default()
            .with_transactional_id(transactional_id_of(transactional_id))
            .with_group_id(GroupId(StrBytes::from_string(group_id.to_string())))
            .with_producer_id(ProducerId(identity.id))
            .with_producer_epoch(identity.epoch)
            .with_topics(topics);
        retry(self.options.coordinator_retry, |_| async {
            let connection =
                connect_to_coordinator(&self.cluster, CoordinatorKind::Group, group_id).await?;
            let version = connection
                .version_of::<TxnOffsetCommitRequest>()?
                .min(MAX_TXN_OFFSET_COMMIT_VERSION);
            let response = connection.send_at(&request, version).await?;
            for topic in &response.topics {
                for partition in &topic.partitions {
                    check(partition.error_code)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Commits (`committed`) or aborts transaction `generation` once its sends have settled.
    /// A transaction that added no partitions and no offsets ends without EndTxn, as in
    /// kafkajs. When EndTxn fails, the transaction stays active, so it can still be aborted.
    pub async fn end(&self, generation: u64, committed: bool) -> Result<(), RetryError> {
        let (ongoing, identity) = {
            let mut state = self.state.lock();
            check_active(&state, generation)?;
            state.phase = if committed {
                Phase::Committing
            } else {
                Phase::Aborting
            };
            let ongoing = state.offsets_added || !state.partitions.is_empty();
            (ongoing, state.identity)
        };
        let mut idle = self.sending.subscribe();
        let _ = idle.wait_for(|running| *running == 0).await;
        if ongoing {
            let request = EndTxnRequest::default()
                .with_transactional_id(transactional_id_of(&self.options.transactional_id))
                .with_producer_id(ProducerId(identity.id))
                .with_producer_epoch(identity.epoch)
                .with_committed(committed);
            let ended = self
                .on_coordinator(|connection| {
                    let request = request.clone();
                    async move {
                        let version = connection
                            .version_of::<EndTxnRequest>()?
                            .min(MAX_END_TXN_VERSION);
                        let response = connection.send_at(&request, version).await?;
                        check(response.error_code)
                    }
                })
                .await;
            if let Err(error) = ended {
                self.state.lock().phase = Phase::Transacting;
                return Err(error);
            }
        }
        let mut state = self.state.lock();
        state.phase = Phase::Ready;
        state.partitions.clear();
        state.offsets_added = false;
        Ok(())
    }

    /// InitProducerId for the transactional id, when there is no producer id yet or the last
    /// transaction left a gap in the sequence numbers (then with the current id and epoch, so
    /// the coordinator bumps the epoch).
    async fn initialise(&self) -> Result<(), RetryError> {
        let _only_one = self.initialising.lock().await;
        let current = {
            let state = self.state.lock();
            match state.phase {
                Phase::Uninitialized => None,
                Phase::Ready if self.producer.needs_new_epoch() => Some(state.identity),
                _ => return Ok(()),
            }
        };
        let transactional_id = self.options.transactional_id.as_str();
        let timeout_ms = self.options.transaction_timeout_ms;
        let identity = self
            .on_coordinator(|connection| async move {
                init_producer_id(&connection, Some(transactional_id), timeout_ms, current).await
            })
            .await?;
        self.producer.restart(identity);
        let mut state = self.state.lock();
        state.identity = identity;
        state.phase = Phase::Ready;
        Ok(())
    }

    /// Adds the partitions not yet in transaction `generation` to it.
    async fn add_partitions(
        &self,
        generation: u64,
        partitions: Vec<(String, i32)>,
    ) -> Result<(), RetryError> {
        let _one_at_a_time = self.adding.lock().await;
        let (identity, new) = {
            let state = self.state.lock();
            check_active(&state, generation)?;
            let new: Vec<(String, i32)> = partitions
                .into_iter()
                .filter(|p| !state.partitions.contains(p))
                .collect();
            (state.identity, new)
        };
        if new.is_empty() {
            return Ok(());
        }
        let mut per_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (topic, partition) in &new {
            per_topic.entry(topic).or_default().push(*partition);
        }
        let topics: Vec<AddPartitionsToTxnTopic> = per_topic
            .into_iter()
            .map(|(topic, partitions)| {
                AddPartitionsToTxnTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                    .with_partitions(partitions)
            })
            .collect();
        let request = AddPartitionsToTxnRequest::default()
            .with_v3_and_below_transactional_id(transactional_id_of(&self.options.transactional_id))
            .with_v3_and_below_producer_id(ProducerId(identity.id))
            .with_v3_and_below_producer_epoch(identity.epoch)
            .with_v3_and_below_topics(topics);
        self.on_coordinator(|connection| {
            let request = request.clone();
            async move {
                let version = connection
                    .version_of::<AddPartitionsToTxnRequest>()?
                    .min(MAX_ADD_PARTITIONS_VERSION);
                let response = connection.send_at(&request, version).await?;
                check(response.error_code)?;
                for topic in &response.results_by_topic_v3_and_below {
                    for partition in &topic.results_by_partition {
                        check(partition.partition_error_code)?;
                    }
                }
                Ok(())
            }
        })
        .await?;
        self.state.lock().partitions.extend(new);
        Ok(())
    }

    /// Runs `request` on the transaction coordinator with the coordinator retries, finding the
    /// coordinator again when it moved; CONCURRENT_TRANSACTIONS is first retried quickly.
    async fn on_coordinator<T, F, Fut>(&self, request: F) -> Result<T, RetryError>
    where
        F: Fn(Arc<Connection>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let request = &request;
        retry(self.options.coordinator_retry, |_| async move {
            let outcome = async {
                let known = self.coordinator.lock().clone();
                let connection = match known {
                    Some(address) => self.cluster.connection_to(&address).await?,
                    None => {
                        let address = coordinator::find_coordinator(
                            &self.cluster,
                            CoordinatorKind::Transaction,
                            &self.options.transactional_id,
                        )
                        .await?;
                        *self.coordinator.lock() = Some(address.clone());
                        self.cluster.connection_to(&address).await?
                    }
                };
                let quick_until = Instant::now() + CONCURRENT_TRANSACTIONS_WINDOW;
                let mut wait = CONCURRENT_TRANSACTIONS_BACKOFF;
                loop {
                    match request(connection.clone()).await {
                        Err(Error::Protocol {
                            error: ResponseError::ConcurrentTransactions,
                            ..
                        }) if Instant::now() < quick_until => {
                            tokio::time::sleep(wait).await;
                            wait = (wait * 2).min(CONCURRENT_TRANSACTIONS_MAX_BACKOFF);
                        }
                        outcome => break outcome,
                    }
                }
            }
            .await;
            if outcome.as_ref().is_err_and(coordinator_moved) {
                self.coordinator.lock().take();
            }
            outcome
        })
        .await
    }

    /// Counts a send of transaction `generation` as running, if that transaction is active.
    fn running(&self, generation: u64) -> Result<Running<'_>, RetryError> {
        let state = self.state.lock();
        check_active(&state, generation)?;
        self.sending.send_modify(|count| *count += 1);
        Ok(Running(&self.sending))
    }
}

/// Fails unless transaction `generation` is the active one.
fn check_active(state: &State, generation: u64) -> Result<(), RetryError> {
    if state.phase == Phase::Transacting && state.generation == generation {
        Ok(())
    } else {
        Err(RetryError::NonRetriable(Error::State(ENDED.to_string())))
    }
}

fn transactional_id_of(id: &str) -> TransactionalId {
    TransactionalId(StrBytes::from_string(id.to_string()))
}

/// The error for a nonzero error code of a transactional request.
fn check(code: i16) -> Result<()> {
    match Error::from_transaction_code(code) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}
