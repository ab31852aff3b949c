//! One partition's messages on their way through an idempotent producer. Messages wait in
//! arrival order; when the partition may send, the waiting ones are cut into a record batch that
//! takes the partition's next sequence number. A batch keeps its messages and its sequence until
//! the broker acknowledges it, so a retry resends the very same batch, and batches go out in
//! sequence order: fresh batches may follow each other in flight, but a batch that failed is
//! resent alone, once every batch before it is acknowledged and none of the partition's batches
//! is in flight.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use kafka_protocol::records::Compression;

use super::super::batches::{size_of, MAX_BATCH_BYTES};
use super::super::Message;
use crate::error::Error;
use crate::retry::{Backoff, RetryOptions};

/// Which submitted part a stretch of messages belongs to: (submission, part index).
pub type Owner = (u64, usize);

/// How a stretch of messages is to be written; only stretches that agree share a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub compression: Compression,
    pub timeout_ms: i32,
}

/// Messages `start..end` of one submitted part.
#[derive(Debug, Clone)]
pub struct Run {
    pub owner: Owner,
    pub messages: Arc<Vec<Message>>,
    pub start: usize,
    pub end: usize,
    pub settings: Settings,
}

impl Run {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn messages(&self) -> &[Message] {
        &self.messages[self.start..self.end]
    }
}

/// Where a batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Waiting to be sent (again).
    Ready,
    /// Sent; its response has not come back.
    InFlight,
}

/// A failed batch's retry state.
#[derive(Debug, Clone)]
pub struct Retry {
    pub backoff: Backoff,
    pub not_before: Instant,
}

/// A cut record batch and its sequence number.
#[derive(Debug, Clone)]
pub struct Batch {
    pub sequence: i32,
    pub runs: Vec<Run>,
    pub count: usize,
    pub bytes: usize,
    pub settings: Settings,
    pub stage: Stage,
    /// Set once the batch has failed; it is then resent alone.
    pub retry: Option<Retry>,
}

impl Batch {
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.runs.iter().flat_map(Run::messages)
    }
}

/// A batch given up on once every retry was used: its messages, and why.
#[derive(Debug)]
pub struct GaveUp {
    pub runs: Vec<Run>,
    pub error: crate::retry::RetryError,
}

/// The sequence `count` records after `sequence`; sequences wrap from `i32::MAX` to 0.
pub fn advance(sequence: i32, count: usize) -> i32 {
    ((i64::from(sequence) + count as i64) % (i64::from(i32::MAX) + 1)) as i32
}

/// One partition's waiting messages and unacknowledged batches.
#[derive(Debug, Default)]
pub struct PartitionQueue {
    waiting: VecDeque<Run>,
    /// Unacknowledged batches in sequence order.
    batches: VecDeque<Batch>,
    next_sequence: i32,
}

impl PartitionQueue {
    /// Queues messages behind everything already queued.
    pub fn push(&mut self, run: Run) {
        if run.len() > 0 {
            self.waiting.push_back(run);
        }
    }

    /// Whether nothing is waiting, unacknowledged or in flight.
    pub fn is_idle(&self) -> bool {
        self.waiting.is_empty() && self.batches.is_empty()
    }

    /// Batches sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.batches
            .iter()
            .filter(|b| b.stage == Stage::InFlight)
            .count()
    }

    /// Whether the partition has a batch to send now (or messages to cut one from).
    pub fn wants_to_send(&self, now: Instant) -> bool {
        match self.first_ready() {
            Some(index) => self.may_send(index, now),
            None => !self.waiting.is_empty(),
        }
    }

    /// The batch this partition may send now, cut from the waiting messages when no batch is
    /// ready; `None` when it must wait (nothing to send, a resend waiting for its backoff or for
    /// the batches before it).
    pub fn next_to_send(&mut self, now: Instant) -> Option<&mut Batch> {
        match self.first_ready() {
            Some(index) => self.may_send(index, now).then(|| &mut self.batches[index]),
            None => {
                let batch = self.cut()?;
                self.batches.push_back(batch);
                self.batches.back_mut()
            }
        }
    }

    fn first_ready(&self) -> Option<usize> {
        self.batches.iter().position(|b| b.stage == Stage::Ready)
    }

    /// A fresh batch may follow the ones in flight; a resend goes once it is first in line,
    /// its backoff has passed and nothing of the partition is in flight.
    fn may_send(&self, index: usize, now: Instant) -> bool {
        match &self.batches[index].retry {
            None => true,
            Some(retry) => index == 0 && retry.not_before <= now && self.in_flight() == 0,
        }
    }

    /// When the first resend is due, if a resend is what the partition waits for.
    pub fn due(&self) -> Option<Instant> {
        let first = self.batches.front()?;
        match (&first.retry, first.stage) {
            (Some(retry), Stage::Ready) => Some(retry.not_before),
            _ => None,
        }
    }

    /// The unacknowledged batch with `sequence`.
    pub fn batch_mut(&mut self, sequence: i32) -> Option<&mut Batch> {
        self.batches.iter_mut().find(|b| b.sequence == sequence)
    }

    /// Whether the batch with `sequence` is the first unacknowledged one: the broker expects it
    /// next.
    pub fn is_front(&self, sequence: i32) -> bool {
        self.batches.front().is_some_and(|b| b.sequence == sequence)
    }

    /// Removes the batch with `sequence` (acknowledged, or failed for good).
    pub fn remove(&mut self, sequence: i32) -> Option<Batch> {
        let index = self.batches.iter().position(|b| b.sequence == sequence)?;
        self.batches.remove(index)
    }

    /// Records a failed attempt of the batch with `sequence`. A `counted` failure uses one of
    /// its retries (and waits the backoff); an uncounted one (the batch only failed because one
    /// before it did) is resent as soon as its turn comes. Returns the batch once it is given
    /// up on.
    pub fn failed(
        &mut self,
        sequence: i32,
        error: Error,
        counted: bool,
        options: RetryOptions,
        now: Instant,
    ) -> Option<GaveUp> {
        let batch = self.batch_mut(sequence)?;
        batch.stage = Stage::Ready;
        let retry = batch.retry.get_or_insert_with(|| Retry {
            backoff: Backoff::new(options),
            not_before: now,
        });
        if !counted {
            retry.not_before = retry.not_before.max(now);
            return None;
        }
        match retry.backoff.next_wait() {
            Some(wait) => {
                retry.not_before = now + wait;
                None
            }
            None => {
                let error = retry.backoff.exhausted(error);
                let batch = self.remove(sequence)?;
                Some(GaveUp {
                    runs: batch.runs,
                    error,
                })
            }
        }
    }

    /// Numbers every unacknowledged batch again from sequence 0, in order, for a new producer
    /// epoch. Nothing may be in flight.
    pub fn restart_sequences(&mut self) {
        let mut next = 0;
        for batch in &mut self.batches {
            batch.sequence = next;
            next = advance(next, batch.count);
        }
        self.next_sequence = next;
    }

    /// Drops every waiting message and unacknowledged batch, returning the runs they held.
    pub fn drain(&mut self) -> Vec<Run> {
        let mut runs: Vec<Run> = self.batches.drain(..).flat_map(|b| b.runs).collect();
        runs.extend(self.waiting.drain(..));
        runs
    }

    /// Cuts the next batch from the waiting messages: as many as fit in [`MAX_BATCH_BYTES`]
    /// (at least one), all with the first one's settings.
    fn cut(&mut self) -> Option<Batch> {
        let settings = self.waiting.front()?.settings;
        let mut runs = Vec::new();
        let mut count = 0;
        let mut bytes = 0;
        while let Some(run) = self.waiting.front_mut() {
            if run.settings != settings {
                break;
            }
            let mut end = run.start;
            while end < run.end {
                let size = size_of(&run.messages[end]);
                if count > 0 && bytes + size > MAX_BATCH_BYTES {
                    break;
                }
                bytes += size;
                count += 1;
                end += 1;
            }
            if end > run.start {
                runs.push(Run { end, ..run.clone() });
            }
            if end < run.end {
                run.start = end;
                break;
            }
            self.waiting.pop_front();
        }
        let sequence = self.next_sequence;
        self.next_sequence = advance(sequence, count);
        Some(Batch {
            sequence,
            runs,
            count,
            bytes,
            settings,
            stage: Stage::Ready,
            retry: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use kafka_protocol::error::ResponseError;
    use std::time::Duration;

    const SETTINGS: Settings = Settings {
        compression: Compression::None,
        timeout_ms: 30_000,
    };

    fn run(submission: u64, count: usize, size: usize) -> Run {
        let message = Message {
            value: Some(Bytes::from(vec![b'x'; size])),
            ..Message::default()
        };
        Run {
            owner: (submission, 0),
            messages: Arc::new(vec![message; count]),
            start: 0,
            end: count,
            settings: SETTINGS,
        }
    }

    fn retriable() -> Error {
        Error::Protocol {
            error: ResponseError::NotLeaderOrFollower,
            message: None,
        }
    }

    fn send(queue: &mut PartitionQueue, now: Instant) -> Option<(i32, usize)> {
        let batch = queue.next_to_send(now)?;
        batch.stage = Stage::InFlight;
        Some((batch.sequence, batch.count))
    }

    #[test]
    fn waiting_messages_join_one_batch_and_sequences_follow_the_counts() {
        let now = Instant::now();
        let mut queue = PartitionQueue::default();
        queue.push(run(1, 3, 10));
        queue.push(run(2, 2, 10));
        assert_eq!(send(&mut queue, now), Some((0, 5)));
        assert_eq!(send(&mut queue, now), None, "nothing left to cut");
        queue.push(run(3, 4, 10));
        assert_eq!(
            send(&mut queue, now),
            Some((5, 4)),
            "pipelined behind the first"
        );
        assert_eq!(queue.in_flight(), 2);
    }

    #[test]
    fn a_batch_holds_at_most_max_batch_bytes_and_other_settings_start_a_new_one() {
        let now = Instant::now();
        let mut queue = PartitionQueue::default();
        queue.push(run(1, 5, 400_000));
        let mut gzip = run(2, 1, 10);
        gzip.settings.compression = Compression::Gzip;
        queue.push(gzip);
        assert_eq!(send(&mut queue, now), Some((0, 2)));
        assert_eq!(send(&mut queue, now), Some((2, 2)));
        assert_eq!(send(&mut queue, now), Some((4, 1)));
        let last = queue.next_to_send(now).unwrap();
        assert_eq!(
            (last.sequence, last.settings.compression),
            (5, Compression::Gzip)
        );
    }

    #[test]
    fn a_failed_batch_is_resent_alone_with_its_sequence_once_nothing_is_in_flight() {
        let start = Instant::now();
        let options = RetryOptions::TEST_DEFAULT;
        let mut queue = PartitionQueue::default();
        queue.push(run(1, 2, 10));
        send(&mut queue, start);
        queue.push(run(2, 3, 10));
        send(&mut queue, start);
        queue.push(run(3, 1, 10));

        assert!(queue.failed(0, retriable(), true, options, start).is_none());
        let later = start + Duration::from_secs(5);
        assert_eq!(send(&mut queue, later), None, "batch 2 is still in flight");
        assert!(queue
            .failed(2, retriable(), false, options, start)
            .is_none());
        assert_eq!(send(&mut queue, start), None, "the backoff has not passed");
        assert_eq!(
            send(&mut queue, later),
            Some((0, 2)),
            "the same batch again"
        );
        assert_eq!(send(&mut queue, later), None, "a resend goes alone");
        assert!(queue.remove(0).is_some());
        assert_eq!(send(&mut queue, later), Some((2, 3)));
        assert!(queue.remove(2).is_some());
        assert_eq!(
            send(&mut queue, later),
            Some((5, 1)),
            "fresh messages follow"
        );
    }

    #[test]
    fn a_batch_gives_up_after_its_retries() {
        let now = Instant::now();
        let options = RetryOptions {
            retries: 2,
            ..RetryOptions::TEST_DEFAULT
        };
        let mut queue = PartitionQueue::default();
        queue.push(run(1, 1, 10));
        send(&mut queue, now);
        for _ in 0..2 {
            assert!(queue.failed(0, retriable(), true, options, now).is_none());
        }
        match queue.failed(0, retriable(), true, options, now) {
            Some(GaveUp {
                runs,
                error: crate::retry::RetryError::Exhausted { retry_count, .. },
            }) => assert_eq!((runs.len(), retry_count), (1, 2)),
            other => panic!("{other:?}"),
        }
        assert!(queue.is_idle());
    }

    #[test]
    fn sequences_restart_from_zero_for_a_new_epoch_and_wrap_at_the_maximum() {
        let now = Instant::now();
        let mut queue = PartitionQueue::default();
        for submission in 0..3 {
            queue.push(run(submission, 2, 10));
            send(&mut queue, now);
        }
        queue.remove(0);
        for sequence in [2, 4] {
            assert!(queue
                .failed(sequence, retriable(), false, RetryOptions::DEFAULT, now)
                .is_none());
        }
        queue.restart_sequences();
        assert_eq!(send(&mut queue, now), Some((0, 2)));
        queue.remove(0);
        assert_eq!(send(&mut queue, now), Some((2, 2)));
        assert_eq!(advance(i32::MAX - 1, 3), 1);
        assert_eq!(advance(5, 3), 8);
    }
}
