//! The transaction coordinator of every transactional id on this broker, as Kafka's
//! TransactionCoordinator decides: producer ids and epochs (InitProducerId), which partitions
//! and groups a transaction touches (AddPartitionsToTxn, AddOffsetsToTxn), how it ends (EndTxn,
//! or the timeout), and whether a producer may write to a partition (the produce path's
//! verification). Ending a transaction is two steps: the coordinator decides and hands back an
//! [`EndPlan`] while the state reads PrepareCommit/PrepareAbort (so concurrent requests get
//! CONCURRENT_TRANSACTIONS, as on Kafka while its markers are in flight); once the markers are
//! written, [`TxnCoordinator::finish`] completes it.
//!
//! With a log directory every decision is recorded in the `transactions` metadata (as Kafka
//! records it in `__transaction_state`), and producer ids are reserved there in blocks before
//! they are handed out, so a restarted broker gives a transactional id its producer id back at a
//! bumped epoch, fencing the instance from before, and never hands out an id twice.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use kafka_protocol::error::ResponseError;
use parking_lot::Mutex;

use super::metadata::{is_epoch_exhausted, TopicPartition, TxnMetadata, TxnState};
use crate::producer_state::{NO_PRODUCER_EPOCH, NO_PRODUCER_ID};
use crate::storage::{Storage, Transactions, TxnMeta, TxnRecord};

/// How many producer ids are reserved in the metadata at a time (Kafka's block size).
const PRODUCER_ID_BLOCK: i64 = 1000;

/// The producer id counter: the next id, and the end of the block reserved on disk.
#[derive(Debug, Default)]
struct ProducerIds {
    next: i64,
    reserved: i64,
}

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
    producer_ids: Mutex<ProducerIds>,
    /// `transaction.max.timeout.ms`.
    max_timeout_ms: i32,
    /// Where decisions are recorded, when the broker has a log directory.
    storage: OnceLock<Arc<Storage>>,
}

/// The outcome a restarted coordinator had decided for a producer's transaction, which its
/// partitions' logs apply to a transaction they find open: (epoch, commit).
pub type Decided = HashMap<i64, (i16, bool)>;

fn meta(txn: &TxnMetadata) -> TxnMeta {
    TxnMeta {
        transactional_id: txn.transactional_id.clone(),
        producer_id: txn.producer_id,
        previous_producer_id: txn.previous_producer_id,
        producer_epoch: txn.producer_epoch,
        last_producer_epoch: txn.last_producer_epoch,
        timeout_ms: txn.timeout_ms,
        state: txn.state.name().to_string(),
        partitions: txn.partitions.iter().cloned().collect(),
        epoch_bump_per_txn: txn.epoch_bump_per_txn,
    }
}

impl TxnCoordinator {
    pub fn new(max_timeout_ms: i32) -> Self {
        TxnCoordinator {
            txns: Mutex::new(BTreeMap::new()),
            producer_ids: Mutex::new(ProducerIds::default()),
            max_timeout_ms,
            storage: OnceLock::new(),
        }
    }

    /// Takes back what `storage` recorded: the producer ids handed out and every transactional
    /// id's state, and records what is decided from now on there. A transaction whose outcome
    /// was decided but whose markers may not all be written is completed now; the returned
    /// outcomes are for the partition logs to apply when they open. A transaction still open
    /// (never decided) comes back as it was before it started: the logs abort what it wrote.
    pub fn restore(&self, storage: Arc<Storage>, now_ms: i64) -> Decided {
        let Transactions {
            next_producer_id,
            txns: recorded,
        } = storage.transactions();
        {
            let mut ids = self.producer_ids.lock();
            ids.next = ids.next.max(next_producer_id);
            ids.reserved = ids.next;
        }
        let mut decided = Decided::new();
        let mut txns = self.txns.lock();
        for (id, recorded) in recorded {
            let state = match recorded.state.as_str() {
                "PrepareCommit" => TxnState::PrepareCommit,
                "PrepareAbort" => TxnState::PrepareAbort,
                "CompleteCommit" => TxnState::CompleteCommit,
                "CompleteAbort" => TxnState::CompleteAbort,
                _ => TxnState::Empty,
            };
            let mut txn = TxnMetadata::new(&id, recorded.producer_id, recorded.timeout_ms, now_ms);
            txn.previous_producer_id = recorded.previous_producer_id;
            txn.producer_epoch = recorded.producer_epoch;
            txn.last_producer_epoch = recorded.last_producer_epoch;
            txn.epoch_bump_per_txn = recorded.epoch_bump_per_txn;
            txn.state = state;
            if state.is_preparing() {
                decided.insert(
                    txn.producer_id,
                    (txn.producer_epoch, state == TxnState::PrepareCommit),
                );
                txn.complete(None, now_ms);
            }
            txns.insert(id, txn);
        }
        let _ = self.storage.set(storage);
        decided
    }

    /// Hands out only producer ids above `producer_id`, so that none a log already holds (from
    /// before a restart) is given to a new producer.
    pub fn skip_producer_ids_through(&self, producer_id: i64) {
        let mut ids = self.producer_ids.lock();
        ids.next = ids.next.max(producer_id + 1);
        ids.reserved = ids.reserved.max(ids.next);
    }

    /// A producer id never handed out before, reserving a new block in the metadata first
    /// when the reserved one is used up.
    fn new_producer_id(&self) -> Result<i64, ResponseError> {
        let mut ids = self.producer_ids.lock();
        if let Some(storage) = self.storage.get() {
            if ids.next >= ids.reserved {
                let reserved = ids.next + PRODUCER_ID_BLOCK;
                storage
                    .record_txn(TxnRecord::ProducerIds { next: reserved })
                    .map_err(|e| e.response_error())?;
                ids.reserved = reserved;
            }
        }
        ids.next += 1;
        Ok(ids.next - 1)
    }

    /// Records a transactional id's state, when the broker has a log directory.
    fn persist(&self, txn: &TxnMetadata) -> Result<(), ResponseError> {
        match self.storage.get() {
            Some(storage) => storage
                .record_txn(TxnRecord::Txn(meta(txn)))
                .map_err(|e| e.response_error()),
            None => Ok(()),
        }
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
            return match self.new_producer_id() {
                Ok(producer_id) => InitOutcome::Ready {
                    producer_id,
                    epoch: 0,
                },
                Err(error) => InitOutcome::Failed(error),
            };
        };
        if transactional_id.is_empty() {
            return InitOutcome::Failed(ResponseError::InvalidRequest);
        }
        if timeout_ms <= 0 || timeout_ms > self.max_timeout_ms {
            return InitOutcome::Failed(ResponseError::InvalidTransactionTimeout);
        }
        let mut txns = self.txns.lock();
        if !txns.contains_key(transactional_id) {
            let producer_id = match self.new_producer_id() {
                Ok(producer_id) => producer_id,
                Err(error) => return InitOutcome::Failed(error),
            };
            let txn = TxnMetadata::new(transactional_id, producer_id, timeout_ms, now_ms);
            txns.insert(transactional_id.to_string(), txn);
        }
        let txn = txns
            .get_mut(transactional_id)
            .expect("the transactional id was just added");
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
                let before = txn.clone();
                txn.fence_and_prepare_abort(now_ms);
                if let Err(error) = self.persist(txn) {
                    *txn = before;
                    return InitOutcome::Failed(error);
                }
                InitOutcome::AbortFirst(plan(txn, false, None))
            }
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                let before = txn.clone();
                if txn.epoch_exhausted()
                    && expected.is_none_or(|(_, epoch)| epoch == txn.producer_epoch)
                {
                    let producer_id = match self.new_producer_id() {
                        Ok(producer_id) => producer_id,
                        Err(error) => return InitOutcome::Failed(error),
                    };
                    txn.rotate_producer_id(producer_id, timeout_ms, expected.is_some(), now_ms);
                } else if let Err(error) =
                    txn.increment_epoch(timeout_ms, expected.map(|(_, epoch)| epoch), now_ms)
                {
                    return InitOutcome::Failed(error);
                }
                if let Err(error) = self.persist(txn) {
                    *txn = before;
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
                let next_producer_id = if epoch_bump && txn.epoch_exhausted() {
                    match self.new_producer_id() {
                        Ok(producer_id) => Some(producer_id),
                        Err(error) => return failed(error),
                    }
                } else {
                    None
                };
                let before = txn.clone();
                txn.prepare_end(commit, epoch_bump, now_ms);
                if let Err(error) = self.persist(txn) {
                    *txn = before;
                    return failed(error);
                }
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
                if let Err(error) = self.persist(txn) {
                    tracing::warn!(
                        transactional_id = plan.transactional_id,
                        %error,
                        "cannot record a completed transaction; a restart completes it again"
                    );
                }
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
            .filter_map(|txn| {
                let before = txn.clone();
                txn.fence_and_prepare_abort(now_ms);
                if let Err(error) = self.persist(txn) {
                    tracing::warn!(
                        transactional_id = txn.transactional_id,
                        %error,
                        "cannot record the abort of a timed out transaction; it stays open"
                    );
                    *txn = before;
                    return None;
                }
                Some(plan(txn, false, None))
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
