//! Reads the messages lib/pack.js packs: one `data` buffer with every key, value and header, an
//! int32 `layout` saying how long each piece is, and a float64 timestamp per message. The bytes
//! are copied out of JavaScript once; every key, value and header is a slice of that copy.

use bytes::Bytes;
use ferrokafka_client::producer::{Message, TopicMessages};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

/// The partition value meaning "let the partitioner choose".
const NO_PARTITION: i32 = i32::MIN;

/// One topic's packed messages.
#[napi(object, object_to_js = false)]
pub struct PackedTopic {
    pub topic: String,
    pub data: Buffer,
    pub layout: Buffer,
    pub timestamps: Buffer,
}

/// Walks `data` piece by piece as the layout describes it.
struct Reader<'a> {
    data: &'a Bytes,
    layout: std::slice::ChunksExact<'a, u8>,
    at: usize,
}

impl Reader<'_> {
    fn int(&mut self) -> Result<i32, String> {
        self.layout
            .next()
            .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "packed layout ends early".to_string())
    }

    /// The next piece: `None` for length -1 (null).
    fn piece(&mut self) -> Result<Option<Bytes>, String> {
        let length = self.int()?;
        if length < 0 {
            return Ok(None);
        }
        let end = self.at + length as usize;
        if end > self.data.len() {
            return Err("packed data ends early".to_string());
        }
        let piece = self.data.slice(self.at..end);
        self.at = end;
        Ok(Some(piece))
    }
}

/// The messages of `packed`, timestamped `now` where the message has none.
pub fn unpack(packed: PackedTopic, now: i64) -> Result<TopicMessages, String> {
    let data = Bytes::copy_from_slice(&packed.data);
    let mut reader = Reader {
        data: &data,
        layout: packed.layout.chunks_exact(4),
        at: 0,
    };
    let messages = packed
        .timestamps
        .chunks_exact(8)
        .map(|t| {
            let timestamp = f64::from_ne_bytes(t.try_into().expect("8-byte chunk"));
            let key = reader.piece()?;
            let value = reader.piece()?;
            let partition = reader.int()?;
            let header_count = reader.int()?;
            let headers = (0..header_count)
                .map(|_| Ok((reader.piece()?.unwrap_or_default(), reader.piece()?)))
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Message {
                key,
                value,
                headers,
                timestamp: if timestamp.is_nan() {
                    now
                } else {
                    timestamp as i64
                },
                partition: (partition != NO_PARTITION).then_some(partition),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(TopicMessages {
        topic: packed.topic,
        messages,
    })
}
