//! A fetched batch as JavaScript receives it: the fetched record bytes in one buffer, and the
//! per-message entries and per-header entries as two more, each handed over as decoded, not
//! copied or converted. The entries are 32-bit words locating each key, value and header in the
//! bytes (`Entry` and `HeaderEntry` in the client's records module), so a batch of thousands of
//! messages crosses into JavaScript as a handful of values and its table is read in place
//! (lib/batch.js builds kafkajs's messages from them).

use bytemuck::Pod;
use bytes::Bytes;
use ferrokafka_client::consumer::{Batch, BatchContext, Records};
use napi_derive::napi;

use crate::shared_bytes::SharedBytes;

#[cfg(not(target_endian = "little"))]
compile_error!("lib/batch.js reads a 64-bit entry field as its low 32-bit word, then its high one");

/// Largest integer a JavaScript number holds exactly.
const MAX_EXACT: i64 = (1 << 53) - 1;

/// kafkajs's `batchContext`.
#[napi(object)]
pub struct JsBatchContext {
    pub first_offset: String,
    pub first_timestamp: String,
    pub partition_leader_epoch: i32,
    pub in_transaction: bool,
    pub is_control_batch: bool,
    pub last_offset_delta: i32,
    pub producer_id: String,
    pub producer_epoch: i32,
    pub first_sequence: i32,
    pub max_timestamp: String,
    pub timestamp_type: i32,
    pub magic_byte: i32,
}

/// A fetched batch, packed.
#[napi(object, object_from_js = false)]
pub struct JsBatch {
    pub topic: String,
    pub partition: i32,
    pub high_watermark: String,
    pub fetched_offset: String,
    pub next_offset: String,
    pub contexts: Vec<JsBatchContext>,
    /// The fetched bytes the entries' keys, values and headers lie in.
    pub data: SharedBytes,
    /// The messages' entries, twelve 32-bit words each.
    pub messages: SharedBytes,
    /// The headers' entries, four 32-bit words each.
    pub headers: SharedBytes,
    /// Offset and timestamp of each message as strings, only when one of them lies beyond what a
    /// number holds exactly (then the entries' words for them are not used).
    pub exact: Option<Vec<String>>,
}

fn context_to_js(c: BatchContext) -> JsBatchContext {
    JsBatchContext {
        first_offset: c.first_offset.to_string(),
        first_timestamp: c.first_timestamp.to_string(),
        partition_leader_epoch: c.partition_leader_epoch,
        in_transaction: c.in_transaction,
        is_control_batch: c.is_control_batch,
        last_offset_delta: c.last_offset_delta,
        producer_id: c.producer_id.to_string(),
        producer_epoch: c.producer_epoch.into(),
        first_sequence: c.first_sequence,
        max_timestamp: c.max_timestamp.to_string(),
        timestamp_type: c.timestamp_type.into(),
        magic_byte: c.magic.into(),
    }
}

/// A table of entries as bytes, owning its vector.
struct Table<T>(Vec<T>);

impl<T: Pod> AsRef<[u8]> for Table<T> {
    fn as_ref(&self) -> &[u8] {
        bytemuck::cast_slice(&self.0)
    }
}

fn table<T: Pod + Send>(entries: Vec<T>) -> SharedBytes {
    SharedBytes(Bytes::from_owner(Table(entries)))
}

fn is_exact(n: i64) -> bool {
    (-MAX_EXACT..=MAX_EXACT).contains(&n)
}

/// Packs a fetched batch for JavaScript.
pub fn batch_to_js(batch: Batch) -> JsBatch {
    let Records {
        data,
        entries,
        headers,
    } = batch.records;
    let exact = entries
        .iter()
        .any(|e| !is_exact(e.offset) || !is_exact(e.timestamp))
        .then(|| {
            entries
                .iter()
                .flat_map(|e| [e.offset.to_string(), e.timestamp.to_string()])
                .collect()
        });
    JsBatch {
        topic: batch.topic,
        partition: batch.partition,
        high_watermark: batch.high_watermark.to_string(),
        fetched_offset: batch.fetched_offset.to_string(),
        next_offset: batch.next_offset.to_string(),
        contexts: batch.contexts.into_iter().map(context_to_js).collect(),
        data: SharedBytes(data),
        messages: table(entries),
        headers: table(headers),
        exact,
    }
}
