//! The transaction coordinator of every transactional id on this broker, as Kafka's
//! TransactionCoordinator decides: producer ids and epochs (InitProducerId), which partitions
//! and groups a transaction touches (AddPartitionsToTxn, AddOffsetsToTxn), how it ends (EndTxn,
//! or the timeout), and whether a producer may write to a partition (the produce path's
//! verification). Ending a transaction is two steps: the coordinator decides and hands back an
//! [`EndPlan`] while the state reads PrepareCommit/PrepareAbort (so concurrent requests get
//! CONCURRENT_TRANSACTIONS, as on Kafka while its markers are in flight); once the markers are
//! written, [`TxnCoordinator::finish`] completes it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use kafka_protocol::error::ResponseError;
use parking_lot::Mutex;

use super::metadata::{is_epoch_exhausted, TopicPartition, TxnMetadata, TxnState};
use crate::producer_state::{NO_PRODUCER_EPOCH, NO_PRODUCER_ID};

/// The result of InitProducerId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitOutcome {
    Ready {
        producer_id: i64,
        epoch: i16,
    },
    Failed(ResponseError),
    /// The transactional id had an open transaction: it must be aborted (the producer is
    /// already fenced), after which the client is told CONCURRENT_TRANSACTIONS and retries.
    AbortFirst(EndPlan),
}

/// The result of EndTxn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndOutcome {
    /// Answered at once: an error, or success for a retry of a completed end.
    Done {
        error: Option<ResponseError>,
        producer_id: i64,
        epoch: i16,
    },
    /// The markers of this plan must be written, then [`TxnCoordinator::finish`] called.
    Write(EndPlan),
}

/// A decided transaction whose markers are still to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndPlan {
    pub transactional_id: String,
    pub producer_id: i64,
    /// The epoch the markers carry.
    pub epoch: i16,
    pub commit: bool,
    pub partitions: Vec<TopicPartition>,
    pub groups: Vec<String>,
    /// The producer id to move to once complete (an exhausted epoch under transaction v2).
    next_producer_id: Option<i64>,
}

/// A transaction as DescribeTransactions and ListTransactions report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedTxn {
    pub transactional_id: String,
    pub producer_id: i64,
    pub epoch: i16,
    pub state: &'static str,
    pub timeout_ms: i32,
    pub start_ms: i64,
    pub partitions: Vec<TopicPartition>,
    pub groups: Vec<String>,
}

/// Every transactional id's state, and the producer id counter.
#[derive(Debug)]
pub struct TxnCoordinator {
    txns: Mutex<BTreeMap<String, TxnMetadata>>,
    next_producer_id: AtomicI64,
    /// `transaction.max.timeout.ms`.
    max_timeout_ms: i32,
}

impl TxnCoordinator {
    pub fn new(max_timeout_ms: i32) -> Self {
        TxnCoordinator {
            txns: Mutex::new(BTreeMap::new()),
            next_producer_id: AtomicI64::new(0),
            max_timeout_ms,
        }
    }

    /// Hands out only producer ids above `producer_id`, so that none a log already holds (from
    /// before a restart) is given to a new producer.
    pub fn skip_producer_ids_through(&self, producer_id: i64) {
        self.next_producer_id
            .fetch_max(producer_id + 1, Ordering::Relaxed);
    }

    fn new_producer_id(&self) -> i64 {
        self.next_producer_id.fetch_add(1, Ordering::Relaxed)
    }

    /// InitProducerId. Without a transactional id: a fresh producer id at epoch 0. With one:
    /// the id's producer id at a bumped epoch, fencing older instances; `expected` is the
    /// producer id and epoch a producer recovering from an error sends (KIP-360).
    pub fn init_producer_id(
        &self,
        transactional_id: Option<&str>,
        timeout_ms: i32,
        expected: Option<(i64, i16)>,
        now_ms: i64,
    ) -> InitOutcome {
        let Some(transactional_id) = transactional_id else {
            return InitOutcome::Ready {
                producer_id: self.new_producer_id(),
                epoch: 0,
            };
        };
        if transactional_id.is_empty() {
            return InitOutcome::Failed(ResponseError::InvalidRequest);
        }
        if timeout_ms <= 0 || timeout_ms > self.max_timeout_ms {
            return InitOutcome::Failed(ResponseError::InvalidTransactionTimeout);
        }
        let mut txns = self.txns.lock();
        let txn = txns.entry(transactional_id.to_string()).or_insert_with(|| {
            TxnMetadata::new(transactional_id, self.new_producer_id(), timeout_ms, now_ms)
        });
        let valid_expectation = |(producer_id, epoch): (i64, i16)| {
            txn.producer_epoch == NO_PRODUCER_EPOCH
                || producer_id == txn.producer_id
                || (producer_id == txn.previous_producer_id && is_epoch_exhausted(epoch))
        };
        if !expected.is_none_or(valid_expectation) {
            return InitOutcome::Failed(ResponseError::ProducerFenced);
        }
        match txn.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort => {
                InitOutcome::Failed(ResponseError::ConcurrentTransactions)
            }
            TxnState::Ongoing => {
                txn.fence_and_prepare_abort(now_ms);
                InitOutcome::AbortFirst(plan(txn, false, None))
            }
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                if txn.epoch_exhausted()
                    && expected.is_none_or(|(_, epoch)| epoch == txn.producer_epoch)
                {
                    let producer_id = self.new_producer_id();
                    txn.rotate_producer_id(producer_id, timeout_ms, expected.is_some(), now_ms);
                } else if let Err(error) =
                    txn.increment_epoch(timeout_ms, expected.map(|(_, epoch)| epoch), now_ms)
                {
                    return InitOutcome::Failed(error);
                }
                InitOutcome::Ready {
                    producer_id: txn.producer_id,
                    epoch: txn.producer_epoch,
                }
            }
        }
    }

    /// The transaction of `transactional_id` if the producer id and epoch are its current ones.
    fn current<'a>(
        txns: &'a mut BTreeMap<String, TxnMetadata>,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
    ) -> Result<&'a mut TxnMetadata, ResponseError> {
        if transactional_id.is_empty() {
            return Err(ResponseError::InvalidRequest);
        }
        let txn = txns
            .get_mut(transactional_id)
            .filter(|t| t.producer_id == producer_id)
            .ok_or(ResponseError::InvalidProducerIdMapping)?;
        if txn.producer_epoch != epoch {
            return Err(ResponseError::ProducerFenced);
        }
        Ok(txn)
    }

    /// AddPartitionsToTxn and AddOffsetsToTxn: adds partitions and groups to the open
    /// transaction, starting one if none is open.
    pub fn add(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        partitions: Vec<TopicPartition>,
        groups: Vec<String>,
        now_ms: i64,
    ) -> Result<(), ResponseError> {
        let mut txns = self.txns.lock();
        let txn = Self::current(&mut txns, transactional_id, producer_id, epoch)?;
        if txn.state.is_preparing() {
            return Err(ResponseError::ConcurrentTransactions);
        }
        let known = partitions.iter().all(|p| txn.partitions.contains(p))
            && groups.iter().all(|g| txn.groups.contains(g));
        if txn.state != TxnState::Ongoing || !known {
            txn.add(partitions, groups, now_ms);
        }
        Ok(())
    }

    /// Whether the open transaction includes these partitions: per partition, `None` or
    /// TRANSACTION_ABORTABLE; or an error for all of them (AddPartitionsToTxn v4+ verifyOnly, and
    /// the produce path before a producer's first transactional write to a partition).
    pub fn verify(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        partitions: &[TopicPartition],
    ) -> Result<Vec<Option<ResponseError>>, ResponseError> {
        let mut txns = self.txns.lock();
        let txn = Self::current(&mut txns, transactional_id, producer_id, epoch)?;
        if txn.state.is_preparing() {
            return Err(ResponseError::ConcurrentTransactions);
        }
        Ok(partitions
            .iter()
            .map(|p| (!txn.partitions.contains(p)).then_some(ResponseError::TransactionAbortable))
            .collect())
    }

    /// TxnOffsetCommit: runs `commit` if the open transaction commits offsets for `group`
    /// (AddOffsetsToTxn), while no end of it can start; otherwise says why not.
    pub fn with_group<R>(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        group: &str,
        commit: impl FnOnce() -> R,
    ) -> Result<R, ResponseError> {
        let mut txns = self.txns.lock();
        let txn = Self::current(&mut txns, transactional_id, producer_id, epoch)?;
        if txn.state.is_preparing() {
            return Err(ResponseError::ConcurrentTransactions);
        }
        if !txn.groups.contains(group) {
            return Err(ResponseError::TransactionAbortable);
        }
        Ok(commit())
    }

    /// EndTxn from the producer. `epoch_bump` is transaction version 2 (EndTxn v5+), where
    /// every transaction ends with a new epoch.
    pub fn end(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
        commit: bool,
        epoch_bump: bool,
        now_ms: i64,
    ) -> EndOutcome {
        let failed = |error| EndOutcome::Done {
            error: Some(error),
            producer_id: NO_PRODUCER_ID,
            epoch: NO_PRODUCER_EPOCH,
        };
        if transactional_id.is_empty() {
            return failed(ResponseError::InvalidRequest);
        }
        let mut txns = self.txns.lock();
        let Some(txn) = txns.get_mut(transactional_id) else {
            return failed(ResponseError::InvalidProducerIdMapping);
        };
        let bumps = txn.epoch_bump_per_txn;
        let retry_on_overflow = bumps
            && txn.previous_producer_id == producer_id
            && epoch == i16::MAX - 1
            && txn.producer_epoch == 0;
        let retry_on_epoch_bump = bumps && i32::from(txn.producer_epoch) == i32::from(epoch) + 1;
        let valid_epoch = if bumps {
            match txn.state {
                TxnState::Ongoing | TxnState::Empty => epoch == txn.producer_epoch,
                TxnState::PrepareCommit | TxnState::PrepareAbort => retry_on_epoch_bump,
                TxnState::CompleteCommit | TxnState::CompleteAbort => {
                    retry_on_epoch_bump || retry_on_overflow
                }
            }
        } else {
            epoch == txn.producer_epoch
        };
        if txn.producer_id != producer_id && !retry_on_overflow {
            return failed(ResponseError::InvalidProducerIdMapping);
        }
        if !valid_epoch {
            return failed(ResponseError::ProducerFenced);
        }
        let completed = match txn.state {
            TxnState::Ongoing => {
                let next_producer_id =
                    (epoch_bump && txn.epoch_exhausted()).then(|| self.new_producer_id());
                txn.prepare_end(commit, epoch_bump, now_ms);
                return EndOutcome::Write(plan(txn, commit, next_producer_id));
            }
            TxnState::CompleteCommit => commit,
            TxnState::CompleteAbort => !commit,
            TxnState::PrepareCommit if commit => {
                return failed(ResponseError::ConcurrentTransactions)
            }
            TxnState::PrepareAbort if !commit => {
                return failed(ResponseError::ConcurrentTransactions)
            }
            TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::Empty => false,
        };
        if completed {
            EndOutcome::Done {
                error: None,
                producer_id: txn.producer_id,
                epoch: txn.producer_epoch,
            }
        } else {
            failed(ResponseError::InvalidTxnState)
        }
    }

    /// Completes a transaction whose markers are written; returns its producer id and epoch.
    pub fn finish(&self, plan: &EndPlan, now_ms: i64) -> (i64, i16) {
        let mut txns = self.txns.lock();
        match txns.get_mut(&plan.transactional_id) {
            Some(txn) if txn.state.is_preparing() && txn.producer_id == plan.producer_id => {
                txn.complete(plan.next_producer_id, now_ms);
                (txn.producer_id, txn.producer_epoch)
            }
            _ => (plan.producer_id, plan.epoch),
        }
    }

    /// Fences the producers of transactions open longer than their timeout and prepares their
    /// aborts (Kafka's `transaction.abort.timed.out.transaction.cleanup.interval.ms` check).
    pub fn time_out(&self, now_ms: i64) -> Vec<EndPlan> {
        let mut txns = self.txns.lock();
        txns.values_mut()
            .filter(|t| {
                t.state == TxnState::Ongoing && t.start_ms + i64::from(t.timeout_ms) < now_ms
            })
            .map(|txn| {
                txn.fence_and_prepare_abort(now_ms);
                plan(txn, false, None)
            })
            .collect()
    }

    /// DescribeTransactions for one id.
    pub fn describe(&self, transactional_id: &str) -> Result<DescribedTxn, ResponseError> {
        if transactional_id.is_empty() {
            return Err(ResponseError::InvalidRequest);
        }
        self.txns
            .lock()
            .get(transactional_id)
            .map(described)
            .ok_or(ResponseError::TransactionalIdNotFound)
    }

    /// Every transactional id, for ListTransactions to filter.
    pub fn all(&self) -> Vec<DescribedTxn> {
        self.txns.lock().values().map(described).collect()
    }
}

fn plan(txn: &TxnMetadata, commit: bool, next_producer_id: Option<i64>) -> EndPlan {
    EndPlan {
        transactional_id: txn.transactional_id.clone(),
        producer_id: txn.producer_id,
        epoch: txn.producer_epoch,
        commit,
        partitions: txn.partitions.iter().cloned().collect(),
        groups: txn.groups.iter().cloned().collect(),
        next_producer_id,
    }
}

fn described(txn: &TxnMetadata) -> DescribedTxn {
    DescribedTxn {
        transactional_id: txn.transactional_id.clone(),
        producer_id: txn.producer_id,
        epoch: txn.producer_epoch,
        state: txn.state.name(),
        timeout_ms: txn.timeout_ms,
        start_ms: txn.start_ms,
        partitions: txn.partitions.iter().cloned().collect(),
        groups: txn.groups.iter().cloned().collect(),
    }
}
