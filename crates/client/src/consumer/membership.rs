//! Group membership against the group coordinator: FindCoordinator, JoinGroup (with KIP-394's
//! MEMBER_ID_REQUIRED round trip), SyncGroup (the leader computes the assignment, with a
//! built-in assignor or one the application supplies), Heartbeat, LeaveGroup and
//! DescribeGroups. The coordinator gets its own connection, whose request timeout covers a
//! JoinGroup that the broker holds for up to the rebalance timeout.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_groups_response::DescribedGroup;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    DescribeGroupsRequest, FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest,
    LeaveGroupRequest, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::{Decodable, StrBytes};
use parking_lot::Mutex;

use super::assignors::{
    self, Assignment, AssignmentRequest, Assignor, CustomAssignorsHandle, GroupMember, Member,
};
use super::watch::{partition_ids, PartitionIds};
use crate::cluster::Cluster;
use crate::connection::{Connection, ConnectionOptions};
use crate::error::{Error, Result};

/// What a member asks of its group.
#[derive(Debug, Clone)]
pub struct GroupSettings {
    pub group_id: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub group_instance_id: Option<String>,
    /// The assignors offered in JoinGroup, in order of preference.
    pub assignors: Vec<Assignor>,
    /// Where the [`Assignor::Custom`] assignors are implemented.
    pub custom_assignors: Option<CustomAssignorsHandle>,
    /// Whether the leader's metadata request creates subscribed topics that do not exist yet
    /// (kafkajs's `allowAutoTopicCreation`).
    pub allow_auto_topic_creation: bool,
}

/// The outcome of joining and syncing: one generation of the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    pub generation_id: i32,
    pub member_id: String,
    pub leader_id: String,
    pub protocol: String,
    pub assignment: Assignment,
    /// The assigned topics in the order the assignment lists them.
    pub assigned_topics: Vec<String>,
    /// When this member led: the partitions of the group's topics it assigned from.
    pub assigned_from: Option<PartitionIds>,
}

impl Generation {
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader_id
    }
}

/// The group coordinator of one group, found on first use and again after NOT_COORDINATOR.
pub struct Coordinator {
    cluster: Arc<Cluster>,
    settings: GroupSettings,
    connection_options: ConnectionOptions,
    connection: tokio::sync::Mutex<Option<Arc<Connection>>>,
    member_id: Mutex<String>,
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// Whether `error` means the coordinator moved or is loading: find it again and retry.
fn coordinator_moved(error: &Error) -> bool {
    matches!(
        error,
        Error::Protocol {
            error: ResponseError::NotCoordinator | ResponseError::CoordinatorNotAvailable,
            ..
        } | Error::Connection { .. }
            | Error::RequestTimeout { .. }
    )
}

impl Coordinator {
    pub fn new(
        cluster: Arc<Cluster>,
        settings: GroupSettings,
        mut connection_options: ConnectionOptions,
    ) -> Coordinator {
        let join_wait = settings.rebalance_timeout + Duration::from_secs(5);
        connection_options.request_timeout = connection_options.request_timeout.max(join_wait);
        Coordinator {
            cluster,
            settings,
            connection_options,
            connection: tokio::sync::Mutex::new(None),
            member_id: Mutex::new(String::new()),
        }
    }

    pub fn settings(&self) -> &GroupSettings {
        &self.settings
    }

    /// The member id the coordinator gave this member ("" before the first join).
    pub fn member_id(&self) -> String {
        self.member_id.lock().clone()
    }

    /// Forgets the member id, so the next join starts as a new member.
    pub fn reset_member_id(&self) {
        self.member_id.lock().clear();
    }

    /// The connection to the coordinator, finding it first when needed.
    pub async fn connection(&self) -> Result<Arc<Connection>> {
        let mut current = self.connection.lock().await;
        if let Some(open) = current.as_ref().filter(|c| !c.is_closed()) {
            return Ok(open.clone());
        }
        let any = self.cluster.any_connection().await?;
        let version = any.version_of::<FindCoordinatorRequest>()?.min(3);
        let request = FindCoordinatorRequest::default().with_key(text(&self.settings.group_id));
        let response = any.send_at(&request, version).await?;
        if let Some(error) = Error::from_code(response.error_code, None) {
            return Err(error);
        }
        let address = format!("{}:{}", response.host.as_str(), response.port);
        let opened =
            Arc::new(Connection::connect(&address, self.connection_options.clone()).await?);
        *current = Some(opened.clone());
        Ok(opened)
    }

    /// Runs a request against the coordinator; forgets the coordinator when it moved.
    pub async fn on_coordinator<T, F, Fut>(&self, request: F) -> Result<T>
    where
        F: FnOnce(Arc<Connection>) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let connection = self.connection().await?;
        let outcome = request(connection).await;
        if let Err(error) = &outcome {
            if coordinator_moved(error) {
                self.connection.lock().await.take();
            }
        }
        outcome
    }

    /// Joins and syncs once: a generation, or the error (retriable ones are worth retrying).
    pub async fn join_and_sync(&self, topics: &[String]) -> Result<Generation> {
        let protocols = self.protocols(topics).await?;
        let joined = loop {
            let member_id = self.member_id();
            let outcome = self
                .on_coordinator(|c| {
                    let protocols = protocols.clone();
                    async move { self.join(&c, &member_id, protocols).await }
                })
                .await?;
            match Error::from_code(outcome.error_code, None) {
                None => break outcome,
                Some(Error::Protocol {
                    error: ResponseError::MemberIdRequired,
                    ..
                }) => *self.member_id.lock() = outcome.member_id.to_string(),
                Some(
                    error @ Error::Protocol {
                        error: ResponseError::UnknownMemberId,
                        ..
                    },
                ) => {
                    self.reset_member_id();
                    return Err(error);
                }
                Some(error) => return Err(error),
            }
        };
        let member_id = joined.member_id.to_string();
        *self.member_id.lock() = member_id.clone();
        let protocol = joined
            .protocol_name
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default();
        let leader_id = joined.leader.to_string();
        let (assignments, assigned_from) = if leader_id == member_id {
            let (assignments, assigned_from) = self.assign(&joined, &protocol, topics).await?;
            (assignments, Some(assigned_from))
        } else {
            (Vec::new(), None)
        };
        let generation_id = joined.generation_id;
        let synced = self
            .on_coordinator(|c| {
                let request =
                    self.sync_request(&c, generation_id, &member_id, &protocol, assignments);
                async move {
                    let (request, version) = request?;
                    decode_sync(c.send_for_body(&request, version).await?, version)
                }
            })
            .await?;
        if let Some(error) = Error::from_code(synced.error_code, None) {
            return Err(match error {
                Error::Protocol {
                    error: ResponseError::UnknownMemberId,
                    ..
                } => {
                    self.reset_member_id();
                    error
                }
                // The librdkafka mock ends a sync as soon as the leader's assignments arrive and
                // answers a follower's later SyncGroup with INVALID_REQUEST: the follower missed
                // the generation, as in a rebalance, and joins again (librdkafka does the same).
                Error::Protocol {
                    error: ResponseError::InvalidRequest,
                    ..
                } => Error::Protocol {
                    error: ResponseError::RebalanceInProgress,
                    message: Some("the group completed its sync without this member".into()),
                },
                other => other,
            });
        }
        let (assignment, assigned_topics) = assignors::decode_assignment(&synced.assignment)?;
        Ok(Generation {
            generation_id,
            member_id,
            leader_id,
            protocol,
            assignment,
            assigned_topics,
            assigned_from,
        })
    }

    /// The JoinGroup protocols for a member subscribed to `topics`, in order of preference.
    async fn protocols(&self, topics: &[String]) -> Result<Vec<(String, Bytes)>> {
        let mut custom = match &self.settings.custom_assignors {
            Some(handle)
                if self
                    .settings
                    .assignors
                    .iter()
                    .any(|a| matches!(a, Assignor::Custom(_))) =>
            {
                handle.0.protocols(topics.to_vec()).await?.into_iter()
            }
            _ => Vec::new().into_iter(),
        };
        let subscription = assignors::encode_subscription(topics);
        self.settings
            .assignors
            .iter()
            .map(|assignor| match assignor {
                Assignor::BuiltIn(kind) => Ok((kind.name().to_string(), subscription.clone())),
                Assignor::Custom(name) => custom.next().ok_or_else(|| Error::Assignor {
                    message: format!("partition assigner \"{name}\" gave no protocol"),
                    thrown: false,
                    retriable: false,
                }),
            })
            .collect()
    }

    /// The leader's assignment for the group `joined` with `protocol`: each member's encoded
    /// assignment, and the partitions of the group's topics it was computed from.
    async fn assign(
        &self,
        joined: &kafka_protocol::messages::JoinGroupResponse,
        protocol: &str,
        topics: &[String],
    ) -> Result<(Vec<SyncGroupRequestAssignment>, PartitionIds)> {
        let assignor = self
            .settings
            .assignors
            .iter()
            .find(|a| a.name() == protocol)
            .ok_or_else(|| Error::Assignor {
                message: format!(
                    "Unsupported partition assigner \"{protocol}\", the assigner wasn't found in the assigners list"
                ),
                thrown: false,
                retriable: false,
            })?;
        let mut members = Vec::new();
        let mut order: Vec<String> = topics.to_vec();
        for m in &joined.members {
            // A custom protocol's metadata need not be a subscription; its topics are then
            // only the leader's.
            let subscribed = match (assignor, assignors::decode_subscription(&m.metadata)) {
                (_, Ok(subscribed)) => subscribed,
                (Assignor::Custom(_), Err(_)) => Vec::new(),
                (Assignor::BuiltIn(_), Err(error)) => return Err(error),
            };
            for topic in &subscribed {
                if !order.contains(topic) {
                    order.push(topic.clone());
                }
            }
            members.push(Member {
                member_id: m.member_id.to_string(),
                topics: subscribed,
            });
        }
        let metadata = self
            .cluster
            .refresh(&order, self.settings.allow_auto_topic_creation)
            .await?;
        let assigned_from = partition_ids(&metadata, &order);
        let encoded: Vec<(String, Bytes)> = match assignor {
            Assignor::BuiltIn(kind) => assignors::assign(*kind, &members, &order, &assigned_from)
                .into_iter()
                .map(|(member, assignment)| (member, assignors::encode_assignment(&assignment)))
                .collect(),
            Assignor::Custom(name) => {
                let handle =
                    self.settings
                        .custom_assignors
                        .as_ref()
                        .ok_or_else(|| Error::Assignor {
                            message: format!("partition assigner \"{name}\" is not implemented"),
                            thrown: false,
                            retriable: false,
                        })?;
                let request = AssignmentRequest {
                    assignor: name.clone(),
                    members: joined
                        .members
                        .iter()
                        .map(|m| GroupMember {
                            member_id: m.member_id.to_string(),
                            group_instance_id: m.group_instance_id.as_ref().map(|i| i.to_string()),
                            metadata: m.metadata.clone(),
                        })
                        .collect(),
                    topics: topics.to_vec(),
                    metadata: order
                        .iter()
                        .filter_map(|t| metadata.topics.get(t).cloned())
                        .collect(),
                };
                handle.0.assign(request).await?
            }
        };
        let assignments = encoded
            .into_iter()
            .map(|(member, assignment)| {
                SyncGroupRequestAssignment::default()
                    .with_member_id(text(&member))
                    .with_assignment(assignment)
            })
            .collect();
        Ok((assignments, assigned_from))
    }

    async fn join(
        &self,
        connection: &Connection,
        member_id: &str,
        protocols: Vec<(String, Bytes)>,
    ) -> Result<kafka_protocol::messages::JoinGroupResponse> {
        let version = connection.version_of::<JoinGroupRequest>()?;
        let protocols = protocols
            .into_iter()
            .map(|(name, metadata)| {
                JoinGroupRequestProtocol::default()
                    .with_name(text(&name))
                    .with_metadata(metadata)
            })
            .collect();
        let mut request = JoinGroupRequest::default()
            .with_group_id(GroupId(text(&self.settings.group_id)))
            .with_session_timeout_ms(self.settings.session_timeout.as_millis() as i32)
            .with_member_id(text(member_id))
            .with_protocol_type(text("consumer"))
            .with_protocols(protocols);
        if version >= 1 {
            request.rebalance_timeout_ms = self.settings.rebalance_timeout.as_millis() as i32;
        }
        if version >= 5 {
            request.group_instance_id = self.settings.group_instance_id.as_deref().map(text);
        }
        connection.send_at(&request, version).await
    }

    fn sync_request(
        &self,
        connection: &Connection,
        generation_id: i32,
        member_id: &str,
        protocol: &str,
        assignments: Vec<SyncGroupRequestAssignment>,
    ) -> Result<(SyncGroupRequest, i16)> {
        let version = connection.version_of::<SyncGroupRequest>()?;
        let mut request = SyncGroupRequest::default()
            .with_group_id(GroupId(text(&self.settings.group_id)))
            .with_generation_id(generation_id)
            .with_member_id(text(member_id))
            .with_assignments(assignments);
        if version >= 3 {
            request.group_instance_id = self.settings.group_instance_id.as_deref().map(text);
        }
        if version >= 5 {
            request.protocol_type = Some(text("consumer"));
            request.protocol_name = Some(text(protocol));
        }
        Ok((request, version))
    }

    /// One heartbeat for `generation`.
    pub async fn heartbeat(&self, generation: &Generation) -> Result<()> {
        let response = self
            .on_coordinator(|c| async move {
                let version = c.version_of::<HeartbeatRequest>()?;
                let mut request = HeartbeatRequest::default()
                    .with_group_id(GroupId(text(&self.settings.group_id)))
                    .with_generation_id(generation.generation_id)
                    .with_member_id(text(&generation.member_id));
                if version >= 3 {
                    request.group_instance_id =
                        self.settings.group_instance_id.as_deref().map(text);
                }
                c.send_at(&request, version).await
            })
            .await?;
        match Error::from_code(response.error_code, None) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Leaves the group. A static member (group instance id) stays, as Kafka's clients do.
    pub async fn leave(&self) -> Result<()> {
        let member_id = self.member_id();
        if member_id.is_empty() || self.settings.group_instance_id.is_some() {
            return Ok(());
        }
        self.on_coordinator(|c| async move {
            let version = c.version_of::<LeaveGroupRequest>()?;
            let mut request =
                LeaveGroupRequest::default().with_group_id(GroupId(text(&self.settings.group_id)));
            if version >= 3 {
                request.members = vec![MemberIdentity::default().with_member_id(text(&member_id))];
            } else {
                request.member_id = text(&member_id);
            }
            c.send_at(&request, version).await.map(|_| ())
        })
        .await?;
        self.reset_member_id();
        Ok(())
    }

    /// The group as DescribeGroups reports it.
    pub async fn describe(&self) -> Result<DescribedGroup> {
        let response = self
            .on_coordinator(|c| async move {
                let request = DescribeGroupsRequest::default()
                    .with_groups(vec![GroupId(text(&self.settings.group_id))]);
                c.send(&request).await
            })
            .await?;
        let group = response
            .groups
            .into_iter()
            .next()
            .ok_or_else(|| Error::Encoding("DescribeGroups answered no group".to_string()))?;
        match Error::from_code(group.error_code, None) {
            Some(error) => Err(error),
            None => Ok(group),
        }
    }
}

/// Whether a failed join is tried again: besides the retriable errors, kafkajs retries a join
/// that met a rebalance under way, a generation that moved on or a member the coordinator
/// forgot.
pub fn join_retriable(error: &Error) -> bool {
    error.is_retriable()
        || matches!(
            error,
            Error::Protocol {
                error: ResponseError::RebalanceInProgress
                    | ResponseError::IllegalGeneration
                    | ResponseError::UnknownMemberId,
                ..
            }
        )
}

/// The SyncGroup response in `body`. The librdkafka mock answers a SyncGroup that a rebalance cut
/// short with its error code and a null assignment, which the schema does not allow; as kafkajs
/// does, the error code is read (and the member rejoins) instead of failing on the assignment.
fn decode_sync(body: Bytes, version: i16) -> Result<SyncGroupResponse> {
    let error_at = if version >= 1 { 4 } else { 0 };
    let error_code = body
        .get(error_at..error_at + 2)
        .map(|code| i16::from_be_bytes([code[0], code[1]]));
    match (
        SyncGroupResponse::decode(&mut body.clone(), version),
        error_code,
    ) {
        (Ok(response), _) => Ok(response),
        (Err(_), Some(code)) if code != 0 => Ok(SyncGroupResponse::default().with_error_code(code)),
        (Err(error), _) => Err(Error::Encoding(error.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SyncGroup v3 body: throttle time, error code, assignment length, assignment.
    fn body(error_code: i16, assignment_length: i32, assignment: &[u8]) -> Bytes {
        let mut body = vec![0, 0, 0, 0];
        body.extend_from_slice(&error_code.to_be_bytes());
        body.extend_from_slice(&assignment_length.to_be_bytes());
        body.extend_from_slice(assignment);
        Bytes::from(body)
    }

    #[test]
    fn a_null_assignment_with_an_error_reads_as_that_error() {
        let rebalancing = ResponseError::RebalanceInProgress.code();
        let synced = decode_sync(body(rebalancing, -1, &[]), 3).unwrap();
        assert_eq!(synced.error_code, rebalancing);
        assert!(synced.assignment.is_empty());
    }

    #[test]
    fn a_null_assignment_without_an_error_is_an_encoding_error() {
        assert!(matches!(
            decode_sync(body(0, -1, &[]), 3),
            Err(Error::Encoding(_))
        ));
    }

    #[test]
    fn an_assignment_is_read_as_sent() {
        let synced = decode_sync(body(0, 2, &[7, 8]), 3).unwrap();
        assert_eq!(synced.error_code, 0);
        assert_eq!(synced.assignment, Bytes::from_static(&[7, 8]));
    }
}
