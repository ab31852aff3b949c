//! Partition assignors the group leader runs, wire-compatible with kafkajs and the Java client:
//! the consumer protocol's MemberMetadata (subscription) and MemberAssignment encodings
//! (version 0: int16 version, the topics or topic partitions, then user data bytes), kafkajs's
//! `RoundRobinAssigner` and the Java client's `range`, and the interface to assignors the
//! application supplies (kafkajs's custom partition assigners).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures::future::BoxFuture;

use crate::cluster::TopicMetadata;
use crate::error::{Error, Result};

/// The assignors this client implements, by the protocol names the group sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignorKind {
    /// kafkajs's default: every partition of every topic in turn to the members sorted by id.
    RoundRobin,
    /// The Java client's default: each topic's partitions split into contiguous ranges.
    Range,
}

impl AssignorKind {
    /// The protocol name sent in JoinGroup.
    pub fn name(self) -> &'static str {
        match self {
            AssignorKind::RoundRobin => "RoundRobinAssigner",
            AssignorKind::Range => "range",
        }
    }

    /// The assignor with protocol name `name`.
    pub fn from_name(name: &str) -> Option<AssignorKind> {
        [AssignorKind::RoundRobin, AssignorKind::Range]
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}

/// An assignor a member offers in JoinGroup, in order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignor {
    BuiltIn(AssignorKind),
    /// An assignor of [`GroupSettings::custom_assignors`](super::GroupSettings), by its name
    /// (kafkajs's `assigner.name`, which the group protocol is matched against).
    Custom(String),
}

impl Assignor {
    /// The name the group protocol is matched against.
    pub fn name(&self) -> &str {
        match self {
            Assignor::BuiltIn(kind) => kind.name(),
            Assignor::Custom(name) => name,
        }
    }
}

/// A member as a custom assignor sees it (kafkajs's `GroupMember`): its id, static instance
/// id, and the protocol metadata it joined with, undecoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub metadata: Bytes,
}

/// What the group leader asks of a custom assignor.
#[derive(Debug, Clone)]
pub struct AssignmentRequest {
    /// The assignor the group chose (the group protocol).
    pub assignor: String,
    /// The members in the JoinGroup response's order.
    pub members: Vec<GroupMember>,
    /// The leader's own subscription, which kafkajs passes as `topics`.
    pub topics: Vec<String>,
    /// The just-fetched metadata of every topic a member subscribes to.
    pub metadata: Vec<TopicMetadata>,
}

/// A member's assignment as an assignor encoded it (a MemberAssignment).
pub type EncodedAssignment = (String, Bytes);

/// Assignors the application implements. The membership code asks them for their JoinGroup
/// protocols on every join and, when this member leads and the group chose one of them, for the
/// assignment.
pub trait CustomAssignors: Send + Sync {
    /// The JoinGroup protocol (name, metadata) of each custom assignor of the group settings,
    /// in their order, for a member subscribed to `topics`.
    fn protocols(&self, topics: Vec<String>) -> BoxFuture<'static, Result<Vec<(String, Bytes)>>>;

    /// The assignment the chosen custom assignor computes.
    fn assign(
        &self,
        request: AssignmentRequest,
    ) -> BoxFuture<'static, Result<Vec<EncodedAssignment>>>;
}

/// A shareable [`CustomAssignors`], printable in settings.
#[derive(Clone)]
pub struct CustomAssignorsHandle(pub Arc<dyn CustomAssignors>);

impl std::fmt::Debug for CustomAssignorsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CustomAssignorsHandle")
    }
}

/// One member as the leader sees it in the JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub member_id: String,
    pub topics: Vec<String>,
}

/// Partitions per topic.
pub type Assignment = BTreeMap<String, Vec<i32>>;

/// Encodes a subscription (MemberMetadata v0) for `topics`.
pub fn encode_subscription(topics: &[String]) -> Bytes {
    let mut out = BytesMut::new();
    out.put_i16(0);
    out.put_i32(topics.len() as i32);
    for topic in topics {
        put_string(&mut out, topic);
    }
    out.put_i32(0);
    out.freeze()
}

/// Decodes the topics of a subscription of any version (later versions only append fields).
pub fn decode_subscription(mut buf: &[u8]) -> Result<Vec<String>> {
    need(buf, 2)?;
    buf.advance(2);
    let count = get_count(&mut buf)?;
    (0..count).map(|_| get_string(&mut buf)).collect()
}

/// Encodes an assignment (MemberAssignment v0).
pub fn encode_assignment(assignment: &Assignment) -> Bytes {
    let mut out = BytesMut::new();
    out.put_i16(0);
    out.put_i32(assignment.len() as i32);
    for (topic, partitions) in assignment {
        put_string(&mut out, topic);
        out.put_i32(partitions.len() as i32);
        for partition in partitions {
            out.put_i32(*partition);
        }
    }
    out.put_i32(0);
    out.freeze()
}

/// Decodes an assignment of any version, with its topics in the order they were encoded; an
/// empty buffer is an empty assignment (as kafkajs treats it).
pub fn decode_assignment(mut buf: &[u8]) -> Result<(Assignment, Vec<String>)> {
    let mut assignment = Assignment::new();
    let mut order = Vec::new();
    if buf.len() < 2 {
        return Ok((assignment, order));
    }
    buf.advance(2);
    let topics = get_count(&mut buf)?;
    for _ in 0..topics {
        let topic = get_string(&mut buf)?;
        let count = get_count(&mut buf)?;
        need(buf, count * 4)?;
        let partitions = (0..count).map(|_| buf.get_i32()).collect();
        order.push(topic.clone());
        assignment.insert(topic, partitions);
    }
    Ok((assignment, order))
}

/// Assigns the partitions of the members' topics (`partitions` gives each topic's partition
/// ids, in `topic_order`) among `members`; only members subscribed to a topic get its
/// partitions. Every member appears in the result, possibly with nothing.
pub fn assign(
    kind: AssignorKind,
    members: &[Member],
    topic_order: &[String],
    partitions: &BTreeMap<String, Vec<i32>>,
) -> BTreeMap<String, Assignment> {
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    let mut result: BTreeMap<String, Assignment> = sorted
        .iter()
        .map(|m| (m.member_id.clone(), Assignment::new()))
        .collect();
    let subscribed = |topic: &str| -> Vec<&Member> {
        sorted
            .iter()
            .copied()
            .filter(|m| m.topics.iter().any(|t| t == topic))
            .collect()
    };
    let mut turn = 0usize;
    for topic in topic_order {
        let Some(ids) = partitions.get(topic) else {
            continue;
        };
        let takers = subscribed(topic);
        if takers.is_empty() {
            continue;
        }
        match kind {
            AssignorKind::RoundRobin => {
                for &partition in ids {
                    let member = loop {
                        let candidate = sorted[turn % sorted.len()];
                        turn += 1;
                        if takers.iter().any(|t| t.member_id == candidate.member_id) {
                            break candidate;
                        }
                    };
                    give(&mut result, &member.member_id, topic, partition);
                }
            }
            AssignorKind::Range => {
                let per_member = ids.len() / takers.len();
                let extra = ids.len() % takers.len();
                let mut next = 0;
                for (i, member) in takers.iter().enumerate() {
                    let count = per_member + usize::from(i < extra);
                    for &partition in &ids[next..next + count] {
                        give(&mut result, &member.member_id, topic, partition);
                    }
                    next += count;
                }
            }
        }
    }
    result
}

fn give(result: &mut BTreeMap<String, Assignment>, member: &str, topic: &str, partition: i32) {
    result
        .entry(member.to_string())
        .or_default()
        .entry(topic.to_string())
        .or_default()
        .push(partition);
}

fn put_string(out: &mut BytesMut, s: &str) {
    out.put_i16(s.len() as i16);
    out.put_slice(s.as_bytes());
}

fn malformed() -> Error {
    Error::Encoding("malformed consumer protocol metadata".to_string())
}

fn need(buf: &[u8], len: usize) -> Result<()> {
    if buf.len() < len {
        return Err(malformed());
    }
    Ok(())
}

fn get_count(buf: &mut &[u8]) -> Result<usize> {
    need(buf, 4)?;
    let count = buf.get_i32();
    usize::try_from(count.max(0)).map_err(|_| malformed())
}

fn get_string(buf: &mut &[u8]) -> Result<String> {
    need(buf, 2)?;
    let len = buf.get_i16();
    let len = usize::try_from(len).map_err(|_| malformed())?;
    need(buf, len)?;
    let s = String::from_utf8(buf[..len].to_vec()).map_err(|_| malformed())?;
    buf.advance(len);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, topics: &[&str]) -> Member {
        Member {
            member_id: id.to_string(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn subscription_and_assignment_round_trip_in_kafkajs_layout() {
        let topics = vec!["a".to_string(), "bc".to_string()];
        let encoded = encode_subscription(&topics);
        assert_eq!(
            &encoded[..],
            b"\x00\x00\x00\x00\x00\x02\x00\x01a\x00\x02bc\x00\x00\x00\x00"
        );
        assert_eq!(decode_subscription(&encoded).unwrap(), topics);
        let assignment = Assignment::from([("a".to_string(), vec![0, 2])]);
        let encoded = encode_assignment(&assignment);
        assert_eq!(
            decode_assignment(&encoded).unwrap(),
            (assignment, vec!["a".to_string()])
        );
        assert!(decode_assignment(&[]).unwrap().0.is_empty());
        assert!(decode_subscription(&encoded[..5]).is_err());
    }

    #[test]
    fn round_robin_deals_partitions_across_topics_like_kafkajs() {
        let members = [member("m2", &["a", "b"]), member("m1", &["a", "b"])];
        let partitions = BTreeMap::from([
            ("a".to_string(), vec![0, 1, 2]),
            ("b".to_string(), vec![0, 1]),
        ]);
        let order = ["a".to_string(), "b".to_string()];
        let result = assign(AssignorKind::RoundRobin, &members, &order, &partitions);
        assert_eq!(result["m1"]["a"], vec![0, 2]);
        assert_eq!(result["m1"]["b"], vec![1]);
        assert_eq!(result["m2"]["a"], vec![1]);
        assert_eq!(result["m2"]["b"], vec![0]);
    }

    #[test]
    fn range_splits_each_topic_and_skips_unsubscribed_members() {
        let members = [
            member("x", &["a"]),
            member("y", &["a"]),
            member("z", &["b"]),
        ];
        let partitions =
            BTreeMap::from([("a".to_string(), vec![0, 1, 2]), ("b".to_string(), vec![0])]);
        let order = ["a".to_string(), "b".to_string()];
        let result = assign(AssignorKind::Range, &members, &order, &partitions);
        assert_eq!(result["x"]["a"], vec![0, 1]);
        assert_eq!(result["y"]["a"], vec![2]);
        assert_eq!(result["z"]["b"], vec![0]);
        assert!(!result["z"].contains_key("a"));
    }
}
