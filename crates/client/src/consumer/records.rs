//! Decoding the records of a Fetch response (magic v2 record batches, any codec) into messages,
//! keeping repeated header keys, dropping control records and, when reading committed data,
//! records of aborted transactions. A truncated batch at the end (a fetch cut at its byte limit)
//! is ignored, as Kafka clients do.
//!
//! The records of a partition's fetch are kept packed: the fetched bytes in one buffer, and per
//! record a fixed-size entry locating its key, value and headers in it. Uncompressed batches are
//! read where the response holds them; once a compressed batch comes, the bytes are copied and
//! the decompressed records appended. Decoding allocates nothing per record, and the buffer can
//! be handed on whole.

use std::ops::Range;

use bytemuck::{Pod, Zeroable};
use bytes::Bytes;
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

/// Where some bytes lie in [`Records::data`]; in a field that may be null, a length of
/// [`Span::NULL_LEN`] marks null.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct Span {
    pub start: u32,
    pub len: u32,
}

impl Span {
    /// The length of a null field (-1 as a signed 32-bit word).
    pub const NULL_LEN: u32 = u32::MAX;
    const NULL: Span = Span {
        start: 0,
        len: Span::NULL_LEN,
    };

    fn range(self) -> Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }

    fn nullable(span: Option<Span>) -> Span {
        span.unwrap_or(Span::NULL)
    }

    fn non_null(self) -> Option<Span> {
        (self.len != Span::NULL_LEN).then_some(self)
    }
}

/// One record's fields, its bytes located in [`Records::data`]. Made of 32-bit words with no
/// padding (`#[repr(C)]`, [`Pod`]), so a batch's entries can be handed on as one block of
/// memory: the words are offset (low, high), timestamp (low, high), key start and length, value
/// start and length, first header, header count, context and attributes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct Entry {
    pub offset: i64,
    pub timestamp: i64,
    key: Span,
    value: Span,
    /// The record's headers: `header_count` entries of [`Records::headers`] from `first_header`.
    pub first_header: u32,
    pub header_count: u32,
    /// Index into the batch's contexts.
    pub context: u32,
    pub attributes: i32,
}

impl Entry {
    /// The key's bytes (`None`: null).
    pub fn key(&self) -> Option<Span> {
        self.key.non_null()
    }

    /// The value's bytes (`None`: null).
    pub fn value(&self) -> Option<Span> {
        self.value.non_null()
    }
}

/// One header's key and value in [`Records::data`]: four 32-bit words, as [`Entry`].
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct HeaderEntry {
    pub key: Span,
    value: Span,
}

impl HeaderEntry {
    /// The value's bytes (`None`: null).
    pub fn value(&self) -> Option<Span> {
        self.value.non_null()
    }
}

/// A partition's fetched records, packed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    /// The fetched bytes, with decompressed records appended.
    pub data: Bytes,
    /// One per record, in offset order.
    pub entries: Vec<Entry>,
    /// The headers of every record, in record order (keys may repeat).
    pub headers: Vec<HeaderEntry>,
    /// The smallest and the largest of every entry's offset and timestamp (`(0, 0)` when there
    /// are none), so a reader can tell at once whether all of them fit a narrower number.
    pub bounds: (i64, i64),
}

/// One record, as kafkajs's `message`, borrowed from its [`Records`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub offset: i64,
    pub timestamp: i64,
    pub attributes: i8,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    /// In record order; keys may repeat.
    pub headers: Vec<(&'a [u8], Option<&'a [u8]>)>,
    /// Index into the batch's contexts.
    pub context: usize,
}

impl Records {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The records in offset order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Record<'_>> {
        self.entries.iter().map(|entry| self.record(entry))
    }

    fn bytes(&self, span: Option<Span>) -> Option<&[u8]> {
        span.map(|s| &self.data[s.range()])
    }

    fn record(&self, entry: &Entry) -> Record<'_> {
        let first = entry.first_header as usize;
        Record {
            offset: entry.offset,
            timestamp: entry.timestamp,
            attributes: entry.attributes as i8,
            key: self.bytes(entry.key()),
            value: self.bytes(entry.value()),
            headers: self.headers[first..first + entry.header_count as usize]
                .iter()
                .map(|h| (&self.data[h.key.range()], self.bytes(h.value())))
                .collect(),
            context: entry.context as usize,
        }
    }
}

/// A partition's fetched records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    pub contexts: Vec<BatchContext>,
    pub records: Records,
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
    // The bytes once a compressed batch made them differ from `records`.
    let mut owned: Option<Vec<u8>> = None;
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
        let batch = &records[at..at + total];
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
        let batch_start = at - total;
        let body = &batch[HEADER_LEN.min(batch.len())..];
        let start = match (header.compression(), &mut owned) {
            (0, None) => batch_start + HEADER_LEN,
            (0, Some(data)) => append(data, body),
            (codec, owned) => {
                let codec = match codec {
                    1 => Compression::Gzip,
                    2 => Compression::Snappy,
                    3 => Compression::Lz4,
                    4 => Compression::Zstd,
                    _ => return Err(encoding("unknown compression codec")),
                };
                let plain = decompress(codec, body, MAX_DECOMPRESSED)
                    .map_err(|e| encoding(&e.to_string()))?;
                // The records read so far keep their positions in the copy.
                append(
                    owned.get_or_insert_with(|| records[..batch_start].to_vec()),
                    &plain,
                )
            }
        };
        let data: &[u8] = owned.as_deref().unwrap_or(records);
        u32::try_from(data.len()).map_err(|_| encoding("fetched records too large"))?;
        let out = &mut decoded.records;
        let mut cursor = Cursor { data, at: start };
        let context = context as u32;
        out.entries.reserve(header.record_count.max(0) as usize);
        for _ in 0..header.record_count.max(0) {
            let mut entry = read_record(&mut cursor, &header, context, &mut out.headers)
                .ok_or_else(|| encoding("malformed record"))?;
            if log_append_time {
                entry.timestamp = header.max_timestamp;
            }
            if entry.offset >= from {
                widen(&mut out.bounds, out.entries.is_empty(), &entry);
                out.entries.push(entry);
            } else {
                out.headers.truncate(entry.first_header as usize);
            }
        }
    }
    decoded.records.data = owned.map_or_else(|| records.clone(), Bytes::from);
    Ok(decoded)
}

/// Widens `bounds` to take in `entry`'s offset and timestamp (`first`: they are the first).
#[inline(always)]
fn widen(bounds: &mut (i64, i64), first: bool, entry: &Entry) {
    let (low, high) = (
        entry.offset.min(entry.timestamp),
        entry.offset.max(entry.timestamp),
    );
    *bounds = if first {
        (low, high)
    } else {
        (bounds.0.min(low), bounds.1.max(high))
    };
}

/// Appends `bytes` to `data`, returning where they start.
fn append(data: &mut Vec<u8>, bytes: &[u8]) -> usize {
    let start = data.len();
    data.extend_from_slice(bytes);
    start
}

fn encoding(message: &str) -> Error {
    Error::Encoding(format!("record batch: {message}"))
}

/// A read position in the packed record bodies. Reads give `None` at a malformed or truncated
/// field; they stay small and inline, as they run several times per record.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    #[inline(always)]
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.data.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    #[inline(always)]
    fn varlong(&mut self) -> Option<i64> {
        let first = self.byte()?;
        let mut value = u64::from(first & 0x7f);
        if first & 0x80 != 0 {
            let mut shift = 7;
            loop {
                let byte = self.byte()?;
                value |= u64::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    break;
                }
                shift += 7;
                if shift >= 70 {
                    return None;
                }
            }
        }
        Some(((value >> 1) as i64) ^ -((value & 1) as i64))
    }

    #[inline(always)]
    fn varint(&mut self) -> Option<i32> {
        i32::try_from(self.varlong()?).ok()
    }

    /// A length-prefixed byte string ending by `end` (inner `None`: null).
    #[inline(always)]
    fn bytes(&mut self, end: usize) -> Option<Option<Span>> {
        let len = self.varint()?;
        if len < 0 {
            return Some(None);
        }
        let start = self.at;
        self.at = start.checked_add(len as usize).filter(|e| *e <= end)?;
        Some(Some(Span {
            start: start as u32,
            len: len as u32,
        }))
    }
}

/// Reads one record, appending its headers to `headers`; `None` if it is malformed.
#[inline(always)]
fn read_record(
    cursor: &mut Cursor,
    header: &BatchHeader,
    context: u32,
    headers: &mut Vec<HeaderEntry>,
) -> Option<Entry> {
    let length = usize::try_from(cursor.varint()?).ok()?;
    let end = cursor.at + length;
    if end > cursor.data.len() || length < 1 {
        return None;
    }
    let attributes = i32::from(cursor.byte()? as i8);
    let timestamp_delta = cursor.varlong()?;
    let offset_delta = cursor.varint()?;
    let key = Span::nullable(cursor.bytes(end)?);
    let value = Span::nullable(cursor.bytes(end)?);
    let count = cursor.varint()?;
    let first_header = headers.len() as u32;
    for _ in 0..count.max(0) {
        let empty = Span {
            start: cursor.at as u32,
            len: 0,
        };
        let key = cursor.bytes(end)?.unwrap_or(empty);
        let value = Span::nullable(cursor.bytes(end)?);
        headers.push(HeaderEntry { key, value });
    }
    if cursor.at > end {
        return None;
    }
    cursor.at = end;
    Some(Entry {
        offset: header.base_offset + i64::from(offset_delta),
        timestamp: header.base_timestamp.wrapping_add(timestamp_delta),
        key,
        value,
        first_header,
        header_count: headers.len() as u32 - first_header,
        context,
        attributes,
    })
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
            let records: Vec<Record> = decoded.records.iter().collect();
            assert_eq!(records.len(), 2, "{codec:?}");
            assert_eq!(records[0].key, Some(&b"k"[..]));
            assert_eq!(records[0].value, Some(&b"v0"[..]));
            assert_eq!(
                records[0].headers,
                [(&b"h"[..], Some(&b"1"[..])), (&b"h"[..], Some(&b"2"[..]))]
            );
            assert_eq!(records[0].timestamp, 1000);
            assert_eq!(records[1].offset, 1);
            assert_eq!(decoded.records.bounds, (0, 1001));
            assert_eq!(records[1].key, None);
            assert_eq!(records[1].value, None);
            assert!(records[1].headers.is_empty());
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
        assert_eq!(decoded.records.iter().next().unwrap().offset, 1);
        // The skipped record's headers went with it.
        assert!(decoded.records.headers.is_empty());
        assert!(decode(&Bytes::from_static(&[0; 70]), 0, &[]).is_err());
    }

    #[test]
    fn plain_batches_around_a_compressed_one_keep_their_records() {
        let mut fetched = BytesMut::new();
        for codec in [Compression::None, Compression::Zstd, Compression::None] {
            fetched.extend_from_slice(&batch(codec));
        }
        let decoded = decode(&fetched.freeze(), 0, &[]).unwrap();
        let values: Vec<Option<&[u8]>> = decoded.records.iter().map(|r| r.value).collect();
        assert_eq!(values, [Some(&b"v0"[..]), None].repeat(3));
        assert_eq!(decoded.contexts.len(), 3);
        let keys: Vec<Option<&[u8]>> = decoded.records.iter().map(|r| r.key).collect();
        assert_eq!(keys, [Some(&b"k"[..]), None].repeat(3));
    }

    #[test]
    fn a_field_running_past_its_record_is_an_error() {
        let mut corrupt = BytesMut::from(&batch(Compression::None)[..]);
        // The first record's key length (after its length, attributes and two deltas): 63 bytes.
        corrupt[HEADER_LEN + 4] = 0x7e;
        let error = decode(&corrupt.freeze(), 0, &[]).unwrap_err();
        assert!(error.to_string().contains("malformed record"), "{error}");
    }
}
