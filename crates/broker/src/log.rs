//! A partition log: the record batches of one partition, stored exactly as produced (only base
//! offset and leader epoch patched), with the log start offset, the high watermark, and the
//! partition's producer state: idempotent sequences and open and aborted transactions, which
//! give the last stable offset that read_committed consumers read up to. The batches live in
//! memory, or, when the broker has a log directory, in the partition's segment files
//! ([`DiskLog`]); a log opened from disk rebuilds its producer state from its newest producer
//! state snapshot and the batches after it, and writes a snapshot at every segment roll.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use ferrokafka_wire::record_batch::{patch_offset_and_epoch, set_log_append_time, BatchHeader};
use kafka_protocol::error::ResponseError;
use kafka_protocol::records::{Compression, Record, RecordBatchDecoder};

use crate::append_arena;
use crate::control_batch;
use crate::producer_state::{AbortedTxn, DataBatch, Marker, ProducerStates, NO_PRODUCER_ID};
use crate::state::LEADER_EPOCH;
use crate::storage::{DiskLog, StorageError};
use crate::txn;

/// The most a batch's records may decompress to when the broker reads them (ListOffsets by
/// timestamp); a batch beyond it is answered for by its header alone.
const DECOMPRESSED_LIMIT: usize = 64 << 20;

/// Decodes a stored batch's records, decompressing at most [`DECOMPRESSED_LIMIT`] bytes and
/// refusing a record count the decompressed bytes cannot hold (each record takes at least 7).
fn decode_records(data: &Bytes, record_count: i32) -> Option<Vec<Record>> {
    let decompress = |records: &mut Bytes, codec: Compression| -> anyhow::Result<Bytes> {
        let plain = ferrokafka_wire::decompress::decompress(codec, records, DECOMPRESSED_LIMIT)?;
        anyhow::ensure!(
            plain.len() >= 7 * record_count.max(0) as usize,
            "record count exceeds the records"
        );
        Ok(Bytes::from(plain))
    };
    let mut data = data.clone();
    RecordBatchDecoder::decode_with_custom_compression(&mut data, Some(decompress))
        .ok()
        .map(|set| set.records)
}

/// One stored batch and the header fields lookups need.
#[derive(Debug, Clone)]
pub(crate) struct StoredBatch {
    pub(crate) last_offset: i64,
    pub(crate) last_offset_delta: i32,
    pub(crate) record_count: i32,
    pub(crate) max_timestamp: i64,
    pub(crate) data: Bytes,
}

/// A partition's records.
#[derive(Debug, Default)]
pub struct PartitionLog {
    batches: VecDeque<StoredBatch>,
    log_start_offset: i64,
    next_offset: i64,
    size_bytes: usize,
    producers: ProducerStates,
    /// The partition's segment files when the broker keeps its logs on disk (`batches` then
    /// stays empty).
    disk: Option<DiskLog>,
    /// A segment was rolled: a producer state snapshot is written once the append is applied.
    snapshot_due: bool,
}

/// The fetch offset lies outside `[log_start_offset, high_watermark]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetOutOfRange;

/// Where a produced request's batches are in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub base_offset: i64,
    /// The append time written into the batches (LogAppendTime topics), or for a retried batch
    /// the original batch's timestamp, as Kafka reports it.
    pub log_append_time: Option<i64>,
}

/// Batches read from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub records: Bytes,
    /// The offset after the last record returned (the fetch offset when nothing was).
    pub end_offset: i64,
}

/// Why an append was refused, with the message Kafka gives for it (most errors have none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub error: ResponseError,
    pub message: Option<String>,
}

impl From<StorageError> for Refusal {
    fn from(error: StorageError) -> Self {
        Refusal {
            error: error.response_error(),
            message: Some(error.to_string()),
        }
    }
}

impl From<ResponseError> for Refusal {
    fn from(error: ResponseError) -> Self {
        Refusal {
            error,
            message: None,
        }
    }
}

/// Asks the transaction coordinator whether a producer's transaction includes this partition,
/// before its first transactional write here.
pub type VerifyTxn<'a> = &'a mut dyn FnMut(i64, i16) -> Result<(), Refusal>;

impl PartitionLog {
    /// A log kept in segment files, starting where the files left off, with its producer state
    /// rebuilt as Kafka rebuilds it: from the newest producer state snapshot, then the batches
    /// after it (or every batch, without one): producers' epochs and last batches, and the
    /// aborted transactions read_committed fetches skip. Producers whose batches retention
    /// removed are still known from the snapshot. A transaction
    /// still open in the log is ended here with a marker at `now_ms`: committed when the
    /// coordinator had decided to commit it (`decided`, what it recorded before the stop),
    /// otherwise aborted, since its producer was fenced by the restart.
    pub fn on_disk(
        disk: DiskLog,
        log_start_offset: i64,
        next_offset: i64,
        decided: &txn::Decided,
        now_ms: i64,
    ) -> Self {
        let mut log = PartitionLog {
            log_start_offset,
            next_offset,
            disk: Some(disk),
            ..PartitionLog::default()
        };
        let mut replay_from = log_start_offset;
        if let Some((offset, bytes)) = log
            .disk
            .as_ref()
            .and_then(|d| d.producer_snapshot(next_offset))
        {
            match ProducerStates::from_snapshot(&bytes) {
                Some(producers) => {
                    log.producers = producers;
                    log.producers.on_log_start_offset(log_start_offset);
                    replay_from = replay_from.max(offset);
                }
                None => tracing::warn!(
                    offset,
                    "ignoring a producer state snapshot that does not parse"
                ),
            }
        }
        log.replay_producer_state(replay_from);
        let open: Vec<(i64, i16)> = log
            .producers
            .entries()
            .filter(|(_, entry)| entry.current_txn_first_offset.is_some())
            .map(|(producer_id, entry)| (producer_id, entry.epoch))
            .collect();
        for (producer_id, epoch) in open {
            let (epoch, commit) = decided
                .get(&producer_id)
                .copied()
                .filter(|(decided_epoch, _)| *decided_epoch >= epoch)
                .unwrap_or((epoch, false));
            let marker = Marker {
                producer_id,
                epoch,
                coordinator_epoch: txn::COORDINATOR_EPOCH,
                commit,
                timestamp: now_ms,
            };
            match log.append_marker(&marker, LEADER_EPOCH) {
                Ok(offset) => tracing::info!(
                    producer_id,
                    offset,
                    commit,
                    "ended a transaction left open when the broker stopped"
                ),
                Err(refused) => tracing::warn!(
                    producer_id,
                    error = %refused.error,
                    message = ?refused.message,
                    "cannot abort a transaction left open when the broker stopped"
                ),
            }
        }
        log
    }

    /// Replays every batch from `offset` into the producer state.
    fn replay_producer_state(&mut self, mut offset: i64) {
        const CHUNK: usize = 1 << 20;
        while offset < self.next_offset {
            let Ok(read) = self.read_below(offset, CHUNK, true, self.next_offset) else {
                break;
            };
            if read.end_offset <= offset {
                break;
            }
            let mut at = 0;
            while let Ok(header) = BatchHeader::parse(&read.records[at..]) {
                let data = read.records.slice(at..at + header.total_len());
                at += header.total_len();
                if header.producer_id == NO_PRODUCER_ID {
                    continue;
                }
                if header.is_control() {
                    if let Some(marker) = control_batch::decode(&data) {
                        self.producers.apply_marker(&marker, header.base_offset);
                    }
                    continue;
                }
                let mut staged = self.producers.stage();
                let replayed = staged.append_data(&DataBatch {
                    producer_id: header.producer_id,
                    epoch: header.producer_epoch,
                    base_seq: header.base_sequence,
                    last_offset_delta: header.last_offset_delta,
                    transactional: header.is_transactional(),
                    first_offset: header.base_offset,
                    timestamp: header.max_timestamp,
                });
                let changes = staged.finish();
                match replayed {
                    Ok(()) => self.producers.apply(changes),
                    Err(error) => tracing::warn!(
                        producer_id = header.producer_id,
                        offset = header.base_offset,
                        %error,
                        "a batch in the log does not follow its producer's state; skipped"
                    ),
                }
            }
            offset = read.end_offset;
        }
    }

    /// The segment files, when the log is on disk.
    pub fn disk(&self) -> Option<&DiskLog> {
        self.disk.as_ref()
    }

    /// The segment files, when the log is on disk.
    pub fn disk_mut(&mut self) -> Option<&mut DiskLog> {
        self.disk.as_mut()
    }

    /// First offset still in the log.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// The offset the next record will get (one replica: the high watermark).
    pub fn high_watermark(&self) -> i64 {
        self.next_offset
    }

    /// Bytes held by the log's batches.
    pub fn size_bytes(&self) -> usize {
        self.disk
            .as_ref()
            .map_or(self.size_bytes, |d| d.size() as usize)
    }

    /// The offset below which every transaction is decided: the first offset of the earliest
    /// open transaction, or the high watermark.
    pub fn last_stable_offset(&self) -> i64 {
        self.producers
            .first_unstable_offset()
            .map_or(self.next_offset, |first| first.min(self.next_offset))
    }

    /// The partition's producer state.
    pub fn producers(&self) -> &ProducerStates {
        &self.producers
    }

    /// The aborted transactions with records in `[from, to)`.
    pub fn aborted_between(&self, from: i64, to: i64) -> Vec<AbortedTxn> {
        self.producers.aborted_between(from, to)
    }

    /// Appends a client's validated batches, as Kafka does: control batches and idempotent
    /// batches without a sequence are refused; a retry of one of a producer's last five batches
    /// is answered with the original's offset and not written again; otherwise every batch's
    /// epoch, sequence and transaction state must be valid (`verify` is asked about a producer's
    /// first transactional write to this partition) or nothing is written. Assigns consecutive
    /// offsets and, for LogAppendTime topics, the append time.
    pub fn append(
        &mut self,
        batches: &[(BatchHeader, Bytes)],
        leader_epoch: i32,
        log_append_time: Option<i64>,
        verify: VerifyTxn<'_>,
    ) -> Result<Appended, Refusal> {
        let invalid = |header: &BatchHeader| {
            header.is_control()
                || (header.producer_id != NO_PRODUCER_ID && header.base_sequence < 0)
        };
        if batches.iter().any(|(header, _)| invalid(header)) {
            return Err(ResponseError::InvalidRecord.into());
        }
        let mut staged = self.producers.stage();
        let mut offset = self.next_offset;
        for (header, _) in batches {
            if header.producer_id != NO_PRODUCER_ID {
                let batch = DataBatch {
                    producer_id: header.producer_id,
                    epoch: header.producer_epoch,
                    base_seq: header.base_sequence,
                    last_offset_delta: header.last_offset_delta,
                    transactional: header.is_transactional(),
                    first_offset: offset,
                    timestamp: log_append_time.unwrap_or(header.max_timestamp),
                };
                if let Some(original) = self.producers.find_duplicate(&batch) {
                    return Ok(Appended {
                        base_offset: original.first_offset,
                        log_append_time: Some(original.timestamp),
                    });
                }
                if batch.transactional && !staged.has_ongoing_txn(batch.producer_id) {
                    verify(batch.producer_id, batch.epoch)?;
                }
                staged.append_data(&batch)?;
            }
            offset += i64::from(header.last_offset_delta) + 1;
        }
        let changes = staged.finish();
        let base_offset = self.write(batches, leader_epoch, log_append_time)?;
        self.producers.apply(changes);
        self.snapshot_if_due();
        Ok(Appended {
            base_offset,
            log_append_time,
        })
    }

    /// Writes a transaction marker for a producer, ending its transaction in this partition.
    /// Returns the marker's offset.
    pub fn append_marker(&mut self, marker: &Marker, leader_epoch: i32) -> Result<i64, Refusal> {
        self.producers.check_marker(marker)?;
        let data = control_batch::encode(marker);
        let header = BatchHeader::parse(&data).expect("an encoded marker has a header");
        let offset = self.write(&[(header, data)], leader_epoch, None)?;
        self.producers.apply_marker(marker, offset);
        self.snapshot_if_due();
        Ok(offset)
    }

    /// Writes a producer state snapshot at the log end after a segment was rolled.
    fn snapshot_if_due(&mut self) {
        if std::mem::take(&mut self.snapshot_due) {
            if let Some(disk) = &self.disk {
                disk.write_producer_snapshot(self.next_offset, &self.producers.to_snapshot());
            }
        }
    }

    /// For a clean stop: writes a producer state snapshot at the log end, then seals and
    /// flushes the segment files; returns the flusher ticket to wait for.
    pub fn close_disk(&mut self) -> Option<u64> {
        let disk = self.disk.as_mut()?;
        disk.write_producer_snapshot(self.next_offset, &self.producers.to_snapshot());
        disk.close()
    }

    /// Stores batches at the next offsets, in the segment files when the log is on disk, and
    /// returns the first one's offset; nothing is stored when the disk refuses them.
    fn write(
        &mut self,
        batches: &[(BatchHeader, Bytes)],
        leader_epoch: i32,
        log_append_time: Option<i64>,
    ) -> Result<i64, StorageError> {
        let first = self.next_offset;
        if let Some(disk) = &mut self.disk {
            let segments = disk.segment_count();
            self.next_offset = disk.append(first, batches, leader_epoch, log_append_time)?;
            self.snapshot_due |= segments > 0 && disk.segment_count() > segments;
            return Ok(first);
        }
        for (header, data) in batches {
            let mut patched = append_arena::copy(data);
            patch_offset_and_epoch(&mut patched, self.next_offset, leader_epoch);
            if let Some(now) = log_append_time {
                set_log_append_time(&mut patched, now);
            }
            let last_offset = self.next_offset + i64::from(header.last_offset_delta);
            self.size_bytes += patched.len();
            self.batches.push_back(StoredBatch {
                last_offset,
                last_offset_delta: header.last_offset_delta,
                record_count: header.record_count,
                max_timestamp: log_append_time.unwrap_or(header.max_timestamp),
                data: patched.freeze(),
            });
            self.next_offset = last_offset + 1;
        }
        Ok(first)
    }

    /// Batches from the one holding `offset` onwards, at most `max_bytes` in total unless
    /// `min_one` asks for the first batch whatever its size (KIP-74).
    pub fn read(
        &self,
        offset: i64,
        max_bytes: usize,
        min_one: bool,
    ) -> Result<Bytes, OffsetOutOfRange> {
        self.read_below(offset, max_bytes, min_one, self.next_offset)
            .map(|read| read.records)
    }

    /// Like [`read`](Self::read), but only batches that start below `max_offset` (the last
    /// stable offset, for read_committed), and saying where the data returned ends.
    pub fn read_below(
        &self,
        offset: i64,
        max_bytes: usize,
        min_one: bool,
        max_offset: i64,
    ) -> Result<Read, OffsetOutOfRange> {
        if offset < self.log_start_offset || offset > self.next_offset {
            return Err(OffsetOutOfRange);
        }
        if let Some(disk) = &self.disk {
            return Ok(disk.read(offset, max_bytes, min_one, max_offset));
        }
        let start = self.batches.partition_point(|b| b.last_offset < offset);
        let mut taken = 0;
        let mut end = start;
        for batch in self.batches.range(start..) {
            let len = batch.data.len();
            let base_offset = batch.last_offset - i64::from(batch.last_offset_delta);
            if base_offset >= max_offset || (taken + len > max_bytes && !(min_one && end == start))
            {
                break;
            }
            taken += len;
            end += 1;
        }
        let end_offset = match end {
            e if e > start => self.batches[e - 1].last_offset + 1,
            _ => offset,
        };
        let records = match end - start {
            0 => Bytes::new(),
            1 => self.batches[start].data.clone(),
            _ => {
                let mut out = BytesMut::with_capacity(taken);
                for batch in self.batches.range(start..end) {
                    out.extend_from_slice(&batch.data);
                }
                out.freeze()
            }
        };
        Ok(Read {
            records,
            end_offset,
        })
    }

    /// The offset and timestamp of the first record whose timestamp is at least `timestamp`.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Option<(i64, i64)> {
        let on_disk;
        let batch = match &self.disk {
            Some(disk) => {
                on_disk = disk.batch_by_timestamp(timestamp, self.log_start_offset)?;
                &on_disk
            }
            None => self
                .batches
                .iter()
                .find(|b| b.max_timestamp >= timestamp && b.last_offset >= self.log_start_offset)?,
        };
        let first_offset = batch.last_offset - batch.last_offset_delta as i64;
        match decode_records(&batch.data, batch.record_count) {
            Some(records) => records
                .iter()
                .filter(|r| r.offset >= self.log_start_offset)
                .find(|r| r.timestamp >= timestamp)
                .map(|r| (r.offset, r.timestamp)),
            // A batch whose records cannot be read within the limit answers for itself.
            None => Some((first_offset.max(self.log_start_offset), batch.max_timestamp)),
        }
    }

    /// The offset and timestamp of the record with the largest timestamp (the first of equals).
    pub fn max_timestamp_offset(&self) -> Option<(i64, i64)> {
        let max = match &self.disk {
            Some(disk) => disk.max_timestamp()?,
            None => self.batches.iter().map(|b| b.max_timestamp).max()?,
        };
        self.offset_for_timestamp(max)
    }

    /// Moves the log start offset forward to `offset` (DeleteRecords), dropping whole batches
    /// that end before it.
    pub fn delete_before(&mut self, offset: i64) -> Result<i64, OffsetOutOfRange> {
        if offset < 0 || offset > self.next_offset {
            return Err(OffsetOutOfRange);
        }
        if offset > self.log_start_offset {
            self.log_start_offset = offset;
            self.producers.on_log_start_offset(offset);
            if let Some(disk) = &mut self.disk {
                disk.delete_before(offset);
            }
            while self.batches.front().is_some_and(|b| b.last_offset < offset) {
                let dropped = self.batches.pop_front().expect("front exists");
                self.size_bytes -= dropped.data.len();
            }
        }
        Ok(self.log_start_offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_wire::record_batch::validate_batches;
    use ferrokafka_wire::records::{encode_batch, BatchOptions, RecordRef};

    fn batch(timestamps: &[i64]) -> Vec<(BatchHeader, Bytes)> {
        batch_with(timestamps, &BatchOptions::default())
    }

    fn batch_with(timestamps: &[i64], options: &BatchOptions) -> Vec<(BatchHeader, Bytes)> {
        let records: Vec<RecordRef> = timestamps
            .iter()
            .map(|ts| RecordRef {
                key: None,
                value: Some(b"v"),
                headers: &[],
                timestamp: *ts,
            })
            .collect();
        let mut buf = BytesMut::new();
        encode_batch(&mut buf, &records, options).unwrap();
        validate_batches(&buf.freeze()).unwrap()
    }

    fn no_verify(_: i64, _: i16) -> Result<(), Refusal> {
        Ok(())
    }

    /// Appends `batches` with no transaction verification and returns the base offset.
    fn put(log: &mut PartitionLog, batches: &[(BatchHeader, Bytes)]) -> i64 {
        log.append(batches, 0, None, &mut no_verify)
            .unwrap()
            .base_offset
    }

    fn read(log: &PartitionLog, offset: i64, max_bytes: usize, min_one: bool) -> Bytes {
        log.read(offset, max_bytes, min_one).unwrap()
    }

    #[test]
    fn assigns_offsets_and_reads_from_the_middle_of_a_batch() {
        let mut log = PartitionLog::default();
        assert_eq!(put(&mut log, &batch(&[1, 2, 3])), 0);
        assert_eq!(put(&mut log, &batch(&[4])), 3);
        assert_eq!(log.high_watermark(), 4);
        let headers = validate_batches(&read(&log, 1, usize::MAX, true)).unwrap();
        assert_eq!(headers.len(), 2);
        assert_eq!(headers[0].0.base_offset, 0);
        assert_eq!(headers[1].0.base_offset, 3);
        assert!(read(&log, 4, 100, true).is_empty());
        assert_eq!(log.read(5, 100, true), Err(OffsetOutOfRange));
    }

    #[test]
    fn max_bytes_is_soft_only_for_the_first_batch() {
        let mut log = PartitionLog::default();
        put(&mut log, &batch(&[1, 2]));
        put(&mut log, &batch(&[3]));
        let one = read(&log, 0, 1, true);
        assert_eq!(validate_batches(&one).unwrap().len(), 1);
        assert!(read(&log, 0, 1, false).is_empty());
    }

    #[test]
    fn finds_offsets_by_timestamp() {
        let mut log = PartitionLog::default();
        put(&mut log, &batch(&[10, 20, 30]));
        put(&mut log, &batch(&[40, 25]));
        assert_eq!(log.offset_for_timestamp(15), Some((1, 20)));
        assert_eq!(log.offset_for_timestamp(35), Some((3, 40)));
        assert_eq!(log.offset_for_timestamp(41), None);
        assert_eq!(log.max_timestamp_offset(), Some((3, 40)));
    }

    #[test]
    fn delete_before_moves_the_start_and_drops_whole_batches() {
        let mut log = PartitionLog::default();
        put(&mut log, &batch(&[1, 2]));
        put(&mut log, &batch(&[3, 4]));
        assert_eq!(log.delete_before(3), Ok(3));
        assert_eq!(log.log_start_offset(), 3);
        assert_eq!(log.read(2, 1000, true), Err(OffsetOutOfRange));
        let rest = read(&log, 3, 1000, true);
        assert_eq!(validate_batches(&rest).unwrap()[0].0.base_offset, 2);
        assert_eq!(log.delete_before(9), Err(OffsetOutOfRange));
    }

    fn idempotent(pid: i64, epoch: i16, seq: i32, count: usize) -> Vec<(BatchHeader, Bytes)> {
        let options = BatchOptions {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            ..BatchOptions::default()
        };
        batch_with(&vec![1; count], &options)
    }

    fn transactional(pid: i64, epoch: i16, seq: i32, count: usize) -> Vec<(BatchHeader, Bytes)> {
        let options = BatchOptions {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            transactional: true,
            ..BatchOptions::default()
        };
        batch_with(&vec![1; count], &options)
    }

    fn marker(pid: i64, epoch: i16, commit: bool) -> Marker {
        Marker {
            producer_id: pid,
            epoch,
            coordinator_epoch: 0,
            commit,
            timestamp: 9,
        }
    }

    fn error(result: Result<Appended, Refusal>) -> ResponseError {
        result.unwrap_err().error
    }

    #[test]
    fn a_retried_batch_gets_its_original_offset_and_is_not_written_again() {
        let mut log = PartitionLog::default();
        assert_eq!(put(&mut log, &idempotent(3, 0, 0, 2)), 0);
        assert_eq!(put(&mut log, &batch(&[1])), 2);
        assert_eq!(put(&mut log, &idempotent(3, 0, 2, 1)), 3);
        let retried = log
            .append(&idempotent(3, 0, 0, 2), 0, None, &mut no_verify)
            .unwrap();
        assert_eq!(retried.base_offset, 0);
        assert_eq!(put(&mut log, &idempotent(3, 0, 2, 1)), 3);
        assert_eq!(log.high_watermark(), 4);
    }

    #[test]
    fn sequence_gaps_stale_epochs_and_missing_sequences_are_refused() {
        let mut log = PartitionLog::default();
        put(&mut log, &idempotent(3, 1, 0, 2));
        let mut append = |batches: Vec<_>| log.append(&batches, 0, None, &mut no_verify);
        assert_eq!(
            error(append(idempotent(3, 1, 5, 1))),
            ResponseError::OutOfOrderSequenceNumber
        );
        assert_eq!(
            error(append(idempotent(3, 0, 2, 1))),
            ResponseError::InvalidProducerEpoch
        );
        assert_eq!(
            error(append(idempotent(3, 1, -1, 1))),
            ResponseError::InvalidRecord
        );
        assert_eq!(log.high_watermark(), 2);
    }

    #[test]
    fn clients_may_not_write_control_batches() {
        let mut log = PartitionLog::default();
        let data = control_batch::encode(&marker(1, 0, true));
        let batches = validate_batches(&data).unwrap();
        let refused = log.append(&batches, 0, None, &mut no_verify);
        assert_eq!(error(refused), ResponseError::InvalidRecord);
    }

    #[test]
    fn the_first_transactional_write_is_verified_once() {
        let mut log = PartitionLog::default();
        let mut asked = Vec::new();
        let mut verify = |pid: i64, epoch: i16| {
            asked.push((pid, epoch));
            Ok(())
        };
        log.append(&transactional(5, 2, 0, 1), 0, None, &mut verify)
            .unwrap();
        log.append(&transactional(5, 2, 1, 1), 0, None, &mut verify)
            .unwrap();
        assert_eq!(asked, vec![(5, 2)]);
        let mut refuse = |_: i64, _: i16| Err(ResponseError::InvalidTxnState.into());
        let refused = log.append(&transactional(6, 0, 0, 1), 0, None, &mut refuse);
        assert_eq!(error(refused), ResponseError::InvalidTxnState);
        assert_eq!(log.high_watermark(), 2);
    }

    #[test]
    fn read_committed_stops_at_the_first_open_transaction() {
        let mut log = PartitionLog::default();
        put(&mut log, &batch(&[1]));
        put(&mut log, &transactional(5, 0, 0, 2));
        put(&mut log, &batch(&[1]));
        assert_eq!(log.high_watermark(), 4);
        assert_eq!(log.last_stable_offset(), 1);
        let stable = log
            .read_below(0, usize::MAX, true, log.last_stable_offset())
            .unwrap();
        assert_eq!(stable.end_offset, 1);
        assert_eq!(validate_batches(&stable.records).unwrap().len(), 1);
        let nothing = log
            .read_below(1, usize::MAX, true, log.last_stable_offset())
            .unwrap();
        assert!(nothing.records.is_empty());
        assert_eq!(nothing.end_offset, 1);

        assert_eq!(log.append_marker(&marker(5, 0, true), 0), Ok(4));
        assert_eq!(log.last_stable_offset(), 5);
        let all = log
            .read_below(0, usize::MAX, true, log.last_stable_offset())
            .unwrap();
        let headers = validate_batches(&all.records).unwrap();
        assert_eq!(headers.len(), 4);
        assert!(headers[3].0.is_control());
        assert!(log.aborted_between(0, 5).is_empty());
    }

    #[test]
    fn aborted_transactions_are_listed_for_the_range_read() {
        let mut log = PartitionLog::default();
        put(&mut log, &transactional(5, 0, 0, 2));
        put(&mut log, &transactional(6, 0, 0, 1));
        log.append_marker(&marker(5, 0, false), 0).unwrap();
        log.append_marker(&marker(6, 0, true), 0).unwrap();
        put(&mut log, &batch(&[1]));
        let aborted = AbortedTxn {
            producer_id: 5,
            first_offset: 0,
            last_offset: 3,
        };
        assert_eq!(log.aborted_between(0, 6), vec![aborted]);
        assert!(log.aborted_between(4, 6).is_empty());
        assert_eq!(log.last_stable_offset(), 6);
        assert_eq!(log.delete_before(4), Ok(4));
        assert!(log.aborted_between(0, 6).is_empty());
    }

    #[test]
    fn a_marker_with_an_older_epoch_is_refused() {
        let mut log = PartitionLog::default();
        put(&mut log, &transactional(5, 3, 0, 1));
        let stale = log.append_marker(&marker(5, 2, false), 0);
        assert_eq!(stale, Err(ResponseError::InvalidProducerEpoch.into()));
        assert_eq!(log.high_watermark(), 1);
    }
}
