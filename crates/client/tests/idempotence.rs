//! The idempotent producer's sequence and retry logic. Against the embedded broker: batches carry
//! the producer id, epoch 0 and consecutive sequence numbers. Against a scripted broker that
//! keeps a partition log the way Kafka does (in-order sequences, the last five batches
//! remembered for duplicates) and injects faults: lost responses, OUT_OF_ORDER_SEQUENCE_NUMBER,
//! UNKNOWN_PRODUCER_ID, DUPLICATE_SEQUENCE_NUMBER and retries running out.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_client::partitioner::{Partitioner, PartitionerKind};
use ferrokafka_client::producer::{
    Idempotence, Message, Producer, ProducerOptions, SendOptions, TopicMessages,
};
use ferrokafka_client::retry::{RetryError, RetryOptions};
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions, Error};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, BrokerId, InitProducerIdRequest, InitProducerIdResponse,
    MetadataResponse, ProduceRequest, ProducerId, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::records::{Compression, RecordBatchDecoder};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOPIC: &str = "t";

fn producer(bootstrap: String, retries: u32) -> Producer {
    let cluster = Arc::new(Cluster::new(ClusterOptions {
        brokers: vec![bootstrap],
        connection: ConnectionOptions::default(),
        metadata_max_age: Duration::from_secs(300),
    }));
    Producer::new(
        cluster,
        ProducerOptions {
            retry: RetryOptions {
                retries,
                ..RetryOptions::TEST_DEFAULT
            },
            allow_auto_topic_creation: true,
            partitioner: Arc::new(Partitioner::new(PartitionerKind::Default)),
            max_in_flight: 5,
            linger: Duration::ZERO,
            idempotence: Some(Idempotence {
                transactional_id: None,
                transaction_timeout_ms: 60_000,
            }),
        },
    )
}

fn retry_options() -> RetryOptions {
    RetryOptions::TEST_DEFAULT
}

fn value(i: usize) -> Message {
    Message {
        value: Some(Bytes::from(i.to_string())),
        timestamp: 1_700_000_000_000,
        partition: Some(0),
        ..Message::default()
    }
}

/// Message `i`, padded so that a record batch holds only three of them.
fn padded(i: usize) -> Message {
    let mut bytes = format!("{i} ").into_bytes();
    bytes.resize(300_000, b'x');
    Message {
        value: Some(Bytes::from(bytes)),
        ..value(i)
    }
}

fn options() -> SendOptions {
    SendOptions {
        acks: -1,
        timeout_ms: 30_000,
        compression: Compression::None,
    }
}

/// Sends each range of values as one send, all at once, in order.
async fn send_all(
    producer: &Producer,
    sends: Vec<std::ops::Range<usize>>,
) -> Vec<Result<i64, RetryError>> {
    send_all_of(producer, sends, value).await
}

/// Sends one range of values as one send.
async fn send_one(
    producer: &Producer,
    range: std::ops::Range<usize>,
    message: fn(usize) -> Message,
) -> Result<i64, RetryError> {
    send_all_of(producer, vec![range], message).await.remove(0)
}

/// Like [`send_all`], with messages made by `message`.
async fn send_all_of(
    producer: &Producer,
    sends: Vec<std::ops::Range<usize>>,
    message: fn(usize) -> Message,
) -> Vec<Result<i64, RetryError>> {
    let futures = sends.into_iter().map(|range| async move {
        let messages = range.map(message).collect();
        let topic = TopicMessages {
            topic: TOPIC.to_string(),
            messages,
        };
        let records = producer.send(vec![topic], options()).await?;
        Ok(records[0].base_offset)
    });
    futures::future::join_all(futures).await
}

#[tokio::test]
async fn batches_carry_the_producer_id_and_consecutive_sequences() {
    let broker = Broker::start(BrokerConfig::default()).await.unwrap();
    let producer = producer(broker.bootstrap(), 5);
    producer.init_producer_id(retry_options()).await.unwrap();
    send_one(&producer, 0..3, value).await.unwrap();
    let sends = (1..40).map(|i| i * 3..i * 3 + 3).collect();
    let offsets: Vec<i64> = send_all(&producer, sends)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(offsets, (1..40).map(|i| i * 3).collect::<Vec<i64>>());

    let partition = broker.state().topic(TOPIC).unwrap().partition(0).unwrap();
    let mut bytes = partition.log.lock().read(0, usize::MAX, true).unwrap();
    let records: Vec<_> = RecordBatchDecoder::decode_all(&mut bytes)
        .unwrap()
        .into_iter()
        .flat_map(|set| set.records)
        .collect();
    assert_eq!(records.len(), 120);
    for (i, record) in records.iter().enumerate() {
        assert!(record.producer_id >= 0);
        assert_eq!(record.producer_id, records[0].producer_id);
        assert_eq!(record.producer_epoch, 0);
        assert_eq!(record.sequence, i as i32, "sequence of record {i}");
        assert_eq!(record.value.as_deref(), Some(i.to_string().as_bytes()));
    }
}

/// What the scripted broker does with the n-th Produce request (from 1).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// Append as Kafka would and answer.
    None,
    /// Append as Kafka would, then close the connection without answering.
    LoseResponse,
    /// Answer with this error code without appending.
    Answer(ResponseError),
    /// Append as Kafka would, then answer with this error code.
    AppendThenAnswer(ResponseError),
}

/// A batch the scripted log holds.
#[derive(Debug, Clone)]
struct Stored {
    epoch: i16,
    sequence: i32,
    values: Vec<String>,
    offset: i64,
}

/// One partition's log and its producer's state, as Kafka keeps them.
#[derive(Default)]
struct Log {
    batches: Vec<Stored>,
    next_offset: i64,
    /// The producer's epoch, the sequence it expects next and its last five batches.
    epoch: i16,
    expected: i32,
    recent: VecDeque<Stored>,
    /// Every batch received: (epoch, sequence, number of records).
    received: Vec<(i16, i32, usize)>,
    produce_requests: usize,
    /// InitProducerId requests: (producer id, epoch) they carried.
    inits: Vec<(i64, i16)>,
}

impl Log {
    /// Kafka's answer to a batch: appended (or a known duplicate) with its offset, or an error.
    fn append(&mut self, epoch: i16, sequence: i32, values: Vec<String>) -> Result<i64, i16> {
        self.received.push((epoch, sequence, values.len()));
        if epoch > self.epoch {
            self.epoch = epoch;
            self.expected = 0;
            self.recent.clear();
        } else if epoch < self.epoch {
            return Err(ResponseError::InvalidProducerEpoch.code());
        }
        if let Some(duplicate) = self.recent.iter().find(|b| b.sequence == sequence) {
            return Ok(duplicate.offset);
        }
        if sequence != self.expected {
            return Err(ResponseError::OutOfOrderSequenceNumber.code());
        }
        let stored = Stored {
            epoch,
            sequence,
            offset: self.next_offset,
            values,
        };
        self.next_offset += stored.values.len() as i64;
        self.expected = sequence + stored.values.len() as i32;
        self.recent.push_back(stored.clone());
        if self.recent.len() > 5 {
            self.recent.pop_front();
        }
        self.batches.push(stored.clone());
        Ok(stored.offset)
    }

    fn values(&self) -> Vec<String> {
        self.batches.iter().flat_map(|b| b.values.clone()).collect()
    }
}

/// A one-partition broker that answers ApiVersions, Metadata, InitProducerId and Produce, with
/// `fault` deciding about each Produce request.
struct ScriptedBroker {
    address: String,
    log: Arc<Mutex<Log>>,
}

impl ScriptedBroker {
    async fn start(fault: impl Fn(usize) -> Fault + Send + Sync + 'static) -> ScriptedBroker {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let log = Arc::new(Mutex::new(Log::default()));
        let fault = Arc::new(fault);
        let port = listener.local_addr().unwrap().port();
        let serving = log.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, port, serving.clone(), fault.clone()));
            }
        });
        ScriptedBroker { address, log }
    }
}

async fn serve(
    mut socket: TcpStream,
    port: u16,
    log: Arc<Mutex<Log>>,
    fault: Arc<dyn Fn(usize) -> Fault + Send + Sync>,
) {
    loop {
        let Ok(size) = socket.read_i32().await else {
            return;
        };
        let mut frame = vec![0; size as usize];
        if socket.read_exact(&mut frame).await.is_err() {
            return;
        }
        let mut frame = Bytes::from(frame);
        let key = ApiKey::try_from(i16::from_be_bytes([frame[0], frame[1]])).unwrap();
        let version = i16::from_be_bytes([frame[2], frame[3]]);
        let header =
            RequestHeader::decode(&mut frame, key.request_header_version(version)).unwrap();
        let mut body = BytesMut::new();
        let mut close = false;
        match key {
            ApiKey::ApiVersions => {
                let apis = [
                    (ApiKey::Produce, 3, 9),
                    (ApiKey::Metadata, 1, 9),
                    (ApiKey::ApiVersions, 0, 3),
                    (ApiKey::InitProducerId, 0, 4),
                ];
                let response = ApiVersionsResponse::default().with_api_keys(
                    apis.iter()
                        .map(|(key, min, max)| {
                            ApiVersion::default()
                                .with_api_key(*key as i16)
                                .with_min_version(*min)
                                .with_max_version(*max)
                        })
                        .collect(),
                );
                response.encode(&mut body, version).unwrap();
            }
            ApiKey::Metadata => {
                let response = MetadataResponse::default()
                    .with_brokers(vec![MetadataResponseBroker::default()
                        .with_node_id(BrokerId(1))
                        .with_host(StrBytes::from_static_str("127.0.0.1"))
                        .with_port(port.into())])
                    .with_controller_id(BrokerId(1))
                    .with_topics(vec![MetadataResponseTopic::default()
                        .with_name(Some(TopicName(StrBytes::from_static_str(TOPIC))))
                        .with_partitions(vec![MetadataResponsePartition::default()
                            .with_partition_index(0)
                            .with_leader_id(BrokerId(1))
                            .with_replica_nodes(vec![BrokerId(1)])
                            .with_isr_nodes(vec![BrokerId(1)])])]);
                response.encode(&mut body, version).unwrap();
            }
            ApiKey::InitProducerId => {
                let request = InitProducerIdRequest::decode(&mut frame, version).unwrap();
                let mut log = log.lock();
                log.inits
                    .push((request.producer_id.0, request.producer_epoch));
                let epoch = if request.producer_id.0 == 7 {
                    request.producer_epoch + 1
                } else {
                    0
                };
                InitProducerIdResponse::default()
                    .with_producer_id(ProducerId(7))
                    .with_producer_epoch(epoch)
                    .encode(&mut body, version)
                    .unwrap();
            }
            ApiKey::Produce => {
                let request = ProduceRequest::decode(&mut frame, version).unwrap();
                let data = &request.topic_data[0].partition_data[0];
                let mut records = data.records.clone().unwrap();
                let sets = RecordBatchDecoder::decode_all(&mut records).unwrap();
                let first = &sets[0].records[0];
                let (epoch, sequence) = (first.producer_epoch, first.sequence);
                assert_eq!(first.producer_id, 7);
                let values: Vec<String> = sets
                    .iter()
                    .flat_map(|s| &s.records)
                    .map(|r| {
                        let value = String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap();
                        value.split(' ').next().unwrap_or_default().to_string()
                    })
                    .collect();
                let outcome = {
                    let mut log = log.lock();
                    log.produce_requests += 1;
                    match fault(log.produce_requests) {
                        Fault::None => log.append(epoch, sequence, values),
                        Fault::LoseResponse => {
                            let _ = log.append(epoch, sequence, values);
                            close = true;
                            Ok(0)
                        }
                        Fault::Answer(error) => {
                            log.received.push((epoch, sequence, values.len()));
                            Err(error.code())
                        }
                        Fault::AppendThenAnswer(error) => {
                            let _ = log.append(epoch, sequence, values);
                            Err(error.code())
                        }
                    }
                };
                let (error_code, base_offset) = match outcome {
                    Ok(offset) => (0, offset),
                    Err(code) => (code, -1),
                };
                let response =
                    kafka_protocol::messages::ProduceResponse::default().with_responses(vec![
                        TopicProduceResponse::default()
                            .with_name(TopicName(StrBytes::from_static_str(TOPIC)))
                            .with_partition_responses(vec![PartitionProduceResponse::default()
                                .with_index(0)
                                .with_error_code(error_code)
                                .with_base_offset(base_offset)]),
                    ]);
                response.encode(&mut body, version).unwrap();
            }
            other => panic!("the scripted broker does not serve {other:?}"),
        }
        if close {
            return;
        }
        let header_version = if key == ApiKey::ApiVersions {
            0
        } else {
            key.response_header_version(version)
        };
        let mut out = BytesMut::new();
        ResponseHeader::default()
            .with_correlation_id(header.correlation_id)
            .encode(&mut out, header_version)
            .unwrap();
        out.extend_from_slice(&body);
        let mut framed = BytesMut::with_capacity(4 + out.len());
        framed.put_i32(out.len() as i32);
        framed.extend_from_slice(&out);
        if socket.write_all(&framed).await.is_err() {
            return;
        }
    }
}

async fn started(
    fault: impl Fn(usize) -> Fault + Send + Sync + 'static,
    retries: u32,
) -> (ScriptedBroker, Producer) {
    let broker = ScriptedBroker::start(fault).await;
    let producer = producer(broker.address.clone(), retries);
    producer.init_producer_id(retry_options()).await.unwrap();
    (broker, producer)
}

fn numbers(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_responses_resend_the_same_batches_and_nothing_is_written_twice() {
    let (broker, producer) = started(
        |n| match n {
            3 | 7 | 8 => Fault::LoseResponse,
            _ => Fault::None,
        },
        10,
    )
    .await;
    send_one(&producer, 0..1, padded).await.unwrap();
    let sends = (1..60).map(|i| i..i + 1).collect();
    let offsets: Vec<i64> = send_all_of(&producer, sends, padded)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        offsets,
        (1..60).collect::<Vec<i64>>(),
        "each send's own offset"
    );
    let log = broker.log.lock();
    assert_eq!(log.values(), numbers(0..60));
    let resent: Vec<_> = log
        .received
        .iter()
        .filter(|(_, sequence, _)| log.received.iter().filter(|r| r.1 == *sequence).count() > 1)
        .collect();
    assert!(!resent.is_empty(), "some batches were resent");
    for (epoch, sequence, count) in resent {
        let stored = log
            .batches
            .iter()
            .find(|b| b.sequence == *sequence)
            .unwrap();
        assert_eq!(
            (stored.epoch, stored.values.len()),
            (*epoch, *count),
            "batch {sequence} was resent whole"
        );
    }
}

#[tokio::test]
async fn out_of_order_on_the_expected_batch_bumps_the_epoch_and_numbers_again_from_zero() {
    let (broker, producer) = started(
        |n| match n {
            2 => Fault::Answer(ResponseError::OutOfOrderSequenceNumber),
            _ => Fault::None,
        },
        5,
    )
    .await;
    send_one(&producer, 0..2, value).await.unwrap();
    send_one(&producer, 2..5, value).await.unwrap();
    let log = broker.log.lock();
    assert_eq!(log.values(), numbers(0..5));
    assert_eq!(
        log.inits,
        [(-1, -1), (7, 0)],
        "a bump carries the current id and epoch"
    );
    assert_eq!(log.received, [(0, 0, 2), (0, 2, 3), (1, 0, 3)]);
}

#[tokio::test]
async fn unknown_producer_id_bumps_the_epoch() {
    let (broker, producer) = started(
        |n| match n {
            1 => Fault::Answer(ResponseError::UnknownProducerId),
            _ => Fault::None,
        },
        5,
    )
    .await;
    send_one(&producer, 0..2, value).await.unwrap();
    let log = broker.log.lock();
    assert_eq!(log.values(), numbers(0..2));
    assert_eq!(log.received, [(0, 0, 2), (1, 0, 2)]);
}

#[tokio::test]
async fn duplicate_sequence_number_counts_as_written() {
    let (broker, producer) = started(
        |n| match n {
            1 => Fault::AppendThenAnswer(ResponseError::DuplicateSequenceNumber),
            _ => Fault::None,
        },
        5,
    )
    .await;
    assert_eq!(send_one(&producer, 0..2, value).await.unwrap(), -1);
    send_one(&producer, 2..3, value).await.unwrap();
    assert_eq!(broker.log.lock().received, [(0, 0, 2), (0, 2, 1)]);
}

#[tokio::test]
async fn a_batch_out_of_retries_fails_and_the_next_starts_a_new_epoch() {
    let (broker, producer) = started(
        |n| match n {
            1..=3 => Fault::Answer(ResponseError::NotLeaderOrFollower),
            _ => Fault::None,
        },
        2,
    )
    .await;
    let failed = send_one(&producer, 0..2, value).await;
    match failed {
        Err(RetryError::Exhausted {
            last:
                Error::Protocol {
                    error: ResponseError::NotLeaderOrFollower,
                    ..
                },
            retry_count: 2,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    send_one(&producer, 2..4, value).await.unwrap();
    let log = broker.log.lock();
    assert_eq!(log.values(), numbers(2..4));
    assert_eq!(
        log.received,
        [(0, 0, 2), (0, 0, 2), (0, 0, 2), (1, 0, 2)],
        "the same batch three times, then the next send from 0 in epoch 1"
    );
}
