//! Bindings for the producer: `NativeProducer` (connect, partition metadata, send) and the two
//! murmur2 hashes behind kafkajs's partitioners. Kafka failures resolve as plain `failure`
//! objects, which lib/errors.js turns into kafkajs's error classes.

use std::sync::Arc;
use std::time::Duration;

use ferrokafka_client::partitioner::{legacy_murmur2, murmur2, PartitionerKind};
use ferrokafka_client::producer::{
    Producer, ProducerOptions as ClientProducerOptions, RecordMetadata, SendOptions, TopicMessages,
};
use ferrokafka_client::retry::{retry, RetryOptions};

use crate::failure::Failure;
use crate::packed::{unpack, PackedTopic};
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
    /// `"default"` or `"legacy"`: the murmur2 variant for keyed messages.
    pub partitioner: String,
    /// The client's retry options, used to reach the seed brokers.
    pub cluster_retry: RetrySettings,
    /// The producer's retry options, used by `send`.
    pub retry: RetrySettings,
}

/// kafkajs's `RecordMetadata`, offsets as strings.
#[napi(object)]
pub struct JsRecordMetadata {
    pub topic_name: String,
    pub partition: i32,
    pub error_code: i32,
    pub base_offset: String,
    pub log_append_time: String,
    pub log_start_offset: String,
}

impl From<RecordMetadata> for JsRecordMetadata {
    fn from(m: RecordMetadata) -> Self {
        JsRecordMetadata {
            topic_name: m.topic_name,
            partition: m.partition,
            error_code: m.error_code.into(),
            base_offset: m.base_offset.to_string(),
            log_append_time: m.log_append_time.to_string(),
            log_start_offset: m.log_start_offset.to_string(),
        }
    }
}

/// What `send` resolves with: the records' metadata, or why it failed.
#[napi(object)]
pub struct SendOutcome {
    pub records: Option<Vec<JsRecordMetadata>>,
    pub failure: Option<Failure>,
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

/// A connected producer owned by JavaScript.
#[napi]
pub struct NativeProducer {
    producer: Arc<Producer>,
    cluster_retry: RetryOptions,
    retry: RetryOptions,
    allow_auto_topic_creation: bool,
}

#[napi]
impl NativeProducer {
    #[napi(constructor)]
    pub fn new(options: NativeProducerOptions) -> Result<Self> {
        let partitioner = match options.partitioner.as_str() {
            "default" => PartitionerKind::Default,
            "legacy" => PartitionerKind::Legacy,
            other => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("unknown partitioner {other:?}"),
                ))
            }
        };
        let cluster = Arc::new(Cluster::new(ClusterOptions {
            brokers: options.brokers,
            connection: ConnectionOptions {
                client_id: options.client_id,
                connect_timeout: Duration::from_millis(options.connection_timeout.into()),
                request_timeout: Duration::from_millis(options.request_timeout.into()),
            },
            metadata_max_age: Duration::from_millis(options.metadata_max_age.max(0.0) as u64),
        }));
        let retry = RetryOptions::from(options.retry);
        let producer = Producer::new(
            cluster,
            ClientProducerOptions {
                retry,
                allow_auto_topic_creation: options.allow_auto_topic_creation,
                partitioner,
            },
        );
        Ok(NativeProducer {
            producer: Arc::new(producer),
            cluster_retry: options.cluster_retry.into(),
            retry,
            allow_auto_topic_creation: options.allow_auto_topic_creation,
        })
    }

    /// Connects to a seed broker, retrying with the client's retry options; resolves with the
    /// failure, or null once connected.
    #[napi]
    pub async fn connect(&self) -> Option<Failure> {
        let cluster = self.producer.cluster().clone();
        retry(self.cluster_retry, |_| cluster.any_connection())
            .await
            .err()
            .map(Failure::from_retry)
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

    /// Sends every topic's messages in one go (kafkajs's `sendBatch`). The messages are copied
    /// out of JavaScript before the promise is returned.
    #[napi(ts_return_type = "Promise<SendOutcome>")]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        topic_messages: Vec<PackedTopic>,
        acks: i32,
        timeout: i32,
        compression: u32,
    ) -> Result<PromiseRaw<'env, SendOutcome>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let converted: std::result::Result<Vec<TopicMessages>, String> = topic_messages
            .into_iter()
            .map(|topic| unpack(topic, now))
            .collect();
        let compression = match compression {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Snappy,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            other => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("unknown compression type {other}"),
                ))
            }
        };
        let producer = self.producer.clone();
        env.spawn_future(async move {
            let topics = match converted {
                Ok(topics) => topics,
                Err(message) => return Ok(failed(Failure::invalid(message))),
            };
            let options = SendOptions {
                acks: acks as i16,
                timeout_ms: timeout,
                compression,
            };
            Ok(match producer.send(topics, options).await {
                Ok(records) => SendOutcome {
                    records: Some(records.into_iter().map(Into::into).collect()),
                    failure: None,
                },
                Err(error) => failed(Failure::from_retry(error)),
            })
        })
    }
}

fn failed(failure: Failure) -> SendOutcome {
    SendOutcome {
        records: None,
        failure: Some(failure),
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
