//! The transaction coordinator, as in Apache Kafka 4 (transaction version 1, and the epoch bump
//! of EndTxn v5): [`TxnCoordinator`] keeps every transactional id's [`metadata`] and decides;
//! this module carries its decisions out on the broker's partitions and groups: the commit or
//! abort markers (control batches) written to every partition of a transaction, the group
//! offsets it committed applied or dropped, and the background abort of transactions left open
//! past their timeout.

pub mod coordinator;
pub mod metadata;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod wire_tests;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

pub use coordinator::{Decided, DescribedTxn, EndOutcome, EndPlan, InitOutcome, TxnCoordinator};

use crate::producer_state::Marker;
use crate::state::{State, LEADER_EPOCH};

/// The coordinator epoch markers carry: this broker has always led the transaction state.
pub const COORDINATOR_EPOCH: i32 = 0;

/// The wall clock in milliseconds, as transaction timestamps are kept.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Carries out a decided end: writes the marker to every partition of the transaction (those
/// deleted since are skipped, as Kafka drops markers for them), applies or drops its groups'
/// offsets, then completes it. Returns the producer id and epoch the transactional id has after.
pub fn write_markers(state: &State, plan: &EndPlan, now_ms: i64) -> (i64, i16) {
    let marker = Marker {
        producer_id: plan.producer_id,
        epoch: plan.epoch,
        coordinator_epoch: COORDINATOR_EPOCH,
        commit: plan.commit,
        timestamp: now_ms,
    };
    for (topic, index) in &plan.partitions {
        let Some(partition) = state.topic(topic).and_then(|t| t.partition(*index)) else {
            continue;
        };
        let written = partition.log.lock().append_marker(&marker, LEADER_EPOCH);
        if let Err(refused) = written {
            tracing::warn!(
                transactional_id = plan.transactional_id,
                topic,
                partition = index,
                error = %refused.error,
                message = ?refused.message,
                "transaction marker refused"
            );
        }
    }
    state
        .groups
        .end_txn(plan.producer_id, &plan.groups, plan.commit);
    state.appended.notify_waiters();
    state.txns.finish(plan, now_ms)
}

/// Aborts every transaction open longer than its timeout, fencing its producer; returns how
/// many there were.
pub fn abort_timed_out(state: &State, now_ms: i64) -> usize {
    let plans = state.txns.time_out(now_ms);
    for plan in &plans {
        tracing::info!(
            transactional_id = plan.transactional_id,
            producer_id = plan.producer_id,
            epoch = plan.epoch,
            "aborting a transaction that timed out"
        );
        write_markers(state, plan, now_ms);
    }
    plans.len()
}

/// Checks for timed out transactions every `interval` until `shutdown`.
pub async fn run_timeouts(state: Arc<State>, interval: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => {
                abort_timed_out(&state, now_ms());
            }
        }
    }
}
