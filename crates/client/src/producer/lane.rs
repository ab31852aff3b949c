//! A lane sends everything produced to one leader. Sends that reach it while it waits for a
//! free in-flight slot (or during the optional linger) are coalesced into the same Produce
//! requests, so many concurrent `send()` calls cost a few requests instead of one each; a lone
//! send goes out at once.

use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::ProduceRequest;
use kafka_protocol::records::Compression;
use tokio::sync::{mpsc, oneshot, Semaphore};

use super::batches::{encode, plan, Planned};
use super::gate::Gate;
use super::{Part, RecordMetadata};
use crate::cluster::Cluster;
use crate::error::{Error, Result};

/// The request-level settings sends must share to travel in one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestKey {
    pub acks: i16,
    pub timeout_ms: i32,
    pub compression: Compression,
}

/// What became of one part.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Written; the metadata of its first message's batch, offset to its first message.
    Acked(RecordMetadata),
    /// Sent with acks=0: nothing to report.
    Unacknowledged,
    Failed(Error),
}

/// One send's parts for this leader, and where their outcomes go (one per part, in order).
pub struct Submission {
    pub key: RequestKey,
    pub parts: Vec<Part>,
    pub reply: oneshot::Sender<Vec<Outcome>>,
}

/// How a lane batches.
#[derive(Debug, Clone, Copy)]
pub struct LaneOptions {
    /// Produce requests in flight at once; more sends wait and are coalesced.
    pub max_in_flight: usize,
    /// How long to wait for more sends after the first one arrives.
    pub linger: Duration,
}

/// Starts the lane to `leader`; it ends when the returned sender is dropped. It starts a round
/// only while `gate` is open.
pub fn start(
    cluster: Arc<Cluster>,
    leader: i32,
    options: LaneOptions,
    gate: Arc<Gate>,
) -> mpsc::UnboundedSender<Submission> {
    let (sender, queue) = mpsc::unbounded_channel();
    tokio::spawn(run(cluster, leader, queue, options, gate));
    sender
}

async fn run(
    cluster: Arc<Cluster>,
    leader: i32,
    mut queue: mpsc::UnboundedReceiver<Submission>,
    options: LaneOptions,
    gate: Arc<Gate>,
) {
    let slots = Arc::new(Semaphore::new(options.max_in_flight.max(1)));
    while let Some(first) = queue.recv().await {
        let observed = cluster.observer().filter(|o| o.enabled()).cloned();
        let waiting = slots.available_permits() == 0;
        let report = |size: usize| {
            if let Some(observer) = &observed {
                let broker = cluster.known_address(leader).unwrap_or_default();
                observer.queue_size(&broker, cluster.client_id(), size);
            }
        };
        if waiting {
            report(1 + queue.len());
        }
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        if !options.linger.is_zero() {
            tokio::time::sleep(options.linger).await;
        }
        gate.open().await;
        let mut round = vec![first];
        while let Ok(next) = queue.try_recv() {
            round.push(next);
        }
        if waiting {
            report(0);
        }
        let mut by_key: Vec<(RequestKey, Vec<Submission>)> = Vec::new();
        for submission in round {
            match by_key.iter_mut().find(|(key, _)| *key == submission.key) {
                Some((_, same)) => same.push(submission),
                None => by_key.push((submission.key, vec![submission])),
            }
        }
        let sends: Vec<_> = by_key
            .into_iter()
            .map(|(_, submissions)| dispatch(&cluster, leader, submissions))
            .collect();
        let started = futures::future::join_all(sends).await;
        tokio::spawn(async move {
            futures::future::join_all(started).await;
            drop(slot);
        });
    }
}

/// Queues the requests for `submissions` on the leader's connection, in order, and returns the
/// future that waits for their responses and answers every submission.
async fn dispatch(
    cluster: &Arc<Cluster>,
    leader: i32,
    submissions: Vec<Submission>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let key = submissions[0].key;
    let mut parts = Vec::new();
    let mut owners = Vec::new();
    let mut replies = Vec::new();
    for (index, submission) in submissions.into_iter().enumerate() {
        owners.extend(std::iter::repeat_n(index, submission.parts.len()));
        parts.extend(submission.parts);
        replies.push(submission.reply);
    }
    let planned = plan(&parts);
    let responses = queue_requests(cluster, leader, &planned, &parts, key).await;
    async move {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; parts.len()];
        let answers = futures::future::join_all(responses).await;
        for (request, answer) in planned.iter().zip(answers) {
            record(request, answer, &parts, &mut outcomes);
        }
        let mut per_submission: Vec<Vec<Outcome>> = replies.iter().map(|_| Vec::new()).collect();
        for (owner, outcome) in owners.into_iter().zip(outcomes) {
            per_submission[owner].push(outcome.unwrap_or(Outcome::Unacknowledged));
        }
        for (reply, outcomes) in replies.into_iter().zip(per_submission) {
            let _ = reply.send(outcomes);
        }
    }
}

type Answer = Result<Option<kafka_protocol::messages::ProduceResponse>>;

/// The response futures of a round's requests.
type Queued = Vec<futures::future::BoxFuture<'static, Answer>>;

/// Queues one Produce request per planned request; each future resolves with its response
/// (`None` with acks=0) or the error that stopped it.
async fn queue_requests(
    cluster: &Arc<Cluster>,
    leader: i32,
    planned: &[Planned],
    parts: &[Part],
    key: RequestKey,
) -> Queued {
    let ready = |answer: Answer| -> futures::future::BoxFuture<'static, Answer> {
        Box::pin(std::future::ready(answer))
    };
    let opened = async {
        let connection = cluster.connection_to_node(leader).await?;
        let version = connection.version_of::<ProduceRequest>()?;
        Ok::<_, Error>((connection, version))
    };
    let (connection, version) = match opened.await {
        Ok(opened) => opened,
        Err(error) => return planned.iter().map(|_| ready(Err(error.clone()))).collect(),
    };
    planned
        .iter()
        .map(|request| {
            let encoded = encode(
                request,
                parts,
                key.acks,
                key.timeout_ms,
                key.compression,
                version,
            );
            let request = match encoded {
                Ok(request) => request,
                Err(error) => return ready(Err(error)),
            };
            if key.acks == 0 {
                return ready(connection.send_without_response(&request).map(|_| None));
            }
            match connection.start(&request, version) {
                Ok(response) => Box::pin(async move { response.await.map(Some) }),
                Err(error) => ready(Err(error)),
            }
        })
        .collect()
}

/// Records what `answer` says about each part in `request`. A part's first acknowledged batch
/// gives its metadata; any failure fails the part.
fn record(request: &Planned, answer: Answer, parts: &[Part], outcomes: &mut [Option<Outcome>]) {
    let response = match answer {
        Ok(Some(response)) => response,
        Ok(None) => return,
        Err(error) => {
            for (_, _, chunk) in &request.chunks {
                for slice in &chunk.slices {
                    outcomes[slice.part] = Some(Outcome::Failed(error.clone()));
                }
            }
            return;
        }
    };
    for (topic, partition, chunk) in &request.chunks {
        // Produce v13+ answers with topic ids instead of names.
        let answered = response
            .responses
            .iter()
            .filter(|t| {
                t.name.0.as_str() == &**topic
                    || (t.name.0.is_empty() && t.topic_id == request.topic_id(parts, topic))
            })
            .flat_map(|t| &t.partition_responses)
            .find(|p| p.index == *partition);
        let mut position = 0i64;
        for slice in &chunk.slices {
            let outcome = &mut outcomes[slice.part];
            let result = match answered {
                None => Outcome::Failed(Error::Encoding(format!(
                    "the broker did not answer for {topic}-{partition}"
                ))),
                Some(p) => match Error::from_code(
                    p.error_code,
                    p.error_message.as_ref().map(|m| m.to_string()),
                ) {
                    Some(error) => Outcome::Failed(error),
                    None => Outcome::Acked(RecordMetadata {
                        topic_name: parts[slice.part].topic.to_string(),
                        partition: *partition,
                        error_code: 0,
                        base_offset: p.base_offset + position,
                        log_append_time: p.log_append_time_ms,
                        log_start_offset: p.log_start_offset,
                    }),
                },
            };
            position += (slice.end - slice.start) as i64;
            match (&*outcome, result) {
                (Some(Outcome::Failed(_)), _) => {}
                (Some(Outcome::Acked(_)), Outcome::Acked(_)) => {}
                (_, result) => *outcome = Some(result),
            }
        }
    }
}
