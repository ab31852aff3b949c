//! Topic administration: CreateTopics, DeleteTopics and CreatePartitions (sent to the
//! controller), and the Metadata reads behind `listTopics`, `fetchTopicMetadata` and
//! `describeCluster`.

use std::time::Duration;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    BrokerId, CreatePartitionsRequest as WireCreatePartitions,
    CreateTopicsRequest as WireCreateTopics, DeleteTopicsRequest as WireDeleteTopics,
    MetadataRequest, MetadataResponse,
};
use serde::{Deserialize, Serialize};

use super::{check, str_bytes, topic_name, version_in, Admin};
use crate::error::Result;
use crate::retry::RetryError;

/// kafkajs's `createTopics` argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTopicsRequest {
    pub topics: Vec<NewTopic>,
    #[serde(default)]
    pub validate_only: bool,
    pub timeout: Option<i32>,
    #[serde(default = "yes")]
    pub wait_for_leaders: bool,
}

fn yes() -> bool {
    true
}

/// One topic to create, with kafkajs's defaults (-1: the broker's default).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTopic {
    pub topic: String,
    pub num_partitions: Option<i32>,
    pub replication_factor: Option<i16>,
    #[serde(default)]
    pub replica_assignment: Vec<ReplicaAssignment>,
    #[serde(default)]
    pub config_entries: Vec<ConfigValueEntry>,
}

/// A partition's replicas.
#[derive(Debug, Clone, Deserialize)]
pub struct ReplicaAssignment {
    pub partition: i32,
    pub replicas: Vec<i32>,
}

/// A config name and value.
#[derive(Debug, Clone, Deserialize)]
pub struct ConfigValueEntry {
    pub name: String,
    pub value: Option<String>,
}

/// A topic's error code in a CreateTopics response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicError {
    pub topic: String,
    pub error_code: i16,
}

/// What CreateTopics answered: the topics that failed (sorted by name, as kafkajs sorts them)
/// and, when asked to wait, whether every new topic got its leaders in time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTopicsOutcome {
    pub topic_errors: Vec<TopicError>,
    pub leaders_ready: bool,
}

/// kafkajs's `deleteTopics` argument.
#[derive(Debug, Clone, Deserialize)]
pub struct DeleteTopicsRequest {
    pub topics: Vec<String>,
    pub timeout: Option<i32>,
}

/// kafkajs's `createPartitions` argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePartitionsRequest {
    pub topic_partitions: Vec<TopicPartitionsCount>,
    #[serde(default)]
    pub validate_only: bool,
    pub timeout: Option<i32>,
}

/// A topic's new partition count and, optionally, the replicas of each new partition.
#[derive(Debug, Clone, Deserialize)]
pub struct TopicPartitionsCount {
    pub topic: String,
    pub count: i32,
    pub assignments: Option<Vec<Vec<i32>>>,
}

/// kafkajs's `PartitionMetadata`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartitionInfo {
    pub partition_error_code: i16,
    pub partition_id: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

/// A topic in `fetchTopicMetadata`'s result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: Vec<PartitionInfo>,
}

/// A broker in `describeCluster`'s result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerNode {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
}

/// `describeCluster`'s result; `controller` is null when the cluster names none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterDescription {
    pub brokers: Vec<BrokerNode>,
    pub controller: Option<i32>,
    pub cluster_id: Option<String>,
}

/// kafkajs's request timeout for topic changes when none is given.
const DEFAULT_TIMEOUT_MS: i32 = 5000;
/// How long `waitForLeaders` waits when no timeout is given, and how often it looks.
const DEFAULT_LEADER_WAIT_MS: u64 = 10_000;
const LEADER_POLL: Duration = Duration::from_millis(100);

impl Admin {
    /// Creates topics on the controller; per-topic failures come back in the outcome.
    pub async fn create_topics(
        &self,
        request: CreateTopicsRequest,
    ) -> Result<CreateTopicsOutcome, RetryError> {
        let wire = WireCreateTopics::default()
            .with_topics(request.topics.iter().map(creatable).collect())
            .with_timeout_ms(request.timeout.unwrap_or(DEFAULT_TIMEOUT_MS))
            .with_validate_only(request.validate_only);
        let response = self
            .retrying(&[ResponseError::NotController], || async {
                let controller = self.controller().await?;
                let response = controller.send(&wire).await?;
                Ok((controller, response))
            })
            .await?;
        let (controller, response) = response;
        let mut topic_errors: Vec<TopicError> = response
            .topics
            .iter()
            .filter(|t| t.error_code != 0)
            .map(|t| TopicError {
                topic: t.name.0.to_string(),
                error_code: t.error_code,
            })
            .collect();
        topic_errors.sort_by(|a, b| a.topic.cmp(&b.topic));
        let mut leaders_ready = true;
        if topic_errors.is_empty() && request.wait_for_leaders {
            let names: Vec<String> = request.topics.iter().map(|t| t.topic.clone()).collect();
            let max_wait = request
                .timeout
                .map_or(DEFAULT_LEADER_WAIT_MS, |t| t.max(0) as u64);
            leaders_ready = self
                .wait_for_leaders(&controller, &names, Duration::from_millis(max_wait))
                .await
                .map_err(RetryError::NonRetriable)?;
        }
        Ok(CreateTopicsOutcome {
            topic_errors,
            leaders_ready,
        })
    }

    /// Polls the controller's metadata until every topic has a leader for every partition;
    /// `false` when `max_wait` passes first.
    async fn wait_for_leaders(
        &self,
        controller: &crate::connection::Connection,
        topics: &[String],
        max_wait: Duration,
    ) -> Result<bool> {
        let deadline = tokio::time::Instant::now() + max_wait;
        loop {
            tokio::time::sleep(LEADER_POLL).await;
            let response = metadata_request(controller, Some(topics)).await?;
            let mut ready = true;
            for topic in &response.topics {
                for code in std::iter::once(topic.error_code)
                    .chain(topic.partitions.iter().map(|p| p.error_code))
                {
                    if code == ResponseError::LeaderNotAvailable.code() {
                        ready = false;
                    } else {
                        check(code)?;
                    }
                }
            }
            if ready {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
        }
    }

    /// Deletes topics on the controller; the first topic error fails the call.
    pub async fn delete_topics(&self, request: DeleteTopicsRequest) -> Result<(), RetryError> {
        let retry_on = [
            ResponseError::NotController,
            ResponseError::UnknownTopicOrPartition,
        ];
        self.retrying(&retry_on, || async {
            let controller = self.controller().await?;
            let version = version_in::<WireDeleteTopics>(&controller, 0, 5)?;
            let wire = WireDeleteTopics::default()
                .with_topic_names(request.topics.iter().map(|t| topic_name(t)).collect())
                .with_timeout_ms(request.timeout.unwrap_or(DEFAULT_TIMEOUT_MS));
            let response = controller.send_at(&wire, version).await?;
            let mut failed: Vec<_> = response
                .responses
                .iter()
                .filter(|r| r.error_code != 0)
                .map(|r| (r.name.as_ref().map(|n| n.0.to_string()), r.error_code))
                .collect();
            failed.sort();
            failed.first().map_or(Ok(()), |(_, code)| check(*code))
        })
        .await?;
        self.cluster.invalidate();
        Ok(())
    }

    /// Adds partitions to topics on the controller; the first topic error fails the call.
    pub async fn create_partitions(
        &self,
        request: CreatePartitionsRequest,
    ) -> Result<(), RetryError> {
        let wire = WireCreatePartitions::default()
            .with_topics(
                request
                    .topic_partitions
                    .iter()
                    .map(|t| {
                        CreatePartitionsTopic::default()
                            .with_name(topic_name(&t.topic))
                            .with_count(t.count)
                            .with_assignments(t.assignments.as_ref().map(|all| {
                                all.iter()
                                    .map(|ids| {
                                        CreatePartitionsAssignment::default().with_broker_ids(
                                            ids.iter().map(|id| BrokerId(*id)).collect(),
                                        )
                                    })
                                    .collect()
                            }))
                    })
                    .collect(),
            )
            .with_timeout_ms(request.timeout.unwrap_or(DEFAULT_TIMEOUT_MS))
            .with_validate_only(request.validate_only);
        self.retrying(&[ResponseError::NotController], || async {
            let controller = self.controller().await?;
            let response = controller.send(&wire).await?;
            let mut failed: Vec<_> = response
                .results
                .iter()
                .filter(|r| r.error_code != 0)
                .map(|r| (r.name.0.to_string(), r.error_code))
                .collect();
            failed.sort();
            failed.first().map_or(Ok(()), |(_, code)| check(*code))
        })
        .await
    }

    /// Every topic's name, in the broker's order.
    pub async fn list_topics(&self) -> Result<Vec<String>, RetryError> {
        let response = self.metadata(None).await?;
        Ok(response
            .topics
            .iter()
            .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string()))
            .collect())
    }

    /// The partitions of `topics` (every topic when empty); a topic or partition error fails
    /// the call, leaders not yet elected are waited for.
    pub async fn fetch_topic_metadata(
        &self,
        topics: Vec<String>,
    ) -> Result<Vec<TopicInfo>, RetryError> {
        let wanted = (!topics.is_empty()).then_some(topics.as_slice());
        let response = self
            .retrying(&[ResponseError::LeaderNotAvailable], || async {
                let response = self.metadata_once(wanted).await?;
                for topic in &response.topics {
                    check(topic.error_code)?;
                }
                for topic in &response.topics {
                    for partition in &topic.partitions {
                        check(partition.error_code)?;
                    }
                }
                Ok(response)
            })
            .await?;
        Ok(response
            .topics
            .into_iter()
            .map(|t| TopicInfo {
                name: t.name.map(|n| n.0.to_string()).unwrap_or_default(),
                partitions: t
                    .partitions
                    .into_iter()
                    .map(|p| PartitionInfo {
                        partition_error_code: p.error_code,
                        partition_id: p.partition_index,
                        leader: p.leader_id.0,
                        replicas: p.replica_nodes.iter().map(|n| n.0).collect(),
                        isr: p.isr_nodes.iter().map(|n| n.0).collect(),
                        offline_replicas: p.offline_replicas.iter().map(|n| n.0).collect(),
                    })
                    .collect(),
            })
            .collect())
    }

    /// The brokers, the controller and the cluster id.
    pub async fn describe_cluster(&self) -> Result<ClusterDescription, RetryError> {
        let response = self.metadata(Some(&[])).await?;
        let controller = response.controller_id.0;
        Ok(ClusterDescription {
            brokers: response
                .brokers
                .iter()
                .map(|b| BrokerNode {
                    node_id: b.node_id.0,
                    host: b.host.to_string(),
                    port: b.port,
                })
                .collect(),
            controller: (controller >= 0).then_some(controller),
            cluster_id: response.cluster_id.map(|c| c.to_string()),
        })
    }

    async fn metadata(&self, topics: Option<&[String]>) -> Result<MetadataResponse, RetryError> {
        self.retrying(&[], || self.metadata_once(topics)).await
    }

    async fn metadata_once(&self, topics: Option<&[String]>) -> Result<MetadataResponse> {
        let connection = self.cluster.any_connection().await?;
        metadata_request(&connection, topics).await
    }
}

/// A Metadata request for `topics` (`None`: every topic), never creating topics.
pub(super) async fn metadata_request(
    connection: &crate::connection::Connection,
    topics: Option<&[String]>,
) -> Result<MetadataResponse> {
    let version = version_in::<MetadataRequest>(connection, 1, i16::MAX)?;
    let mut request = MetadataRequest::default().with_topics(topics.map(|names| {
        names
            .iter()
            .map(|t| MetadataRequestTopic::default().with_name(Some(topic_name(t))))
            .collect()
    }));
    if version >= 4 {
        request.allow_auto_topic_creation = false;
    }
    connection.send_at(&request, version).await
}

fn creatable(topic: &NewTopic) -> CreatableTopic {
    CreatableTopic::default()
        .with_name(topic_name(&topic.topic))
        .with_num_partitions(topic.num_partitions.unwrap_or(-1))
        .with_replication_factor(topic.replication_factor.unwrap_or(-1))
        .with_assignments(
            topic
                .replica_assignment
                .iter()
                .map(|a| {
                    CreatableReplicaAssignment::default()
                        .with_partition_index(a.partition)
                        .with_broker_ids(a.replicas.iter().map(|id| BrokerId(*id)).collect())
                })
                .collect(),
        )
        .with_configs(
            topic
                .config_entries
                .iter()
                .map(|c| {
                    CreatableTopicConfig::default()
                        .with_name(str_bytes(&c.name))
                        .with_value(c.value.as_deref().map(str_bytes))
                })
                .collect(),
        )
}
