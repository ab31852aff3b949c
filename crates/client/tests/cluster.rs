//! Cluster metadata and connection pooling against the embedded broker.

use std::time::Duration;

use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions, Error};
use kafka_protocol::error::ResponseError;

fn cluster(brokers: Vec<String>) -> Cluster {
    Cluster::new(ClusterOptions {
        brokers,
        connection: ConnectionOptions::default(),
        metadata_max_age: Duration::from_secs(300),
    })
}

#[tokio::test]
async fn reads_brokers_and_topics_and_reuses_connections() {
    let config = BrokerConfig {
        node_id: 4,
        num_partitions: 3,
        ..BrokerConfig::default()
    };
    let broker = Broker::start(config).await.unwrap();
    let cluster = cluster(vec!["127.0.0.1:1".to_string(), broker.bootstrap()]);

    let metadata = cluster
        .topics_metadata(&["orders".to_string()], true)
        .await
        .unwrap();
    assert_eq!(metadata.controller_id, 4);
    assert_eq!(metadata.brokers[&4], broker.bootstrap());
    let orders = &metadata.topics["orders"];
    assert_eq!(orders.partitions.len(), 3);
    assert!(orders
        .partitions
        .iter()
        .all(|p| p.leader == 4 && p.isr == vec![4]));

    let first = cluster.connection_to_node(4).await.unwrap();
    let again = cluster.connection_to_node(4).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again));

    let missing = cluster
        .topics_metadata(&["absent".to_string()], false)
        .await
        .unwrap_err();
    assert!(
        matches!(
            missing,
            Error::Protocol {
                error: ResponseError::UnknownTopicOrPartition,
                ..
            }
        ),
        "{missing:?}"
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn no_reachable_seed_is_a_connection_error() {
    let cluster = cluster(vec!["127.0.0.1:1".to_string()]);
    assert!(matches!(
        cluster.metadata().await,
        Err(Error::Connection { .. })
    ));
}

#[tokio::test]
async fn disconnect_closes_connections_and_the_next_use_reconnects() {
    let broker = Broker::start(BrokerConfig::default()).await.unwrap();
    let cluster = cluster(vec![broker.bootstrap()]);
    let first = cluster.any_connection().await.unwrap();
    cluster.metadata().await.unwrap();
    cluster.disconnect();
    let second = cluster.any_connection().await.unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &second));
    drop(first);
    let metadata = cluster.metadata().await.unwrap();
    assert_eq!(metadata.brokers.len(), 1);
    broker.shutdown().await;
}
