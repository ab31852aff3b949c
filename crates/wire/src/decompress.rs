//! Decompressing a record batch's records with a ceiling on the output, so a small, highly
//! compressible batch (a "zip bomb") cannot make the broker allocate without bound.

use std::io::{self, Read};

use kafka_protocol::records::Compression;

/// The xerial snappy-java stream header that Kafka's Java clients write before snappy blocks.
const XERIAL_MAGIC: &[u8] = b"\x82SNAPPY\x00";
const XERIAL_HEADER_LEN: usize = 16;

/// Decompresses `input` written with `codec`, failing once the output would exceed `limit`.
pub fn decompress(codec: Compression, input: &[u8], limit: usize) -> io::Result<Vec<u8>> {
    match codec {
        Compression::None => read_limited(input, limit),
        Compression::Gzip => read_limited(flate2::read::GzDecoder::new(input), limit),
        Compression::Lz4 => read_limited(lz4::Decoder::new(input)?, limit),
        Compression::Zstd => read_limited(zstd::stream::read::Decoder::new(input)?, limit),
        Compression::Snappy => snappy(input, limit),
    }
}

fn too_large(limit: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("decompressed records exceed {limit} bytes"),
    )
}

fn read_limited(reader: impl Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(too_large(limit));
    }
    Ok(out)
}

/// Snappy as Kafka clients write it: xerial-framed blocks (Java) or one raw block (others).
fn snappy(input: &[u8], limit: usize) -> io::Result<Vec<u8>> {
    let invalid = |e: snap::Error| io::Error::new(io::ErrorKind::InvalidData, e);
    let mut out = Vec::new();
    let block = |compressed: &[u8], out: &mut Vec<u8>| -> io::Result<()> {
        let len = snap::raw::decompress_len(compressed).map_err(invalid)?;
        if out.len() + len > limit {
            return Err(too_large(limit));
        }
        let start = out.len();
        out.resize(start + len, 0);
        snap::raw::Decoder::new()
            .decompress(compressed, &mut out[start..])
            .map_err(invalid)?;
        Ok(())
    };
    if !input.starts_with(XERIAL_MAGIC) {
        block(input, &mut out)?;
        return Ok(out);
    }
    let mut rest = input.get(XERIAL_HEADER_LEN..).unwrap_or_default();
    while !rest.is_empty() {
        let truncated = || io::Error::new(io::ErrorKind::UnexpectedEof, "truncated snappy block");
        let len = rest
            .get(..4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("four bytes")) as usize)
            .ok_or_else(truncated)?;
        let compressed = rest.get(4..4 + len).ok_or_else(truncated)?;
        block(compressed, &mut out)?;
        rest = &rest[4 + len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{encode_batch, BatchOptions, RecordRef};
    use bytes::BytesMut;

    /// The compressed records section of a batch of `count` copies of `value`.
    fn compressed(codec: Compression, value: &[u8], count: usize) -> Vec<u8> {
        let records = vec![
            RecordRef {
                key: None,
                value: Some(value),
                headers: &[],
                timestamp: 0,
            };
            count
        ];
        let mut out = BytesMut::new();
        let options = BatchOptions {
            compression: codec,
            ..BatchOptions::default()
        };
        encode_batch(&mut out, &records, &options).unwrap();
        out[crate::record_batch::HEADER_LEN..].to_vec()
    }

    #[test]
    fn every_codec_round_trips_within_the_limit_and_fails_beyond_it() {
        let value = vec![b'z'; 1000];
        let plain = compressed(Compression::None, &value, 100);
        for codec in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let input = compressed(codec, &value, 100);
            assert_eq!(
                decompress(codec, &input, 1 << 20).unwrap(),
                plain,
                "{codec:?}"
            );
            let error = decompress(codec, &input, 10_000).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{codec:?}");
        }
    }

    #[test]
    fn raw_snappy_blocks_are_read_too() {
        let raw = snap::raw::Encoder::new()
            .compress_vec(b"hello hello hello")
            .unwrap();
        assert_eq!(
            decompress(Compression::Snappy, &raw, 100).unwrap(),
            b"hello hello hello"
        );
        assert!(decompress(Compression::Snappy, &raw, 5).is_err());
    }
}
