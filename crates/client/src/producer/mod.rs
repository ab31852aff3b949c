//! The producer's send path: partition the messages, hand each leader's share to that leader's
//! lane (which coalesces concurrent sends into few Produce requests), and retry only the
//! partitions that failed with a retriable error — so a retry never duplicates what a broker
//! already appended. An idempotent producer hands its messages to the [`idempotent`] sender
//! instead, which numbers its batches and resends exactly those batches.

mod batches;
mod gate;
pub(crate) mod idempotent;
mod lane;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::records::Compression;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use gate::Gate;
pub use gate::GateHold;
use lane::{LaneOptions, Outcome, RequestKey, Submission};

use crate::cluster::{Cluster, Metadata};
use crate::error::{Error, Result};
use crate::partitioner::{PartitionInfo, Partitioner};
use crate::retry::{retry, RetryError, RetryOptions};
use idempotent::queue::Settings;
use idempotent::{init_producer_id, ProducerIdentity, SenderOptions};

/// One message to produce.
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    /// Header keys may repeat (kafkajs sends an array value as one header per element).
    pub headers: Vec<(Bytes, Option<Bytes>)>,
    pub timestamp: i64,
    pub partition: Option<i32>,
}

/// Messages for one topic.
#[derive(Debug, Clone)]
pub struct TopicMessages {
    pub topic: String,
    pub messages: Vec<Message>,
}

/// A send's delivery settings (kafkajs's `acks`, `timeout`, `compression`).
#[derive(Debug, Clone, Copy)]
pub struct SendOptions {
    pub acks: i16,
    pub timeout_ms: i32,
    pub compression: Compression,
}

/// Where a partition's messages went, as kafkajs's `RecordMetadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    pub topic_name: String,
    pub partition: i32,
    pub error_code: i16,
    pub base_offset: i64,
    pub log_append_time: i64,
    pub log_start_offset: i64,
}

/// Producer settings.
#[derive(Debug, Clone)]
pub struct ProducerOptions {
    pub retry: RetryOptions,
    pub allow_auto_topic_creation: bool,
    /// Shared by every connection of one kafkajs producer, so the round-robin over keyless
    /// messages continues across reconnects.
    pub partitioner: Arc<Partitioner>,
    /// Produce requests in flight per broker; sends beyond it wait and are coalesced.
    pub max_in_flight: usize,
    /// How long a broker's lane waits for more sends before it writes a request (not used by
    /// idempotent producers).
    pub linger: Duration,
    /// Set for an idempotent producer.
    pub idempotence: Option<Idempotence>,
}

/// An idempotent producer's settings.
#[derive(Debug, Clone)]
pub struct Idempotence {
    /// Set for the producer a transaction sends with.
    pub transactional_id: Option<String>,
    /// kafkajs's `transactionTimeout`, carried by InitProducerId.
    pub transaction_timeout_ms: i32,
}

/// One send's messages for one partition.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub(crate) topic: Arc<str>,
    /// The topic's id, which Produce v13+ names topics by.
    pub(crate) topic_id: Uuid,
    pub(crate) partition: i32,
    pub(crate) messages: Arc<Vec<Message>>,
}

/// A producer on a cluster.
pub struct Producer {
    cluster: Arc<Cluster>,
    options: ProducerOptions,
    sending: Sending,
    gate: Arc<Gate>,
}

/// One lane per leader, started on first use.
type Lanes = Mutex<HashMap<i32, mpsc::UnboundedSender<Submission>>>;

/// Where a producer's messages go.
enum Sending {
    Lanes(Lanes),
    Idempotent(Lazy),
}

/// An idempotent sender, started on first use.
struct Lazy {
    options: SenderOptions,
    sender: OnceLock<idempotent::Sender>,
}

/// A send's messages grouped by partition, with the metadata they were grouped by.
pub(crate) struct Prepared {
    pub metadata: Arc<Metadata>,
    /// The send's topics in the order they first appear.
    pub topics: Vec<String>,
    pub parts: Vec<Part>,
}

/// What one attempt achieved: acknowledged partitions (with their leader, for ordering), the
/// parts to retry, and the error that asks for a retry.
type Attempt = (Vec<(i32, RecordMetadata)>, Vec<Part>, Option<Error>);

impl Producer {
    pub fn new(cluster: Arc<Cluster>, options: ProducerOptions) -> Producer {
        let sending = match &options.idempotence {
            None => Sending::Lanes(Mutex::new(HashMap::new())),
            Some(idempotence) => Sending::Idempotent(Lazy {
                options: SenderOptions {
                    retry: options.retry,
                    max_in_flight: options.max_in_flight,
                    transactional_id: idempotence.transactional_id.clone(),
                    transaction_timeout_ms: idempotence.transaction_timeout_ms,
                },
                sender: OnceLock::new(),
            }),
        };
        Producer {
            cluster,
            options,
            sending,
            gate: Arc::default(),
        }
    }

    /// The idempotent sender, started on first use (which must be on a tokio runtime).
    fn sender_of<'a>(&self, lazy: &'a Lazy) -> &'a idempotent::Sender {
        lazy.sender
            .get_or_init(|| idempotent::Sender::start(self.cluster.clone(), lazy.options.clone()))
    }

    /// Whether the producer writes producer ids and sequence numbers.
    pub fn is_idempotent(&self) -> bool {
        matches!(self.sending, Sending::Idempotent(_))
    }

    /// Gives an idempotent, non-transactional producer its producer id (InitProducerId on any
    /// broker, retried with `retry_options`); does nothing for other producers.
    pub async fn init_producer_id(&self, retry_options: RetryOptions) -> Result<(), RetryError> {
        let (Sending::Idempotent(sender), Some(idempotence)) =
            (&self.sending, &self.options.idempotence)
        else {
            return Ok(());
        };
        if idempotence.transactional_id.is_some() {
            return Ok(());
        }
        let timeout_ms = idempotence.transaction_timeout_ms;
        let identity = retry(retry_options, |_| async {
            let connection = self.cluster.any_connection().await?;
            init_producer_id(&connection, None, timeout_ms, None).await
        })
        .await?;
        self.sender_of(sender).restart(identity);
        Ok(())
    }

    /// Switches an idempotent producer to `identity`, numbering its batches from 0 again.
    pub(crate) fn restart(&self, identity: ProducerIdentity) {
        if let Sending::Idempotent(sender) = &self.sending {
            self.sender_of(sender).restart(identity);
        }
    }

    /// Whether a transactional producer's sequence numbers have a gap (a batch failed for
    /// good), so it needs a new epoch.
    pub(crate) fn needs_new_epoch(&self) -> bool {
        matches!(&self.sending, Sending::Idempotent(lazy)
            if lazy.sender.get().is_some_and(|sender| sender.needs_new_epoch()))
    }

    /// Holds every lane back until the hold is dropped: sends started meanwhile reach each
    /// leader's lane together and share its requests.
    pub fn hold_lanes(&self) -> GateHold {
        self.gate.hold()
    }

    /// The cluster this producer sends to.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// Sends every message, resolving with one `RecordMetadata` per partition written (none with
    /// acks=0), ordered by leader, then topic, then partition, as kafkajs orders them.
    pub async fn send(
        &self,
        topic_messages: Vec<TopicMessages>,
        options: SendOptions,
    ) -> Result<Vec<RecordMetadata>, RetryError> {
        let prepared = self.prepare(topic_messages).await?;
        self.deliver(prepared, options).await
    }

    /// Fetches the metadata of the send's topics (creating them when allowed) and groups its
    /// messages by partition.
    pub(crate) async fn prepare(
        &self,
        topic_messages: Vec<TopicMessages>,
    ) -> Result<Prepared, RetryError> {
        let mut topics: Vec<String> = Vec::new();
        for t in &topic_messages {
            if !topics.contains(&t.topic) {
                topics.push(t.topic.clone());
            }
        }
        let metadata = retry(self.options.retry, |_| {
            self.cluster
                .topics_metadata(&topics, self.options.allow_auto_topic_creation)
        })
        .await?;
        let parts = self
            .partition(&metadata, topic_messages)
            .map_err(RetryError::NonRetriable)?;
        Ok(Prepared {
            metadata,
            topics,
            parts,
        })
    }

    /// Sends prepared parts, resolving with their `RecordMetadata` in kafkajs's order.
    pub(crate) async fn deliver(
        &self,
        prepared: Prepared,
        options: SendOptions,
    ) -> Result<Vec<RecordMetadata>, RetryError> {
        let Prepared {
            metadata,
            topics,
            parts,
        } = prepared;
        let mut done = match &self.sending {
            Sending::Lanes(lanes) => self.deliver_on_lanes(lanes, parts, options).await?,
            Sending::Idempotent(sender) => {
                let with_leaders: Vec<(Part, i32)> = parts
                    .into_iter()
                    .map(|part| {
                        let leader = leader_of(&metadata, &part).unwrap_or(-1);
                        (part, leader)
                    })
                    .collect();
                let leaders: Vec<i32> = with_leaders.iter().map(|(_, l)| *l).collect();
                let settings = Settings {
                    compression: options.compression,
                    timeout_ms: options.timeout_ms,
                };
                let outcomes = self.sender_of(sender).send(with_leaders, settings).await;
                let mut done = Vec::with_capacity(outcomes.len());
                for (leader, outcome) in leaders.into_iter().zip(outcomes) {
                    done.push((leader, outcome?));
                }
                done
            }
        };
        let order = |topic: &str| topics.iter().position(|t| t == topic);
        done.sort_by(|(la, a), (lb, b)| {
            (la, order(&a.topic_name), a.partition).cmp(&(lb, order(&b.topic_name), b.partition))
        });
        Ok(done.into_iter().map(|(_, m)| m).collect())
    }

    /// Sends parts through the leaders' lanes, retrying the parts that failed.
    async fn deliver_on_lanes(
        &self,
        lanes: &Lanes,
        parts: Vec<Part>,
        options: SendOptions,
    ) -> Result<Vec<(i32, RecordMetadata)>, RetryError> {
        let key = RequestKey {
            acks: options.acks,
            timeout_ms: options.timeout_ms,
            compression: options.compression,
        };
        let pending = Mutex::new(parts);
        let done: Mutex<Vec<(i32, RecordMetadata)>> = Mutex::new(Vec::new());
        retry(self.options.retry, |_| async {
            let parts = std::mem::take(&mut *pending.lock());
            let (acknowledged, failed, error) = self.attempt(lanes, parts, key).await;
            done.lock().extend(acknowledged);
            *pending.lock() = failed;
            match error {
                Some(error) => {
                    self.cluster.invalidate();
                    Err(error)
                }
                None => Ok(()),
            }
        })
        .await?;
        Ok(done.into_inner())
    }

    /// Groups the messages by partition: one part per topic and partition.
    fn partition(
        &self,
        metadata: &Metadata,
        topic_messages: Vec<TopicMessages>,
    ) -> Result<Vec<Part>> {
        let mut per_partition: BTreeMap<(usize, i32), Vec<Message>> = BTreeMap::new();
        let mut names: Vec<(Arc<str>, Uuid)> = Vec::new();
        for (topic_index, group) in topic_messages.into_iter().enumerate() {
            let topic = metadata
                .topics
                .get(&group.topic)
                .ok_or_else(|| Error::Protocol {
                    error: ResponseError::UnknownTopicOrPartition,
                    message: Some(group.topic.clone()),
                })?;
            let infos: Vec<PartitionInfo> = topic
                .partitions
                .iter()
                .map(|p| PartitionInfo {
                    partition: p.partition,
                    leader: p.leader,
                })
                .collect();
            let partitioner = self.options.partitioner.topic(&group.topic, &infos);
            let chosen: Vec<i32> = group
                .messages
                .iter()
                .map(|m| {
                    m.partition
                        .unwrap_or_else(|| partitioner.partition(m.key.as_deref()))
                })
                .collect();
            match chosen.first() {
                Some(&first) if chosen.iter().all(|p| *p == first) => {
                    per_partition.insert((topic_index, first), group.messages);
                }
                _ => {
                    for (message, partition) in group.messages.into_iter().zip(chosen) {
                        per_partition
                            .entry((topic_index, partition))
                            .or_default()
                            .push(message);
                    }
                }
            }
            names.push((group.topic.into(), topic.id));
        }
        Ok(per_partition
            .into_iter()
            .map(|((topic_index, partition), messages)| Part {
                topic: names[topic_index].0.clone(),
                topic_id: names[topic_index].1,
                partition,
                messages: Arc::new(messages),
            })
            .collect())
    }

    /// Hands every part to its leader's lane and collects the outcomes.
    async fn attempt(&self, lanes: &Lanes, parts: Vec<Part>, key: RequestKey) -> Attempt {
        let metadata = match self.cluster.metadata().await {
            Ok(metadata) => metadata,
            Err(error) => return (Vec::new(), parts, Some(error)),
        };
        let mut per_leader: BTreeMap<i32, Vec<Part>> = BTreeMap::new();
        let mut failed = Vec::new();
        for part in parts {
            match leader_of(&metadata, &part) {
                Some(leader) if leader >= 0 => per_leader.entry(leader).or_default().push(part),
                _ => failed.push(part),
            }
        }
        let mut error = (!failed.is_empty()).then_some(Error::Protocol {
            error: ResponseError::LeaderNotAvailable,
            message: None,
        });
        let submitted: Vec<_> = per_leader
            .into_iter()
            .map(|(leader, parts)| {
                let (reply, outcomes) = oneshot::channel();
                let submission = Submission {
                    key,
                    parts: parts.clone(),
                    reply,
                };
                if let Err(returned) = self.lane(lanes, leader).send(submission) {
                    drop(returned);
                    lanes.lock().remove(&leader);
                }
                async move { (leader, parts, outcomes.await) }
            })
            .collect();
        let mut acknowledged = Vec::new();
        for (leader, parts, outcomes) in futures::future::join_all(submitted).await {
            let outcomes = outcomes.unwrap_or_else(|_| {
                let lost = Error::connection("", "the producer's connection task ended");
                vec![Outcome::Failed(lost); parts.len()]
            });
            for (part, outcome) in parts.into_iter().zip(outcomes) {
                match outcome {
                    Outcome::Acked(m) => acknowledged.push((leader, m)),
                    Outcome::Unacknowledged => {}
                    Outcome::Failed(e) => {
                        failed.push(part);
                        if error.as_ref().is_none_or(|current| current.is_retriable()) {
                            error = Some(e);
                        }
                    }
                }
            }
        }
        (acknowledged, failed, error)
    }

    /// The lane to `leader`, started on first use.
    fn lane(&self, lanes: &Lanes, leader: i32) -> mpsc::UnboundedSender<Submission> {
        lanes
            .lock()
            .entry(leader)
            .or_insert_with(|| {
                lane::start(
                    self.cluster.clone(),
                    leader,
                    LaneOptions {
                        max_in_flight: self.options.max_in_flight,
                        linger: self.options.linger,
                    },
                    self.gate.clone(),
                )
            })
            .clone()
    }
}

/// The leader of `part`'s partition in `metadata`, if it names one.
fn leader_of(metadata: &Metadata, part: &Part) -> Option<i32> {
    metadata
        .topics
        .get(&*part.topic)
        .and_then(|t| t.partitions.iter().find(|p| p.partition == part.partition))
        .map(|p| p.leader)
}
