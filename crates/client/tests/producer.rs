//! The producer's send path against the embedded broker: partitioning, record contents, codecs,
//! acks and errors.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_client::partitioner::{murmur2, Partitioner, PartitionerKind};
use ferrokafka_client::producer::{Message, Producer, ProducerOptions, SendOptions, TopicMessages};
use ferrokafka_client::retry::{RetryError, RetryOptions};
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions, Error};
use kafka_protocol::error::ResponseError;
use kafka_protocol::records::{Compression, RecordBatchDecoder, RecordSet};

async fn setup(config: BrokerConfig, allow_auto_topic_creation: bool) -> (Broker, Producer) {
    let broker = Broker::start(config).await.unwrap();
    let cluster = Arc::new(Cluster::new(ClusterOptions {
        brokers: vec![broker.bootstrap()],
        connection: ConnectionOptions::default(),
        metadata_max_age: Duration::from_secs(300),
    }));
    let producer = Producer::new(
        cluster,
        ProducerOptions {
            retry: RetryOptions {
                retries: 2,
                ..RetryOptions::TEST_DEFAULT
            },
            allow_auto_topic_creation,
            partitioner: Arc::new(Partitioner::new(PartitionerKind::Default)),
            max_in_flight: 5,
            linger: Duration::ZERO,
            idempotence: None,
        },
    );
    (broker, producer)
}

fn message(key: Option<&'static str>, value: &'static str) -> Message {
    Message {
        key: key.map(|k| Bytes::from_static(k.as_bytes())),
        value: Some(Bytes::from_static(value.as_bytes())),
        headers: vec![],
        timestamp: 1_700_000_000_000,
        partition: None,
    }
}

fn options(acks: i16, compression: Compression) -> SendOptions {
    SendOptions {
        acks,
        timeout_ms: 30_000,
        compression,
    }
}

/// Every batch stored in a partition, decoded.
fn stored_sets(broker: &Broker, topic: &str, partition: i32) -> Vec<RecordSet> {
    let partition = broker
        .state()
        .topic(topic)
        .unwrap()
        .partition(partition)
        .unwrap();
    let mut bytes = partition.log.lock().read(0, usize::MAX, true).unwrap();
    RecordBatchDecoder::decode_all(&mut bytes).unwrap()
}

/// Every record stored in a partition, decoded.
fn stored(broker: &Broker, topic: &str, partition: i32) -> Vec<kafka_protocol::records::Record> {
    stored_sets(broker, topic, partition)
        .into_iter()
        .flat_map(|set| set.records)
        .collect()
}

#[tokio::test]
async fn keyed_messages_land_on_the_murmur2_partition_with_their_contents() {
    let config = BrokerConfig {
        num_partitions: 3,
        ..BrokerConfig::default()
    };
    let (broker, producer) = setup(config, true).await;
    let keys = ["alpha", "beta", "gamma", "delta"];
    let mut messages: Vec<Message> = keys.iter().map(|k| message(Some(k), "v")).collect();
    messages[0].headers = vec![
        (Bytes::from_static(b"h"), Some(Bytes::from_static(b"1"))),
        (Bytes::from_static(b"h"), Some(Bytes::from_static(b"2"))),
    ];
    let sent = producer
        .send(
            vec![TopicMessages {
                topic: "keyed".into(),
                messages,
            }],
            options(-1, Compression::None),
        )
        .await
        .unwrap();
    let partitions: Vec<i32> = sent.iter().map(|m| m.partition).collect();
    let mut sorted = partitions.clone();
    sorted.sort();
    assert_eq!(partitions, sorted, "ordered by partition");
    for key in keys {
        let expected = (murmur2(key.as_bytes()) & 0x7fff_ffff) % 3;
        let records = stored(&broker, "keyed", expected);
        assert!(
            records
                .iter()
                .any(|r| r.key.as_deref() == Some(key.as_bytes())),
            "{key} not in partition {expected}"
        );
    }
    let alpha = (murmur2(b"alpha") & 0x7fff_ffff) % 3;
    let record = stored(&broker, "keyed", alpha)
        .into_iter()
        .find(|r| r.key.as_deref() == Some(&b"alpha"[..]))
        .unwrap();
    assert_eq!(record.timestamp, 1_700_000_000_000);
    assert!(record.headers.keys().any(|k| k.as_str() == "h"));
    broker.shutdown().await;
}

#[tokio::test]
async fn every_codec_is_stored_as_sent_and_acks_zero_returns_nothing() {
    let (broker, producer) = setup(BrokerConfig::default(), true).await;
    for (i, codec) in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ]
    .into_iter()
    .enumerate()
    {
        let batch = vec![TopicMessages {
            topic: "codecs".into(),
            messages: vec![message(None, "compressed value"), message(None, "another")],
        }];
        let sent = producer.send(batch, options(1, codec)).await.unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].base_offset, 2 * i as i64);
    }
    let silent = vec![TopicMessages {
        topic: "codecs".into(),
        messages: vec![message(None, "fire and forget")],
    }];
    assert!(producer
        .send(silent, options(0, Compression::None))
        .await
        .unwrap()
        .is_empty());
    let last = vec![TopicMessages {
        topic: "codecs".into(),
        messages: vec![message(None, "last")],
    }];
    let sent = producer
        .send(last, options(1, Compression::None))
        .await
        .unwrap();
    assert_eq!(
        sent[0].base_offset, 11,
        "the acks=0 record was appended before it"
    );
    let values: Vec<_> = stored(&broker, "codecs", 0)
        .into_iter()
        .map(|r| r.value.unwrap())
        .collect();
    assert_eq!(values.len(), 12);
    assert_eq!(&values[9][..], b"another");
    broker.shutdown().await;
}

#[tokio::test]
async fn errors_are_retried_or_not_as_kafkajs_does() {
    let config = BrokerConfig {
        auto_create_topics: false,
        properties: [("message.max.bytes".to_string(), "100".to_string())].into(),
        ..BrokerConfig::default()
    };
    let (broker, producer) = setup(config, false).await;
    let missing = vec![TopicMessages {
        topic: "missing".into(),
        messages: vec![message(None, "x")],
    }];
    let error = producer
        .send(missing, options(1, Compression::None))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            RetryError::Exhausted {
                last: Error::Protocol {
                    error: ResponseError::UnknownTopicOrPartition,
                    ..
                },
                retry_count: 2,
                ..
            }
        ),
        "{error:?}"
    );
    broker
        .state()
        .create_topic("small", 1, Default::default())
        .unwrap();
    let big = vec![TopicMessages {
        topic: "small".into(),
        messages: vec![message(None, "x"); 20],
    }];
    let error = producer
        .send(big, options(1, Compression::None))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            RetryError::NonRetriable(Error::Protocol {
                error: ResponseError::MessageTooLarge,
                ..
            })
        ),
        "{error:?}"
    );
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_share_requests_and_each_gets_its_own_offset() {
    let (broker, producer) = setup(BrokerConfig::default(), true).await;
    let producer = Arc::new(Producer::new(
        producer.cluster().clone(),
        ProducerOptions {
            retry: RetryOptions::TEST_DEFAULT,
            allow_auto_topic_creation: true,
            partitioner: Arc::new(Partitioner::new(PartitionerKind::Default)),
            max_in_flight: 1,
            linger: Duration::ZERO,
            idempotence: None,
        },
    ));
    let values: Vec<String> = (0..300).map(|i| format!("value-{i}")).collect();
    let sends = values.iter().map(|value| {
        let producer = producer.clone();
        let batch = vec![TopicMessages {
            topic: "coalesced".into(),
            messages: vec![Message {
                value: Some(Bytes::from(value.clone())),
                partition: Some(0),
                ..Message::default()
            }],
        }];
        async move { producer.send(batch, options(-1, Compression::None)).await }
    });
    let results = futures::future::join_all(sends).await;
    let records = stored(&broker, "coalesced", 0);
    for (value, result) in values.iter().zip(results) {
        let metadata = result.unwrap();
        assert_eq!(metadata.len(), 1);
        let offset = metadata[0].base_offset as usize;
        assert_eq!(
            &records[offset].value.as_ref().unwrap()[..],
            value.as_bytes()
        );
    }
    let batches = stored_sets(&broker, "coalesced", 0).len();
    assert!(
        batches < values.len() / 2,
        "300 concurrent sends were written as {batches} batches"
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn a_send_larger_than_one_batch_is_split_and_kept_in_order() {
    let (broker, producer) = setup(BrokerConfig::default(), true).await;
    let value = Bytes::from(vec![b'v'; 100_000]);
    let messages: Vec<Message> = (0..35)
        .map(|i| Message {
            key: Some(Bytes::from(format!("{i}"))),
            value: Some(value.clone()),
            partition: Some(0),
            ..Message::default()
        })
        .collect();
    let batch = vec![TopicMessages {
        topic: "large".into(),
        messages,
    }];
    let sent = producer
        .send(batch, options(-1, Compression::None))
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].base_offset, 0);
    let keys: Vec<String> = stored(&broker, "large", 0)
        .into_iter()
        .map(|r| String::from_utf8(r.key.unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(keys, (0..35).map(|i| i.to_string()).collect::<Vec<_>>());
    assert!(stored_sets(&broker, "large", 0).len() >= 4);
    broker.shutdown().await;
}
