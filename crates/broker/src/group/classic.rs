//! A classic group's state and bookkeeping: its members (in join order), static instance ids,
//! leader, generation, chosen protocol, pending members and timers. The rebalance protocol
//! that drives it lives in `rebalance`, offsets in `offsets`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use bytes::Bytes;
use indexmap::IndexMap;
use kafka_protocol::error::ResponseError;
use tokio::time::Instant;

use super::api::{DescribedGroup, DescribedMember, JoinedMember, ListedGroup};
use super::member::{Member, Protocol};
use super::offsets::Committed;
use super::subscription::{subscribed_topics, CONSUMER_PROTOCOL_TYPE};

/// The states of a classic group, named as Kafka reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

/// What the group is waiting for when its join timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinTimer {
    /// The initial rebalance delay of a group that was Empty, extended while members arrive.
    InitialDelay { delay_ms: i64, remaining_ms: i64 },
    /// The rebalance timeout: members that have not rejoined by then are dropped.
    Rebalance,
}

/// The time and settings a state change needs.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    pub now: Instant,
    /// `group.initial.rebalance.delay.ms`.
    pub initial_delay_ms: i64,
}

impl Env {
    pub fn after(&self, ms: i64) -> Instant {
        self.now + Duration::from_millis(ms.max(0) as u64)
    }
}

/// A classic group.
#[derive(Debug)]
pub struct Group {
    pub id: String,
    pub state: GroupState,
    /// `None` until the first transition (Kafka's initial "Dead").
    pub previous_state: Option<GroupState>,
    pub generation: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: Option<String>,
    pub members: IndexMap<String, Member>,
    /// Member id of each static member, by instance id.
    pub static_members: HashMap<String, String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with when they expire.
    pub pending_members: HashMap<String, Instant>,
    /// Members of the current generation that have not sent SyncGroup yet.
    pub pending_sync: HashSet<String>,
    /// A member joined during the initial rebalance delay, which extends it.
    pub new_member_added: bool,
    pub join_timer: Option<(Instant, JoinTimer)>,
    /// When members that have not sent SyncGroup for this generation are dropped.
    pub sync_timer: Option<(Instant, i32)>,
    /// Topics the consumer-protocol members subscribe to; `None` when unknown.
    pub subscribed_topics: Option<HashSet<String>>,
    /// Committed offsets by topic and partition.
    pub offsets: BTreeMap<String, BTreeMap<i32, Committed>>,
    /// Offsets committed inside transactions not yet ended, by producer id.
    pub pending_txn_offsets: BTreeMap<i64, BTreeMap<(String, i32), Committed>>,
}

impl Group {
    pub fn new(id: &str) -> Self {
        Group {
            id: id.to_string(),
            state: GroupState::Empty,
            previous_state: None,
            generation: 0,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: IndexMap::new(),
            static_members: HashMap::new(),
            pending_members: HashMap::new(),
            pending_sync: HashSet::new(),
            new_member_added: false,
            join_timer: None,
            sync_timer: None,
            subscribed_topics: None,
            offsets: BTreeMap::new(),
            pending_txn_offsets: BTreeMap::new(),
        }
    }

    pub fn transition(&mut self, state: GroupState) {
        self.previous_state = Some(self.state);
        self.state = state;
    }

    /// Stable, CompletingRebalance and Empty groups can start a rebalance.
    pub fn can_rebalance(&self) -> bool {
        self.state != GroupState::PreparingRebalance
    }

    pub fn is_leader(&self, member_id: &str) -> bool {
        self.leader.as_deref() == Some(member_id)
    }

    pub fn uses_consumer_protocol(&self) -> bool {
        self.protocol_type.as_deref() == Some(CONSUMER_PROTOCOL_TYPE)
    }

    /// The longest rebalance timeout of any member.
    pub fn rebalance_timeout_ms(&self) -> i64 {
        self.members
            .values()
            .map(|m| i64::from(m.rebalance_timeout_ms))
            .max()
            .unwrap_or(0)
    }

    /// Every member is parked in JoinGroup and no member id handed out is still unused.
    pub fn all_members_joined(&self) -> bool {
        self.pending_members.is_empty() && self.members.values().all(Member::is_awaiting_join)
    }

    /// Whether a member of `protocol_type` offering `protocols` could join: an Empty group takes
    /// anything non-empty; otherwise the type must match and one protocol must be supported by
    /// every current member.
    pub fn supports_protocols(&self, protocol_type: &str, protocols: &[Protocol]) -> bool {
        if self.state == GroupState::Empty {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols
                .iter()
                .any(|p| self.members.values().all(|m| m.supports(&p.name)))
    }

    /// Checks that `member_id` is a member and, for a static member, that it is the current
    /// holder of its instance id.
    pub fn validate_member(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), ResponseError> {
        if let Some(instance_id) = instance_id {
            match self.static_members.get(instance_id) {
                None => return Err(ResponseError::UnknownMemberId),
                Some(existing) if existing != member_id => {
                    return Err(ResponseError::FencedInstanceId)
                }
                Some(_) => {}
            }
        }
        if self.members.contains_key(member_id) {
            Ok(())
        } else {
            Err(ResponseError::UnknownMemberId)
        }
    }

    /// Adds a member; the first member sets the protocol type and becomes leader.
    pub fn add(&mut self, member: Member) {
        if let Some(instance_id) = &member.instance_id {
            self.static_members
                .insert(instance_id.clone(), member.id.clone());
        }
        if self.members.is_empty() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(member.id.clone());
        }
        self.pending_members.remove(&member.id);
        self.members.insert(member.id.clone(), member);
    }

    /// Removes a member or pending member; a departing leader is replaced by the oldest member.
    pub fn remove(&mut self, member_id: &str) -> Option<Member> {
        let removed = self.members.shift_remove(member_id);
        if let Some(instance_id) = removed.as_ref().and_then(|m| m.instance_id.as_ref()) {
            self.static_members.remove(instance_id);
        }
        if self.is_leader(member_id) {
            self.leader = self.members.keys().next().cloned();
        }
        self.pending_members.remove(member_id);
        self.pending_sync.remove(member_id);
        removed
    }

    /// Keeps the leader if it rejoined, else hands leadership to a member that did. False when
    /// no member rejoined.
    pub fn elect_joined_leader(&mut self) -> bool {
        let Some(leader) = self.leader.as_ref().and_then(|id| self.members.get(id)) else {
            return false;
        };
        if leader.is_awaiting_join() {
            return true;
        }
        match self.members.values().find(|m| m.is_awaiting_join()) {
            Some(joined) => {
                self.leader = Some(joined.id.clone());
                true
            }
            None => false,
        }
    }

    /// The protocol every member supports that most members prefer; ties go to the earliest
    /// member's preference.
    pub fn select_protocol(&self) -> Option<String> {
        let first = self.members.values().next()?;
        let candidates: Vec<&str> = first
            .protocols
            .iter()
            .map(|p| p.name.as_str())
            .filter(|name| self.members.values().all(|m| m.supports(name)))
            .collect();
        let mut votes: Vec<(&str, usize)> = candidates.iter().map(|c| (*c, 0)).collect();
        for member in self.members.values() {
            if let Some(choice) = member.vote(&candidates) {
                if let Some(entry) = votes.iter_mut().find(|(name, _)| *name == choice) {
                    entry.1 += 1;
                }
            }
        }
        let best = votes.iter().map(|(_, count)| *count).max()?;
        votes
            .into_iter()
            .find(|(_, count)| *count == best)
            .map(|(name, _)| name.to_string())
    }

    /// The members with their metadata for the chosen protocol, as the leader receives them.
    pub fn joined_members(&self) -> Vec<JoinedMember> {
        let protocol = self.protocol_name.as_deref().unwrap_or_default();
        self.members
            .values()
            .map(|m| JoinedMember {
                member_id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                metadata: m.metadata(protocol),
            })
            .collect()
    }

    /// The union of the consumer-protocol members' subscriptions, as Kafka computes it.
    pub fn compute_subscribed_topics(&self) -> Option<HashSet<String>> {
        if !self.uses_consumer_protocol() {
            return None;
        }
        if self.members.is_empty() {
            return Some(HashSet::new());
        }
        let protocol = self.protocol_name.as_deref()?;
        let mut topics = HashSet::new();
        for member in self.members.values() {
            topics.extend(subscribed_topics(&member.metadata(protocol))?);
        }
        Some(topics)
    }

    /// Whether OffsetDelete must refuse `topic` because the group consumes it.
    pub fn is_subscribed_to(&self, topic: &str) -> bool {
        match &self.subscribed_topics {
            Some(topics) => topics.contains(topic),
            None => self.uses_consumer_protocol(),
        }
    }

    /// The earliest moment a timer of this group is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        let members = self.members.values().filter_map(|m| m.heartbeat_deadline);
        let pending = self.pending_members.values().copied();
        let join = self.join_timer.map(|(at, _)| at);
        let sync = self.sync_timer.map(|(at, _)| at);
        members.chain(pending).chain(join).chain(sync).min()
    }

    pub fn describe(&self) -> DescribedGroup {
        let stable = self.state == GroupState::Stable;
        let protocol = self.protocol_name.clone().unwrap_or_default();
        DescribedGroup {
            group_id: self.id.clone(),
            found: true,
            state: self.state.name(),
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            protocol_name: if stable {
                protocol.clone()
            } else {
                String::new()
            },
            members: self
                .members
                .values()
                .map(|m| DescribedMember {
                    member_id: m.id.clone(),
                    instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    metadata: if stable {
                        m.metadata(&protocol)
                    } else {
                        Bytes::new()
                    },
                    assignment: m.assignment.clone(),
                })
                .collect(),
        }
    }

    pub fn listed(&self) -> ListedGroup {
        ListedGroup {
            group_id: self.id.clone(),
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            state: self.state.name(),
        }
    }
}
