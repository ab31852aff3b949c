//! Reads the sends lib/pack.js packs: per burst of sends, one `data` buffer with every key, value
//! and header, an int32 `layout` saying how long each piece is, a float64 timestamp per message,
//! the distinct topic names, and an int32 `sends` table saying which messages belong to which
//! send and topic. The bytes are copied out of JavaScript once; every key, value and header is a
//! slice of that copy.

use bytes::Bytes;
use ferrokafka_client::producer::{Message, TopicMessages};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

/// The partition value meaning "let the partitioner choose".
const NO_PARTITION: i32 = i32::MIN;

/// A burst of sends as lib/pack.js's `packSends` writes them.
#[napi(object, object_to_js = false)]
pub struct PackedSends {
    pub sends: Buffer,
    pub topics: Vec<String>,
    pub data: Buffer,
    pub layout: Buffer,
    pub timestamps: Buffer,
}

/// One send, unpacked.
pub struct UnpackedSend {
    pub id: u32,
    pub acks: i32,
    pub timeout: i32,
    /// kafkajs's `CompressionTypes` value.
    pub compression: i32,
    pub topics: Vec<TopicMessages>,
}

/// Reads native-endian int32s and float64s in order.
struct Numbers<'a> {
    bytes: &'a [u8],
}

impl Numbers<'_> {
    fn int(&mut self) -> Result<i32, String> {
        let (head, rest) = self
            .bytes
            .split_first_chunk::<4>()
            .ok_or("packed table ends early")?;
        self.bytes = rest;
        Ok(i32::from_ne_bytes(*head))
    }

    fn float(&mut self) -> Result<f64, String> {
        let (head, rest) = self
            .bytes
            .split_first_chunk::<8>()
            .ok_or("packed timestamps end early")?;
        self.bytes = rest;
        Ok(f64::from_ne_bytes(*head))
    }

    fn count(&mut self) -> Result<usize, String> {
        usize::try_from(self.int()?).map_err(|_| "negative count in packed table".to_string())
    }
}

/// Walks `data` piece by piece as the layout describes it.
struct Pieces<'a> {
    data: &'a Bytes,
    layout: Numbers<'a>,
    at: usize,
}

impl Pieces<'_> {
    /// The next piece: `None` for length -1 (null).
    fn next(&mut self) -> Result<Option<Bytes>, String> {
        let length = self.layout.int()?;
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

    fn message(&mut self, timestamp: f64, now: i64) -> Result<Message, String> {
        let key = self.next()?;
        let value = self.next()?;
        let partition = self.layout.int()?;
        let header_count = self.layout.count()?;
        let headers = (0..header_count)
            .map(|_| Ok((self.next()?.unwrap_or_default(), self.next()?)))
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
    }
}

/// Every send of `packed`, timestamped `now` where a message has none.
pub fn unpack(packed: PackedSends, now: i64) -> Result<Vec<UnpackedSend>, String> {
    let data = Bytes::copy_from_slice(&packed.data);
    let mut table = Numbers {
        bytes: &packed.sends,
    };
    let mut timestamps = Numbers {
        bytes: &packed.timestamps,
    };
    let mut pieces = Pieces {
        data: &data,
        layout: Numbers {
            bytes: &packed.layout,
        },
        at: 0,
    };
    let mut sends = Vec::new();
    while !table.bytes.is_empty() {
        let id = table.int()? as u32;
        let acks = table.int()?;
        let timeout = table.int()?;
        let compression = table.int()?;
        let topic_count = table.count()?;
        let mut topics = Vec::with_capacity(topic_count);
        for _ in 0..topic_count {
            let topic = packed
                .topics
                .get(table.count()?)
                .ok_or("unknown topic index in packed table")?
                .clone();
            let message_count = table.count()?;
            table.int()?;
            table.int()?;
            // Each message has a timestamp, which bounds the capacity a bad count could ask for.
            let mut messages = Vec::with_capacity(message_count.min(timestamps.bytes.len() / 8));
            for _ in 0..message_count {
                messages.push(pieces.message(timestamps.float()?, now)?);
            }
            topics.push(TopicMessages { topic, messages });
        }
        sends.push(UnpackedSend {
            id,
            acks,
            timeout,
            compression,
            topics,
        });
    }
    Ok(sends)
}
