//! Decoding the records of a Fetch response (magic v2 record batches, any codec) into messages,
//! keeping repeated header keys, dropping control records and, when reading committed data,
//! records of aborted transactions. A truncated batch at the end (a fetch cut at its byte limit)
//! is ignored, as Kafka clients do.

use bytes::{Buf, Bytes};
use ferrokafka_wire::decompress::decompress;
use ferrokafka_wire::record_batch::BatchHeader;
use kafka_protocol::records::Compression;

use crate::error::{Error, Result};

/// Largest decompressed size accepted for one batch's records.
const MAX_DECOMPRESSED: usize = 256 << 20;
const HEADER_LEN: usize = 61;

/// The batch-level fields kafkajs exposes as a message's `batchContext`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchContext {
    pub first_offset: i64,
    pub first_timestamp: i64,
    pub partition_leader_epoch: i32,
    pub in_transaction: bool,
    pub is_control_batch: bool,
    pub last_offset_delta: i32,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub first_sequence: i32,
    pub max_timestamp: i64,
    pub timestamp_type: i8,
    pub magic: i8,
}

/// One record, as kafkajs's `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub offset: i64,
    pub timestamp: i64,
    pub attributes: i8,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    /// In record order; keys may repeat.
    pub headers: Vec<(String, Option<Bytes>)>,
    /// Index into [`Decoded::contexts`].
    pub context: usize,
}

/// A partition's fetched records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    pub contexts: Vec<BatchContext>,
    pub records: Vec<Record>,
    /// The offset after the last complete batch (control batches included), if any.
    pub next_offset: Option<i64>,
}

/// An aborted transaction listed in a Fetch response.
#[derive(Debug, Clone, Copy)]
pub struct Aborted {
    pub producer_id: i64,
    pub first_offset: i64,
}

/// Decodes `records`, keeping records at or after `from`.
pub fn decode(records: &Bytes, from: i64, aborted: &[Aborted]) -> Result<Decoded> {
    let mut decoded = Decoded::default();
    let mut aborted: Vec<Aborted> = aborted.to_vec();
    aborted.sort_by_key(|a| a.first_offset);
    let mut active_aborts: Vec<i64> = Vec::new();
    let mut at = 0;
    while records.len() - at >= HEADER_LEN {
        let header = BatchHeader::parse(&records[at..]).map_err(|e| encoding(&e.to_string()))?;
        if header.batch_length < 0 {
            return Err(encoding("negative batch length"));
        }
        let total = header.total_len();
        if records.len() - at < total {
            break;
        }
        let batch = records.slice(at..at + total);
        at += total;
        if header.magic != 2 {
            return Err(encoding("unsupported record batch magic"));
        }
        decoded.next_offset = Some(header.last_offset() + 1);
        while aborted
            .first()
            .is_some_and(|a| a.first_offset <= header.last_offset())
        {
            active_aborts.push(aborted.remove(0).producer_id);
        }
        if header.is_control() {
            if header.is_transactional() {
                active_aborts.retain(|id| *id != header.producer_id);
            }
            continue;
        }
        if header.is_transactional() && active_aborts.contains(&header.producer_id) {
            continue;
        }
        let context = decoded.contexts.len();
        let log_append_time = header.attributes & 0x08 != 0;
        decoded.contexts.push(BatchContext {
            first_offset: header.base_offset,
            first_timestamp: header.base_timestamp,
            partition_leader_epoch: header.partition_leader_epoch,
            in_transaction: header.is_transactional(),
            is_control_batch: false,
            last_offset_delta: header.last_offset_delta,
            producer_id: header.producer_id,
            producer_epoch: header.producer_epoch,
            first_sequence: header.base_sequence,
            max_timestamp: header.max_timestamp,
            timestamp_type: i8::from(log_append_time),
            magic: header.magic,
        });
        let body = batch.slice(HEADER_LEN.min(batch.len())..);
        let body = match header.compression() {
            0 => body,
            codec => {
                let codec = match codec {
                    1 => Compression::Gzip,
                    2 => Compression::Snappy,
                    3 => Compression::Lz4,
                    4 => Compression::Zstd,
                    _ => return Err(encoding("unknown compression codec")),
                };
                Bytes::from(
                    decompress(codec, &body, MAX_DECOMPRESSED)
                        .map_err(|e| encoding(&e.to_string()))?,
                )
            }
        };
        let mut buf = body;
        for _ in 0..header.record_count.max(0) {
            let mut record = read_record(&mut buf, &header, context)?;
            if log_append_time {
                record.timestamp = header.max_timestamp;
            }
            if record.offset >= from {
                decoded.records.push(record);
            }
        }
    }
    Ok(decoded)
}

fn encoding(message: &str) -> Error {
    Error::Encoding(format!("record batch: {message}"))
}

fn read_record(buf: &mut Bytes, header: &BatchHeader, context: usize) -> Result<Record> {
    let length = read_varint(buf)?;
    let length = usize::try_from(length).map_err(|_| encoding("negative record length"))?;
    if buf.remaining() < length {
        return Err(encoding("truncated record"));
    }
    let mut record = buf.split_to(length);
    if record.remaining() < 1 {
        return Err(encoding("truncated record"));
    }
    let attributes = record.get_i8();
    let timestamp_delta = read_varlong(&mut record)?;
    let offset_delta = read_varint(&mut record)?;
    let key = read_bytes(&mut record)?;
    let value = read_bytes(&mut record)?;
    let count = read_varint(&mut record)?;
    let mut headers = Vec::new();
    for _ in 0..count.max(0) {
        let key = read_bytes(&mut record)?.unwrap_or_default();
        let key = String::from_utf8(key.to_vec()).map_err(|_| encoding("header key"))?;
        headers.push((key, read_bytes(&mut record)?));
    }
    Ok(Record {
        offset: header.base_offset + i64::from(offset_delta),
        timestamp: header.base_timestamp.wrapping_add(timestamp_delta),
        attributes,
        key,
        value,
        headers,
        context,
    })
}

fn read_varlong(buf: &mut Bytes) -> Result<i64> {
    let mut value: u64 = 0;
    for shift in (0..70).step_by(7) {
        if !buf.has_remaining() {
            return Err(encoding("truncated varint"));
        }
        let byte = buf.get_u8();
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
        }
    }
    Err(encoding("varint too long"))
}

fn read_varint(buf: &mut Bytes) -> Result<i32> {
    let value = read_varlong(buf)?;
    i32::try_from(value).map_err(|_| encoding("varint out of range"))
}

fn read_bytes(buf: &mut Bytes) -> Result<Option<Bytes>> {
    let len = read_varint(buf)?;
    if len < 0 {
        return Ok(None);
    }
    let len = len as usize;
    if buf.remaining() < len {
        return Err(encoding("truncated bytes"));
    }
    Ok(Some(buf.split_to(len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use ferrokafka_wire::records::{encode_batch, BatchOptions, RecordRef};

    fn batch(compression: Compression) -> Bytes {
        let headers = [(&b"h"[..], Some(&b"1"[..])), (&b"h"[..], Some(&b"2"[..]))];
        let records = [
            RecordRef {
                key: Some(b"k"),
                value: Some(b"v0"),
                headers: &headers,
                timestamp: 1000,
            },
            RecordRef {
                key: None,
                value: None,
                headers: &[],
                timestamp: 1001,
            },
        ];
        let mut out = BytesMut::new();
        let options = BatchOptions {
            compression,
            ..BatchOptions::default()
        };
        encode_batch(&mut out, &records, &options).unwrap();
        out.freeze()
    }

    #[test]
    fn decodes_every_codec_with_repeated_headers() {
        for codec in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let decoded = decode(&batch(codec), 0, &[]).unwrap();
            assert_eq!(decoded.records.len(), 2, "{codec:?}");
            let first = &decoded.records[0];
            assert_eq!(first.value.as_deref(), Some(&b"v0"[..]));
            assert_eq!(first.headers.len(), 2);
            assert_eq!(first.timestamp, 1000);
            assert_eq!(decoded.records[1].offset, 1);
            assert_eq!(decoded.records[1].key, None);
            assert_eq!(decoded.next_offset, Some(2));
        }
    }

    #[test]
    fn skips_records_before_the_fetch_offset_and_a_truncated_tail() {
        let one = batch(Compression::None);
        let mut two = BytesMut::from(&one[..]);
        two.extend_from_slice(&one[..one.len() - 3]);
        let decoded = decode(&two.freeze(), 1, &[]).unwrap();
        assert_eq!(decoded.records.len(), 1);
        assert_eq!(decoded.records[0].offset, 1);
        assert!(decode(&Bytes::from_static(&[0; 70]), 0, &[]).is_err());
    }
}
