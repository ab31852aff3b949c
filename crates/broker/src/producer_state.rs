//! A partition's producer state, kept as Kafka's ProducerStateManager keeps it: per producer id
//! its epoch, the sequence ranges and offsets of its last five batches (so a retried batch is
//! recognised and answered with its original offset), and the first offset of its open
//! transaction; per partition the open transactions (the first of which bounds the last stable
//! offset) and the aborted ones (which read_committed fetches report).
//!
//! Plain data owned by the partition log, changed only under the log's lock, so it can be
//! snapshotted with the log. Validation works on a copy of the entries a request touches
//! ([`Staged`]) and is applied only once every batch of the request passed. It serialises (JSON)
//! for the producer state snapshots a log on disk writes beside its segments.

use std::collections::{BTreeMap, HashMap, VecDeque};

use kafka_protocol::error::ResponseError;
use serde::{Deserialize, Serialize};

/// The producer id of a batch written without one.
pub const NO_PRODUCER_ID: i64 = -1;
/// The epoch of a producer the partition has not seen.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// The sequence of a producer with no batch at its current epoch.
pub const NO_SEQUENCE: i32 = -1;
/// How many recent batches per producer are remembered for spotting duplicates.
pub const BATCHES_TO_RETAIN: usize = 5;

/// Where and what one of a producer's recent batches was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchMetadata {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: i64,
    pub last_offset: i64,
    /// The batch's max timestamp (or its append time on LogAppendTime topics).
    pub timestamp: i64,
}

/// What a partition knows of one producer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerEntry {
    pub epoch: i16,
    /// The last [`BATCHES_TO_RETAIN`] batches at `epoch`, oldest first.
    pub batches: VecDeque<BatchMetadata>,
    /// The coordinator epoch of the last transaction marker written for this producer.
    pub coordinator_epoch: i32,
    pub last_timestamp: i64,
    /// The offset of this producer's first batch in its open transaction, if one is open here.
    pub current_txn_first_offset: Option<i64>,
}

impl ProducerEntry {
    fn new() -> Self {
        ProducerEntry {
            epoch: NO_PRODUCER_EPOCH,
            batches: VecDeque::new(),
            coordinator_epoch: -1,
            last_timestamp: -1,
            current_txn_first_offset: None,
        }
    }

    /// The last sequence written at the current epoch, or [`NO_SEQUENCE`].
    pub fn last_seq(&self) -> i32 {
        self.batches.back().map_or(NO_SEQUENCE, |b| b.last_seq)
    }

    fn set_epoch(&mut self, epoch: i16) {
        if self.epoch != epoch {
            self.batches.clear();
            self.epoch = epoch;
        }
    }

    fn add_batch(&mut self, epoch: i16, batch: BatchMetadata) {
        self.set_epoch(epoch);
        if self.batches.len() == BATCHES_TO_RETAIN {
            self.batches.pop_front();
        }
        self.batches.push_back(batch);
        self.last_timestamp = batch.timestamp;
    }

    /// The remembered batch this one repeats: same epoch, same sequence range.
    fn duplicate_of(&self, epoch: i16, first_seq: i32, last_seq: i32) -> Option<BatchMetadata> {
        if epoch != self.epoch {
            return None;
        }
        self.batches
            .iter()
            .find(|b| b.first_seq == first_seq && b.last_seq == last_seq)
            .copied()
    }
}

/// A transaction that was aborted here: its data lies in `[first_offset, last_offset)` and its
/// abort marker at `last_offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
}

/// A data batch as producer state sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataBatch {
    pub producer_id: i64,
    pub epoch: i16,
    pub base_seq: i32,
    pub last_offset_delta: i32,
    pub transactional: bool,
    pub first_offset: i64,
    pub timestamp: i64,
}

impl DataBatch {
    pub fn last_seq(&self) -> i32 {
        increment_sequence(self.base_seq, self.last_offset_delta)
    }

    fn last_offset(&self) -> i64 {
        self.first_offset + i64::from(self.last_offset_delta)
    }
}

/// A commit or abort marker for one producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub producer_id: i64,
    pub epoch: i16,
    pub coordinator_epoch: i32,
    pub commit: bool,
    pub timestamp: i64,
}

/// `seq + delta`, wrapping past `i32::MAX` to 0 as producers do.
pub fn increment_sequence(seq: i32, delta: i32) -> i32 {
    if seq > i32::MAX - delta {
        delta - (i32::MAX - seq) - 1
    } else {
        seq + delta
    }
}

fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    i64::from(next_seq) == i64::from(last_seq) + 1 || (next_seq == 0 && last_seq == i32::MAX)
}

/// Every producer's state in one partition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProducerStates {
    producers: BTreeMap<i64, ProducerEntry>,
    /// Open transactions: first offset -> producer id.
    ongoing: BTreeMap<i64, i64>,
    /// Aborted transactions in marker order (so by `last_offset`).
    aborted: VecDeque<AbortedTxn>,
}

impl ProducerStates {
    /// The state as a snapshot's contents.
    pub fn to_snapshot(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("producer state serialises")
    }

    /// The state a snapshot's contents hold, if they are one.
    pub fn from_snapshot(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }

    /// Every producer the partition knows, by producer id.
    pub fn entries(&self) -> impl Iterator<Item = (i64, &ProducerEntry)> {
        self.producers.iter().map(|(id, entry)| (*id, entry))
    }

    /// Whether `producer_id` has a transaction open in this partition.
    pub fn has_ongoing_txn(&self, producer_id: i64) -> bool {
        self.producers
            .get(&producer_id)
            .is_some_and(|e| e.current_txn_first_offset.is_some())
    }

    /// The first offset of the earliest open transaction, which nothing at or after may be read
    /// by read_committed consumers.
    pub fn first_unstable_offset(&self) -> Option<i64> {
        self.ongoing.keys().next().copied()
    }

    /// The aborted transactions overlapping `[from, to)`, in marker order.
    pub fn aborted_between(&self, from: i64, to: i64) -> Vec<AbortedTxn> {
        self.aborted
            .iter()
            .filter(|t| t.last_offset >= from && t.first_offset < to)
            .copied()
            .collect()
    }

    /// The batch `batch` repeats, if it is a retry of one of its producer's recent batches.
    pub fn find_duplicate(&self, batch: &DataBatch) -> Option<BatchMetadata> {
        self.producers.get(&batch.producer_id)?.duplicate_of(
            batch.epoch,
            batch.base_seq,
            batch.last_seq(),
        )
    }

    /// Forgets aborted transactions that ended before the new log start offset.
    pub fn on_log_start_offset(&mut self, log_start_offset: i64) {
        while self
            .aborted
            .front()
            .is_some_and(|t| t.last_offset < log_start_offset)
        {
            self.aborted.pop_front();
        }
    }

    /// Starts validating a request's batches against this state.
    pub fn stage(&self) -> Staged<'_> {
        Staged {
            states: self,
            entries: HashMap::new(),
            started: Vec::new(),
        }
    }

    /// Applies what a validated request changed.
    pub fn apply(&mut self, staged: StagedChanges) {
        for (producer_id, entry) in staged.entries {
            self.producers.insert(producer_id, entry);
        }
        for (first_offset, producer_id) in staged.started {
            self.ongoing.insert(first_offset, producer_id);
        }
    }

    /// Checks a marker the coordinator is about to write for a producer.
    pub fn check_marker(&self, marker: &Marker) -> Result<(), ResponseError> {
        let Some(entry) = self.producers.get(&marker.producer_id) else {
            return Ok(());
        };
        if marker.epoch < entry.epoch {
            return Err(ResponseError::InvalidProducerEpoch);
        }
        if entry.coordinator_epoch > marker.coordinator_epoch {
            return Err(ResponseError::TransactionCoordinatorFenced);
        }
        Ok(())
    }

    /// Records a marker written at `offset`, ending the producer's open transaction here (if it
    /// had one). Call [`check_marker`](Self::check_marker) first.
    pub fn apply_marker(&mut self, marker: &Marker, offset: i64) {
        let entry = self
            .producers
            .entry(marker.producer_id)
            .or_insert_with(ProducerEntry::new);
        if let Some(first_offset) = entry.current_txn_first_offset.take() {
            self.ongoing.remove(&first_offset);
            if !marker.commit {
                self.aborted.push_back(AbortedTxn {
                    producer_id: marker.producer_id,
                    first_offset,
                    last_offset: offset,
                });
            }
        }
        entry.set_epoch(marker.epoch);
        entry.coordinator_epoch = marker.coordinator_epoch;
        entry.last_timestamp = marker.timestamp;
    }
}

/// The changes a request would make, for [`ProducerStates::apply`].
#[derive(Debug, Default)]
pub struct StagedChanges {
    entries: HashMap<i64, ProducerEntry>,
    started: Vec<(i64, i64)>,
}

/// A request's batches being validated against a partition's producer state.
#[derive(Debug)]
pub struct Staged<'a> {
    states: &'a ProducerStates,
    entries: HashMap<i64, ProducerEntry>,
    started: Vec<(i64, i64)>,
}

impl Staged<'_> {
    fn entry(&mut self, producer_id: i64) -> &mut ProducerEntry {
        let states = self.states;
        self.entries.entry(producer_id).or_insert_with(|| {
            states
                .producers
                .get(&producer_id)
                .cloned()
                .unwrap_or_else(ProducerEntry::new)
        })
    }

    /// Whether the producer has a transaction open here, counting batches staged before.
    pub fn has_ongoing_txn(&self, producer_id: i64) -> bool {
        match self.entries.get(&producer_id) {
            Some(entry) => entry.current_txn_first_offset.is_some(),
            None => self.states.has_ongoing_txn(producer_id),
        }
    }

    /// Validates a client's data batch (epoch, then sequence, then transaction state) and stages
    /// its effect.
    pub fn append_data(&mut self, batch: &DataBatch) -> Result<(), ResponseError> {
        let stored_epoch = self
            .states
            .producers
            .get(&batch.producer_id)
            .map_or(NO_PRODUCER_EPOCH, |e| e.epoch);
        let entry = self.entry(batch.producer_id);
        if batch.epoch < entry.epoch {
            return Err(ResponseError::InvalidProducerEpoch);
        }
        let in_order = if batch.epoch != entry.epoch {
            batch.base_seq == 0 || entry.epoch == NO_PRODUCER_EPOCH
        } else {
            stored_epoch == NO_PRODUCER_EPOCH || in_sequence(entry.last_seq(), batch.base_seq)
        };
        if !in_order {
            return Err(ResponseError::OutOfOrderSequenceNumber);
        }
        entry.add_batch(
            batch.epoch,
            BatchMetadata {
                first_seq: batch.base_seq,
                last_seq: batch.last_seq(),
                first_offset: batch.first_offset,
                last_offset: batch.last_offset(),
                timestamp: batch.timestamp,
            },
        );
        match (entry.current_txn_first_offset, batch.transactional) {
            (Some(_), false) => Err(ResponseError::InvalidTxnState),
            (None, true) => {
                entry.current_txn_first_offset = Some(batch.first_offset);
                self.started.push((batch.first_offset, batch.producer_id));
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The changes to apply once every batch passed.
    pub fn finish(self) -> StagedChanges {
        StagedChanges {
            entries: self.entries,
            started: self.started,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(producer_id: i64, epoch: i16, base_seq: i32, count: i32, offset: i64) -> DataBatch {
        DataBatch {
            producer_id,
            epoch,
            base_seq,
            last_offset_delta: count - 1,
            transactional: false,
            first_offset: offset,
            timestamp: 1000 + offset,
        }
    }

    fn entry(states: &ProducerStates, producer_id: i64) -> Option<&ProducerEntry> {
        states
            .entries()
            .find(|(id, _)| *id == producer_id)
            .map(|(_, entry)| entry)
    }

    fn txn(batch: DataBatch) -> DataBatch {
        DataBatch {
            transactional: true,
            ..batch
        }
    }

    fn append(states: &mut ProducerStates, batch: DataBatch) -> Result<(), ResponseError> {
        let mut staged = states.stage();
        staged.append_data(&batch)?;
        let changes = staged.finish();
        states.apply(changes);
        Ok(())
    }

    fn marker(producer_id: i64, epoch: i16, commit: bool) -> Marker {
        Marker {
            producer_id,
            epoch,
            coordinator_epoch: 0,
            commit,
            timestamp: 5,
        }
    }

    #[test]
    fn accepts_consecutive_sequences_and_refuses_gaps() {
        let mut states = ProducerStates::default();
        append(&mut states, data(7, 0, 0, 3, 0)).unwrap();
        append(&mut states, data(7, 0, 3, 2, 3)).unwrap();
        assert_eq!(entry(&states, 7).unwrap().last_seq(), 4);
        assert_eq!(
            append(&mut states, data(7, 0, 6, 1, 5)),
            Err(ResponseError::OutOfOrderSequenceNumber)
        );
        assert_eq!(
            append(&mut states, data(7, 0, 4, 1, 5)),
            Err(ResponseError::OutOfOrderSequenceNumber)
        );
        append(&mut states, data(7, 0, 5, 1, 5)).unwrap();
    }

    #[test]
    fn a_new_producer_may_start_at_any_sequence() {
        let mut states = ProducerStates::default();
        append(&mut states, data(7, 3, 42, 1, 0)).unwrap();
        append(&mut states, data(7, 3, 43, 1, 1)).unwrap();
    }

    #[test]
    fn a_new_epoch_starts_at_sequence_zero_and_an_old_epoch_is_refused() {
        let mut states = ProducerStates::default();
        append(&mut states, data(7, 0, 0, 2, 0)).unwrap();
        assert_eq!(
            append(&mut states, data(7, 1, 2, 1, 2)),
            Err(ResponseError::OutOfOrderSequenceNumber)
        );
        append(&mut states, data(7, 1, 0, 1, 2)).unwrap();
        assert_eq!(
            append(&mut states, data(7, 0, 2, 1, 3)),
            Err(ResponseError::InvalidProducerEpoch)
        );
    }

    #[test]
    fn remembers_the_last_five_batches_for_duplicates() {
        let mut states = ProducerStates::default();
        for i in 0..6 {
            append(&mut states, data(7, 0, i * 2, 2, i64::from(i) * 2)).unwrap();
        }
        let retried = data(7, 0, 2, 2, 99);
        assert_eq!(
            states.find_duplicate(&retried).map(|b| b.first_offset),
            Some(2)
        );
        assert_eq!(states.find_duplicate(&data(7, 0, 0, 2, 99)), None);
        assert_eq!(states.find_duplicate(&data(7, 1, 2, 2, 99)), None);
        assert_eq!(states.find_duplicate(&data(7, 0, 2, 1, 99)), None);
    }

    #[test]
    fn sequences_wrap_past_the_largest_int() {
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
        let mut states = ProducerStates::default();
        append(&mut states, data(7, 0, i32::MAX - 1, 2, 0)).unwrap();
        append(&mut states, data(7, 0, 0, 1, 2)).unwrap();
    }

    #[test]
    fn transactions_bound_the_stable_offset_and_aborts_are_remembered() {
        let mut states = ProducerStates::default();
        append(&mut states, txn(data(1, 0, 0, 2, 0))).unwrap();
        append(&mut states, txn(data(2, 0, 0, 1, 2))).unwrap();
        append(&mut states, txn(data(1, 0, 2, 1, 3))).unwrap();
        assert_eq!(states.first_unstable_offset(), Some(0));
        assert!(states.has_ongoing_txn(1));

        states.check_marker(&marker(1, 0, false)).unwrap();
        states.apply_marker(&marker(1, 0, false), 4);
        assert_eq!(states.first_unstable_offset(), Some(2));
        assert!(!states.has_ongoing_txn(1));
        states.apply_marker(&marker(2, 0, true), 5);
        assert_eq!(states.first_unstable_offset(), None);

        let aborted = AbortedTxn {
            producer_id: 1,
            first_offset: 0,
            last_offset: 4,
        };
        assert_eq!(states.aborted_between(0, 6), vec![aborted]);
        assert_eq!(states.aborted_between(4, 6), vec![aborted]);
        assert!(states.aborted_between(5, 6).is_empty());
        states.on_log_start_offset(5);
        assert!(states.aborted_between(0, 6).is_empty());
    }

    #[test]
    fn a_plain_write_inside_an_open_transaction_is_refused() {
        let mut states = ProducerStates::default();
        append(&mut states, txn(data(1, 0, 0, 1, 0))).unwrap();
        assert_eq!(
            append(&mut states, data(1, 0, 1, 1, 1)),
            Err(ResponseError::InvalidTxnState)
        );
    }

    #[test]
    fn a_marker_with_a_bumped_epoch_fences_the_old_one_and_restarts_sequences() {
        let mut states = ProducerStates::default();
        append(&mut states, txn(data(1, 0, 0, 3, 0))).unwrap();
        states.apply_marker(&marker(1, 1, false), 3);
        assert_eq!(
            append(&mut states, txn(data(1, 0, 3, 1, 4))),
            Err(ResponseError::InvalidProducerEpoch)
        );
        assert_eq!(
            states.check_marker(&marker(1, 0, true)),
            Err(ResponseError::InvalidProducerEpoch)
        );
        append(&mut states, txn(data(1, 1, 0, 1, 4))).unwrap();
    }

    #[test]
    fn a_refused_request_changes_nothing() {
        let mut states = ProducerStates::default();
        let mut staged = states.stage();
        staged.append_data(&txn(data(1, 0, 0, 1, 0))).unwrap();
        assert!(staged.has_ongoing_txn(1));
        assert!(staged.append_data(&data(1, 0, 5, 1, 1)).is_err());
        drop(staged);
        assert!(entry(&states, 1).is_none());
        assert_eq!(states.first_unstable_offset(), None);
        append(&mut states, data(1, 0, 0, 1, 0)).unwrap();
    }
}
