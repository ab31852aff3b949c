//! The classic rebalance protocol on one group, following Kafka's GroupMetadataManager: joins
//! (with KIP-394 member ids and KIP-345 static members), the join phase, the leader's
//! assignment in SyncGroup, heartbeats, leaving, and what happens when timers fire.
//!
//! Parked requests are answered through oneshot senders; a sender may be completed at once or
//! later, when another member's request or a timer completes the phase.

use std::collections::HashMap;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use tokio::sync::oneshot;
use uuid::Uuid;

use super::api::{JoinOutcome, JoinRequest, MemberIdentity, SyncOutcome, SyncRequest};
use super::classic::{Env, Group, GroupState, JoinTimer};
use super::member::Member;

/// How long a new member may wait in JoinGroup before it is dropped (Kafka's
/// `group.classic.new.member.join.timeout`).
pub const NEW_MEMBER_JOIN_TIMEOUT_MS: i64 = 5 * 60 * 1000;

pub type JoinReply = oneshot::Sender<JoinOutcome>;
pub type SyncReply = oneshot::Sender<SyncOutcome>;

fn answer<T>(reply: oneshot::Sender<T>, outcome: T) {
    let _ = reply.send(outcome);
}

impl Group {
    /// Handles a JoinGroup for this group; `reply` is answered now or when the join phase ends.
    pub fn join(&mut self, env: &Env, request: JoinRequest, reply: JoinReply) {
        if request.member_id.is_empty() {
            self.join_new_member(env, request, reply);
        } else {
            self.join_existing_member(env, request, reply);
        }
    }

    fn join_new_member(&mut self, env: &Env, request: JoinRequest, reply: JoinReply) {
        if !self.supports_protocols(&request.protocol_type, &request.protocols) {
            return answer(
                reply,
                JoinOutcome::failed(ResponseError::InconsistentGroupProtocol, ""),
            );
        }
        let prefix = request.instance_id.as_deref().unwrap_or(&request.client_id);
        let member_id = format!("{prefix}-{}", Uuid::new_v4());
        match &request.instance_id {
            Some(instance_id) => match self.static_members.get(instance_id).cloned() {
                Some(old_id) => self.replace_static_member(env, request, old_id, member_id, reply),
                None => self.add_member_and_rebalance(env, request, member_id, reply),
            },
            None if request.requires_known_member_id => {
                let expires = env.after(i64::from(request.session_timeout_ms));
                self.pending_members.insert(member_id.clone(), expires);
                answer(
                    reply,
                    JoinOutcome::failed(ResponseError::MemberIdRequired, member_id),
                );
            }
            None => self.add_member_and_rebalance(env, request, member_id, reply),
        }
    }

    fn join_existing_member(&mut self, env: &Env, request: JoinRequest, reply: JoinReply) {
        let member_id = request.member_id.clone();
        if !self.supports_protocols(&request.protocol_type, &request.protocols) {
            return answer(
                reply,
                JoinOutcome::failed(ResponseError::InconsistentGroupProtocol, member_id),
            );
        }
        if self.pending_members.contains_key(&member_id) {
            if request.instance_id.is_some() {
                return answer(
                    reply,
                    JoinOutcome::failed(ResponseError::UnknownServerError, member_id),
                );
            }
            return self.add_member_and_rebalance(env, request, member_id, reply);
        }
        if let Err(error) = self.validate_member(&member_id, request.instance_id.as_deref()) {
            return answer(reply, JoinOutcome::failed(error, member_id));
        }
        let unchanged = self.members[&member_id].protocols == request.protocols;
        match self.state {
            GroupState::PreparingRebalance => self.update_member_and_rebalance(env, request, reply),
            GroupState::CompletingRebalance if unchanged => {
                let leader = self.is_leader(&member_id);
                answer(reply, self.current_generation(&member_id, leader));
            }
            GroupState::Stable if unchanged && !self.is_leader(&member_id) => {
                answer(reply, self.current_generation(&member_id, false));
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.update_member_and_rebalance(env, request, reply)
            }
            GroupState::Empty => answer(
                reply,
                JoinOutcome::failed(ResponseError::UnknownMemberId, member_id),
            ),
        }
    }

    /// The current generation as a JoinGroup answer, with the members for the leader.
    fn current_generation(&self, member_id: &str, with_members: bool) -> JoinOutcome {
        JoinOutcome {
            error: None,
            member_id: member_id.to_string(),
            generation_id: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            leader: self.leader.clone().unwrap_or_default(),
            skip_assignment: false,
            members: if with_members {
                self.joined_members()
            } else {
                Vec::new()
            },
        }
    }

    fn add_member_and_rebalance(
        &mut self,
        env: &Env,
        request: JoinRequest,
        member_id: String,
        reply: JoinReply,
    ) {
        let member = Member {
            id: member_id,
            instance_id: request.instance_id,
            client_id: request.client_id,
            client_host: request.client_host,
            rebalance_timeout_ms: request.rebalance_timeout_ms,
            session_timeout_ms: request.session_timeout_ms,
            protocol_type: request.protocol_type,
            protocols: request.protocols,
            assignment: Bytes::new(),
            awaiting_join: Some(reply),
            awaiting_sync: None,
            is_new: true,
            heartbeat_deadline: Some(env.after(NEW_MEMBER_JOIN_TIMEOUT_MS)),
        };
        if self.state == GroupState::PreparingRebalance
            && self.previous_state == Some(GroupState::Empty)
        {
            self.new_member_added = true;
        }
        self.add(member);
        self.prepare_rebalance_or_complete_join(env);
    }

    fn update_member_and_rebalance(&mut self, env: &Env, request: JoinRequest, reply: JoinReply) {
        if let Some(member) = self.members.get_mut(&request.member_id) {
            member.protocols = request.protocols;
            member.rebalance_timeout_ms = request.rebalance_timeout_ms;
            member.session_timeout_ms = request.session_timeout_ms;
            member.awaiting_join = Some(reply);
        }
        self.prepare_rebalance_or_complete_join(env);
    }

    /// A known static instance joined with no member id: it takes over the old member's place
    /// under a new member id, and whoever still uses the old id is fenced.
    fn replace_static_member(
        &mut self,
        env: &Env,
        request: JoinRequest,
        old_id: String,
        new_id: String,
        reply: JoinReply,
    ) {
        let leader_before = self.leader.clone().unwrap_or_default();
        let Some(mut old) = self.members.shift_remove(&old_id) else {
            return answer(
                reply,
                JoinOutcome::failed(ResponseError::UnknownMemberId, ""),
            );
        };
        old.complete_join(JoinOutcome::failed(
            ResponseError::FencedInstanceId,
            old_id.clone(),
        ));
        old.complete_sync(SyncOutcome::failed(ResponseError::FencedInstanceId));
        self.pending_sync.remove(&old_id);
        if self.is_leader(&old_id) {
            self.leader = Some(new_id.clone());
        }
        if let Some(instance_id) = &old.instance_id {
            self.static_members
                .insert(instance_id.clone(), new_id.clone());
        }
        let member = Member {
            id: new_id.clone(),
            protocols: request.protocols,
            rebalance_timeout_ms: request.rebalance_timeout_ms,
            session_timeout_ms: request.session_timeout_ms,
            awaiting_join: Some(reply),
            awaiting_sync: None,
            is_new: false,
            heartbeat_deadline: Some(env.after(i64::from(old.session_timeout_ms))),
            ..old
        };
        self.members.insert(new_id.clone(), member);

        match self.state {
            GroupState::Stable if self.select_protocol() == self.protocol_name => {
                let mut outcome = self.current_generation(&new_id, false);
                if request.supports_skip_assignment {
                    let leader = self.is_leader(&new_id);
                    if leader {
                        outcome.members = self.joined_members();
                    }
                    outcome.skip_assignment = leader;
                } else {
                    outcome.leader = leader_before;
                }
                self.members[&new_id].complete_join(outcome);
            }
            GroupState::Stable => self.prepare_rebalance_or_complete_join(env),
            GroupState::CompletingRebalance => self.prepare_rebalance(env),
            GroupState::PreparingRebalance | GroupState::Empty => {
                self.maybe_complete_join_phase(env)
            }
        }
    }

    fn prepare_rebalance_or_complete_join(&mut self, env: &Env) {
        if self.can_rebalance() {
            self.prepare_rebalance(env);
        } else {
            self.maybe_complete_join_phase(env);
        }
    }

    /// Starts a rebalance: parked SyncGroups are told to rejoin, and the join phase waits for
    /// every member (or the initial delay of a group that was Empty).
    pub(super) fn prepare_rebalance(&mut self, env: &Env) {
        if self.state == GroupState::CompletingRebalance {
            for member in self.members.values_mut() {
                member.assignment = Bytes::new();
            }
            self.propagate_assignment(env, Some(ResponseError::RebalanceInProgress));
        }
        self.pending_sync.clear();
        self.sync_timer = None;
        let initial = self.state == GroupState::Empty;
        self.transition(GroupState::PreparingRebalance);
        if initial {
            let delay_ms = env.initial_delay_ms;
            if delay_ms <= 0 {
                self.complete_join(env);
            } else {
                let remaining_ms = (self.rebalance_timeout_ms() - delay_ms).max(0);
                self.join_timer = Some((
                    env.after(delay_ms),
                    JoinTimer::InitialDelay {
                        delay_ms,
                        remaining_ms,
                    },
                ));
            }
        } else if self.all_members_joined() {
            self.complete_join(env);
        } else {
            self.join_timer = Some((env.after(self.rebalance_timeout_ms()), JoinTimer::Rebalance));
        }
    }

    /// Completes the join phase once every member is back, except during the initial delay.
    fn maybe_complete_join_phase(&mut self, env: &Env) {
        if self.state == GroupState::PreparingRebalance
            && self.previous_state != Some(GroupState::Empty)
            && self.all_members_joined()
        {
            self.complete_join(env);
        }
    }

    fn initial_delay_elapsed(&mut self, env: &Env, delay_ms: i64, remaining_ms: i64) {
        if self.new_member_added && remaining_ms != 0 {
            self.new_member_added = false;
            let next_delay_ms = env.initial_delay_ms.min(remaining_ms);
            let next_remaining_ms = (remaining_ms - delay_ms).max(0);
            self.join_timer = Some((
                env.after(next_delay_ms),
                JoinTimer::InitialDelay {
                    delay_ms: next_delay_ms,
                    remaining_ms: next_remaining_ms,
                },
            ));
        } else {
            self.complete_join(env);
        }
    }

    /// Ends the join phase: dynamic members that did not rejoin are dropped, the generation
    /// advances and every parked JoinGroup is answered (the leader with all members).
    fn complete_join(&mut self, env: &Env) {
        self.join_timer = None;
        let laggards: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.is_awaiting_join() && m.instance_id.is_none())
            .map(|m| m.id.clone())
            .collect();
        for id in laggards {
            self.remove(&id);
        }
        if !self.elect_joined_leader() && !self.members.is_empty() {
            self.join_timer = Some((env.after(self.rebalance_timeout_ms()), JoinTimer::Rebalance));
            return;
        }
        self.next_generation();
        if self.state == GroupState::Empty {
            return;
        }
        let leader = self.leader.clone().unwrap_or_default();
        let everyone = self.joined_members();
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let mut outcome = self.current_generation(&id, false);
            if id == leader {
                outcome.members = everyone.clone();
            }
            let member = &mut self.members[&id];
            member.complete_join(outcome);
            member.heartbeat_deadline = Some(env.after(i64::from(member.session_timeout_ms)));
            member.is_new = false;
            self.pending_sync.insert(id);
        }
        self.sync_timer = Some((env.after(self.rebalance_timeout_ms()), self.generation));
    }

    fn next_generation(&mut self) {
        self.generation += 1;
        if self.members.is_empty() {
            self.protocol_name = None;
            self.subscribed_topics = self.compute_subscribed_topics();
            self.transition(GroupState::Empty);
        } else {
            self.protocol_name = self.select_protocol();
            self.subscribed_topics = self.compute_subscribed_topics();
            self.transition(GroupState::CompletingRebalance);
        }
        self.pending_sync.clear();
    }

    /// Answers every parked SyncGroup with the member's assignment, or with `error`.
    fn propagate_assignment(&mut self, env: &Env, error: Option<ResponseError>) {
        let (protocol_type, protocol_name) = match error {
            None => (self.protocol_type.clone(), self.protocol_name.clone()),
            Some(_) => (None, None),
        };
        for member in self.members.values_mut() {
            let outcome = SyncOutcome {
                error,
                protocol_type: protocol_type.clone(),
                protocol_name: protocol_name.clone(),
                assignment: member.assignment.clone(),
            };
            if member.complete_sync(outcome) {
                member.heartbeat_deadline = Some(env.after(i64::from(member.session_timeout_ms)));
            }
        }
    }

    fn check_sync(&self, request: &SyncRequest) -> Result<(), ResponseError> {
        if self.state == GroupState::Empty {
            return Err(ResponseError::UnknownMemberId);
        }
        self.validate_member(&request.member_id, request.instance_id.as_deref())?;
        if request.generation_id != self.generation {
            return Err(ResponseError::IllegalGeneration);
        }
        let inconsistent = |asked: &Option<String>, actual: &Option<String>| matches!((asked, actual), (Some(asked), Some(actual)) if asked != actual);
        if inconsistent(&request.protocol_type, &self.protocol_type)
            || inconsistent(&request.protocol_name, &self.protocol_name)
        {
            return Err(ResponseError::InconsistentGroupProtocol);
        }
        Ok(())
    }

    /// Handles a SyncGroup: followers wait for the leader, whose assignment completes the
    /// rebalance.
    pub fn sync(&mut self, env: &Env, request: SyncRequest, reply: SyncReply) {
        if let Err(error) = self.check_sync(&request) {
            return answer(reply, SyncOutcome::failed(error));
        }
        let member_id = request.member_id;
        match self.state {
            GroupState::Empty | GroupState::PreparingRebalance => answer(
                reply,
                SyncOutcome::failed(ResponseError::RebalanceInProgress),
            ),
            GroupState::CompletingRebalance => {
                self.members[&member_id].awaiting_sync = Some(reply);
                self.synced(&member_id);
                if self.is_leader(&member_id) {
                    let assignments: HashMap<String, Bytes> =
                        request.assignments.into_iter().collect();
                    for member in self.members.values_mut() {
                        member.assignment =
                            assignments.get(&member.id).cloned().unwrap_or_default();
                    }
                    self.propagate_assignment(env, None);
                    self.transition(GroupState::Stable);
                }
            }
            GroupState::Stable => {
                self.synced(&member_id);
                answer(
                    reply,
                    SyncOutcome {
                        error: None,
                        protocol_type: self.protocol_type.clone(),
                        protocol_name: self.protocol_name.clone(),
                        assignment: self.members[&member_id].assignment.clone(),
                    },
                );
            }
        }
    }

    fn synced(&mut self, member_id: &str) {
        self.pending_sync.remove(member_id);
        if self.pending_sync.is_empty() {
            self.sync_timer = None;
        }
    }

    /// Handles a Heartbeat: keeps the session alive and tells the member about a rebalance.
    pub fn heartbeat(
        &mut self,
        env: &Env,
        member: &MemberIdentity,
        generation_id: i32,
    ) -> Option<ResponseError> {
        if let Err(error) = self.validate_member(&member.member_id, member.instance_id.as_deref()) {
            return Some(error);
        }
        if generation_id != self.generation {
            return Some(ResponseError::IllegalGeneration);
        }
        match self.state {
            GroupState::Empty => Some(ResponseError::UnknownMemberId),
            GroupState::PreparingRebalance => {
                self.keep_alive(env, &member.member_id);
                Some(ResponseError::RebalanceInProgress)
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.keep_alive(env, &member.member_id);
                None
            }
        }
    }

    /// Restarts a member's session timer.
    pub(super) fn keep_alive(&mut self, env: &Env, member_id: &str) {
        if let Some(member) = self.members.get_mut(member_id) {
            member.heartbeat_deadline = Some(env.after(i64::from(member.session_timeout_ms)));
        }
    }

    /// Handles a LeaveGroup for each member listed; an empty member id with an instance id
    /// removes that static member.
    pub fn leave(&mut self, env: &Env, leaving: &[MemberIdentity]) -> Vec<Option<ResponseError>> {
        let results: Vec<Option<ResponseError>> = leaving
            .iter()
            .map(|member| {
                if member.member_id.is_empty() {
                    let id = member
                        .instance_id
                        .as_ref()
                        .and_then(|instance_id| self.static_members.get(instance_id).cloned());
                    match id {
                        Some(id) => {
                            self.remove_member(&id);
                            None
                        }
                        None => Some(ResponseError::UnknownMemberId),
                    }
                } else if self.pending_members.contains_key(&member.member_id) {
                    self.remove(&member.member_id);
                    None
                } else {
                    match self.validate_member(&member.member_id, member.instance_id.as_deref()) {
                        Ok(()) => {
                            self.remove_member(&member.member_id);
                            None
                        }
                        Err(error) => Some(error),
                    }
                }
            })
            .collect();
        if results.iter().any(Option::is_none) {
            match self.state {
                GroupState::Stable | GroupState::CompletingRebalance => {
                    self.prepare_rebalance_or_complete_join(env)
                }
                GroupState::PreparingRebalance => self.maybe_complete_join_phase(env),
                GroupState::Empty => {}
            }
        }
        results
    }

    /// Removes a member, answering its parked JoinGroup so that a live client rejoins.
    fn remove_member(&mut self, member_id: &str) {
        if let Some(member) = self.members.get_mut(member_id) {
            member.complete_join(JoinOutcome::failed(ResponseError::UnknownMemberId, ""));
        }
        self.remove(member_id);
    }

    /// Runs every timer of this group that is due at `env.now`.
    pub fn expire(&mut self, env: &Env) {
        let expired_pending: Vec<String> = self
            .pending_members
            .iter()
            .filter(|(_, at)| **at <= env.now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired_pending {
            self.remove(&id);
            if self.state == GroupState::PreparingRebalance && self.all_members_joined() {
                self.complete_join(env);
            }
        }

        let expired_sessions: Vec<String> = self
            .members
            .values()
            .filter(|m| m.heartbeat_deadline.is_some_and(|at| at <= env.now))
            .map(|m| m.id.clone())
            .collect();
        for id in expired_sessions {
            let Some(member) = self.members.get_mut(&id) else {
                continue;
            };
            if member.heartbeat_deadline.is_none_or(|at| at > env.now) {
                continue;
            }
            member.heartbeat_deadline = None;
            if !member.has_satisfied_heartbeat() {
                self.remove_member(&id);
                match self.state {
                    GroupState::Stable | GroupState::CompletingRebalance => {
                        self.prepare_rebalance_or_complete_join(env)
                    }
                    GroupState::PreparingRebalance if self.all_members_joined() => {
                        self.complete_join(env)
                    }
                    _ => {}
                }
            }
        }

        if let Some((at, timer)) = self.join_timer {
            if at <= env.now {
                self.join_timer = None;
                match timer {
                    JoinTimer::InitialDelay {
                        delay_ms,
                        remaining_ms,
                    } => self.initial_delay_elapsed(env, delay_ms, remaining_ms),
                    JoinTimer::Rebalance => self.complete_join(env),
                }
            }
        }

        if let Some((at, generation)) = self.sync_timer {
            if at <= env.now {
                self.sync_timer = None;
                let waiting = matches!(
                    self.state,
                    GroupState::CompletingRebalance | GroupState::Stable
                );
                if generation == self.generation && waiting && !self.pending_sync.is_empty() {
                    let laggards: Vec<String> = self.pending_sync.iter().cloned().collect();
                    for id in laggards {
                        self.remove(&id);
                    }
                    self.prepare_rebalance(env);
                }
            }
        }
    }
}
