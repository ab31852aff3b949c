//! The classic consumer group coordinator, as in Apache Kafka 4: group membership and
//! rebalances (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets (also inside
//! transactions), and the admin views (DescribeGroups, ListGroups, DeleteGroups, OffsetDelete).
//!
//! [`GroupCoordinator`] owns every group; `classic` holds one group's state, `rebalance`
//! its protocol, `offsets` its committed offsets, `txn_offsets` those of open transactions.
//! The handlers speak to the coordinator in the version-free terms of [`api`].

pub mod api;
mod classic;
mod coordinator;
mod member;
mod offsets;
mod rebalance;
mod subscription;
mod txn_offsets;

pub use coordinator::{GroupCoordinator, CLASSIC_GROUP_TYPE};
pub use member::Protocol;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wire_tests;
