//! A fetched batch as JavaScript receives it: the fetched record bytes in one buffer, and the
//! per-message entries and per-header entries as two more, each handed over as decoded, not
//! copied or converted. The entries are 32-bit words locating each key, value and header in the
//! bytes (`Entry` and `HeaderEntry` in the client's records module), so a batch of thousands of
//! messages crosses into JavaScript as a handful of values and its table is read in place
//! (lib/batch.js builds kafkajs's messages from them).

use bytemuck::Pod;
use bytes::Bytes;
use ferrokafka_client::consumer::{Batch, BatchContext, Records};
use napi::bindgen_prelude::Int32Array;
use napi_derive::napi;

use crate::shared_bytes::SharedBytes;

#[cfg(not(target_endian = "little"))]
compile_error!("lib/batch.js reads a 64-bit entry field as its low 32-bit word, then its high one");

/// Largest integer a JavaScript number holds exactly.
const MAX_EXACT: i64 = (1 << 53) - 1;

/// A fetched batch, packed.
#[napi(object, object_from_js = false)]
pub struct JsBatch {
    pub topic: String,
    pub partition: i32,
    pub high_watermark: String,
    pub fetched_offset: String,
    pub next_offset: String,
    /// kafkajs's `batchContext` of each record batch: its partition leader epoch, in
    /// transaction, is control batch, last offset delta, producer epoch, first sequence,
    /// timestamp type and magic byte.
    pub context_numbers: Int32Array,
    /// Its first offset, first timestamp, producer id and max timestamp, four strings each.
    pub context_texts: Vec<String>,
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

/// The record batches' contexts, as the two tables of [`JsBatch`].
fn contexts_to_js(contexts: Vec<BatchContext>) -> (Int32Array, Vec<String>) {
    let mut numbers = Vec::with_capacity(contexts.len() * 8);
    let mut texts = Vec::with_capacity(contexts.len() * 4);
    for c in contexts {
        numbers.extend_from_slice(&[
            c.partition_leader_epoch,
            c.in_transaction.into(),
            c.is_control_batch.into(),
            c.last_offset_delta,
            c.producer_epoch.into(),
            c.first_sequence,
            c.timestamp_type.into(),
            c.magic.into(),
        ]);
        texts.extend([
            c.first_offset.to_string(),
            c.first_timestamp.to_string(),
            c.producer_id.to_string(),
            c.max_timestamp.to_string(),
        ]);
    }
    (Int32Array::new(numbers), texts)
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
        bounds: (least, greatest),
    } = batch.records;
    let (context_numbers, context_texts) = contexts_to_js(batch.contexts);
    let exact = (!is_exact(least) || !is_exact(greatest)).then(|| {
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
        context_numbers,
        context_texts,
        data: SharedBytes(data),
        messages: table(entries),
        headers: table(headers),
        exact,
    }
}
