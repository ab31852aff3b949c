//! The metadata watch. While the group is stable, the consumer looks at the cluster's metadata
//! every `metadataMaxAge`, and sooner while a topic it assigned had no partitions yet (a topic
//! auto-created by the leader's join has no leader at first). A group leader rejoins when the
//! partitions of the group's topics differ from those it assigned, as the Java client's leader
//! does; with pattern subscriptions the topic names go to the application, which subscribes to
//! new matching topics.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Event, Inner, Phase};
use crate::cluster::Metadata;

/// The partition ids of each topic.
pub type PartitionIds = BTreeMap<String, Vec<i32>>;

/// The partition ids `metadata` reports for `topics` (none for a topic it does not know or
/// reports with an error).
pub fn partition_ids<'a>(
    metadata: &Metadata,
    topics: impl IntoIterator<Item = &'a String>,
) -> PartitionIds {
    topics
        .into_iter()
        .map(|topic| {
            let ids = metadata
                .topics
                .get(topic)
                .filter(|t| t.error_code == 0)
                .map(|t| t.partitions.iter().map(|p| p.partition).collect())
                .unwrap_or_default();
            (topic.clone(), ids)
        })
        .collect()
}

pub(super) async fn run(inner: Arc<Inner>) {
    let max_age = inner.options.metadata_max_age;
    let first_backoff = Duration::from_millis(inner.options.retry.initial_retry_time as u64);
    let mut backoff = first_backoff;
    let mut last_check = Instant::now();
    let mut known_names: Option<BTreeSet<String>> = None;
    loop {
        let notified = inner.watch.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if inner.stopped() {
            return;
        }
        // A topic without partitions is looked at again soon, then less and less often (it may
        // not exist at all).
        let incomplete = inner.assigned_topic_without_partitions();
        let wait = if incomplete {
            backoff.min(max_age)
        } else {
            max_age
        };
        let due = last_check + wait;
        if Instant::now() < due {
            tokio::select! {
                _ = tokio::time::sleep_until(due.into()) => {}
                _ = &mut notified => {
                    backoff = first_backoff;
                    continue;
                }
            }
        }
        last_check = Instant::now();
        check(&inner, &mut known_names).await;
        backoff = if incomplete {
            (backoff * 2).min(max_age)
        } else {
            first_backoff
        };
    }
}

/// One look at the metadata: new topic names to the application, a rejoin when the group's
/// partitions changed since this member assigned them.
async fn check(inner: &Inner, known_names: &mut Option<BTreeSet<String>>) {
    let assigned_from = {
        let state = inner.state.lock();
        if state.phase != Phase::Stable {
            return;
        }
        state
            .generation
            .as_ref()
            .and_then(|g| g.assigned_from.clone())
    };
    let refreshed = if inner.options.watch_topics {
        inner.cluster.refresh(&[], false).await
    } else if let Some(assigned_from) = &assigned_from {
        let topics: Vec<String> = assigned_from.keys().cloned().collect();
        inner.cluster.refresh(&topics, false).await
    } else {
        return;
    };
    let Ok(metadata) = refreshed else {
        inner.cluster.invalidate();
        return;
    };
    if inner.options.watch_topics {
        let names: BTreeSet<String> = metadata
            .topics
            .values()
            .filter(|t| t.error_code == 0)
            .map(|t| t.name.clone())
            .collect();
        if known_names.as_ref() != Some(&names) {
            inner.emit(Event::Topics {
                names: names.iter().cloned().collect(),
            });
            *known_names = Some(names);
        }
    }
    if let Some(assigned_from) = assigned_from {
        if partition_ids(&metadata, assigned_from.keys()) != assigned_from {
            inner.request_rejoin();
        }
    }
}
