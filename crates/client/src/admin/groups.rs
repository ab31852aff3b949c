//! Consumer groups: FindCoordinator (retried while the coordinator moves or loads),
//! ListGroups on every broker, DescribeGroups and DeleteGroups on each group's coordinator.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{
    DeleteGroupsRequest, DescribeGroupsRequest, FindCoordinatorRequest, GroupId, ListGroupsRequest,
};
use serde::Serialize;

use super::{check, str_bytes, version_in, Admin};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::retry::RetryError;

/// The errors that mean "ask for the coordinator again".
const COORDINATOR_ERRORS: [ResponseError; 3] = [
    ResponseError::CoordinatorNotAvailable,
    ResponseError::NotCoordinator,
    ResponseError::CoordinatorLoadInProgress,
];

/// A group in `listGroups`'s result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedGroup {
    pub group_id: String,
    pub protocol_type: String,
}

/// kafkajs's `GroupDescription`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDescription {
    pub error_code: i16,
    pub group_id: String,
    pub state: String,
    pub protocol_type: String,
    pub protocol: String,
    pub members: Vec<GroupMember>,
}

/// kafkajs's `MemberDescription`; metadata and assignment are the raw bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMember {
    pub member_id: String,
    pub client_id: String,
    pub client_host: String,
    pub member_metadata: Vec<u8>,
    pub member_assignment: Vec<u8>,
}

/// A group's DeleteGroups result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteGroupResult {
    pub group_id: String,
    pub error_code: i16,
}

impl Admin {
    /// The connection to `group`'s coordinator.
    async fn find_coordinator(&self, group: &str) -> Result<Arc<Connection>> {
        let connection = self.cluster.any_connection().await?;
        let version = version_in::<FindCoordinatorRequest>(&connection, 0, 3)?;
        let request = FindCoordinatorRequest::default().with_key(str_bytes(group));
        let response = connection.send_at(&request, version).await?;
        check(response.error_code)?;
        let address = format!("{}:{}", response.host.as_str(), response.port);
        self.cluster.connection_to(&address).await
    }

    /// Runs `operation` on `group`'s coordinator, finding it again (with the admin's retry
    /// options) when it is unavailable, has moved or is still loading.
    pub(super) async fn with_coordinator<T, F, Fut>(
        &self,
        group: &str,
        operation: F,
    ) -> Result<T, RetryError>
    where
        F: Fn(Arc<Connection>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let operation = &operation;
        self.retrying(&COORDINATOR_ERRORS, || async move {
            let coordinator = self.find_coordinator(group).await?;
            operation(coordinator).await
        })
        .await
    }

    /// Every group on every broker, brokers in node id order.
    pub async fn list_groups(&self) -> Result<Vec<ListedGroup>, RetryError> {
        self.retrying(&COORDINATOR_ERRORS, || async {
            let metadata = self.cluster.refresh(&[], false).await?;
            let nodes: BTreeMap<i32, String> = metadata
                .brokers
                .iter()
                .map(|(id, address)| (*id, address.clone()))
                .collect();
            let mut groups = Vec::new();
            for address in nodes.values() {
                let connection = self.cluster.connection_to(address).await?;
                let version = version_in::<ListGroupsRequest>(&connection, 0, 4)?;
                let response = connection
                    .send_at(&ListGroupsRequest::default(), version)
                    .await?;
                check(response.error_code)?;
                groups.extend(response.groups.iter().map(|g| ListedGroup {
                    group_id: g.group_id.0.to_string(),
                    protocol_type: g.protocol_type.to_string(),
                }));
            }
            Ok(groups)
        })
        .await
    }

    /// The groups' states and members; a group error fails the call.
    pub async fn describe_groups(
        &self,
        group_ids: Vec<String>,
    ) -> Result<Vec<GroupDescription>, RetryError> {
        let mut described = Vec::new();
        for group in &group_ids {
            let found = self
                .with_coordinator(group, |coordinator| async move {
                    let request = DescribeGroupsRequest::default()
                        .with_groups(vec![GroupId(str_bytes(group))]);
                    // v6 answers GROUP_ID_NOT_FOUND for an unknown group, where kafkajs (v2)
                    // sees a Dead group.
                    let version = version_in::<DescribeGroupsRequest>(&coordinator, 0, 5)?;
                    let response = coordinator.send_at(&request, version).await?;
                    for g in &response.groups {
                        check(g.error_code)?;
                    }
                    Ok(response.groups)
                })
                .await?;
            described.extend(found.into_iter().map(|g| {
                GroupDescription {
                    error_code: g.error_code,
                    group_id: g.group_id.0.to_string(),
                    state: g.group_state.to_string(),
                    protocol_type: g.protocol_type.to_string(),
                    protocol: g.protocol_data.to_string(),
                    members: g
                        .members
                        .into_iter()
                        .map(|m| GroupMember {
                            member_id: m.member_id.to_string(),
                            client_id: m.client_id.to_string(),
                            client_host: m.client_host.to_string(),
                            member_metadata: m.member_metadata.to_vec(),
                            member_assignment: m.member_assignment.to_vec(),
                        })
                        .collect(),
                }
            }));
        }
        Ok(described)
    }

    /// Deletes groups on their coordinators; each group's result, failures included. Groups
    /// whose coordinator moved or was loading are asked again.
    pub async fn delete_groups(
        &self,
        group_ids: Vec<String>,
    ) -> Result<Vec<DeleteGroupResult>, RetryError> {
        let mut results = Vec::new();
        for group in &group_ids {
            let result = self
                .with_coordinator(group, |coordinator| async move {
                    let request = DeleteGroupsRequest::default()
                        .with_groups_names(vec![GroupId(str_bytes(group))]);
                    let response = coordinator.send(&request).await?;
                    let code = response.results.first().map_or(0, |r| r.error_code);
                    match Error::from_code(code, None) {
                        Some(Error::Protocol { error, .. })
                            if COORDINATOR_ERRORS.contains(&error) =>
                        {
                            Err(Error::Protocol {
                                error,
                                message: None,
                            })
                        }
                        _ => Ok(DeleteGroupResult {
                            group_id: group.clone(),
                            error_code: code,
                        }),
                    }
                })
                .await?;
            results.push(result);
        }
        Ok(results)
    }
}
