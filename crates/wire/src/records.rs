//! Writing record batches (magic v2) from borrowed message data, with any of Kafka's codecs.
//!
//! The protocol crate's encoder keeps headers in a map, which cannot hold the repeated header
//! keys Kafka allows (kafkajs sends an array header value as one header per element), so records
//! are written here; compression uses the protocol crate's codecs.

use bytes::{BufMut, BytesMut};
use kafka_protocol::compression::{Compressor, Gzip, Lz4, Snappy, Zstd};
use kafka_protocol::records::Compression;

use crate::record_batch::{ATTR_TRANSACTIONAL, HEADER_LEN};

/// One record to write.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [(&'a [u8], Option<&'a [u8]>)],
    pub timestamp: i64,
}

/// The batch-level fields a producer chooses.
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    pub compression: Compression,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub transactional: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            compression: Compression::None,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
        }
    }
}

/// Appends one record batch holding `records` (at least one) to `out`.
pub fn encode_batch(
    out: &mut BytesMut,
    records: &[RecordRef<'_>],
    options: &BatchOptions,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        !records.is_empty(),
        "a record batch needs at least one record"
    );
    let base_timestamp = records.iter().map(|r| r.timestamp).min().unwrap_or(0);
    let max_timestamp = records.iter().map(|r| r.timestamp).max().unwrap_or(0);
    let start = out.len();
    out.reserve(HEADER_LEN + records.len() * 16);
    out.put_i64(0); // base offset: assigned by the broker
    out.put_i32(0); // batch length, patched below
    out.put_i32(-1); // partition leader epoch
    out.put_i8(2); // magic
    out.put_u32(0); // crc, patched below
    let mut attributes = options.compression as i16;
    if options.transactional {
        attributes |= ATTR_TRANSACTIONAL;
    }
    out.put_i16(attributes);
    out.put_i32(records.len() as i32 - 1); // last offset delta
    out.put_i64(base_timestamp);
    out.put_i64(max_timestamp);
    out.put_i64(options.producer_id);
    out.put_i16(options.producer_epoch);
    out.put_i32(options.base_sequence);
    out.put_i32(records.len() as i32);
    let write = |buf: &mut BytesMut| -> anyhow::Result<()> {
        for (delta, record) in records.iter().enumerate() {
            write_record(buf, record, delta as i64, record.timestamp - base_timestamp);
        }
        Ok(())
    };
    match options.compression {
        Compression::None => write(out)?,
        Compression::Gzip => Gzip::compress(out, write)?,
        Compression::Snappy => Snappy::compress(out, write)?,
        Compression::Lz4 => Lz4::compress(out, write)?,
        Compression::Zstd => Zstd::compress(out, write)?,
    }
    let batch_length = (out.len() - start - 12) as i32;
    out[start + 8..start + 12].copy_from_slice(&batch_length.to_be_bytes());
    let crc = crc32c::crc32c(&out[start + 21..]);
    out[start + 17..start + 21].copy_from_slice(&crc.to_be_bytes());
    Ok(())
}

fn write_record(
    out: &mut BytesMut,
    record: &RecordRef<'_>,
    offset_delta: i64,
    timestamp_delta: i64,
) {
    let mut body_len = 1 + varlong_len(timestamp_delta) + varlong_len(offset_delta);
    body_len += bytes_len(record.key) + bytes_len(record.value);
    body_len += varlong_len(record.headers.len() as i64);
    for (key, value) in record.headers {
        body_len += bytes_len(Some(key)) + bytes_len(*value);
    }
    put_varlong(out, body_len as i64);
    out.put_i8(0); // record attributes
    put_varlong(out, timestamp_delta);
    put_varlong(out, offset_delta);
    put_bytes(out, record.key);
    put_bytes(out, record.value);
    put_varlong(out, record.headers.len() as i64);
    for (key, value) in record.headers {
        put_bytes(out, Some(key));
        put_bytes(out, *value);
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn varlong_len(value: i64) -> usize {
    let bits = 64 - zigzag(value).leading_zeros() as usize;
    bits.max(1).div_ceil(7)
}

fn put_varlong(out: &mut BytesMut, value: i64) {
    let mut v = zigzag(value);
    while v >= 0x80 {
        out.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    out.put_u8(v as u8);
}

fn bytes_len(bytes: Option<&[u8]>) -> usize {
    match bytes {
        Some(b) => varlong_len(b.len() as i64) + b.len(),
        None => 1,
    }
}

fn put_bytes(out: &mut BytesMut, bytes: Option<&[u8]>) {
    match bytes {
        Some(b) => {
            put_varlong(out, b.len() as i64);
            out.put_slice(b);
        }
        None => put_varlong(out, -1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_batch::validate_batches;
    use kafka_protocol::records::RecordBatchDecoder;

    fn roundtrip(compression: Compression) {
        let headers: [(&[u8], Option<&[u8]>); 3] =
            [(b"h", Some(b"1")), (b"h", Some(b"2")), (b"n", None)];
        let big = vec![7u8; 300];
        let records = [
            RecordRef {
                key: Some(b"k0"),
                value: Some(b"v0"),
                headers: &headers,
                timestamp: 1_000,
            },
            RecordRef {
                key: None,
                value: None,
                headers: &[],
                timestamp: 990,
            },
            RecordRef {
                key: Some(b""),
                value: Some(&big),
                headers: &[],
                timestamp: 1_005,
            },
        ];
        let mut out = BytesMut::new();
        let options = BatchOptions {
            compression,
            ..BatchOptions::default()
        };
        encode_batch(&mut out, &records, &options).unwrap();
        let bytes = out.freeze();
        let header = validate_batches(&bytes).unwrap()[0].0;
        assert_eq!(header.record_count, 3);
        assert_eq!(header.compression(), compression as i16);
        assert_eq!((header.base_timestamp, header.max_timestamp), (990, 1_005));
        let decoded = RecordBatchDecoder::decode(&mut bytes.clone())
            .unwrap()
            .records;
        assert_eq!(decoded.len(), 3);
        assert_eq!(decoded[0].key.as_deref(), Some(&b"k0"[..]));
        assert_eq!(decoded[0].timestamp, 1_000);
        assert_eq!(decoded[1].timestamp, 990);
        assert_eq!(decoded[1].value, None);
        assert_eq!(decoded[2].value.as_deref(), Some(&big[..]));
        assert_eq!(decoded[2].offset, 2);
    }

    #[test]
    fn writes_batches_the_protocol_decoder_reads_with_every_codec() {
        for compression in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            roundtrip(compression);
        }
    }

    #[test]
    fn varints_are_zigzag_encoded() {
        for (value, encoded) in [
            (0i64, vec![0u8]),
            (-1, vec![1]),
            (1, vec![2]),
            (64, vec![0x80, 1]),
            (-65, vec![0x81, 1]),
        ] {
            let mut out = BytesMut::new();
            put_varlong(&mut out, value);
            assert_eq!(&out[..], &encoded[..], "{value}");
            assert_eq!(varlong_len(value), encoded.len());
        }
    }
}
