//! What the group coordinator is asked and answers, independent of any protocol version: the
//! handlers translate requests into these and these into versioned responses.

use bytes::Bytes;
use kafka_protocol::error::ResponseError;

use super::member::Protocol;

/// The error code of an optional error (0 for none).
pub fn code(error: Option<ResponseError>) -> i16 {
    error.map_or(0, |e| e.code())
}

/// A JoinGroup request.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub group_id: String,
    /// Empty for a member joining for the first time.
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    /// As Kafka writes a client address: `/127.0.0.1`.
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<Protocol>,
    /// JoinGroup v4+: a new dynamic member must first obtain its member id (KIP-394).
    pub requires_known_member_id: bool,
    /// JoinGroup v9+: a static leader rejoining a stable group may skip the assignment.
    pub supports_skip_assignment: bool,
}

/// A member as the leader sees it in the JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub metadata: Bytes,
}

/// The answer to a JoinGroup request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinOutcome {
    pub error: Option<ResponseError>,
    pub member_id: String,
    pub generation_id: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub skip_assignment: bool,
    /// Every member with its metadata for the chosen protocol, for the leader only.
    pub members: Vec<JoinedMember>,
}

impl JoinOutcome {
    /// A failed join, carrying `member_id` back to the client.
    pub fn failed(error: ResponseError, member_id: impl Into<String>) -> Self {
        JoinOutcome {
            error: Some(error),
            member_id: member_id.into(),
            generation_id: -1,
            protocol_type: None,
            protocol_name: None,
            leader: String::new(),
            skip_assignment: false,
            members: Vec::new(),
        }
    }
}

/// A SyncGroup request.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub group_id: String,
    pub member_id: String,
    pub instance_id: Option<String>,
    pub generation_id: i32,
    /// SyncGroup v5+: checked against the group's when present.
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    /// The leader's assignment, by member id.
    pub assignments: Vec<(String, Bytes)>,
}

/// The answer to a SyncGroup request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOutcome {
    pub error: Option<ResponseError>,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

impl SyncOutcome {
    pub fn failed(error: ResponseError) -> Self {
        SyncOutcome {
            error: Some(error),
            ..SyncOutcome::default()
        }
    }
}

/// Who is asking: a member id and, for static members, its instance id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberIdentity {
    pub member_id: String,
    pub instance_id: Option<String>,
}

/// An OffsetCommit request, with only the partitions of existing topics.
#[derive(Debug, Clone)]
pub struct CommitRequest {
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub instance_id: Option<String>,
    /// OffsetCommit v9+ answers GROUP_ID_NOT_FOUND where older versions say ILLEGAL_GENERATION.
    pub group_id_not_found_supported: bool,
    pub offsets: Vec<CommitPartition>,
}

/// A TxnOffsetCommit request, with only the partitions of existing topics.
#[derive(Debug, Clone)]
pub struct TxnCommitRequest {
    pub group_id: String,
    pub producer_id: i64,
    /// -1 when the producer sent no consumer group metadata (TxnOffsetCommit v0-v2).
    pub generation_id: i32,
    pub member_id: String,
    pub instance_id: Option<String>,
    pub offsets: Vec<CommitPartition>,
}

/// One partition's offset to commit.
#[derive(Debug, Clone)]
pub struct CommitPartition {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

/// A committed offset as OffsetFetch reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedOffset {
    pub partition: i32,
    /// -1 when nothing is committed.
    pub offset: i64,
    /// -1 when unknown.
    pub leader_epoch: i32,
    pub metadata: String,
    /// UNSTABLE_OFFSET_COMMIT when a stable offset was asked for and a transaction holds one.
    pub error: Option<ResponseError>,
}

/// Per topic, each partition's result (`None` for success).
pub type PartitionResults = Vec<(String, Vec<(i32, Option<ResponseError>)>)>;

/// The partitions an OffsetFetch asks for: `None` means every committed partition.
pub type FetchTopics = Option<Vec<(String, Vec<i32>)>>;

/// A group as DescribeGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedGroup {
    pub group_id: String,
    /// False when the group does not exist (reported as Dead).
    pub found: bool,
    pub state: &'static str,
    pub protocol_type: String,
    pub protocol_name: String,
    pub members: Vec<DescribedMember>,
}

/// A member as DescribeGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    /// Only while the group is Stable.
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// A group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    pub group_id: String,
    pub protocol_type: String,
    pub state: &'static str,
}
