//! Every group API at every advertised version, through the real dispatcher: each request is
//! encoded as a client would, and each response must encode and decode at that version with
//! the fields a client reads.

use std::collections::BTreeMap;

use bytes::Bytes;
use ferrokafka_wire::versions::message_versions;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

use crate::config::BrokerConfig;
use crate::handlers::test_support::call;
use crate::state::State;

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

fn versions(key: ApiKey) -> impl Iterator<Item = i16> {
    let range = message_versions(key).unwrap();
    range.min..=range.max
}

fn state() -> State {
    let config = BrokerConfig {
        group_min_session_timeout_ms: 1_000,
        ..BrokerConfig::default()
    };
    let state = State::new(config, "127.0.0.1".into(), 9092);
    state.create_topic("t", 2, BTreeMap::new()).unwrap();
    state
}

fn join_request(version: i16, group: &str, member_id: &str) -> JoinGroupRequest {
    let protocol = JoinGroupRequestProtocol::default()
        .with_name(text("range"))
        .with_metadata(Bytes::from_static(b"meta"));
    let request = JoinGroupRequest::default()
        .with_group_id(GroupId(text(group)))
        .with_session_timeout_ms(10_000)
        .with_member_id(text(member_id))
        .with_protocol_type(text("consumer"))
        .with_protocols(vec![protocol]);
    if version >= 1 {
        request.with_rebalance_timeout_ms(10_000)
    } else {
        request
    }
}

/// Joins a fresh group at `version` (with the MEMBER_ID_REQUIRED round from v4) and returns
/// the leader's response.
async fn join(state: &State, version: i16, group: &str) -> JoinGroupResponse {
    let mut response: JoinGroupResponse = call(
        state,
        ApiKey::JoinGroup,
        version,
        &join_request(version, group, ""),
    )
    .await;
    if version >= 4 {
        assert_eq!(response.error_code, ResponseError::MemberIdRequired.code());
        let member_id = response.member_id.to_string();
        response = call(
            state,
            ApiKey::JoinGroup,
            version,
            &join_request(version, group, &member_id),
        )
        .await;
    }
    response
}

#[tokio::test]
async fn membership_apis_answer_at_every_version() {
    let state = state();
    for version in versions(ApiKey::JoinGroup) {
        let group = format!("join-{version}");
        let joined = join(&state, version, &group).await;
        assert_eq!(joined.error_code, 0, "v{version}");
        assert_eq!(joined.generation_id, 1);
        assert!(joined.member_id.starts_with("wire-test-"));
        assert_eq!(joined.leader, joined.member_id);
        assert_eq!(joined.protocol_name.as_deref(), Some("range"));
        if version >= 7 {
            assert_eq!(joined.protocol_type.as_deref(), Some("consumer"));
        }
        assert_eq!(joined.members.len(), 1);
        assert_eq!(joined.members[0].metadata, Bytes::from_static(b"meta"));
    }
    for version in versions(ApiKey::SyncGroup) {
        let group = format!("sync-{version}");
        let member_id = join(&state, 5, &group).await.member_id;
        let assignment = SyncGroupRequestAssignment::default()
            .with_member_id(member_id.clone())
            .with_assignment(Bytes::from_static(b"assigned"));
        let mut request = SyncGroupRequest::default()
            .with_group_id(GroupId(text(&group)))
            .with_generation_id(1)
            .with_member_id(member_id.clone())
            .with_assignments(vec![assignment]);
        if version >= 5 {
            request = request
                .with_protocol_type(Some(text("consumer")))
                .with_protocol_name(Some(text("range")));
        }
        let synced: SyncGroupResponse = call(&state, ApiKey::SyncGroup, version, &request).await;
        assert_eq!(synced.error_code, 0, "v{version}");
        assert_eq!(synced.assignment, Bytes::from_static(b"assigned"));
        if version >= 5 {
            assert_eq!(synced.protocol_name.as_deref(), Some("range"));
        }

        for heartbeat_version in versions(ApiKey::Heartbeat) {
            let request = HeartbeatRequest::default()
                .with_group_id(GroupId(text(&group)))
                .with_generation_id(1)
                .with_member_id(member_id.clone());
            let beat: HeartbeatResponse =
                call(&state, ApiKey::Heartbeat, heartbeat_version, &request).await;
            assert_eq!(beat.error_code, 0);
        }
    }
    for version in versions(ApiKey::LeaveGroup) {
        let group = format!("leave-{version}");
        let member_id = join(&state, 5, &group).await.member_id;
        let request = if version >= 3 {
            let members = [member_id.to_string(), "stranger".to_string()]
                .map(|id| MemberIdentity::default().with_member_id(text(&id)))
                .to_vec();
            LeaveGroupRequest::default()
                .with_group_id(GroupId(text(&group)))
                .with_members(members)
        } else {
            LeaveGroupRequest::default()
                .with_group_id(GroupId(text(&group)))
                .with_member_id(member_id)
        };
        let left: LeaveGroupResponse = call(&state, ApiKey::LeaveGroup, version, &request).await;
        assert_eq!(left.error_code, 0, "v{version}");
        if version >= 3 {
            let codes: Vec<i16> = left.members.iter().map(|m| m.error_code).collect();
            assert_eq!(codes, vec![0, ResponseError::UnknownMemberId.code()]);
        }
        assert_eq!(state.groups.describe(&group).state, "Empty");
    }
}

#[tokio::test]
async fn coordinator_and_admin_apis_answer_at_every_version() {
    let state = state();
    join(&state, 5, "busy").await;
    for version in versions(ApiKey::FindCoordinator) {
        let request = if version >= 4 {
            FindCoordinatorRequest::default()
                .with_key_type(1)
                .with_coordinator_keys(vec![text("busy")])
        } else if version >= 1 {
            FindCoordinatorRequest::default()
                .with_key(text("busy"))
                .with_key_type(1)
        } else {
            FindCoordinatorRequest::default().with_key(text("busy"))
        };
        let found: FindCoordinatorResponse =
            call(&state, ApiKey::FindCoordinator, version, &request).await;
        if version >= 4 {
            assert_eq!(found.coordinators.len(), 1);
            assert_eq!(
                (found.coordinators[0].node_id.0, found.coordinators[0].port),
                (1, 9092)
            );
        } else {
            assert_eq!(
                (found.error_code, found.node_id.0, found.port),
                (0, 1, 9092)
            );
        }
    }
    for version in versions(ApiKey::DescribeGroups) {
        let request = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(text("busy")), GroupId(text("missing"))])
            .with_include_authorized_operations(version >= 3);
        let described: DescribeGroupsResponse =
            call(&state, ApiKey::DescribeGroups, version, &request).await;
        let busy = &described.groups[0];
        assert_eq!(
            (busy.error_code, busy.group_state.as_str()),
            (0, "CompletingRebalance")
        );
        assert_eq!(busy.members[0].client_host.as_str(), "/127.0.0.1");
        assert_eq!(busy.members[0].client_id.as_str(), "wire-test");
        let missing = &described.groups[1];
        assert_eq!(missing.group_state.as_str(), "Dead");
        let expected = if version >= 6 {
            ResponseError::GroupIdNotFound.code()
        } else {
            0
        };
        assert_eq!(missing.error_code, expected, "v{version}");
    }
    for version in versions(ApiKey::ListGroups) {
        let mut request = ListGroupsRequest::default();
        if version >= 4 {
            request.states_filter = vec![text("CompletingRebalance")];
        }
        if version >= 5 {
            request.types_filter = vec![text("classic")];
        }
        let listed: ListGroupsResponse = call(&state, ApiKey::ListGroups, version, &request).await;
        let ids: Vec<&str> = listed.groups.iter().map(|g| g.group_id.as_str()).collect();
        assert_eq!(ids, vec!["busy"], "v{version}");
        if version >= 5 {
            assert_eq!(listed.groups[0].group_type.as_str(), "classic");
        }
    }

    for version in versions(ApiKey::OffsetCommit) {
        let group = format!("offsets-{version}");
        let partitions = [0, 5]
            .map(|p| {
                OffsetCommitRequestPartition::default()
                    .with_partition_index(p)
                    .with_committed_offset(10 + i64::from(version))
            })
            .to_vec();
        let topics = vec![
            OffsetCommitRequestTopic::default()
                .with_name(TopicName(text("t")))
                .with_partitions(partitions),
            OffsetCommitRequestTopic::default()
                .with_name(TopicName(text("no-such-topic")))
                .with_partitions(vec![OffsetCommitRequestPartition::default()]),
        ];
        let request = OffsetCommitRequest::default()
            .with_group_id(GroupId(text(&group)))
            .with_generation_id_or_member_epoch(-1)
            .with_topics(topics);
        let committed: OffsetCommitResponse =
            call(&state, ApiKey::OffsetCommit, version, &request).await;
        let codes: Vec<Vec<i16>> = committed
            .topics
            .iter()
            .map(|t| t.partitions.iter().map(|p| p.error_code).collect())
            .collect();
        let unknown = ResponseError::UnknownTopicOrPartition.code();
        assert_eq!(codes, vec![vec![0, unknown], vec![unknown]], "v{version}");
    }
    for version in versions(ApiKey::OffsetFetch) {
        let group = format!("offsets-{}", version.clamp(2, 9));
        let committed = 10 + i64::from(version.clamp(2, 9));
        let offsets: Vec<(i32, i64)> = if version >= 8 {
            let topics = vec![OffsetFetchRequestTopics::default()
                .with_name(TopicName(text("t")))
                .with_partition_indexes(vec![0, 1])];
            let request =
                OffsetFetchRequest::default().with_groups(vec![OffsetFetchRequestGroup::default()
                    .with_group_id(GroupId(text(&group)))
                    .with_topics(Some(topics))]);
            let fetched: OffsetFetchResponse =
                call(&state, ApiKey::OffsetFetch, version, &request).await;
            fetched.groups[0].topics[0]
                .partitions
                .iter()
                .map(|p| (p.partition_index, p.committed_offset))
                .collect()
        } else {
            let topics = vec![OffsetFetchRequestTopic::default()
                .with_name(TopicName(text("t")))
                .with_partition_indexes(vec![0, 1])];
            let request = OffsetFetchRequest::default()
                .with_group_id(GroupId(text(&group)))
                .with_topics(Some(topics));
            let fetched: OffsetFetchResponse =
                call(&state, ApiKey::OffsetFetch, version, &request).await;
            fetched.topics[0]
                .partitions
                .iter()
                .map(|p| (p.partition_index, p.committed_offset))
                .collect()
        };
        assert_eq!(offsets, vec![(0, committed), (1, -1)], "v{version}");
        if (2..8).contains(&version) {
            let all = OffsetFetchRequest::default()
                .with_group_id(GroupId(text(&group)))
                .with_topics(None);
            let fetched: OffsetFetchResponse =
                call(&state, ApiKey::OffsetFetch, version, &all).await;
            assert_eq!(fetched.topics.len(), 1, "v{version}: every committed topic");
            assert_eq!(fetched.topics[0].partitions.len(), 1);
        }
    }
    for version in versions(ApiKey::OffsetDelete) {
        let topic = OffsetDeleteRequestTopic::default()
            .with_name(TopicName(text("t")))
            .with_partitions(vec![
                OffsetDeleteRequestPartition::default().with_partition_index(0)
            ]);
        let request = OffsetDeleteRequest::default()
            .with_group_id(GroupId(text("offsets-2")))
            .with_topics(vec![topic]);
        let deleted: OffsetDeleteResponse =
            call(&state, ApiKey::OffsetDelete, version, &request).await;
        assert_eq!(
            (
                deleted.error_code,
                deleted.topics[0].partitions[0].error_code
            ),
            (0, 0)
        );
        assert_eq!(state.groups.fetch_offsets("offsets-2", None, false), vec![]);
    }
    for version in versions(ApiKey::DeleteGroups) {
        let group = format!("offsets-{}", version + 3);
        let request = DeleteGroupsRequest::default()
            .with_groups_names(vec![GroupId(text(&group)), GroupId(text("busy"))]);
        let deleted: DeleteGroupsResponse =
            call(&state, ApiKey::DeleteGroups, version, &request).await;
        let codes: Vec<i16> = deleted.results.iter().map(|r| r.error_code).collect();
        assert_eq!(
            codes,
            vec![0, ResponseError::NonEmptyGroup.code()],
            "v{version}"
        );
    }
}
