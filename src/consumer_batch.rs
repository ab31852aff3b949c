//! A fetched batch as JavaScript receives it: the fetched record bytes in one buffer (handed over
//! as decoded, not copied) and the per-message fields in one number table locating each key,
//! value and header in it, so a batch of thousands of messages crosses into JavaScript as a
//! handful of values (lib/batch.js builds kafkajs's messages from them).

use ferrokafka_client::consumer::records::Span;
use ferrokafka_client::consumer::{Batch, BatchContext, Records};
use napi::bindgen_prelude::*;

use crate::shared_bytes::SharedBytes;
use napi_derive::napi;

/// Numbers per message in [`JsBatch::messages`]: offset, timestamp, attributes, context index,
/// key start and length, value start and length (length -1: null), first header index and
/// header count.
pub const MESSAGE_FIELDS: usize = 10;
/// Numbers per header in [`JsBatch::headers`]: key start and length, value start and length.
pub const HEADER_FIELDS: usize = 4;

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
    /// The fetched bytes the table's keys, values and headers lie in.
    pub data: SharedBytes,
    /// [`MESSAGE_FIELDS`] numbers per message.
    pub messages: Float64Array,
    /// [`HEADER_FIELDS`] numbers per header.
    pub headers: Float64Array,
    /// Offset and timestamp of each message as strings, only when one of them lies beyond what a
    /// number holds exactly (then the table's numbers for them are not used).
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

/// A span's start and length in the table (length -1: null).
fn span(span: Option<Span>) -> [f64; 2] {
    match span {
        Some(s) => [s.start.into(), s.len.into()],
        None => [0.0, -1.0],
    }
}

fn is_exact(n: i64) -> bool {
    (-MAX_EXACT..=MAX_EXACT).contains(&n)
}

/// Packs a fetched batch for JavaScript.
pub fn batch_to_js(batch: Batch) -> JsBatch {
    let Records {
        data,
        entries,
        headers: header_entries,
    } = batch.records;
    let mut messages = Vec::with_capacity(entries.len() * MESSAGE_FIELDS);
    for e in &entries {
        let [key_start, key_len] = span(e.key);
        let [value_start, value_len] = span(e.value);
        messages.extend_from_slice(&[
            e.offset as f64,
            e.timestamp as f64,
            e.attributes.into(),
            e.context.into(),
            key_start,
            key_len,
            value_start,
            value_len,
            e.first_header.into(),
            e.header_count.into(),
        ]);
    }
    let mut headers = Vec::with_capacity(header_entries.len() * HEADER_FIELDS);
    for h in &header_entries {
        headers.extend_from_slice(&[h.key.start.into(), h.key.len.into()]);
        headers.extend_from_slice(&span(h.value));
    }
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
        messages: Float64Array::new(messages),
        headers: Float64Array::new(headers),
        exact,
    }
}
