//! The producer's send path: partition the messages, write one record batch per partition,
//! send one Produce request per leader (all in parallel), and retry only the partitions that
//! failed with a retriable error — so a retry never duplicates what a broker already appended.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferrokafka_wire::records::{encode_batch, BatchOptions, RecordRef};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::Compression;
use parking_lot::Mutex;

use crate::cluster::{Cluster, Metadata};
use crate::error::{Error, Result};
use crate::partitioner::{PartitionInfo, Partitioner, PartitionerKind};
use crate::retry::{retry, RetryError, RetryOptions};

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
    pub partitioner: PartitionerKind,
}

/// A producer on a cluster.
pub struct Producer {
    cluster: Arc<Cluster>,
    options: ProducerOptions,
    partitioner: Partitioner,
}

/// A header as a record batch takes it: key and optional value.
type Header<'a> = (&'a [u8], Option<&'a [u8]>);

/// One partition's encoded batch, waiting to be acknowledged.
struct PartitionBatch {
    topic: String,
    partition: i32,
    records: Bytes,
}

impl Producer {
    pub fn new(cluster: Arc<Cluster>, options: ProducerOptions) -> Producer {
        let partitioner = Partitioner::new(options.partitioner);
        Producer {
            cluster,
            options,
            partitioner,
        }
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
        let pending = self
            .encode(&metadata, &topic_messages, options.compression)
            .map_err(RetryError::NonRetriable)?;
        let pending = Mutex::new(pending);
        let done: Mutex<Vec<(i32, RecordMetadata)>> = Mutex::new(Vec::new());
        retry(self.options.retry, |_| async {
            let batches = std::mem::take(&mut *pending.lock());
            let (acknowledged, failed, error) = self.send_pending(batches, options).await;
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
        let mut done = done.into_inner();
        let order = |topic: &str| topics.iter().position(|t| t == topic);
        done.sort_by(|(la, a), (lb, b)| {
            (la, order(&a.topic_name), a.partition).cmp(&(lb, order(&b.topic_name), b.partition))
        });
        Ok(done.into_iter().map(|(_, m)| m).collect())
    }

    /// Partitions the messages and writes one batch per partition.
    fn encode(
        &self,
        metadata: &Metadata,
        topic_messages: &[TopicMessages],
        compression: Compression,
    ) -> Result<Vec<PartitionBatch>> {
        let mut per_partition: BTreeMap<(usize, i32), Vec<&Message>> = BTreeMap::new();
        for (topic_index, group) in topic_messages.iter().enumerate() {
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
            for message in &group.messages {
                let partition = message.partition.unwrap_or_else(|| {
                    self.partitioner
                        .partition(&group.topic, &infos, message.key.as_deref())
                });
                per_partition
                    .entry((topic_index, partition))
                    .or_default()
                    .push(message);
            }
        }
        per_partition
            .into_iter()
            .map(|((topic_index, partition), messages)| {
                let headers: Vec<Vec<Header<'_>>> = messages
                    .iter()
                    .map(|m| {
                        m.headers
                            .iter()
                            .map(|(k, v)| (&k[..], v.as_deref()))
                            .collect()
                    })
                    .collect();
                let records: Vec<RecordRef<'_>> = messages
                    .iter()
                    .zip(&headers)
                    .map(|(m, headers)| RecordRef {
                        key: m.key.as_deref(),
                        value: m.value.as_deref(),
                        headers,
                        timestamp: m.timestamp,
                    })
                    .collect();
                let mut out = BytesMut::new();
                let options = BatchOptions {
                    compression,
                    ..BatchOptions::default()
                };
                encode_batch(&mut out, &records, &options)
                    .map_err(|e| Error::Encoding(e.to_string()))?;
                Ok(PartitionBatch {
                    topic: topic_messages[topic_index].topic.clone(),
                    partition,
                    records: out.freeze(),
                })
            })
            .collect()
    }

    /// Sends every pending batch to its leader. Returns what was acknowledged (with the
    /// leader's id, for ordering), what must be retried, and the error that asks for a retry.
    async fn send_pending(
        &self,
        pending: Vec<PartitionBatch>,
        options: SendOptions,
    ) -> (
        Vec<(i32, RecordMetadata)>,
        Vec<PartitionBatch>,
        Option<Error>,
    ) {
        let metadata = match self.cluster.metadata().await {
            Ok(metadata) => metadata,
            Err(error) => return (Vec::new(), pending, Some(error)),
        };
        let mut per_leader: BTreeMap<i32, Vec<PartitionBatch>> = BTreeMap::new();
        let mut failed = Vec::new();
        for batch in pending {
            let leader = metadata
                .topics
                .get(&batch.topic)
                .and_then(|t| t.partitions.iter().find(|p| p.partition == batch.partition))
                .map(|p| p.leader);
            match leader {
                Some(leader) if leader >= 0 => per_leader.entry(leader).or_default().push(batch),
                _ => failed.push(batch),
            }
        }
        let mut error = (!failed.is_empty()).then_some(Error::Protocol {
            error: ResponseError::LeaderNotAvailable,
            message: None,
        });
        let metadata = &metadata;
        let sends = per_leader.into_iter().map(|(leader, batches)| async move {
            let outcome = self
                .send_to_leader(leader, metadata, &batches, options)
                .await;
            (leader, batches, outcome)
        });
        let mut acknowledged = Vec::new();
        for (leader, batches, outcome) in futures::future::join_all(sends).await {
            match outcome {
                Ok(None) => {}
                Ok(Some(response)) => {
                    let (ok, retry_batches, partition_error) =
                        split_response(response, batches, metadata);
                    acknowledged.extend(ok.into_iter().map(|m| (leader, m)));
                    failed.extend(retry_batches);
                    if let Some(partition_error) = partition_error {
                        if !partition_error.is_retriable() {
                            return (acknowledged, failed, Some(partition_error));
                        }
                        error = Some(partition_error);
                    }
                }
                Err(request_error) => {
                    failed.extend(batches);
                    error = Some(request_error);
                }
            }
        }
        (acknowledged, failed, error)
    }

    async fn send_to_leader(
        &self,
        leader: i32,
        metadata: &Metadata,
        batches: &[PartitionBatch],
        options: SendOptions,
    ) -> Result<Option<ProduceResponse>> {
        let connection = self.cluster.connection_to_node(leader).await?;
        let version = connection.version_of::<ProduceRequest>()?;
        let mut topics: Vec<TopicProduceData> = Vec::new();
        for batch in batches {
            let partition = PartitionProduceData::default()
                .with_index(batch.partition)
                .with_records(Some(batch.records.clone()));
            match topics.iter_mut().find(|t| t.name.0.as_str() == batch.topic) {
                Some(topic) => topic.partition_data.push(partition),
                None => {
                    let mut topic = TopicProduceData::default()
                        .with_name(TopicName(StrBytes::from_string(batch.topic.clone())))
                        .with_partition_data(vec![partition]);
                    if version >= 13 {
                        topic.topic_id = metadata
                            .topics
                            .get(&batch.topic)
                            .map(|t| t.id)
                            .unwrap_or_default();
                    }
                    topics.push(topic);
                }
            }
        }
        let request = ProduceRequest::default()
            .with_acks(options.acks)
            .with_timeout_ms(options.timeout_ms)
            .with_topic_data(topics);
        if options.acks == 0 {
            connection.send_without_response(&request)?;
            return Ok(None);
        }
        connection.send_at(&request, version).await.map(Some)
    }
}

/// Splits a Produce response into acknowledged partitions, batches to retry, and the first
/// error seen (a non-retriable one takes precedence).
fn split_response(
    response: ProduceResponse,
    batches: Vec<PartitionBatch>,
    metadata: &Metadata,
) -> (Vec<RecordMetadata>, Vec<PartitionBatch>, Option<Error>) {
    let mut acknowledged = Vec::new();
    let mut error: Option<Error> = None;
    for topic in response.responses {
        // Produce v13+ answers with topic ids instead of names.
        let name = if topic.name.0.is_empty() {
            metadata
                .topics
                .values()
                .find(|t| t.id == topic.topic_id)
                .map_or_else(String::new, |t| t.name.clone())
        } else {
            topic.name.0.to_string()
        };
        for p in topic.partition_responses {
            match Error::from_code(p.error_code, p.error_message.map(|m| m.to_string())) {
                None => acknowledged.push(RecordMetadata {
                    topic_name: name.clone(),
                    partition: p.index,
                    error_code: 0,
                    base_offset: p.base_offset,
                    log_append_time: p.log_append_time_ms,
                    log_start_offset: p.log_start_offset,
                }),
                Some(e) => {
                    if error.as_ref().is_none_or(|current| current.is_retriable()) {
                        error = Some(e);
                    }
                }
            }
        }
    }
    let acknowledged_keys: Vec<(String, i32)> = acknowledged
        .iter()
        .map(|m| (m.topic_name.clone(), m.partition))
        .collect();
    let retry: Vec<PartitionBatch> = batches
        .into_iter()
        .filter(|b| !acknowledged_keys.contains(&(b.topic.clone(), b.partition)))
        .collect();
    if !retry.is_empty() && error.is_none() {
        error = Some(Error::Encoding(
            "the broker did not answer for every partition".to_string(),
        ));
    }
    (acknowledged, retry, error)
}
