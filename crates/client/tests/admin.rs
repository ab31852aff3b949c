//! The admin client against the embedded broker: topics, offsets, groups, configs and the
//! failures that come back as data (per-item error codes) or as a `RetryError`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_client::admin::{
    AclFilter, Admin, AlterConfigsRequest, CreateTopicsRequest, DeleteTopicsRequest,
    DescribeConfigsRequest, FetchOffsetsRequest, SeekEntry, SetOffsetsRequest,
};
use ferrokafka_client::partitioner::{Partitioner, PartitionerKind};
use ferrokafka_client::producer::{Message, Producer, ProducerOptions, SendOptions, TopicMessages};
use ferrokafka_client::retry::{RetryError, RetryOptions};
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions, Error};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::records::Compression;
use serde_json::json;

const RETRY: RetryOptions = RetryOptions {
    retries: 2,
    ..RetryOptions::TEST_DEFAULT
};

fn cluster(broker: &Broker) -> Arc<Cluster> {
    Arc::new(Cluster::new(ClusterOptions {
        brokers: vec![broker.bootstrap()],
        connection: ConnectionOptions::default(),
        metadata_max_age: Duration::ZERO,
    }))
}

async fn setup() -> (Broker, Admin) {
    let broker = Broker::start(BrokerConfig {
        node_id: 7,
        ..BrokerConfig::default()
    })
    .await
    .unwrap();
    let admin = Admin::new(cluster(&broker), RETRY);
    (broker, admin)
}

/// kafkajs-shaped arguments, as the addon receives them.
fn args<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap()
}

async fn create(admin: &Admin, topic: &str, partitions: i32) {
    let outcome = admin
        .create_topics(args(
            json!({ "topics": [{ "topic": topic, "numPartitions": partitions }] }),
        ))
        .await
        .unwrap();
    assert!(outcome.topic_errors.is_empty() && outcome.leaders_ready);
}

async fn produce(broker: &Broker, topic: &str, partition: i32, count: usize) {
    let producer = Producer::new(
        cluster(broker),
        ProducerOptions {
            retry: RETRY,
            allow_auto_topic_creation: false,
            partitioner: Arc::new(Partitioner::new(PartitionerKind::Default)),
            max_in_flight: 1,
            linger: std::time::Duration::ZERO,
            idempotence: None,
        },
    );
    let messages = (0..count)
        .map(|i| Message {
            key: None,
            value: Some(Bytes::from(format!("v{i}"))),
            headers: vec![],
            timestamp: 1_700_000_000_000 + i as i64,
            partition: Some(partition),
        })
        .collect();
    let options = SendOptions {
        acks: -1,
        timeout_ms: 30_000,
        compression: Compression::None,
    };
    let topic = TopicMessages {
        topic: topic.into(),
        messages,
    };
    producer.send(vec![topic], options).await.unwrap();
}

fn protocol_error(error: &RetryError) -> Option<ResponseError> {
    let last = match error {
        RetryError::Exhausted { last, .. } => last,
        RetryError::NonRetriable(error) => error,
    };
    match last {
        Error::Protocol { error, .. } => Some(*error),
        _ => None,
    }
}

#[tokio::test]
async fn topics_are_created_listed_described_grown_and_deleted() {
    let (broker, admin) = setup().await;
    create(&admin, "orders", 2).await;
    let again = admin
        .create_topics(args(
            json!({ "topics": [{ "topic": "orders" }, { "topic": "bad", "numPartitions": -5 }] }),
        ))
        .await
        .unwrap();
    let codes: Vec<(String, i16)> = again
        .topic_errors
        .iter()
        .map(|e| (e.topic.clone(), e.error_code))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("bad".into(), ResponseError::InvalidPartitions.code()),
            ("orders".into(), ResponseError::TopicAlreadyExists.code()),
        ],
        "failed topics, sorted by name"
    );
    assert!(admin
        .list_topics()
        .await
        .unwrap()
        .contains(&"orders".to_string()));

    let cluster = admin.describe_cluster().await.unwrap();
    assert_eq!(cluster.controller, Some(7));
    assert_eq!(cluster.brokers[0].node_id, 7);

    admin
        .create_partitions(args(
            json!({ "topicPartitions": [{ "topic": "orders", "count": 3 }] }),
        ))
        .await
        .unwrap();
    let metadata = admin
        .fetch_topic_metadata(vec!["orders".into()])
        .await
        .unwrap();
    let ids: Vec<i32> = metadata[0]
        .partitions
        .iter()
        .map(|p| p.partition_id)
        .collect();
    assert_eq!(ids, vec![0, 1, 2]);
    assert!(metadata[0].partitions.iter().all(|p| p.leader == 7));
    let shrink = admin
        .create_partitions(args(
            json!({ "topicPartitions": [{ "topic": "orders", "count": 1 }] }),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        protocol_error(&shrink),
        Some(ResponseError::InvalidPartitions)
    );

    admin
        .delete_topics(DeleteTopicsRequest {
            topics: vec!["orders".into()],
            timeout: None,
        })
        .await
        .unwrap();
    assert!(!admin
        .list_topics()
        .await
        .unwrap()
        .contains(&"orders".to_string()));
    let missing = admin
        .delete_topics(DeleteTopicsRequest {
            topics: vec!["orders".into()],
            timeout: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(missing, RetryError::Exhausted { retry_count: 2, .. }),
        "unknown topics are retried, as kafkajs does: {missing:?}"
    );
    assert_eq!(
        protocol_error(&missing),
        Some(ResponseError::UnknownTopicOrPartition)
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn group_offsets_are_set_reset_read_and_the_group_deleted() {
    let (broker, admin) = setup().await;
    create(&admin, "events", 2).await;
    produce(&broker, "events", 0, 3).await;
    let bounds = admin.fetch_topic_offsets("events".into()).await.unwrap();
    assert_eq!(
        bounds
            .iter()
            .map(|b| (b.partition, b.high, b.low))
            .collect::<Vec<_>>(),
        vec![(0, 3, 0), (1, 0, 0)]
    );

    let fetch = || {
        admin.fetch_offsets(FetchOffsetsRequest {
            group_id: "readers".into(),
            topics: vec!["events".into()],
        })
    };
    let none = fetch().await.unwrap();
    assert!(none[0]
        .partitions
        .iter()
        .all(|p| p.offset == -1 && p.metadata.is_none()));

    let running = admin
        .set_offsets(SetOffsetsRequest {
            group_id: "readers".into(),
            topic: "events".into(),
            partitions: args(
                json!([{ "partition": 0, "offset": "2" }, { "partition": 1, "offset": 0 }]),
            ),
        })
        .await
        .unwrap();
    assert_eq!(running, None, "an unknown group is idle");
    let set = fetch().await.unwrap();
    assert_eq!(
        set[0]
            .partitions
            .iter()
            .map(|p| p.offset)
            .collect::<Vec<_>>(),
        vec![2, 0]
    );
    admin
        .reset_offsets("readers".into(), "events".into(), true)
        .await
        .unwrap();
    let reset = fetch().await.unwrap();
    assert!(
        reset[0].partitions.iter().all(|p| p.offset == -2),
        "kafkajs commits -2 as is"
    );

    let groups = admin.list_groups().await.unwrap();
    assert!(groups.iter().any(|g| g.group_id == "readers"));
    let described = admin
        .describe_groups(vec!["readers".into(), "nobody".into()])
        .await
        .unwrap();
    assert_eq!(described[0].state, "Empty");
    assert_eq!(
        described[0].protocol_type, "consumer",
        "committed by a short-lived consumer member, as kafkajs does"
    );
    assert_eq!(
        described[1].state, "Dead",
        "kafkajs's DescribeGroups sees no error"
    );

    let deleted = admin
        .delete_groups(vec!["readers".into(), "nobody".into()])
        .await
        .unwrap();
    assert_eq!(
        deleted
            .iter()
            .map(|r| (r.group_id.as_str(), r.error_code))
            .collect::<Vec<_>>(),
        vec![
            ("readers", 0),
            ("nobody", ResponseError::GroupIdNotFound.code())
        ]
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn records_are_deleted_and_failed_partitions_come_back() {
    let (broker, admin) = setup().await;
    create(&admin, "logs", 2).await;
    produce(&broker, "logs", 0, 4).await;
    let seek = |partition, offset| SeekEntry { partition, offset };
    let deleted = admin
        .delete_topic_records("logs".into(), vec![seek(0, 3), seek(1, -1)])
        .await
        .unwrap();
    assert!(deleted.errors.is_empty());
    let bounds = admin.fetch_topic_offsets("logs".into()).await.unwrap();
    assert_eq!(bounds[0].low, 3);

    let beyond = admin
        .delete_topic_records("logs".into(), vec![seek(0, 10)])
        .await
        .unwrap();
    assert_eq!(beyond.errors.len(), 1);
    assert_eq!(
        beyond.errors[0].error_code,
        Some(ResponseError::OffsetOutOfRange.code())
    );
    assert_eq!(beyond.retry_count, None, "not retriable, so not retried");

    let leaderless = admin
        .delete_topic_records("logs".into(), vec![seek(9, 1)])
        .await
        .unwrap();
    assert_eq!(leaderless.errors[0].error_code, None);
    broker.shutdown().await;
}

#[tokio::test]
async fn configs_are_altered_and_described_with_their_source() {
    let (broker, admin) = setup().await;
    create(&admin, "configured", 1).await;
    let altered = admin
        .alter_configs(args::<AlterConfigsRequest>(json!({
            "resources": [{ "type": 2, "name": "configured", "configEntries": [{ "name": "retention.ms", "value": "1000" }] }]
        })))
        .await
        .unwrap();
    assert_eq!(altered[0].error_code, 0);
    let described = admin
        .describe_configs(args::<DescribeConfigsRequest>(json!({
            "resources": [
                { "type": 2, "name": "configured", "configNames": ["retention.ms"] },
                { "type": 4, "name": "7", "configNames": ["num.partitions"] }
            ],
            "includeSynonyms": true
        })))
        .await
        .unwrap();
    let retention = &described[0].config_entries[0];
    assert_eq!(retention.config_value.as_deref(), Some("1000"));
    assert_eq!(retention.config_source, 1, "TOPIC_CONFIG");
    assert!(!retention.is_default);
    assert_eq!(described[1].resource_name, "7");
    assert_eq!(described[1].config_entries[0].config_name, "num.partitions");

    let missing = admin
        .describe_configs(args::<DescribeConfigsRequest>(json!({
            "resources": [{ "type": 2, "name": "absent" }]
        })))
        .await
        .unwrap_err();
    assert_eq!(
        protocol_error(&missing),
        Some(ResponseError::UnknownTopicOrPartition)
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn apis_the_broker_does_not_serve_fail_without_retrying() {
    let (broker, admin) = setup().await;
    let filter: AclFilter = args(json!({
        "resourceType": 1, "resourcePatternType": 1, "operation": 1, "permissionType": 1
    }));
    let acls = admin.describe_acls(filter).await.unwrap_err();
    assert!(matches!(
        acls,
        RetryError::NonRetriable(Error::UnsupportedApi(ApiKey::DescribeAcls))
    ));
    let reassignments = admin
        .list_partition_reassignments(args(json!({ "topics": null })))
        .await
        .unwrap_err();
    assert!(matches!(
        reassignments,
        RetryError::NonRetriable(Error::UnsupportedApi(ApiKey::ListPartitionReassignments))
    ));
    let created = admin
        .create_topics(args::<CreateTopicsRequest>(json!({ "topics": [{ "topic": "t", "numPartitions": 1 }], "validateOnly": true, "waitForLeaders": false })))
        .await
        .unwrap();
    assert!(created.topic_errors.is_empty());
    assert!(!admin
        .list_topics()
        .await
        .unwrap()
        .contains(&"t".to_string()));
    broker.shutdown().await;
}
