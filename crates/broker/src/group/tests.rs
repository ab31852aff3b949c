//! The coordinator's state machine against Kafka's rules, with tokio's paused clock standing in
//! for session and rebalance timeouts.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ConsumerProtocolSubscription;
use kafka_protocol::protocol::{Encodable, StrBytes};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::api::{
    CommitPartition, CommitRequest, JoinOutcome, JoinRequest, MemberIdentity, SyncOutcome,
    SyncRequest,
};
use super::{GroupCoordinator, Protocol};
use crate::config::BrokerConfig;

const SESSION_MS: i32 = 10_000;
const REBALANCE_MS: i32 = 30_000;

/// A running coordinator whose timers stop with the value.
struct Harness {
    groups: GroupCoordinator,
    timers: CancellationToken,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.timers.cancel();
    }
}

fn harness(initial_delay_ms: u64) -> Harness {
    let config = BrokerConfig {
        group_min_session_timeout_ms: 1_000,
        group_initial_rebalance_delay_ms: initial_delay_ms,
        ..BrokerConfig::default()
    };
    let groups = GroupCoordinator::new(&config);
    let timers = CancellationToken::new();
    tokio::spawn(groups.clone().run_timers(timers.clone()));
    Harness { groups, timers }
}

/// Consumer-protocol metadata subscribing to `topics`.
fn subscription(topics: &[&str]) -> Bytes {
    let subscription = ConsumerProtocolSubscription::default().with_topics(
        topics
            .iter()
            .map(|t| StrBytes::from_string(t.to_string()))
            .collect(),
    );
    let mut out = BytesMut::new();
    out.put_i16(0);
    subscription.encode(&mut out, 0).unwrap();
    out.freeze()
}

fn protocols(names: &[&str]) -> Vec<Protocol> {
    names
        .iter()
        .map(|name| Protocol {
            name: name.to_string(),
            metadata: subscription(&["t"]),
        })
        .collect()
}

fn request(group: &str, member_id: &str) -> JoinRequest {
    JoinRequest {
        group_id: group.to_string(),
        member_id: member_id.to_string(),
        instance_id: None,
        client_id: "client".to_string(),
        client_host: "/127.0.0.1".to_string(),
        session_timeout_ms: SESSION_MS,
        rebalance_timeout_ms: REBALANCE_MS,
        protocol_type: "consumer".to_string(),
        protocols: protocols(&["range"]),
        requires_known_member_id: true,
        supports_skip_assignment: false,
    }
}

fn spawn_join(groups: &GroupCoordinator, request: JoinRequest) -> JoinHandle<JoinOutcome> {
    let groups = groups.clone();
    tokio::spawn(async move { groups.join(request).await })
}

/// A dynamic member's first join: MEMBER_ID_REQUIRED, then the join proper, parked.
async fn spawn_new_member(
    groups: &GroupCoordinator,
    group: &str,
) -> (String, JoinHandle<JoinOutcome>) {
    let first = groups.join(request(group, "")).await;
    assert_eq!(first.error, Some(ResponseError::MemberIdRequired));
    let id = first.member_id.clone();
    (id.clone(), spawn_join(groups, request(group, &id)))
}

fn sync(
    group: &str,
    member_id: &str,
    generation_id: i32,
    assignments: &[(&str, &str)],
) -> SyncRequest {
    SyncRequest {
        group_id: group.to_string(),
        member_id: member_id.to_string(),
        instance_id: None,
        generation_id,
        protocol_type: None,
        protocol_name: None,
        assignments: assignments
            .iter()
            .map(|(id, a)| (id.to_string(), Bytes::copy_from_slice(a.as_bytes())))
            .collect(),
    }
}

fn member(id: &str) -> MemberIdentity {
    MemberIdentity {
        member_id: id.to_string(),
        instance_id: None,
    }
}

/// A group with one member that has completed its first rebalance; returns its member id.
async fn stable_group_of_one(groups: &GroupCoordinator, group: &str) -> String {
    let (id, joined) = spawn_new_member(groups, group).await;
    let joined = joined.await.unwrap();
    assert_eq!(joined.generation_id, 1);
    let synced = groups.sync(sync(group, &id, 1, &[(&id, "a")])).await;
    assert_eq!(synced.error, None);
    id
}

fn commit(
    group: &str,
    member_id: &str,
    generation_id: i32,
    metadata: Option<String>,
) -> CommitRequest {
    CommitRequest {
        group_id: group.to_string(),
        generation_id,
        member_id: member_id.to_string(),
        instance_id: None,
        group_id_not_found_supported: false,
        offsets: vec![CommitPartition {
            topic: "t".to_string(),
            partition: 0,
            offset: 42,
            leader_epoch: 3,
            metadata,
        }],
    }
}

#[tokio::test(start_paused = true)]
async fn a_new_member_gets_an_id_then_leads_the_first_generation() {
    let h = harness(0);
    let first = h.groups.join(request("g", "")).await;
    assert_eq!(first.error, Some(ResponseError::MemberIdRequired));
    let (prefix, uuid) = first.member_id.split_at("client-".len());
    assert_eq!(prefix, "client-");
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{uuid}");

    let joined = h.groups.join(request("g", &first.member_id)).await;
    assert_eq!(joined.error, None);
    assert_eq!(joined.generation_id, 1);
    assert_eq!(joined.leader, first.member_id);
    assert_eq!(joined.protocol_type.as_deref(), Some("consumer"));
    assert_eq!(joined.protocol_name.as_deref(), Some("range"));
    assert_eq!(joined.members.len(), 1);
    assert_eq!(joined.members[0].metadata, subscription(&["t"]));
    assert_eq!(h.groups.describe("g").state, "CompletingRebalance");

    let synced = h
        .groups
        .sync(sync(
            "g",
            &first.member_id,
            1,
            &[(&first.member_id, "mine")],
        ))
        .await;
    assert_eq!(synced.assignment, Bytes::from_static(b"mine"));
    assert_eq!(synced.protocol_name.as_deref(), Some("range"));
    let described = h.groups.describe("g");
    assert_eq!(described.state, "Stable");
    assert_eq!(described.members[0].client_host, "/127.0.0.1");
    assert_eq!(described.members[0].assignment, Bytes::from_static(b"mine"));
}

#[tokio::test(start_paused = true)]
async fn a_rebalance_waits_for_known_members_and_the_leader_gets_everyone() {
    let h = harness(0);
    let a = stable_group_of_one(&h.groups, "g").await;
    let (b, b_joined) = spawn_new_member(&h.groups, "g").await;
    tokio::task::yield_now().await;
    assert_eq!(h.groups.describe("g").state, "PreparingRebalance");
    assert_eq!(
        h.groups.heartbeat("g", &member(&a), 1),
        Some(ResponseError::RebalanceInProgress)
    );
    assert!(!b_joined.is_finished());

    let a_joined = h.groups.join(request("g", &a)).await;
    let b_joined = b_joined.await.unwrap();
    assert_eq!((a_joined.generation_id, b_joined.generation_id), (2, 2));
    assert_eq!(a_joined.leader, a);
    assert_eq!(b_joined.leader, a);
    let mut everyone: Vec<String> = a_joined
        .members
        .iter()
        .map(|m| m.member_id.clone())
        .collect();
    everyone.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(everyone, expected);
    assert!(b_joined.members.is_empty());

    // The follower waits in SyncGroup until the leader hands in the assignment.
    let follower = {
        let groups = h.groups.clone();
        let b = b.clone();
        tokio::spawn(async move { groups.sync(sync("g", &b, 2, &[])).await })
    };
    tokio::task::yield_now().await;
    assert!(!follower.is_finished());
    let leader = h
        .groups
        .sync(sync("g", &a, 2, &[(&a, "for-a"), (&b, "for-b")]))
        .await;
    assert_eq!(leader.assignment, Bytes::from_static(b"for-a"));
    assert_eq!(
        follower.await.unwrap().assignment,
        Bytes::from_static(b"for-b")
    );
    assert_eq!(h.groups.heartbeat("g", &member(&b), 2), None);
}

#[tokio::test(start_paused = true)]
async fn members_that_do_not_rejoin_within_the_rebalance_timeout_are_dropped() {
    let h = harness(0);
    // `a`'s session outlives the rebalance timeout, so only that timeout ends the join phase.
    let mut long_session = request("g", "");
    long_session.requires_known_member_id = false;
    long_session.session_timeout_ms = 3 * REBALANCE_MS;
    let a = h.groups.join(long_session).await.member_id;
    h.groups.sync(sync("g", &a, 1, &[])).await;

    let (b, joined) = spawn_new_member(&h.groups, "g").await;
    let joined = joined.await.unwrap();
    assert_eq!(joined.generation_id, 2);
    assert_eq!(joined.leader, b);
    assert_eq!(joined.members.len(), 1);
    assert_eq!(
        h.groups.heartbeat("g", &member(&a), 2),
        Some(ResponseError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_member_expires_and_the_offsets_stay() {
    let h = harness(0);
    let a = stable_group_of_one(&h.groups, "g").await;
    assert_eq!(h.groups.commit(commit("g", &a, 1, None)), Ok(vec![None]));
    tokio::time::sleep(std::time::Duration::from_millis(SESSION_MS as u64 + 1)).await;

    let described = h.groups.describe("g");
    assert_eq!((described.state, described.members.len()), ("Empty", 0));
    assert_eq!(
        h.groups.heartbeat("g", &member(&a), 1),
        Some(ResponseError::UnknownMemberId)
    );
    let offsets = h.groups.fetch_offsets("g", None, false);
    assert_eq!(offsets.len(), 1);
    assert_eq!(offsets[0].0, "t");
    assert_eq!(
        (offsets[0].1[0].offset, offsets[0].1[0].leader_epoch),
        (42, 3)
    );
}

#[tokio::test(start_paused = true)]
async fn a_static_member_rejoining_takes_over_without_a_rebalance() {
    let h = harness(0);
    let mut first = request("g", "");
    first.instance_id = Some("instance-1".to_string());
    let joined = h.groups.join(first.clone()).await;
    assert_eq!(
        joined.error, None,
        "static members need no MEMBER_ID_REQUIRED round"
    );
    assert!(joined.member_id.starts_with("instance-1-"));
    let old = joined.member_id;
    h.groups.sync(sync("g", &old, 1, &[(&old, "kept")])).await;

    let rejoined = h.groups.join(first).await;
    assert_eq!(rejoined.error, None);
    assert_ne!(rejoined.member_id, old);
    assert_eq!(rejoined.generation_id, 1);
    assert_eq!(h.groups.describe("g").state, "Stable");

    let static_member = |id: &str| MemberIdentity {
        member_id: id.to_string(),
        instance_id: Some("instance-1".to_string()),
    };
    assert_eq!(
        h.groups.heartbeat("g", &static_member(&old), 1),
        Some(ResponseError::FencedInstanceId)
    );
    assert_eq!(
        h.groups
            .heartbeat("g", &static_member(&rejoined.member_id), 1),
        None
    );
    let mut resync = sync("g", &rejoined.member_id, 1, &[]);
    resync.instance_id = Some("instance-1".to_string());
    assert_eq!(
        h.groups.sync(resync).await.assignment,
        Bytes::from_static(b"kept")
    );

    let left = h.groups.leave("g", &[static_member("")]);
    assert_eq!(left, Ok(vec![None]));
    assert_eq!(h.groups.describe("g").state, "Empty");
}

#[tokio::test(start_paused = true)]
async fn joins_are_refused_like_kafka_refuses_them() {
    let h = harness(0);
    let mut short = request("g", "");
    short.session_timeout_ms = 500;
    assert_eq!(
        h.groups.join(short).await.error,
        Some(ResponseError::InvalidSessionTimeout)
    );
    assert_eq!(
        h.groups.join(request("", "")).await.error,
        Some(ResponseError::InvalidGroupId)
    );
    let unknown = h.groups.join(request("nobody", "client-123")).await;
    assert_eq!(
        (unknown.error, unknown.member_id.as_str()),
        (Some(ResponseError::UnknownMemberId), "client-123")
    );

    stable_group_of_one(&h.groups, "g").await;
    let mut other_type = request("g", "");
    other_type.protocol_type = "connect".to_string();
    assert_eq!(
        h.groups.join(other_type).await.error,
        Some(ResponseError::InconsistentGroupProtocol)
    );
    let mut other_protocol = request("g", "");
    other_protocol.protocols = protocols(&["roundrobin"]);
    assert_eq!(
        h.groups.join(other_protocol).await.error,
        Some(ResponseError::InconsistentGroupProtocol)
    );
}

#[tokio::test(start_paused = true)]
async fn the_initial_delay_gathers_members_and_they_vote_for_a_protocol() {
    let h = harness(3_000);
    let joins: Vec<_> = [["x", "y"], ["y", "x"], ["y", "x"]]
        .iter()
        .map(|preference| {
            let mut join = request("g", "");
            join.requires_known_member_id = false;
            join.protocols = protocols(preference);
            spawn_join(&h.groups, join)
        })
        .collect();
    let mut outcomes = Vec::new();
    for join in joins {
        outcomes.push(join.await.unwrap());
    }
    assert!(outcomes.iter().all(|o| o.generation_id == 1));
    assert!(outcomes
        .iter()
        .all(|o| o.protocol_name.as_deref() == Some("y")));
    assert_eq!(outcomes.iter().filter(|o| !o.members.is_empty()).count(), 1);
    assert_eq!(outcomes[0].members.len(), 3, "the first member leads");
}

#[tokio::test(start_paused = true)]
async fn sync_checks_member_generation_and_protocol() {
    let h = harness(0);
    let a = stable_group_of_one(&h.groups, "g").await;
    let failed = |outcome: SyncOutcome| outcome.error;
    assert_eq!(
        failed(h.groups.sync(sync("g", &a, 7, &[])).await),
        Some(ResponseError::IllegalGeneration)
    );
    assert_eq!(
        failed(h.groups.sync(sync("g", "stranger", 1, &[])).await),
        Some(ResponseError::UnknownMemberId)
    );
    assert_eq!(
        failed(h.groups.sync(sync("none", &a, 1, &[])).await),
        Some(ResponseError::UnknownMemberId)
    );
    let mut wrong_name = sync("g", &a, 1, &[]);
    wrong_name.protocol_name = Some("roundrobin".to_string());
    assert_eq!(
        failed(h.groups.sync(wrong_name).await),
        Some(ResponseError::InconsistentGroupProtocol)
    );

    let (_, _parked) = spawn_new_member(&h.groups, "g").await;
    tokio::task::yield_now().await;
    assert_eq!(
        failed(h.groups.sync(sync("g", &a, 1, &[])).await),
        Some(ResponseError::RebalanceInProgress)
    );
}

#[tokio::test(start_paused = true)]
async fn offset_commits_follow_the_generation_rules() {
    let h = harness(0);
    // Simple commits (generation -1) create an Empty group.
    assert_eq!(
        h.groups.commit(commit("simple", "", -1, Some("m".into()))),
        Ok(vec![None])
    );
    assert_eq!(h.groups.describe("simple").state, "Empty");
    let fetched = h
        .groups
        .fetch_offsets("simple", Some(vec![("t".into(), vec![0, 1])]), false);
    assert_eq!(
        (fetched[0].1[0].offset, fetched[0].1[0].metadata.as_str()),
        (42, "m")
    );
    assert_eq!(
        (fetched[0].1[1].offset, fetched[0].1[1].leader_epoch),
        (-1, -1)
    );
    let too_large = commit("simple", "", -1, Some("x".repeat(4097)));
    assert_eq!(
        h.groups.commit(too_large),
        Ok(vec![Some(ResponseError::OffsetMetadataTooLarge)])
    );

    let mut unknown = commit("nobody", "m", 3, None);
    assert_eq!(
        h.groups.commit(unknown.clone()),
        Err(ResponseError::IllegalGeneration)
    );
    unknown.group_id_not_found_supported = true;
    assert_eq!(
        h.groups.commit(unknown),
        Err(ResponseError::GroupIdNotFound)
    );

    let a = stable_group_of_one(&h.groups, "g").await;
    assert_eq!(
        h.groups.commit(commit("g", "", -1, None)),
        Err(ResponseError::UnknownMemberId)
    );
    assert_eq!(
        h.groups.commit(commit("g", &a, 5, None)),
        Err(ResponseError::IllegalGeneration)
    );
    assert_eq!(h.groups.commit(commit("g", &a, 1, None)), Ok(vec![None]));

    let (_, joined) = spawn_new_member(&h.groups, "g").await;
    h.groups.join(request("g", &a)).await;
    joined.await.unwrap();
    assert_eq!(
        h.groups.commit(commit("g", &a, 2, None)),
        Err(ResponseError::RebalanceInProgress)
    );
}

#[tokio::test(start_paused = true)]
async fn offsets_of_subscribed_topics_cannot_be_deleted() {
    let h = harness(0);
    let a = stable_group_of_one(&h.groups, "g").await;
    h.groups.commit(commit("g", &a, 1, None)).unwrap();
    let mut other = commit("g", &a, 1, None);
    other.offsets[0].topic = "other".to_string();
    h.groups.commit(other).unwrap();

    let deleted = h
        .groups
        .delete_offsets("g", vec![("t".into(), vec![0]), ("other".into(), vec![0])])
        .unwrap();
    assert_eq!(
        deleted[0].1,
        vec![(0, Some(ResponseError::GroupSubscribedToTopic))]
    );
    assert_eq!(deleted[1].1, vec![(0, None)]);
    let left: Vec<String> = h
        .groups
        .fetch_offsets("g", None, false)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(left, vec!["t".to_string()]);
    assert_eq!(
        h.groups.delete_offsets("none", vec![]),
        Err(ResponseError::GroupIdNotFound)
    );
}

#[tokio::test(start_paused = true)]
async fn groups_are_listed_and_only_empty_ones_deleted() {
    let h = harness(0);
    let a = stable_group_of_one(&h.groups, "busy").await;
    h.groups.commit(commit("idle", "", -1, None)).unwrap();

    let stable = h.groups.list(&[" STABLE ".to_string()], &[]);
    assert_eq!(
        stable
            .iter()
            .map(|g| g.group_id.as_str())
            .collect::<Vec<_>>(),
        vec!["busy"]
    );
    assert_eq!(h.groups.list(&[], &["classic".to_string()]).len(), 2);
    assert!(h.groups.list(&[], &["consumer".to_string()]).is_empty());

    let ids = ["busy", "idle", "idle", "none"].map(String::from);
    assert_eq!(
        h.groups.delete(&ids),
        vec![
            ("busy".to_string(), Some(ResponseError::NonEmptyGroup)),
            ("idle".to_string(), None),
            ("none".to_string(), Some(ResponseError::GroupIdNotFound)),
        ]
    );
    assert_eq!(h.groups.fetch_offsets("idle", None, false), vec![]);
    assert!(!h.groups.describe("idle").found);

    assert_eq!(
        h.groups.leave("busy", &[member(&a), member("stranger")]),
        Ok(vec![None, Some(ResponseError::UnknownMemberId)])
    );
    assert_eq!(h.groups.describe("busy").state, "Empty");
    assert_eq!(
        h.groups.delete(&["busy".to_string()]),
        vec![("busy".to_string(), None)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_deleted_topic_takes_its_committed_offsets_with_it() {
    let h = harness(0);
    assert_eq!(h.groups.commit(commit("g", "", -1, None)), Ok(vec![None]));
    h.groups.forget_topic("other");
    assert_eq!(h.groups.fetch_offsets("g", None, false)[0].1[0].offset, 42);
    h.groups.forget_topic("t");
    assert!(h.groups.fetch_offsets("g", None, false).is_empty());
}
