//! The fetcher: one Fetch request in flight per partition leader, for the assigned partitions
//! that are not paused and have no batch waiting, so each partition has at most one batch
//! fetched ahead of the application. Seeks (including to the beginning or the end) are applied
//! here, and a partition whose offset is out of range restarts from its fromBeginning setting.
//!
//! A Fetch long-polls for `maxWaitTimeInMs` only when it covers every partition that could be
//! waiting for data; while some partition has a batch waiting to be taken, fetches poll briefly,
//! so a partition taken meanwhile is not stuck behind a long poll of its leader.
//!
//! Fetches go over connections of their own: a broker answers each connection in request order,
//! so a long poll on a shared connection would hold up the metadata, ListOffsets and group
//! requests behind it (a group leader's assignment, a rebalanced partition's start).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::records::{self, Aborted};
use super::{offsets, Batch, Event, Inner, Phase, TopicPartition};
use crate::connection::Connection;
use crate::error::{Error, Result};

/// The fetcher's connections, by broker id.
pub(super) type FetchConnections = parking_lot::Mutex<HashMap<i32, Arc<Connection>>>;

/// The wait of a Fetch that does not cover every partition waiting for data.
const SHORT_WAIT: Duration = Duration::from_millis(50);

/// One partition asked for in a Fetch.
struct Wanted {
    tp: TopicPartition,
    offset: i64,
    epoch: u64,
}

/// A partition's outcome in a Fetch.
type Fetched = (Wanted, Result<Option<Batch>>);

pub(super) async fn run(inner: Arc<Inner>) {
    let mut in_flight: FuturesUnordered<BoxFuture<'static, (i32, Vec<Fetched>)>> =
        FuturesUnordered::new();
    let mut busy_leaders: HashSet<i32> = HashSet::new();
    loop {
        let notified = inner.fetch_wanted.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if inner.stopped() {
            return;
        }
        let sought = apply_seeks(&inner).await;
        let (planned, planned_all) = plan(&inner, &busy_leaders).await;
        // A lookup that failed (metadata, ListOffsets) is tried again after a backoff.
        let backoff = (!sought || !planned_all)
            .then(|| Duration::from_millis(inner.options.retry.initial_retry_time as u64));
        for (leader, wanted, wait) in planned {
            busy_leaders.insert(leader);
            let inner = inner.clone();
            in_flight.push(Box::pin(async move {
                let fetched = fetch(&inner, leader, wanted, wait).await;
                (leader, fetched)
            }));
        }
        tokio::select! {
            Some((leader, fetched)) = in_flight.next(), if !in_flight.is_empty() => {
                busy_leaders.remove(&leader);
                store(&inner, fetched);
            }
            _ = &mut notified => {}
            _ = tokio::time::sleep(backoff.unwrap_or_default()), if backoff.is_some() => {}
        }
    }
}

/// Resolves pending seeks: offsets are applied at once, the beginning or the end are looked up.
/// False when a lookup failed (its seeks stay pending).
async fn apply_seeks(inner: &Inner) -> bool {
    let seeks: Vec<(TopicPartition, i64)> = {
        let state = inner.state.lock();
        if state.phase != Phase::Stable {
            return true;
        }
        state
            .seeks
            .iter()
            .filter(|(tp, _)| state.partitions.contains_key(*tp))
            .map(|(tp, o)| (tp.clone(), *o))
            .collect()
    };
    let mut resolved: Vec<(TopicPartition, i64)> = Vec::new();
    let mut complete = true;
    for timestamp in [offsets::EARLIEST, offsets::LATEST] {
        let wanted: Vec<TopicPartition> = seeks
            .iter()
            .filter(|(_, o)| *o == timestamp)
            .map(|(tp, _)| tp.clone())
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let read_committed = !inner.options.read_uncommitted;
        match offsets::list_offsets(&inner.cluster, &wanted, timestamp, read_committed).await {
            Ok(found) => resolved.extend(found),
            Err(_) => {
                inner.cluster.invalidate();
                complete = false;
            }
        }
    }
    resolved.extend(seeks.iter().filter(|(_, o)| *o >= 0).cloned());
    let mut state = inner.state.lock();
    for (tp, offset) in resolved {
        let requested = seeks.iter().find(|(s, _)| *s == tp).map(|(_, o)| *o);
        if state.seeks.get(&tp).copied() != requested {
            continue;
        }
        state.seeks.remove(&tp);
        if let Some(p) = state.partitions.get_mut(&tp) {
            p.position = offset;
            p.epoch += 1;
            p.ready = None;
        }
    }
    complete
}

/// Planned Fetch requests: per leader, the partitions and the wait.
type Plan = Vec<(i32, Vec<Wanted>, Duration)>;

/// The Fetch requests to send now: per leader without one in flight, the partitions to fetch;
/// false when some partition's leader could not be found.
async fn plan(inner: &Inner, busy_leaders: &HashSet<i32>) -> (Plan, bool) {
    let candidates: Vec<Wanted> = {
        let state = inner.state.lock();
        if state.phase != Phase::Stable {
            return (Vec::new(), true);
        }
        state
            .partitions
            .iter()
            .filter(|(tp, p)| {
                !state.paused.contains(*tp)
                    && !state.seeks.contains_key(*tp)
                    && p.ready.is_none()
                    && !p.fetching
                    && p.position >= 0
            })
            .map(|(tp, p)| Wanted {
                tp: tp.clone(),
                offset: p.position,
                epoch: p.epoch,
            })
            .collect()
    };
    if candidates.is_empty() {
        return (Vec::new(), true);
    }
    let topics: Vec<String> = candidates.iter().map(|w| w.tp.0.clone()).collect();
    let metadata = match inner.cluster.topics_metadata(&topics, false).await {
        Ok(metadata) => metadata,
        Err(_) => {
            inner.cluster.invalidate();
            return (Vec::new(), false);
        }
    };
    let mut per_leader: BTreeMap<i32, Vec<Wanted>> = BTreeMap::new();
    let mut leaders_known = true;
    for wanted in candidates {
        let leader = metadata
            .topics
            .get(&wanted.tp.0)
            .and_then(|t| t.partitions.iter().find(|p| p.partition == wanted.tp.1))
            .map(|p| p.leader);
        match leader.filter(|l| *l >= 0) {
            Some(leader) if !busy_leaders.contains(&leader) => {
                per_leader.entry(leader).or_default().push(wanted)
            }
            Some(_) => {}
            None => leaders_known = false,
        }
    }
    let mut state = inner.state.lock();
    let some_waiting = state.partitions.values().any(|p| p.ready.is_some());
    let wait = if some_waiting {
        inner.options.max_wait.min(SHORT_WAIT)
    } else {
        inner.options.max_wait
    };
    if !leaders_known {
        inner.cluster.invalidate();
    }
    let planned = per_leader
        .into_iter()
        .map(|(leader, wanted)| {
            for w in &wanted {
                if let Some(p) = state.partitions.get_mut(&w.tp) {
                    p.fetching = true;
                }
            }
            (leader, wanted, wait)
        })
        .collect();
    (planned, leaders_known)
}

async fn fetch(inner: &Inner, leader: i32, wanted: Vec<Wanted>, wait: Duration) -> Vec<Fetched> {
    inner.emit(Event::FetchStart { node_id: leader });
    let started = Instant::now();
    let outcome = request(inner, leader, &wanted, wait).await;
    let record_batches = outcome.as_ref().map_or(0, |by_partition| {
        by_partition
            .values()
            .filter_map(|result| result.as_ref().ok()?.as_ref())
            .map(|batch| batch.contexts.len())
            .sum()
    });
    inner.emit(Event::Fetch {
        node_id: leader,
        duration_ms: started.elapsed().as_millis() as u64,
        record_batches,
    });
    match outcome {
        Ok(mut by_partition) => wanted
            .into_iter()
            .map(|w| {
                let result = by_partition.remove(&w.tp).unwrap_or(Ok(None));
                (w, result)
            })
            .collect(),
        Err(error) => {
            inner.cluster.invalidate();
            tokio::time::sleep(Duration::from_millis(
                inner.options.retry.initial_retry_time as u64,
            ))
            .await;
            wanted
                .into_iter()
                .map(|w| (w, Err(error.clone())))
                .collect()
        }
    }
}

async fn request(
    inner: &Inner,
    leader: i32,
    wanted: &[Wanted],
    wait: Duration,
) -> Result<BTreeMap<TopicPartition, Result<Option<Batch>>>> {
    let connection = fetch_connection(inner, leader).await?;
    let options = &inner.options;
    let settings = FetchSettings {
        wait,
        max_bytes_per_partition: options.max_bytes_per_partition,
        min_bytes: options.min_bytes,
        max_bytes: options.max_bytes,
        read_uncommitted: options.read_uncommitted,
        rack_id: &options.rack_id,
    };
    let positions: Vec<(TopicPartition, i64)> =
        wanted.iter().map(|w| (w.tp.clone(), w.offset)).collect();
    fetch_from(&connection, &positions, &settings).await
}

/// The settings of one Fetch request.
pub(super) struct FetchSettings<'a> {
    pub wait: Duration,
    pub max_bytes_per_partition: i32,
    pub min_bytes: i32,
    pub max_bytes: i32,
    pub read_uncommitted: bool,
    pub rack_id: &'a str,
}

/// Sends one Fetch for `positions` (each partition from its offset) over `connection` and decodes
/// each partition's records or error; partitions the response leaves out are absent.
pub(super) async fn fetch_from(
    connection: &Connection,
    positions: &[(TopicPartition, i64)],
    settings: &FetchSettings<'_>,
) -> Result<BTreeMap<TopicPartition, Result<Option<Batch>>>> {
    let version = connection.version_of::<FetchRequest>()?.min(12);
    let mut topics: Vec<FetchTopic> = Vec::new();
    for (tp, offset) in positions {
        let mut partition = FetchPartition::default()
            .with_partition(tp.1)
            .with_fetch_offset(*offset)
            .with_partition_max_bytes(settings.max_bytes_per_partition);
        if version >= 9 {
            partition.current_leader_epoch = -1;
        }
        if version >= 5 {
            partition.log_start_offset = -1;
        }
        match topics.iter_mut().find(|t| t.topic.0.as_str() == tp.0) {
            Some(topic) => topic.partitions.push(partition),
            None => topics.push(
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(tp.0.clone())))
                    .with_partitions(vec![partition]),
            ),
        }
    }
    let mut request = FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(settings.wait.as_millis() as i32)
        .with_min_bytes(settings.min_bytes)
        .with_topics(topics);
    if version >= 3 {
        request.max_bytes = settings.max_bytes;
    }
    if version >= 4 {
        request.isolation_level = i8::from(!settings.read_uncommitted);
    }
    if version >= 7 {
        request.session_id = 0;
        request.session_epoch = -1;
    }
    if version >= 11 {
        request.rack_id = StrBytes::from_string(settings.rack_id.to_string());
    }
    let response = connection.send_at(&request, version).await?;
    if let Some(error) = Error::from_code(response.error_code, None) {
        return Err(error);
    }
    let mut out = BTreeMap::new();
    for topic in response.responses {
        let name = topic.topic.0.to_string();
        for p in topic.partitions {
            let tp = (name.clone(), p.partition_index);
            let Some(offset) = positions.iter().find(|(w, _)| *w == tp).map(|(_, o)| *o) else {
                continue;
            };
            let result = match Error::from_code(p.error_code, None) {
                Some(error) => Err(error),
                None => {
                    let aborted: Vec<Aborted> = p
                        .aborted_transactions
                        .unwrap_or_default()
                        .iter()
                        .map(|a| Aborted {
                            producer_id: a.producer_id.0,
                            first_offset: a.first_offset,
                        })
                        .collect();
                    let bytes = p.records.unwrap_or_default();
                    records::decode(&bytes, offset, &aborted).map(|decoded| {
                        decoded.next_offset.map(|next_offset| Batch {
                            topic: name.clone(),
                            partition: p.partition_index,
                            high_watermark: p.high_watermark,
                            fetched_offset: offset,
                            next_offset: next_offset.max(offset),
                            contexts: decoded.contexts,
                            records: decoded.records,
                        })
                    })
                }
            };
            out.insert(tp, result);
        }
    }
    Ok(out)
}

/// The fetcher's connection to broker `leader`, opened (or reopened) when needed.
async fn fetch_connection(inner: &Inner, leader: i32) -> Result<Arc<Connection>> {
    let open = inner.fetch_connections.lock().get(&leader).cloned();
    if let Some(open) = open.filter(|c| !c.is_closed()) {
        return Ok(open);
    }
    let address = match inner.cluster.known_address(leader) {
        Some(address) => address,
        None => inner
            .cluster
            .refresh(&[], false)
            .await?
            .brokers
            .get(&leader)
            .cloned()
            .ok_or_else(|| {
                Error::connection(
                    "",
                    format!("Broker {leader} not found in the cached metadata"),
                )
            })?,
    };
    let opened = Arc::new(Connection::connect(&address, inner.connection.clone()).await?);
    inner
        .fetch_connections
        .lock()
        .insert(leader, opened.clone());
    Ok(opened)
}

/// Keeps fetched batches whose partition was not sought or reassigned meanwhile.
fn store(inner: &Inner, fetched: Vec<Fetched>) {
    let mut state = inner.state.lock();
    let mut stored = false;
    for (wanted, result) in fetched {
        let reset = inner.reset_offset(&wanted.tp.0);
        let Some(p) = state.partitions.get_mut(&wanted.tp) else {
            continue;
        };
        p.fetching = false;
        if p.epoch != wanted.epoch {
            continue;
        }
        match result {
            Ok(Some(batch)) => {
                p.position = batch.next_offset;
                p.ready = Some(batch);
                stored = true;
            }
            Ok(None) => {}
            Err(Error::Protocol {
                error: ResponseError::OffsetOutOfRange,
                ..
            }) => {
                state.seeks.insert(wanted.tp, reset);
            }
            Err(_) => inner.cluster.invalidate(),
        }
    }
    drop(state);
    if stored {
        inner.ready.notify_waiters();
    }
}
