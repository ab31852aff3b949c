//! One transactional id's state, as Kafka's TransactionMetadata keeps it: its producer id and
//! epoch (with the previous ones, to recognise retries), its timeout, its state, the partitions
//! and groups its open transaction touched, and when that transaction started.

use std::collections::BTreeSet;

use kafka_protocol::error::ResponseError;

use crate::producer_state::NO_PRODUCER_EPOCH;

/// A transaction's state. Kafka's `PrepareEpochFence` and `Dead` never show here: fencing
/// moves straight to `PrepareAbort`, and transactional ids do not expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

/// Every state name Kafka knows (ListTransactions reports other filter names as unknown).
pub const KAFKA_STATE_NAMES: [&str; 8] = [
    "Empty",
    "Ongoing",
    "PrepareCommit",
    "PrepareAbort",
    "CompleteCommit",
    "CompleteAbort",
    "Dead",
    "PrepareEpochFence",
];

impl TxnState {
    /// The name DescribeTransactions and ListTransactions report.
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
        }
    }

    /// Markers are being written: the transaction's outcome is decided but not yet applied.
    pub fn is_preparing(self) -> bool {
        matches!(self, TxnState::PrepareCommit | TxnState::PrepareAbort)
    }

    /// No transaction is open: a new one may start.
    pub fn is_idle(self) -> bool {
        matches!(
            self,
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort
        )
    }
}

/// A topic partition.
pub type TopicPartition = (String, i32);

/// The state of one transactional id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnMetadata {
    pub transactional_id: String,
    pub producer_id: i64,
    /// The producer id before the last rotation (epoch exhaustion), or -1.
    pub previous_producer_id: i64,
    pub producer_epoch: i16,
    /// The epoch before the last bump, so a retried InitProducerId gets the same answer.
    pub last_producer_epoch: i16,
    pub timeout_ms: i32,
    pub state: TxnState,
    pub partitions: BTreeSet<TopicPartition>,
    /// Groups whose offsets the transaction commits (AddOffsetsToTxn).
    pub groups: BTreeSet<String>,
    /// When the open transaction started (wall clock ms), or -1.
    pub start_ms: i64,
    pub last_update_ms: i64,
    /// The last EndTxn used transaction version 2 (EndTxn v5+), which bumps the epoch of every
    /// transaction it ends.
    pub epoch_bump_per_txn: bool,
}

impl TxnMetadata {
    pub fn new(transactional_id: &str, producer_id: i64, timeout_ms: i32, now_ms: i64) -> Self {
        TxnMetadata {
            transactional_id: transactional_id.to_string(),
            producer_id,
            previous_producer_id: -1,
            producer_epoch: NO_PRODUCER_EPOCH,
            last_producer_epoch: NO_PRODUCER_EPOCH,
            timeout_ms,
            state: TxnState::Empty,
            partitions: BTreeSet::new(),
            groups: BTreeSet::new(),
            start_ms: -1,
            last_update_ms: now_ms,
            epoch_bump_per_txn: false,
        }
    }

    /// Kafka keeps the last epoch for fencing: a producer may not use `i16::MAX - 1` or more.
    pub fn epoch_exhausted(&self) -> bool {
        is_epoch_exhausted(self.producer_epoch)
    }

    /// InitProducerId from Empty or a completed transaction: bumps the epoch, unless the expected
    /// epoch shows a retry of the last bump; an expected epoch that is neither is fenced.
    pub fn increment_epoch(
        &mut self,
        timeout_ms: i32,
        expected_epoch: Option<i16>,
        now_ms: i64,
    ) -> Result<(), ResponseError> {
        let bumped = self.producer_epoch.saturating_add(1);
        let (epoch, last) = match expected_epoch {
            None => (bumped, NO_PRODUCER_EPOCH),
            Some(expected)
                if self.producer_epoch == NO_PRODUCER_EPOCH || expected == self.producer_epoch =>
            {
                (bumped, self.producer_epoch)
            }
            Some(expected) if expected == self.last_producer_epoch => {
                (self.producer_epoch, self.last_producer_epoch)
            }
            Some(_) => return Err(ResponseError::ProducerFenced),
        };
        self.producer_epoch = epoch;
        self.last_producer_epoch = last;
        self.reset_to_empty(timeout_ms, now_ms);
        Ok(())
    }

    /// InitProducerId once the epoch is exhausted: a new producer id at epoch 0.
    pub fn rotate_producer_id(
        &mut self,
        producer_id: i64,
        timeout_ms: i32,
        record_last_epoch: bool,
        now_ms: i64,
    ) {
        self.previous_producer_id = self.producer_id;
        self.producer_id = producer_id;
        self.last_producer_epoch = if record_last_epoch {
            self.producer_epoch
        } else {
            NO_PRODUCER_EPOCH
        };
        self.producer_epoch = 0;
        self.reset_to_empty(timeout_ms, now_ms);
    }

    fn reset_to_empty(&mut self, timeout_ms: i32, now_ms: i64) {
        self.timeout_ms = timeout_ms;
        self.state = TxnState::Empty;
        self.partitions.clear();
        self.groups.clear();
        self.start_ms = -1;
        self.last_update_ms = now_ms;
    }

    /// Adds partitions (and groups) to the transaction, starting it if none was open.
    pub fn add(
        &mut self,
        partitions: impl IntoIterator<Item = TopicPartition>,
        groups: impl IntoIterator<Item = String>,
        now_ms: i64,
    ) {
        if self.state.is_idle() {
            self.start_ms = now_ms;
        }
        self.state = TxnState::Ongoing;
        self.partitions.extend(partitions);
        self.groups.extend(groups);
        self.last_update_ms = now_ms;
    }

    /// Fences the current producer by bumping the epoch, then prepares the abort of its open
    /// transaction (a timed-out transaction, or InitProducerId from a new producer instance).
    pub fn fence_and_prepare_abort(&mut self, now_ms: i64) {
        self.producer_epoch = self.producer_epoch.saturating_add(1);
        self.last_producer_epoch = NO_PRODUCER_EPOCH;
        self.state = TxnState::PrepareAbort;
        self.last_update_ms = now_ms;
    }

    /// EndTxn on an open transaction: decides its outcome. Transaction version 2 bumps the epoch
    /// here, so the markers carry the new one.
    pub fn prepare_end(&mut self, commit: bool, epoch_bump: bool, now_ms: i64) {
        if epoch_bump {
            self.last_producer_epoch = self.producer_epoch;
            self.producer_epoch = self.producer_epoch.saturating_add(1);
        }
        self.epoch_bump_per_txn = epoch_bump;
        self.state = if commit {
            TxnState::PrepareCommit
        } else {
            TxnState::PrepareAbort
        };
        self.last_update_ms = now_ms;
    }

    /// The markers are written: the transaction is complete. An exhausted epoch under
    /// transaction version 2 moves on to `next_producer_id` at epoch 0.
    pub fn complete(&mut self, next_producer_id: Option<i64>, now_ms: i64) {
        self.state = if self.state == TxnState::PrepareCommit {
            TxnState::CompleteCommit
        } else {
            TxnState::CompleteAbort
        };
        self.last_producer_epoch = self.producer_epoch;
        if let Some(next) = next_producer_id {
            self.previous_producer_id = self.producer_id;
            self.producer_id = next;
            self.producer_epoch = 0;
        }
        self.partitions.clear();
        self.groups.clear();
        self.last_update_ms = now_ms;
    }
}

/// Whether `epoch` leaves no room to fence the producer that uses it.
pub fn is_epoch_exhausted(epoch: i16) -> bool {
    epoch >= i16::MAX - 1
}
