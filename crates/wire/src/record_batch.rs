//! Record batches (magic v2) as they travel on the wire: reading their headers, validating them
//! (size, magic, CRC32C) and patching the fields a broker assigns without touching the records.
//!
//! Layout of the 61-byte header: baseOffset i64, batchLength i32, partitionLeaderEpoch i32,
//! magic i8, crc u32, attributes i16, lastOffsetDelta i32, baseTimestamp i64, maxTimestamp i64,
//! producerId i64, producerEpoch i16, baseSequence i32, recordCount i32. The CRC covers
//! everything from attributes to the end, so baseOffset and partitionLeaderEpoch can be
//! rewritten without recomputing it.

use bytes::Bytes;
use kafka_protocol::error::ResponseError;

/// Size of the fixed batch header.
pub const HEADER_LEN: usize = 61;
/// Bytes before the batchLength field's count starts (baseOffset and batchLength themselves).
pub const LOG_OVERHEAD: usize = 12;
const CRC_START: usize = 21;
const MAGIC_OFFSET: usize = 16;

/// Attribute bit: the batch belongs to a transaction.
pub const ATTR_TRANSACTIONAL: i16 = 0x10;
/// Attribute bit: the batch is a control batch (commit/abort marker).
pub const ATTR_CONTROL: i16 = 0x20;
/// Attribute bit: timestamps are LogAppendTime.
pub const ATTR_LOG_APPEND_TIME: i16 = 0x08;

/// Why a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The bytes end before the batch does, or the length field is impossible.
    #[error("record batch is truncated or has an invalid length")]
    Truncated,
    /// Only magic 2 batches are accepted.
    #[error("record batch has magic {0}; only magic 2 is supported")]
    UnsupportedMagic(i8),
    /// The stored CRC32C does not match the batch's bytes.
    #[error("record batch CRC32C mismatch")]
    CorruptCrc,
    /// The batch claims no records, or its record count and offset delta disagree.
    #[error("record batch has an invalid record count")]
    InvalidRecordCount,
}

impl BatchError {
    /// The Kafka error code a produce response carries for this error.
    pub fn response_error(&self) -> ResponseError {
        match self {
            BatchError::Truncated | BatchError::CorruptCrc => ResponseError::CorruptMessage,
            BatchError::UnsupportedMagic(_) | BatchError::InvalidRecordCount => {
                ResponseError::InvalidRecord
            }
        }
    }
}

/// The header fields of one record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

impl BatchHeader {
    /// Reads the header at the start of `buf`, checking only that it is long enough.
    pub fn parse(buf: &[u8]) -> Result<Self, BatchError> {
        if buf.len() < HEADER_LEN {
            return Err(BatchError::Truncated);
        }
        let i64_at = |at: usize| i64::from_be_bytes(buf[at..at + 8].try_into().unwrap());
        let i32_at = |at: usize| i32::from_be_bytes(buf[at..at + 4].try_into().unwrap());
        let i16_at = |at: usize| i16::from_be_bytes(buf[at..at + 2].try_into().unwrap());
        Ok(BatchHeader {
            base_offset: i64_at(0),
            batch_length: i32_at(8),
            partition_leader_epoch: i32_at(12),
            magic: buf[MAGIC_OFFSET] as i8,
            crc: u32::from_be_bytes(buf[17..21].try_into().unwrap()),
            attributes: i16_at(21),
            last_offset_delta: i32_at(23),
            base_timestamp: i64_at(27),
            max_timestamp: i64_at(35),
            producer_id: i64_at(43),
            producer_epoch: i16_at(51),
            base_sequence: i32_at(53),
            record_count: i32_at(57),
        })
    }

    /// Total size of the batch on the wire, header included.
    pub fn total_len(&self) -> usize {
        LOG_OVERHEAD + self.batch_length as usize
    }

    /// The offset of the batch's last record.
    pub fn last_offset(&self) -> i64 {
        self.base_offset + self.last_offset_delta as i64
    }

    /// The compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd).
    pub fn compression(&self) -> i16 {
        self.attributes & 0x07
    }

    pub fn is_transactional(&self) -> bool {
        self.attributes & ATTR_TRANSACTIONAL != 0
    }

    pub fn is_control(&self) -> bool {
        self.attributes & ATTR_CONTROL != 0
    }
}

/// Splits a records field into its batches, validating each one completely (length, magic,
/// record count, CRC32C). Fails on the first bad batch; a records field must hold at least one.
pub fn validate_batches(records: &Bytes) -> Result<Vec<(BatchHeader, Bytes)>, BatchError> {
    let mut batches = Vec::new();
    let mut at = 0;
    while at < records.len() {
        let rest = &records[at..];
        let header = BatchHeader::parse(rest)?;
        if header.batch_length < (HEADER_LEN - LOG_OVERHEAD) as i32
            || header.total_len() > rest.len()
        {
            return Err(BatchError::Truncated);
        }
        if header.magic != 2 {
            return Err(BatchError::UnsupportedMagic(header.magic));
        }
        if header.record_count <= 0 || header.last_offset_delta != header.record_count - 1 {
            return Err(BatchError::InvalidRecordCount);
        }
        let end = header.total_len();
        if crc32c::crc32c(&rest[CRC_START..end]) != header.crc {
            return Err(BatchError::CorruptCrc);
        }
        batches.push((header, records.slice(at..at + end)));
        at += end;
    }
    if batches.is_empty() {
        return Err(BatchError::Truncated);
    }
    Ok(batches)
}

/// Writes the broker-assigned base offset and partition leader epoch into a batch's header.
/// Neither field is covered by the CRC.
pub fn patch_offset_and_epoch(batch: &mut [u8], base_offset: i64, leader_epoch: i32) {
    batch[0..8].copy_from_slice(&base_offset.to_be_bytes());
    batch[12..16].copy_from_slice(&leader_epoch.to_be_bytes());
}

/// Marks a batch's timestamps as LogAppendTime `timestamp` (the broker's clock), as a topic
/// with `message.timestamp.type=LogAppendTime` requires, and recomputes the CRC.
pub fn set_log_append_time(batch: &mut [u8], timestamp: i64) {
    let attributes = i16::from_be_bytes([batch[21], batch[22]]) | ATTR_LOG_APPEND_TIME;
    batch[21..23].copy_from_slice(&attributes.to_be_bytes());
    batch[35..43].copy_from_slice(&timestamp.to_be_bytes());
    let crc = crc32c::crc32c(&batch[CRC_START..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{encode_batch, BatchOptions, RecordRef};
    use bytes::BytesMut;
    use kafka_protocol::records::Compression;

    fn batch(count: usize, compression: Compression) -> Bytes {
        let values: Vec<String> = (0..count).map(|i| format!("value {i}")).collect();
        let records: Vec<RecordRef> = values
            .iter()
            .enumerate()
            .map(|(i, value)| RecordRef {
                key: None,
                value: Some(value.as_bytes()),
                headers: &[],
                timestamp: 1_700_000_000_000 + i as i64,
            })
            .collect();
        let mut buf = BytesMut::new();
        let options = BatchOptions {
            compression,
            ..BatchOptions::default()
        };
        encode_batch(&mut buf, &records, &options).unwrap();
        buf.freeze()
    }

    #[test]
    fn reads_and_validates_a_batch() {
        let bytes = batch(3, Compression::None);
        let batches = validate_batches(&bytes).unwrap();
        assert_eq!(batches.len(), 1);
        let header = batches[0].0;
        assert_eq!(header.record_count, 3);
        assert_eq!(header.last_offset_delta, 2);
        assert_eq!(header.total_len(), bytes.len());
        assert_eq!(header.max_timestamp, 1_700_000_000_002);
    }

    #[test]
    fn accepts_several_batches_and_compressed_ones() {
        let mut both = BytesMut::new();
        both.extend_from_slice(&batch(2, Compression::None));
        both.extend_from_slice(&batch(5, Compression::Gzip));
        let batches = validate_batches(&both.freeze()).unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[1].0.compression(), 1);
    }

    #[test]
    fn rejects_corruption_truncation_and_old_magic() {
        let good = batch(2, Compression::None);
        let mut flipped = BytesMut::from(&good[..]);
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        assert_eq!(
            validate_batches(&flipped.freeze()),
            Err(BatchError::CorruptCrc)
        );
        assert_eq!(
            validate_batches(&good.slice(..good.len() - 1)),
            Err(BatchError::Truncated)
        );
        let mut old = BytesMut::from(&good[..]);
        old[MAGIC_OFFSET] = 1;
        assert_eq!(
            validate_batches(&old.freeze()),
            Err(BatchError::UnsupportedMagic(1))
        );
        assert_eq!(validate_batches(&Bytes::new()), Err(BatchError::Truncated));
    }

    #[test]
    fn patching_offset_and_epoch_keeps_the_crc_valid() {
        let mut bytes = BytesMut::from(&batch(2, Compression::None)[..]);
        patch_offset_and_epoch(&mut bytes, 42, 7);
        let batches = validate_batches(&bytes.freeze()).unwrap();
        assert_eq!(batches[0].0.base_offset, 42);
        assert_eq!(batches[0].0.partition_leader_epoch, 7);
        assert_eq!(batches[0].0.last_offset(), 43);
    }

    #[test]
    fn log_append_time_rewrites_the_header_with_a_valid_crc() {
        let mut bytes = BytesMut::from(&batch(2, Compression::None)[..]);
        set_log_append_time(&mut bytes, 99);
        let header = validate_batches(&bytes.freeze()).unwrap()[0].0;
        assert_eq!(header.max_timestamp, 99);
        assert_ne!(header.attributes & ATTR_LOG_APPEND_TIME, 0);
    }
}
