//! AlterPartitionReassignments and ListPartitionReassignments, sent to the controller.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::alter_partition_reassignments_request::{
    ReassignablePartition, ReassignableTopic,
};
use kafka_protocol::messages::list_partition_reassignments_request::ListPartitionReassignmentsTopics;
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, BrokerId, ListPartitionReassignmentsRequest,
};
use serde::{Deserialize, Serialize};

use super::{check, topic_name, version_in, Admin};
use crate::retry::RetryError;

/// kafkajs's request timeout for reassignments when none is given.
const DEFAULT_TIMEOUT_MS: i32 = 5000;

/// kafkajs's `alterPartitionReassignments` argument.
#[derive(Debug, Clone, Deserialize)]
pub struct AlterReassignmentsRequest {
    pub topics: Vec<TopicReassignment>,
    pub timeout: Option<i32>,
}

/// A topic's new replica assignments.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicReassignment {
    pub topic: String,
    pub partition_assignment: Vec<PartitionAssignment>,
}

/// A partition's new replicas.
#[derive(Debug, Clone, Deserialize)]
pub struct PartitionAssignment {
    pub partition: i32,
    pub replicas: Vec<i32>,
}

/// A partition the controller refused to reassign.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReassignmentError {
    pub topic: String,
    pub partition: i32,
    pub error_code: i16,
}

/// kafkajs's `listPartitionReassignments` argument; no topics means all of them.
#[derive(Debug, Clone, Deserialize)]
pub struct ListReassignmentsRequest {
    pub topics: Option<Vec<TopicPartitionsQuery>>,
    pub timeout: Option<i32>,
}

/// A topic and some of its partitions.
#[derive(Debug, Clone, Deserialize)]
pub struct TopicPartitionsQuery {
    pub topic: String,
    pub partitions: Vec<i32>,
}

/// A topic's reassignments in progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OngoingTopic {
    pub name: String,
    pub partitions: Vec<OngoingPartition>,
}

/// A partition's replicas while it is being reassigned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OngoingPartition {
    pub partition: i32,
    pub replicas: Vec<i32>,
    pub adding_replicas: Vec<i32>,
    pub removing_replicas: Vec<i32>,
}

impl Admin {
    /// Starts reassignments. A top-level error fails the call; partitions the controller
    /// refused come back as data (kafkajs raises them together).
    pub async fn alter_partition_reassignments(
        &self,
        request: AlterReassignmentsRequest,
    ) -> Result<Vec<ReassignmentError>, RetryError> {
        let wire = AlterPartitionReassignmentsRequest::default()
            .with_timeout_ms(request.timeout.unwrap_or(DEFAULT_TIMEOUT_MS))
            .with_topics(
                request
                    .topics
                    .iter()
                    .map(|t| {
                        ReassignableTopic::default()
                            .with_name(topic_name(&t.topic))
                            .with_partitions(
                                t.partition_assignment
                                    .iter()
                                    .map(|p| {
                                        ReassignablePartition::default()
                                            .with_partition_index(p.partition)
                                            .with_replicas(Some(
                                                p.replicas.iter().map(|r| BrokerId(*r)).collect(),
                                            ))
                                    })
                                    .collect(),
                            )
                    })
                    .collect(),
            );
        let response = self
            .retrying(&[ResponseError::NotController], || async {
                let controller = self.controller().await?;
                let version = version_in::<AlterPartitionReassignmentsRequest>(&controller, 0, 0)?;
                let response = controller.send_at(&wire, version).await?;
                check(response.error_code)?;
                Ok(response)
            })
            .await?;
        Ok(response
            .responses
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .filter(|p| p.error_code != 0)
                    .map(|p| ReassignmentError {
                        topic: t.name.0.to_string(),
                        partition: p.partition_index,
                        error_code: p.error_code,
                    })
            })
            .collect())
    }

    /// The reassignments in progress.
    pub async fn list_partition_reassignments(
        &self,
        request: ListReassignmentsRequest,
    ) -> Result<Vec<OngoingTopic>, RetryError> {
        let wire = ListPartitionReassignmentsRequest::default()
            .with_timeout_ms(request.timeout.unwrap_or(DEFAULT_TIMEOUT_MS))
            .with_topics(request.topics.as_ref().map(|topics| {
                topics
                    .iter()
                    .map(|t| {
                        ListPartitionReassignmentsTopics::default()
                            .with_name(topic_name(&t.topic))
                            .with_partition_indexes(t.partitions.clone())
                    })
                    .collect()
            }));
        let response = self
            .retrying(&[ResponseError::NotController], || async {
                let controller = self.controller().await?;
                let version = version_in::<ListPartitionReassignmentsRequest>(&controller, 0, 0)?;
                let response = controller.send_at(&wire, version).await?;
                check(response.error_code)?;
                Ok(response)
            })
            .await?;
        Ok(response
            .topics
            .into_iter()
            .map(|t| OngoingTopic {
                name: t.name.0.to_string(),
                partitions: t
                    .partitions
                    .into_iter()
                    .map(|p| OngoingPartition {
                        partition: p.partition_index,
                        replicas: p.replicas.iter().map(|r| r.0).collect(),
                        adding_replicas: p.adding_replicas.iter().map(|r| r.0).collect(),
                        removing_replicas: p.removing_replicas.iter().map(|r| r.0).collect(),
                    })
                    .collect(),
            })
            .collect())
    }
}
