//! Bindings for the producer: `NativeProducer` (connect, partition metadata, send, the producer
//! id of an idempotent producer, and transactions), `NativePartitioner` (a built-in partitioner
//! that outlives reconnects) and the two murmur2 hashes behind kafkajs's partitioners. Kafka
//! failures resolve as plain `failure` objects, which lib/errors.js turns into kafkajs's error
//! classes; finished sends reach JavaScript packed (`PackedOutcomes`).

use std::sync::Arc;
use std::time::Duration;

use ferrokafka_client::partitioner::{legacy_murmur2, murmur2, Partitioner, PartitionerKind};
use ferrokafka_client::producer::{
    Idempotence, Producer, ProducerOptions as ClientProducerOptions, RecordMetadata, SendOptions,
};
use ferrokafka_client::retry::{retry, RetryError, RetryOptions};
use ferrokafka_client::transaction::{TopicOffsets, TransactionOptions, Transactions};

use crate::deliveries::{spawn_delivered, Deliveries};
use crate::failure::{connect_to_seeds, Failure};
use crate::network_events::{NetworkEvent, NetworkObserver};
use crate::packed::{unpack, PackedSends, UnpackedSend};
use crate::retry_settings::RetrySettings;
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions};
use kafka_protocol::records::Compression;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A producer's settings, checked and defaulted by the JS layer.
#[napi(object)]
pub struct NativeProducerOptions {
    pub brokers: Vec<String>,
    pub client_id: String,
    pub connection_timeout: u32,
    pub request_timeout: u32,
    pub metadata_max_age: f64,
    pub allow_auto_topic_creation: bool,
    /// Produce requests in flight per broker (kafkajs's `maxInFlightRequests`).
    pub max_in_flight_requests: u32,
    /// How long to wait for more concurrent sends before writing a request, in ms.
    pub linger_ms: u32,
    /// The client's retry options, used to reach the seed brokers.
    pub cluster_retry: RetrySettings,
    /// The producer's retry options, used by `send`.
    pub retry: RetrySettings,
    /// kafkajs's `idempotent`.
    pub idempotent: bool,
    /// kafkajs's `transactionalId`: set, the producer can run transactions.
    pub transactional_id: Option<String>,
    /// kafkajs's `transactionTimeout`, in ms.
    pub transaction_timeout: u32,
}

/// What a send ends with: the metadata of the partitions it wrote, or why it failed. `id` is
/// the number the send was started with.
pub struct SendOutcome {
    id: u32,
    result: std::result::Result<Vec<RecordMetadata>, Failure>,
}

/// Finished sends, packed as lib/producer.js unpacks them into kafkajs's `RecordMetadata[]`
/// (numbers in typed arrays: building objects field by field through N-API costs far more).
#[napi(object, object_from_js = false)]
pub struct PackedOutcomes {
    /// Per send: its id and how many records follow for it, or `FAILED` (its failure is the next
    /// one in `failures`).
    pub sends: Uint32Array,
    /// The topic names the records refer to.
    pub topics: Vec<String>,
    /// Per record: topic index, partition, error code.
    pub records: Int32Array,
    /// Per record: base offset, log append time, log start offset.
    pub offsets: BigInt64Array,
    pub failures: Vec<Failure>,
}

/// The record count marking a failed send in [`PackedOutcomes::sends`].
const FAILED: u32 = u32::MAX;

/// Packs `outcomes` for one crossing into JavaScript.
fn pack_outcomes(outcomes: Vec<SendOutcome>) -> PackedOutcomes {
    let mut sends = Vec::with_capacity(outcomes.len() * 2);
    let mut topics: Vec<String> = Vec::new();
    let mut records = Vec::new();
    let mut offsets = Vec::new();
    let mut failures = Vec::new();
    for outcome in outcomes {
        sends.push(outcome.id);
        match outcome.result {
            Ok(written) => {
                sends.push(written.len() as u32);
                for m in written {
                    let topic = match topics.iter().position(|t| *t == m.topic_name) {
                        Some(index) => index,
                        None => {
                            topics.push(m.topic_name);
                            topics.len() - 1
                        }
                    };
                    records.extend([topic as i32, m.partition, m.error_code.into()]);
                    offsets.extend([m.base_offset, m.log_append_time, m.log_start_offset]);
                }
            }
            Err(failure) => {
                sends.push(FAILED);
                failures.push(failure);
            }
        }
    }
    PackedOutcomes {
        sends: sends.into(),
        topics,
        records: records.into(),
        offsets: offsets.into(),
        failures,
    }
}

/// One partition's metadata in kafkajs's shape.
#[napi(object)]
pub struct JsPartitionMetadata {
    pub partition_error_code: i32,
    pub partition_id: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

/// One topic's partitions.
#[napi(object)]
pub struct JsTopicPartitions {
    pub topic: String,
    pub partitions: Vec<JsPartitionMetadata>,
}

/// What `partitionMetadata` resolves with.
#[napi(object)]
pub struct MetadataOutcome {
    pub topics: Option<Vec<JsTopicPartitions>>,
    pub failure: Option<Failure>,
}

/// What `beginTransaction` resolves with: the new transaction's generation, or why there is
/// none.
#[napi(object)]
pub struct TransactionBegun {
    pub generation: Option<u32>,
    pub failure: Option<Failure>,
}

/// One partition's offset for `sendOffsets`, the offset as kafkajs takes it (a string).
#[napi(object)]
pub struct JsPartitionOffset {
    pub partition: i32,
    pub offset: String,
}

/// One topic's offsets for `sendOffsets`.
#[napi(object)]
pub struct JsTopicOffsets {
    pub topic: String,
    pub partitions: Vec<JsPartitionOffset>,
}

/// A connected producer owned by JavaScript.
#[napi]
pub struct NativeProducer {
    producer: Arc<Producer>,
    /// Set when the producer has a transactional id.
    transactions: Option<Arc<Transactions>>,
    outcomes: Arc<Deliveries<SendOutcome, PackedOutcomes>>,
    network: Arc<NetworkObserver>,
    cluster_retry: RetryOptions,
    retry: RetryOptions,
    allow_auto_topic_creation: bool,
}

#[napi]
impl NativeProducer {
    #[napi(constructor)]
    /// `on_outcomes` receives finished sends, and `on_network` network events (while
    /// `observe_network(true)`), in arrays.
    pub fn new(
        options: NativeProducerOptions,
        partitioner: &NativePartitioner,
        on_outcomes: Function<'_, PackedOutcomes, ()>,
        on_network: Function<'_, Vec<NetworkEvent>, ()>,
    ) -> Result<Self> {
        let network = NetworkObserver::new(on_network)?;
        let cluster = Arc::new(Cluster::new(ClusterOptions {
            brokers: options.brokers,
            connection: ConnectionOptions {
                client_id: options.client_id,
                connect_timeout: Duration::from_millis(options.connection_timeout.into()),
                request_timeout: Duration::from_millis(options.request_timeout.into()),
                observer: Some(network.handle()),
                max_in_flight: None,
            },
            metadata_max_age: Duration::from_millis(options.metadata_max_age.max(0.0) as u64),
        }));
        let retry = RetryOptions::from(options.retry);
        let cluster_retry = RetryOptions::from(options.cluster_retry);
        let transaction_timeout_ms = i32::try_from(options.transaction_timeout).map_err(|_| {
            Error::new(
                Status::InvalidArg,
                format!(
                    "transactionTimeout {} is too large",
                    options.transaction_timeout
                ),
            )
        })?;
        let producer_options = ClientProducerOptions {
            retry,
            allow_auto_topic_creation: options.allow_auto_topic_creation,
            partitioner: partitioner.inner.clone(),
            max_in_flight: options.max_in_flight_requests.max(1) as usize,
            linger: Duration::from_millis(options.linger_ms.into()),
            idempotence: options.idempotent.then_some(Idempotence {
                transactional_id: None,
                transaction_timeout_ms,
            }),
        };
        let transactions = options.transactional_id.map(|transactional_id| {
            Arc::new(Transactions::new(
                cluster.clone(),
                producer_options.clone(),
                TransactionOptions {
                    transactional_id,
                    transaction_timeout_ms,
                    coordinator_retry: cluster_retry,
                },
            ))
        });
        let producer = Producer::new(cluster, producer_options);
        Ok(NativeProducer {
            producer: Arc::new(producer),
            transactions,
            outcomes: Arc::new(Deliveries::packed(on_outcomes, pack_outcomes)?),
            network,
            cluster_retry,
            retry,
            allow_auto_topic_creation: options.allow_auto_topic_creation,
        })
    }

    /// Connects to a seed broker, retrying with the client's retry options; resolves with the
    /// failure, or null once connected.
    #[napi]
    pub async fn connect(&self) -> Option<Failure> {
        connect_to_seeds(self.producer.cluster().clone(), self.cluster_retry).await
    }

    /// Gives an idempotent producer its producer id (kafkajs does this in `connect`); resolves
    /// with the failure, or null.
    #[napi]
    pub async fn init_producer_id(&self) -> Option<Failure> {
        self.producer
            .init_producer_id(self.cluster_retry)
            .await
            .err()
            .map(Failure::from_retry)
    }

    /// Begins a transaction (kafkajs's `producer.transaction()`).
    #[napi]
    pub async fn begin_transaction(&self) -> TransactionBegun {
        let begun = match self.transactions() {
            Ok(transactions) => transactions.begin().await,
            Err(error) => Err(error),
        };
        match begun.map(u32::try_from) {
            Ok(Ok(generation)) => TransactionBegun {
                generation: Some(generation),
                failure: None,
            },
            Ok(Err(_)) => TransactionBegun {
                generation: None,
                failure: Some(Failure::invalid("too many transactions".to_string())),
            },
            Err(error) => TransactionBegun {
                generation: None,
                failure: Some(Failure::from_retry(error)),
            },
        }
    }

    /// Whether transaction `generation` is still active.
    #[napi]
    pub fn transaction_active(&self, generation: u32) -> bool {
        self.transactions
            .as_ref()
            .is_some_and(|t| t.is_active(generation.into()))
    }

    /// kafkajs's `transaction.sendOffsets`; resolves with the failure, or null.
    #[napi]
    pub async fn send_offsets(
        &self,
        generation: u32,
        group_id: String,
        topics: Vec<JsTopicOffsets>,
    ) -> Option<Failure> {
        let mut offsets: TopicOffsets = Vec::with_capacity(topics.len());
        for topic in topics {
            let mut partitions = Vec::with_capacity(topic.partitions.len());
            for p in topic.partitions {
                match p.offset.trim().parse::<i64>() {
                    Ok(offset) => partitions.push((p.partition, offset)),
                    Err(_) => {
                        let message = format!(
                            "Invalid offset {:?} for topic \"{}\"",
                            p.offset, topic.topic
                        );
                        return Some(Failure::invalid(message));
                    }
                }
            }
            offsets.push((topic.topic, partitions));
        }
        let sent = match self.transactions() {
            Ok(transactions) => {
                transactions
                    .send_offsets(generation.into(), &group_id, offsets)
                    .await
            }
            Err(error) => Err(error),
        };
        sent.err().map(Failure::from_retry)
    }

    /// Commits (`commit`) or aborts transaction `generation`; resolves with the failure, or
    /// null.
    #[napi]
    pub async fn end_transaction(&self, generation: u32, commit: bool) -> Option<Failure> {
        let ended = match self.transactions() {
            Ok(transactions) => transactions.end(generation.into(), commit).await,
            Err(error) => Err(error),
        };
        ended.err().map(Failure::from_retry)
    }

    /// Turns the network events on or off (on while JavaScript has listeners for them).
    #[napi]
    pub fn observe_network(&self, enabled: bool) {
        self.network.set_enabled(enabled);
    }

    /// The network events not yet handed to JavaScript. Taken before finished sends are
    /// settled, so that a send's REQUEST event comes before its promise settles, as in kafkajs.
    #[napi]
    pub fn take_network_events(&self) -> Vec<NetworkEvent> {
        self.network.take()
    }

    /// Closes every connection.
    #[napi]
    pub fn disconnect(&self) {
        self.producer.cluster().disconnect();
    }

    /// The partitions of `topics` in kafkajs's `PartitionMetadata` shape, for custom
    /// partitioners.
    #[napi]
    pub async fn partition_metadata(&self, topics: Vec<String>) -> MetadataOutcome {
        let cluster = self.producer.cluster().clone();
        let allow = self.allow_auto_topic_creation;
        let fetched = retry(self.retry, |_| cluster.topics_metadata(&topics, allow)).await;
        match fetched {
            Ok(metadata) => MetadataOutcome {
                topics: Some(
                    topics
                        .iter()
                        .map(|topic| JsTopicPartitions {
                            topic: topic.clone(),
                            partitions: metadata
                                .topics
                                .get(topic)
                                .map(|t| {
                                    t.partitions
                                        .iter()
                                        .map(|p| JsPartitionMetadata {
                                            partition_error_code: p.error_code.into(),
                                            partition_id: p.partition,
                                            leader: p.leader,
                                            replicas: p.replicas.clone(),
                                            isr: p.isr.clone(),
                                            offline_replicas: p.offline_replicas.clone(),
                                        })
                                        .collect()
                                })
                                .unwrap_or_default(),
                        })
                        .collect(),
                ),
                failure: None,
            },
            Err(error) => MetadataOutcome {
                topics: None,
                failure: Some(Failure::from_retry(error)),
            },
        }
    }

    /// Starts a burst of sends (each one kafkajs's `sendBatch`), in transaction `transaction`
    /// when given; each outcome reaches `on_outcomes` with its send's id. The messages are
    /// copied out of JavaScript before this returns.
    #[napi]
    pub fn send(&self, packed: PackedSends, transaction: Option<u32>) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let sends = unpack(packed, now).map_err(|e| Error::new(Status::InvalidArg, e))?;
        // The burst reaches the lanes together, so concurrent sends share requests.
        let hold = self.producer.hold_lanes();
        let operations = sends
            .into_iter()
            .map(|send| {
                let id = send.id;
                let producer = self.producer.clone();
                let transactions = self.transactions.clone();
                // Boxed at once: the send's future is large, and the burst moves it around.
                let operation = Box::pin(async move {
                    let options = match options_of(&send) {
                        Ok(options) => options,
                        Err(message) => return SendOutcome::failed(id, Failure::invalid(message)),
                    };
                    let sent = match (transaction, transactions) {
                        (None, _) => producer.send(send.topics, options).await,
                        (Some(generation), Some(transactions)) => {
                            transactions
                                .send(generation.into(), send.topics, options)
                                .await
                        }
                        (Some(_), None) => Err(RetryError::NonRetriable(no_transactional_id())),
                    };
                    match sent {
                        Ok(records) => SendOutcome {
                            id,
                            result: Ok(records),
                        },
                        Err(error) => SendOutcome::failed(id, Failure::from_retry(error)),
                    }
                });
                let on_panic: Box<dyn FnOnce(String) -> SendOutcome + Send> =
                    Box::new(move |panic| {
                        let message = format!("the send failed unexpectedly: {panic}");
                        SendOutcome::failed(id, Failure::invalid(message))
                    });
                (operation, on_panic)
            })
            .collect();
        spawn_delivered(self.outcomes.clone(), operations, hold);
        Ok(())
    }
}

impl NativeProducer {
    fn transactions(&self) -> std::result::Result<&Arc<Transactions>, RetryError> {
        self.transactions
            .as_ref()
            .ok_or_else(|| RetryError::NonRetriable(no_transactional_id()))
    }
}

/// kafkajs's error for transactions on a producer without a transactional id.
fn no_transactional_id() -> ferrokafka_client::Error {
    ferrokafka_client::Error::State(
        "Must provide transactional id for transactional producer".to_string(),
    )
}

impl SendOutcome {
    fn failed(id: u32, failure: Failure) -> SendOutcome {
        SendOutcome {
            id,
            result: Err(failure),
        }
    }
}

/// The delivery settings of `send`, or why they are unusable.
fn options_of(send: &UnpackedSend) -> std::result::Result<SendOptions, String> {
    let compression = match send.compression {
        0 => Compression::None,
        1 => Compression::Gzip,
        2 => Compression::Snappy,
        3 => Compression::Lz4,
        4 => Compression::Zstd,
        other => return Err(format!("unknown compression type {other}")),
    };
    Ok(SendOptions {
        acks: send.acks as i16,
        timeout_ms: send.timeout,
        compression,
    })
}

/// A built-in partitioner, made once per kafkajs producer so that its round-robin over keyless
/// messages carries on across reconnects, as kafkajs's does.
#[napi]
pub struct NativePartitioner {
    inner: Arc<Partitioner>,
}

#[napi]
impl NativePartitioner {
    /// `kind` is `"default"` or `"legacy"`: the murmur2 variant for keyed messages.
    #[napi(constructor)]
    pub fn new(kind: String) -> Result<Self> {
        let kind = match kind.as_str() {
            "default" => PartitionerKind::Default,
            "legacy" => PartitionerKind::Legacy,
            other => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("unknown partitioner {other:?}"),
                ))
            }
        };
        Ok(NativePartitioner {
            inner: Arc::new(Partitioner::new(kind)),
        })
    }
}

/// kafkajs's DefaultPartitioner hash (the Java client's murmur2) of `key`.
#[napi]
pub fn murmur2_hash(key: Buffer) -> i32 {
    murmur2(&key)
}

/// kafkajs's LegacyPartitioner hash of `key`.
#[napi]
pub fn legacy_murmur2_hash(key: Buffer) -> i32 {
    legacy_murmur2(&key)
}
