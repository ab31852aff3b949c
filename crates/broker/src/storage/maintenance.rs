//! The log directory's housekeeping task: keeps every log's settings in step with the topic
//! and broker configs, asks for the fsyncs `flush.ms` calls for, applies retention every
//! `log.retention.check.interval.ms` (deleting whole segments and moving the log start offset),
//! and rewrites the checkpoints every `log.flush.offset.checkpoint.interval.ms`.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Storage;
use crate::state::State;

fn interval(state: &State, name: &str, default_ms: u64) -> Duration {
    let ms = state
        .config
        .property(name)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(default_ms);
    Duration::from_millis(ms.max(1))
}

/// Runs until `shutdown`.
pub async fn run(state: Arc<State>, storage: Arc<Storage>, shutdown: CancellationToken) {
    let retention_every = interval(&state, "log.retention.check.interval.ms", 300_000);
    let checkpoint_every = interval(&state, "log.flush.offset.checkpoint.interval.ms", 60_000);
    let mut next_retention = Instant::now() + retention_every;
    let mut next_checkpoint = Instant::now() + checkpoint_every;
    loop {
        for topic in state.topics() {
            state.refresh_log_settings(&topic);
        }
        let now = Instant::now();
        let mut wake = next_retention.min(next_checkpoint);
        let retain = now >= next_retention;
        let now_ms = crate::txn::now_ms();
        for topic in state.topics() {
            for partition in topic.partitions() {
                let mut log = partition.log.lock();
                if retain {
                    let point = log.disk().and_then(|d| d.retention_point(now_ms));
                    if let Some(point) = point {
                        tracing::info!(topic = %topic.name, partition = partition.index, log_start_offset = point, "retention moves the log start offset");
                        let _ = log.delete_before(point);
                    }
                }
                if let Some(due) = log.disk_mut().and_then(|d| d.flush_if_due(now.into())) {
                    wake = wake.min(due.into());
                }
            }
        }
        if retain {
            next_retention = now + retention_every;
            wake = wake.min(next_retention);
        }
        if now >= next_checkpoint {
            storage.request_checkpoints();
            next_checkpoint = now + checkpoint_every;
            wake = wake.min(next_checkpoint);
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = storage.settings_changed.notified() => {}
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}
