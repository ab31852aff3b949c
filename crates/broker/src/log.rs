//! A partition log: the record batches of one partition, stored exactly as produced (only base
//! offset and leader epoch patched), with the log start offset and high watermark. The batches
//! live in memory, or, when the broker has a log directory, in the partition's segment files
//! ([`DiskLog`]).

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use ferrokafka_wire::record_batch::{patch_offset_and_epoch, set_log_append_time, BatchHeader};
use kafka_protocol::records::{Compression, Record, RecordBatchDecoder};

use crate::storage::{DiskLog, StorageError};

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
    /// The partition's segment files when the broker keeps its logs on disk (`batches` then
    /// stays empty).
    disk: Option<DiskLog>,
}

/// The fetch offset lies outside `[log_start_offset, high_watermark]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetOutOfRange;

impl PartitionLog {
    /// A log kept in segment files, starting where the files left off.
    pub fn on_disk(disk: DiskLog, log_start_offset: i64, next_offset: i64) -> Self {
        PartitionLog {
            log_start_offset,
            next_offset,
            disk: Some(disk),
            ..PartitionLog::default()
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

    /// Appends validated batches, assigning consecutive offsets and, for LogAppendTime topics,
    /// the append time. Returns the base offset of the first one, or why the disk refused them
    /// (nothing is appended then).
    pub fn append(
        &mut self,
        batches: &[(BatchHeader, Bytes)],
        leader_epoch: i32,
        log_append_time: Option<i64>,
    ) -> Result<i64, StorageError> {
        let first = self.next_offset;
        if let Some(disk) = &mut self.disk {
            self.next_offset = disk.append(first, batches, leader_epoch, log_append_time)?;
            return Ok(first);
        }
        for (header, data) in batches {
            let base_offset = self.next_offset;
            let mut patched = BytesMut::from(&data[..]);
            patch_offset_and_epoch(&mut patched, base_offset, leader_epoch);
            if let Some(now) = log_append_time {
                set_log_append_time(&mut patched, now);
            }
            let last_offset = base_offset + header.last_offset_delta as i64;
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
        if offset < self.log_start_offset || offset > self.next_offset {
            return Err(OffsetOutOfRange);
        }
        if let Some(disk) = &self.disk {
            return Ok(disk.read(offset, max_bytes, min_one));
        }
        let start = self.batches.partition_point(|b| b.last_offset < offset);
        let mut taken = 0;
        let mut end = start;
        for batch in self.batches.range(start..) {
            let len = batch.data.len();
            if taken + len > max_bytes && !(min_one && end == start) {
                break;
            }
            taken += len;
            end += 1;
        }
        Ok(match end - start {
            0 => Bytes::new(),
            1 => self.batches[start].data.clone(),
            _ => {
                let mut out = BytesMut::with_capacity(taken);
                for batch in self.batches.range(start..end) {
                    out.extend_from_slice(&batch.data);
                }
                out.freeze()
            }
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
        encode_batch(&mut buf, &records, &BatchOptions::default()).unwrap();
        validate_batches(&buf.freeze()).unwrap()
    }

    #[test]
    fn assigns_offsets_and_reads_from_the_middle_of_a_batch() {
        let mut log = PartitionLog::default();
        assert_eq!(log.append(&batch(&[1, 2, 3]), 0, None), Ok(0));
        assert_eq!(log.append(&batch(&[4]), 0, None), Ok(3));
        assert_eq!(log.high_watermark(), 4);
        let read = log.read(1, usize::MAX, true).unwrap();
        let headers = validate_batches(&read).unwrap();
        assert_eq!(headers.len(), 2);
        assert_eq!(headers[0].0.base_offset, 0);
        assert_eq!(headers[1].0.base_offset, 3);
        assert!(log.read(4, 100, true).unwrap().is_empty());
        assert_eq!(log.read(5, 100, true), Err(OffsetOutOfRange));
    }

    #[test]
    fn max_bytes_is_soft_only_for_the_first_batch() {
        let mut log = PartitionLog::default();
        log.append(&batch(&[1, 2]), 0, None).unwrap();
        log.append(&batch(&[3]), 0, None).unwrap();
        let one = log.read(0, 1, true).unwrap();
        assert_eq!(validate_batches(&one).unwrap().len(), 1);
        assert!(log.read(0, 1, false).unwrap().is_empty());
    }

    #[test]
    fn finds_offsets_by_timestamp() {
        let mut log = PartitionLog::default();
        log.append(&batch(&[10, 20, 30]), 0, None).unwrap();
        log.append(&batch(&[40, 25]), 0, None).unwrap();
        assert_eq!(log.offset_for_timestamp(15), Some((1, 20)));
        assert_eq!(log.offset_for_timestamp(35), Some((3, 40)));
        assert_eq!(log.offset_for_timestamp(41), None);
        assert_eq!(log.max_timestamp_offset(), Some((3, 40)));
    }

    #[test]
    fn delete_before_moves_the_start_and_drops_whole_batches() {
        let mut log = PartitionLog::default();
        log.append(&batch(&[1, 2]), 0, None).unwrap();
        log.append(&batch(&[3, 4]), 0, None).unwrap();
        assert_eq!(log.delete_before(3), Ok(3));
        assert_eq!(log.log_start_offset(), 3);
        assert_eq!(log.read(2, 1000, true), Err(OffsetOutOfRange));
        let rest = log.read(3, 1000, true).unwrap();
        assert_eq!(validate_batches(&rest).unwrap()[0].0.base_offset, 2);
        assert_eq!(log.delete_before(9), Err(OffsetOutOfRange));
    }
}
