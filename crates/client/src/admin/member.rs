//! Committing offsets as kafkajs's `setOffsets` does: as a short-lived member of the group.
//! The admin joins with protocol type `consumer` (KIP-394's MEMBER_ID_REQUIRED round
//! included), assigns itself the topic, commits under its generation and leaves, so the group is
//! left `Empty` with protocol type `consumer`, as kafkajs's temporary consumer leaves it.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedPartitions;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::OffsetCommitRequestTopic;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, GroupId, JoinGroupRequest,
    LeaveGroupRequest, OffsetCommitRequest, SyncGroupRequest,
};
use kafka_protocol::protocol::{Encodable, StrBytes};

use super::{check, str_bytes, topic_name, version_in};
use crate::connection::Connection;
use crate::error::{Error, Result};

/// kafkajs's default assignor, the one its consumers (and so its `setOffsets`) announce.
const PROTOCOL: &str = "RoundRobinAssigner";
const PROTOCOL_TYPE: &str = "consumer";
/// kafkajs's consumer defaults.
const SESSION_TIMEOUT_MS: i32 = 30_000;
const REBALANCE_TIMEOUT_MS: i32 = 60_000;

/// A consumer-protocol message as kafkajs writes it: an int16 version (0), then the body.
fn versioned<M: Encodable>(message: &M) -> Result<Bytes> {
    let mut buf = BytesMut::new();
    buf.put_i16(0);
    message
        .encode(&mut buf, 0)
        .map_err(|e| Error::Encoding(e.to_string()))?;
    Ok(buf.freeze())
}

/// Joins `group` on `coordinator`, assigns itself `partitions` of `topic`, commits `topic`'s
/// offsets and leaves.
pub(super) async fn commit_as_member(
    coordinator: &Arc<Connection>,
    group: &str,
    topic: &str,
    partitions: Vec<i32>,
    offsets: OffsetCommitRequestTopic,
) -> Result<()> {
    let group_id = GroupId(str_bytes(group));
    let subscription = ConsumerProtocolSubscription::default().with_topics(vec![str_bytes(topic)]);
    let join = JoinGroupRequest::default()
        .with_group_id(group_id.clone())
        .with_session_timeout_ms(SESSION_TIMEOUT_MS)
        .with_rebalance_timeout_ms(REBALANCE_TIMEOUT_MS)
        .with_protocol_type(str_bytes(PROTOCOL_TYPE))
        .with_protocols(vec![JoinGroupRequestProtocol::default()
            .with_name(str_bytes(PROTOCOL))
            .with_metadata(versioned(&subscription)?)]);
    let join_version = version_in::<JoinGroupRequest>(coordinator, 0, 9)?;
    let mut joined = coordinator.send_at(&join, join_version).await?;
    if joined.error_code == ResponseError::MemberIdRequired.code() {
        let rejoin = join.with_member_id(joined.member_id.clone());
        joined = coordinator.send_at(&rejoin, join_version).await?;
    }
    check(joined.error_code)?;
    let member_id = joined.member_id.clone();
    let outcome = commit_in_generation(
        coordinator,
        &group_id,
        &member_id,
        joined.generation_id,
        joined.leader == member_id,
        AssignedPartitions::default()
            .with_topic(topic_name(topic))
            .with_partitions(partitions),
        offsets,
    )
    .await;
    leave(coordinator, group_id, member_id).await?;
    outcome
}

async fn commit_in_generation(
    coordinator: &Arc<Connection>,
    group_id: &GroupId,
    member_id: &StrBytes,
    generation_id: i32,
    leader: bool,
    assigned: AssignedPartitions,
    offsets: OffsetCommitRequestTopic,
) -> Result<()> {
    let assignments = if leader {
        let assignment =
            ConsumerProtocolAssignment::default().with_assigned_partitions(vec![assigned]);
        vec![SyncGroupRequestAssignment::default()
            .with_member_id(member_id.clone())
            .with_assignment(versioned(&assignment)?)]
    } else {
        Vec::new()
    };
    let sync_version = version_in::<SyncGroupRequest>(coordinator, 0, 5)?;
    let mut sync = SyncGroupRequest::default()
        .with_group_id(group_id.clone())
        .with_generation_id(generation_id)
        .with_member_id(member_id.clone())
        .with_assignments(assignments);
    if sync_version >= 5 {
        sync.protocol_type = Some(str_bytes(PROTOCOL_TYPE));
        sync.protocol_name = Some(str_bytes(PROTOCOL));
    }
    let synced = coordinator.send_at(&sync, sync_version).await?;
    check(synced.error_code)?;
    let commit = OffsetCommitRequest::default()
        .with_group_id(group_id.clone())
        .with_generation_id_or_member_epoch(generation_id)
        .with_member_id(member_id.clone())
        .with_retention_time_ms(-1)
        .with_topics(vec![offsets]);
    let commit_version = version_in::<OffsetCommitRequest>(coordinator, 2, 8)?;
    let response = coordinator.send_at(&commit, commit_version).await?;
    for partition in response.topics.iter().flat_map(|t| &t.partitions) {
        check(partition.error_code)?;
    }
    Ok(())
}

async fn leave(
    coordinator: &Arc<Connection>,
    group_id: GroupId,
    member_id: StrBytes,
) -> Result<()> {
    let version = version_in::<LeaveGroupRequest>(coordinator, 0, 5)?;
    let mut request = LeaveGroupRequest::default().with_group_id(group_id);
    if version >= 3 {
        request.members = vec![MemberIdentity::default().with_member_id(member_id)];
    } else {
        request.member_id = member_id;
    }
    let response = coordinator.send_at(&request, version).await?;
    check(response.error_code)
}
