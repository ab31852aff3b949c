//! Reading one partition without a group against the embedded broker: from an offset, the
//! start or the end, restarting from the end when the offset is out of range, and seeing
//! transactional records only when reading uncommitted data.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_client::consumer::partition_reader::{PartitionReader, ReaderOptions, StartAt};
use ferrokafka_client::partitioner::{Partitioner, PartitionerKind};
use ferrokafka_client::producer::{Message, Producer, ProducerOptions, SendOptions, TopicMessages};
use ferrokafka_client::retry::RetryOptions;
use ferrokafka_client::transaction::{TransactionOptions, Transactions};
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions};
use kafka_protocol::records::Compression;

const RETRY: RetryOptions = RetryOptions {
    retries: 3,
    ..RetryOptions::TEST_DEFAULT
};

const SEND: SendOptions = SendOptions {
    acks: -1,
    timeout_ms: 30_000,
    compression: Compression::None,
};

async fn broker() -> Broker {
    Broker::start(BrokerConfig {
        num_partitions: 2,
        ..BrokerConfig::default()
    })
    .await
    .unwrap()
}

fn cluster(broker: &Broker) -> Arc<Cluster> {
    Arc::new(Cluster::new(ClusterOptions {
        brokers: vec![broker.bootstrap()],
        connection: ConnectionOptions::default(),
        metadata_max_age: Duration::from_secs(300),
    }))
}

fn producer_options() -> ProducerOptions {
    ProducerOptions {
        retry: RETRY,
        allow_auto_topic_creation: true,
        partitioner: Arc::new(Partitioner::new(PartitionerKind::Default)),
        max_in_flight: 5,
        linger: Duration::ZERO,
        idempotence: None,
    }
}

/// `values` as messages for partition 1 of `topic`.
fn messages(topic: &str, values: &[&str]) -> Vec<TopicMessages> {
    vec![TopicMessages {
        topic: topic.to_string(),
        messages: values
            .iter()
            .map(|v| Message {
                value: Some(Bytes::from(v.to_string())),
                timestamp: 1_700_000_000_000,
                partition: Some(1),
                ..Message::default()
            })
            .collect(),
    }]
}

async fn produce(broker: &Broker, topic: &str, values: &[&str]) {
    let producer = Producer::new(cluster(broker), producer_options());
    producer.send(messages(topic, values), SEND).await.unwrap();
}

fn reader(broker: &Broker, topic: &str, start: StartAt, read_uncommitted: bool) -> PartitionReader {
    PartitionReader::new(
        cluster(broker),
        ConnectionOptions::default(),
        (topic.to_string(), 1),
        start,
        ReaderOptions {
            max_wait: Duration::from_millis(50),
            max_bytes: 1 << 20,
            read_uncommitted,
            retry: RETRY,
            reset: StartAt::Latest,
        },
    )
}

/// Reads until the reader reaches `end`, returning the values and their offsets.
async fn read_to(reader: &mut PartitionReader, end: i64) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    while reader.position().is_none_or(|p| p < end) {
        if let Some(batch) = reader.next().await.unwrap() {
            for record in batch.records.iter() {
                let value = String::from_utf8(record.value.unwrap().to_vec()).unwrap();
                out.push((record.offset, value));
            }
        }
    }
    out
}

#[tokio::test]
async fn reads_from_an_offset_the_start_or_the_end() {
    let broker = broker().await;
    produce(&broker, "direct", &["a", "b", "c", "d"]).await;

    let mut from_two = reader(&broker, "direct", StartAt::Offset(2), false);
    assert_eq!(
        read_to(&mut from_two, 4).await,
        vec![(2, "c".to_string()), (3, "d".to_string())]
    );

    let mut earliest = reader(&broker, "direct", StartAt::Earliest, false);
    let values: Vec<String> = read_to(&mut earliest, 4)
        .await
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(values, ["a", "b", "c", "d"]);

    let mut latest = reader(&broker, "direct", StartAt::Latest, false);
    assert!(latest.next().await.unwrap().is_none());
    assert_eq!(latest.position(), Some(4));
    produce(&broker, "direct", &["e"]).await;
    assert_eq!(read_to(&mut latest, 5).await, vec![(4, "e".to_string())]);
}

#[tokio::test]
async fn an_offset_past_the_end_restarts_from_the_end() {
    let broker = broker().await;
    produce(&broker, "beyond", &["a", "b"]).await;
    let mut reader = reader(&broker, "beyond", StartAt::Offset(100), false);
    while reader.position() != Some(2) {
        assert!(reader.next().await.unwrap().is_none());
    }
    produce(&broker, "beyond", &["c"]).await;
    assert_eq!(read_to(&mut reader, 3).await, vec![(2, "c".to_string())]);
}

#[tokio::test]
async fn open_and_aborted_transactions_are_read_only_uncommitted() {
    let broker = broker().await;
    produce(&broker, "txn", &["before"]).await;
    let transactions = Transactions::new(
        cluster(&broker),
        producer_options(),
        TransactionOptions {
            transactional_id: "reader-txn".to_string(),
            transaction_timeout_ms: 60_000,
            coordinator_retry: RETRY,
        },
    );
    let generation = transactions.begin().await.unwrap();
    transactions
        .send(generation, messages("txn", &["open"]), SEND)
        .await
        .unwrap();

    let mut committed = reader(&broker, "txn", StartAt::Latest, false);
    assert!(committed.next().await.unwrap().is_none());
    assert_eq!(
        committed.position(),
        Some(1),
        "the end of committed data is before the open transaction"
    );
    let mut uncommitted = reader(&broker, "txn", StartAt::Earliest, true);
    let values: Vec<String> = read_to(&mut uncommitted, 2)
        .await
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(values, ["before", "open"]);

    transactions.end(generation, false).await.unwrap();
    produce(&broker, "txn", &["after"]).await;
    let mut from_start = reader(&broker, "txn", StartAt::Earliest, false);
    let values: Vec<String> = read_to(&mut from_start, 4)
        .await
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(values, ["before", "after"]);
}
