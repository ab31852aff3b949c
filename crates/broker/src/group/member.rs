//! One member of a classic group: who it is, what it supports, its assignment, the JoinGroup or
//! SyncGroup request it has parked, and when its session expires.

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::api::{JoinOutcome, SyncOutcome};

/// A protocol a member supports (e.g. the consumer protocol's `range`), with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    pub name: String,
    pub metadata: Bytes,
}

/// A member of a classic group.
#[derive(Debug)]
pub struct Member {
    pub id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    pub protocol_type: String,
    /// In the member's order of preference.
    pub protocols: Vec<Protocol>,
    pub assignment: Bytes,
    /// The parked JoinGroup request, answered when the join phase completes.
    pub awaiting_join: Option<oneshot::Sender<JoinOutcome>>,
    /// The parked SyncGroup request, answered when the leader's assignment arrives.
    pub awaiting_sync: Option<oneshot::Sender<SyncOutcome>>,
    /// Joined but not yet through a completed join phase.
    pub is_new: bool,
    /// When the session expires unless the member heartbeats; `None` while none is expected.
    pub heartbeat_deadline: Option<Instant>,
}

impl Member {
    pub fn is_awaiting_join(&self) -> bool {
        self.awaiting_join.is_some()
    }

    pub fn is_awaiting_sync(&self) -> bool {
        self.awaiting_sync.is_some()
    }

    /// Whether an expired session should be forgiven: members parked in a rebalance cannot
    /// heartbeat, except new members, which may be expired while waiting to join.
    pub fn has_satisfied_heartbeat(&self) -> bool {
        !self.is_new && (self.is_awaiting_join() || self.is_awaiting_sync())
    }

    /// The member's metadata for `protocol`, empty if it does not support it.
    pub fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|p| p.name == protocol)
            .map(|p| p.metadata.clone())
            .unwrap_or_default()
    }

    /// The member's most preferred protocol among `candidates`.
    pub fn vote<'a>(&'a self, candidates: &[&str]) -> Option<&'a str> {
        self.protocols
            .iter()
            .map(|p| p.name.as_str())
            .find(|name| candidates.contains(name))
    }

    pub fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|p| p.name == protocol)
    }

    /// Answers the parked JoinGroup request, if any. A client that went away is not an error.
    pub fn complete_join(&mut self, outcome: JoinOutcome) -> bool {
        match self.awaiting_join.take() {
            Some(sender) => {
                let _ = sender.send(outcome);
                true
            }
            None => false,
        }
    }

    /// Answers the parked SyncGroup request, if any.
    pub fn complete_sync(&mut self, outcome: SyncOutcome) -> bool {
        match self.awaiting_sync.take() {
            Some(sender) => {
                let _ = sender.send(outcome);
                true
            }
            None => false,
        }
    }
}
