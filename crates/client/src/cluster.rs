//! The cluster as the client sees it: seed brokers, one connection per broker, and cached
//! metadata (brokers, controller, topics and partition leaders) refreshed when it is older than
//! `metadata_max_age` or when a caller asks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use parking_lot::Mutex;
use uuid::Uuid;

use crate::connection::{Connection, ConnectionOptions};
use crate::error::{Error, Result};
use crate::observer::ObserverHandle;

/// How to reach and track a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Seed brokers as `host:port`.
    pub brokers: Vec<String>,
    pub connection: ConnectionOptions,
    /// kafkajs's `metadataMaxAge` (default 300000 ms).
    pub metadata_max_age: Duration,
}

/// One partition's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionMetadata {
    pub partition: i32,
    pub error_code: i16,
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

/// One topic's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicMetadata {
    pub name: String,
    pub id: Uuid,
    pub error_code: i16,
    pub partitions: Vec<PartitionMetadata>,
}

/// A metadata snapshot.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub brokers: HashMap<i32, String>,
    pub controller_id: i32,
    pub cluster_id: Option<String>,
    pub topics: HashMap<String, TopicMetadata>,
}

struct Cached {
    metadata: Arc<Metadata>,
    fetched_at: Instant,
}

/// A cluster handle; share it behind an `Arc`.
pub struct Cluster {
    options: ClusterOptions,
    connections: Mutex<HashMap<String, Arc<Connection>>>,
    cached: Mutex<Option<Cached>>,
}

impl Cluster {
    pub fn new(options: ClusterOptions) -> Cluster {
        Cluster {
            options,
            connections: Mutex::new(HashMap::new()),
            cached: Mutex::new(None),
        }
    }

    /// The connection to `address`, opened (or reopened) when needed.
    pub async fn connection_to(&self, address: &str) -> Result<Arc<Connection>> {
        if let Some(open) = self
            .connections
            .lock()
            .get(address)
            .filter(|c| !c.is_closed())
        {
            return Ok(open.clone());
        }
        let opened = Arc::new(Connection::connect(address, self.options.connection.clone()).await?);
        let mut connections = self.connections.lock();
        let entry = connections
            .entry(address.to_string())
            .and_modify(|existing| {
                if existing.is_closed() {
                    *existing = opened.clone();
                }
            })
            .or_insert(opened);
        Ok(entry.clone())
    }

    /// The open connection to broker `node_id`, if there is one already; never connects.
    pub fn open_connection_to_node(&self, node_id: i32) -> Option<Arc<Connection>> {
        let address = self.known_address(node_id)?;
        self.connections
            .lock()
            .get(&address)
            .filter(|c| !c.is_closed())
            .cloned()
    }

    /// A connection to any reachable broker: known brokers first, then the seeds in order.
    pub async fn any_connection(&self) -> Result<Arc<Connection>> {
        let known: Vec<String> = self
            .cached
            .lock()
            .as_ref()
            .map(|c| c.metadata.brokers.values().cloned().collect())
            .unwrap_or_default();
        let mut last = Error::connection("", "No broker available");
        for address in known.iter().chain(self.options.brokers.iter()) {
            match self.connection_to(address).await {
                Ok(connection) => return Ok(connection),
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    /// The connection to the broker with `node_id`, refreshing metadata once if it is unknown.
    pub async fn connection_to_node(&self, node_id: i32) -> Result<Arc<Connection>> {
        let address = match self.metadata().await?.brokers.get(&node_id) {
            Some(address) => address.clone(),
            None => self
                .refresh(&[], false)
                .await?
                .brokers
                .get(&node_id)
                .cloned()
                .ok_or_else(|| {
                    Error::connection(
                        "",
                        format!("Broker {node_id} not found in the cached metadata"),
                    )
                })?,
        };
        self.connection_to(&address).await
    }

    /// The cached metadata, refreshed first when older than `metadata_max_age`.
    pub async fn metadata(&self) -> Result<Arc<Metadata>> {
        let fresh = self
            .cached
            .lock()
            .as_ref()
            .filter(|c| c.fetched_at.elapsed() < self.options.metadata_max_age)
            .map(|c| c.metadata.clone());
        match fresh {
            Some(metadata) => Ok(metadata),
            None => self.refresh(&[], false).await,
        }
    }

    /// Fetches metadata for `topics` (all topics when empty) and merges it into the cache.
    /// Topics the broker reports with an error are kept with their error code.
    pub async fn refresh(
        &self,
        topics: &[String],
        allow_auto_topic_creation: bool,
    ) -> Result<Arc<Metadata>> {
        let connection = self.any_connection().await?;
        let version = connection.version_of::<MetadataRequest>()?;
        let wanted: Vec<MetadataRequestTopic> = topics
            .iter()
            .map(|t| {
                MetadataRequestTopic::default()
                    .with_name(Some(TopicName(StrBytes::from_string(t.clone()))))
            })
            .collect();
        // v0 asks for every topic with an empty list (it has no null), and only v4+ lets the
        // request itself decide on auto-creation (older brokers follow their own setting).
        let mut request = MetadataRequest::default()
            .with_topics((version == 0 || !wanted.is_empty()).then_some(wanted));
        if version >= 4 {
            request.allow_auto_topic_creation = allow_auto_topic_creation;
        }
        let response = connection.send_at(&request, version).await?;
        let mut cached = self.cached.lock();
        let mut metadata = cached
            .as_ref()
            .map(|c| (*c.metadata).clone())
            .unwrap_or_default();
        if topics.is_empty() {
            metadata.topics.clear();
        }
        merge(&mut metadata, response);
        let metadata = Arc::new(metadata);
        *cached = Some(Cached {
            metadata: metadata.clone(),
            fetched_at: Instant::now(),
        });
        Ok(metadata)
    }

    /// Metadata for `topics`, refreshed when any of them is missing or reported an error.
    /// Fails with the topic's error when the broker does not know it.
    pub async fn topics_metadata(
        &self,
        topics: &[String],
        allow_auto_topic_creation: bool,
    ) -> Result<Arc<Metadata>> {
        let cached = self.metadata().await?;
        let complete = |m: &Metadata| {
            topics.iter().all(|t| {
                m.topics
                    .get(t)
                    .is_some_and(|tm| tm.error_code == 0 && !tm.partitions.is_empty())
            })
        };
        if complete(&cached) {
            return Ok(cached);
        }
        let refreshed = self.refresh(topics, allow_auto_topic_creation).await?;
        for topic in topics {
            let code = refreshed
                .topics
                .get(topic)
                .map_or(ResponseError::UnknownTopicOrPartition.code(), |t| {
                    t.error_code
                });
            if let Some(error) = Error::from_code(code, Some(format!("topic {topic}"))) {
                return Err(error);
            }
        }
        Ok(refreshed)
    }

    /// Where the connections report request events, if anywhere.
    pub fn observer(&self) -> Option<&ObserverHandle> {
        self.options.connection.observer.as_ref()
    }

    /// The client id requests carry.
    pub fn client_id(&self) -> &str {
        &self.options.connection.client_id
    }

    /// The address of broker `node_id` in the cached metadata.
    pub fn known_address(&self, node_id: i32) -> Option<String> {
        let cached = self.cached.lock();
        cached.as_ref()?.metadata.brokers.get(&node_id).cloned()
    }

    /// Closes every connection and forgets the metadata; the next use connects again.
    pub fn disconnect(&self) {
        self.connections.lock().clear();
        self.cached.lock().take();
    }

    /// Drops cached metadata, so the next use fetches it again (after leadership errors).
    pub fn invalidate(&self) {
        self.cached.lock().take();
    }
}

fn merge(metadata: &mut Metadata, response: MetadataResponse) {
    metadata.brokers = response
        .brokers
        .iter()
        .map(|b| (b.node_id.0, format!("{}:{}", b.host.as_str(), b.port)))
        .collect();
    metadata.controller_id = response.controller_id.0;
    metadata.cluster_id = response.cluster_id.map(|c| c.to_string());
    for topic in response.topics {
        let Some(name) = topic.name.map(|n| n.0.to_string()) else {
            continue;
        };
        let mut partitions: Vec<PartitionMetadata> = topic
            .partitions
            .into_iter()
            .map(|p| PartitionMetadata {
                partition: p.partition_index,
                error_code: p.error_code,
                leader: p.leader_id.0,
                leader_epoch: p.leader_epoch,
                replicas: p.replica_nodes.iter().map(|n| n.0).collect(),
                isr: p.isr_nodes.iter().map(|n| n.0).collect(),
                offline_replicas: p.offline_replicas.iter().map(|n| n.0).collect(),
            })
            .collect();
        partitions.sort_by_key(|p| p.partition);
        metadata.topics.insert(
            name.clone(),
            TopicMetadata {
                name,
                id: topic.topic_id,
                error_code: topic.error_code,
                partitions,
            },
        );
    }
}
