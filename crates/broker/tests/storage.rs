//! A broker with a log directory keeps topics, configs, records and committed offsets across a
//! clean stop and across a stop without shutdown, recovers a corrupt tail, and refuses a second
//! broker on the same directory or a directory of another node; with `flush.messages=1` an
//! acks=all produce is answered only once its records are fsynced.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use bytes::{Bytes, BytesMut};
use ferrokafka_broker::group::api::{CommitPartition, CommitRequest};
use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_wire::record_batch::validate_batches;
use ferrokafka_wire::records::{encode_batch, BatchOptions, RecordRef};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

fn config(dir: &Path, extra: &[(&str, &str)]) -> BrokerConfig {
    let mut properties: BTreeMap<String, String> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    properties.insert("log.dirs".into(), dir.display().to_string());
    BrokerConfig::from_properties(properties).unwrap()
}

fn records(values: &[&str]) -> Vec<(ferrokafka_wire::record_batch::BatchHeader, Bytes)> {
    let records: Vec<RecordRef> = values
        .iter()
        .map(|v| RecordRef {
            key: None,
            value: Some(v.as_bytes()),
            headers: &[],
            timestamp: 1_000,
        })
        .collect();
    let mut buf = BytesMut::new();
    encode_batch(&mut buf, &records, &BatchOptions::default()).unwrap();
    validate_batches(&buf.freeze()).unwrap()
}

/// The base offsets of the batches of `topic`-0 from offset 0.
fn stored(broker: &Broker, topic: &str) -> Vec<i64> {
    let topic = broker.state().topic(topic).expect("topic exists");
    let log = topic.partition(0).unwrap();
    let log = log.log.lock();
    let data = log.read(log.log_start_offset(), usize::MAX, true).unwrap();
    if data.is_empty() {
        return Vec::new();
    }
    validate_batches(&data)
        .unwrap()
        .iter()
        .map(|(h, _)| h.base_offset)
        .collect()
}

fn commit(broker: &Broker, group: &str, topic: &str, offset: i64) {
    let results = broker
        .state()
        .groups
        .commit(CommitRequest {
            group_id: group.into(),
            generation_id: -1,
            member_id: String::new(),
            instance_id: None,
            group_id_not_found_supported: false,
            offsets: vec![CommitPartition {
                topic: topic.into(),
                partition: 0,
                offset,
                leader_epoch: -1,
                metadata: Some("m".into()),
            }],
        })
        .unwrap();
    assert_eq!(results, vec![None]);
}

fn committed(broker: &Broker, group: &str, topic: &str) -> i64 {
    let fetched =
        broker
            .state()
            .groups
            .fetch_offsets(group, Some(vec![(topic.to_string(), vec![0])]), false);
    fetched[0].1[0].offset
}

fn append(broker: &Broker, topic: &str, values: &[&str]) -> i64 {
    let topic = broker.state().topic(topic).unwrap();
    let partition = topic.partition(0).unwrap();
    let mut log = partition.log.lock();
    log.append(&records(values), 0, None, &mut |_, _| Ok(()))
        .unwrap()
        .base_offset
}

/// Stops the broker and removes the clean shutdown marker, so the next start recovers the
/// directory as after a crash.
async fn unclean_stop(broker: Broker, dir: &Path) {
    broker.shutdown().await;
    std::fs::remove_file(dir.join(".clean_shutdown")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_configs_records_and_offsets_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(config(dir.path(), &[])).await.unwrap();
    let cluster_id = broker.state().config.cluster_id.clone();
    let configs = [("retention.ms".to_string(), "86400000".to_string())].into();
    let topic = broker.state().create_topic("orders", 2, configs).unwrap();
    let topic_id = topic.id;
    assert_eq!(append(&broker, "orders", &["a", "b"]), 0);
    assert_eq!(append(&broker, "orders", &["c"]), 2);
    commit(&broker, "g", "orders", 2);
    broker
        .state()
        .create_topic("doomed", 1, BTreeMap::new())
        .unwrap();
    append(&broker, "doomed", &["x"]);
    broker.state().delete_topic("doomed");
    broker.shutdown().await;
    drop(broker);
    assert!(dir.path().join(".clean_shutdown").exists());

    let broker = Broker::start(config(dir.path(), &[])).await.unwrap();
    assert_eq!(broker.state().config.cluster_id, cluster_id);
    let topic = broker.state().topic("orders").unwrap();
    assert_eq!(topic.id, topic_id);
    assert_eq!(topic.partition_count(), 2);
    assert_eq!(topic.configs()["retention.ms"], "86400000");
    assert!(broker.state().topic("doomed").is_none());
    assert_eq!(stored(&broker, "orders"), vec![0, 2]);
    assert_eq!(committed(&broker, "g", "orders"), 2);
    assert_eq!(append(&broker, "orders", &["d"]), 3);
    commit(&broker, "g", "orders", 3);
    topic.grow_to(3);
    unclean_stop(broker, dir.path()).await;

    let broker = Broker::start(config(dir.path(), &[])).await.unwrap();
    assert_eq!(stored(&broker, "orders"), vec![0, 2, 3]);
    assert_eq!(committed(&broker, "g", "orders"), 3);
    assert_eq!(broker.state().topic("orders").unwrap().partition_count(), 3);
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_tail_is_cut_off_at_the_last_good_batch() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(config(dir.path(), &[])).await.unwrap();
    broker
        .state()
        .create_topic("t", 1, BTreeMap::new())
        .unwrap();
    for value in ["one", "two", "three"] {
        append(&broker, "t", &[value]);
    }
    unclean_stop(broker, dir.path()).await;
    let segment = dir.path().join("t-0/00000000000000000000.log");
    let mut bytes = std::fs::read(&segment).unwrap();
    let third = bytes.len() - records(&["three"])[0].1.len();
    bytes[third + 70] ^= 0xff;
    std::fs::write(&segment, bytes).unwrap();
    let broker = Broker::start(config(dir.path(), &[])).await.unwrap();
    assert_eq!(stored(&broker, "t"), vec![0, 1]);
    assert_eq!(std::fs::metadata(&segment).unwrap().len() as usize, third);
    assert_eq!(append(&broker, "t", &["again"]), 2);
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_broker_on_the_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Broker::start(config(dir.path(), &[])).await.unwrap();
    let error = Broker::start(config(dir.path(), &[])).await.unwrap_err();
    assert!(
        error.to_string().contains("in use by another broker"),
        "{error}"
    );
    first.shutdown().await;
    let other_node = Broker::start(config(dir.path(), &[("node.id", "7")]))
        .await
        .unwrap_err();
    assert!(
        other_node.to_string().contains("belongs to node 1"),
        "{other_node}"
    );
    let again = Broker::start(config(dir.path(), &[])).await.unwrap();
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_log_directory_only() {
    let dir = tempfile::tempdir().unwrap();
    let both = format!("{0}/a,{0}/b", dir.path().display());
    let properties = [("log.dirs".to_string(), both)].into();
    let error = Broker::start(BrokerConfig::from_properties(properties).unwrap())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("in one"), "{error}");
}

/// Produces one batch over the wire with `acks` and returns the partition's error code and the
/// recovery point of its log as the response arrives.
async fn produce_and_look(broker: &Broker, acks: i16) -> (i16, i64) {
    let mut buf = BytesMut::new();
    let record = RecordRef {
        key: None,
        value: Some(b"v"),
        headers: &[],
        timestamp: 1,
    };
    encode_batch(&mut buf, &[record], &BatchOptions::default()).unwrap();
    let request = ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_static_str("t")))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(buf.freeze()))])]);
    let mut stream = support::connect(broker).await;
    let response: ProduceResponse =
        support::round_trip(&mut stream, ApiKey::Produce, 9, 1, &request).await;
    let partition = broker.state().topic("t").unwrap().partition(0).unwrap();
    let recovery_point = partition.log.lock().disk().unwrap().recovery_point();
    (
        response.responses[0].partition_responses[0].error_code,
        recovery_point,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_flush_messages_one_the_answer_waits_for_the_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(config(dir.path(), &[("log.flush.interval.messages", "1")]))
        .await
        .unwrap();
    broker
        .state()
        .create_topic("t", 1, BTreeMap::new())
        .unwrap();
    assert_eq!(produce_and_look(&broker, -1).await, (0, 1));
    assert_eq!(produce_and_look(&broker, 1).await, (0, 2));
    broker.shutdown().await;

    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(config(dir.path(), &[])).await.unwrap();
    broker
        .state()
        .create_topic("t", 1, BTreeMap::new())
        .unwrap();
    assert_eq!(produce_and_look(&broker, -1).await, (0, 0));
    broker.shutdown().await;
}
