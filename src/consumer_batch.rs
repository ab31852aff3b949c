//! A fetched batch as JavaScript receives it: the bytes of every key, value and header in one
//! buffer and the per-message fields in one number table, so a batch of thousands of messages
//! crosses into JavaScript as a handful of values (lib/batch.js builds kafkajs's messages from
//! them).

use ferrokafka_client::consumer::{Batch, BatchContext, Record};
use napi::bindgen_prelude::*;
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
#[napi(object)]
pub struct JsBatch {
    pub topic: String,
    pub partition: i32,
    pub high_watermark: String,
    pub fetched_offset: String,
    pub next_offset: String,
    pub contexts: Vec<JsBatchContext>,
    /// The key, value and header bytes of every message, back to back.
    pub data: Buffer,
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

/// Appends `bytes` to `data`, returning its start and length (-1 for null).
fn put(data: &mut Vec<u8>, bytes: Option<&[u8]>) -> (f64, f64) {
    match bytes {
        Some(bytes) => {
            let start = data.len();
            data.extend_from_slice(bytes);
            (start as f64, bytes.len() as f64)
        }
        None => (data.len() as f64, -1.0),
    }
}

fn is_exact(n: i64) -> bool {
    (-MAX_EXACT..=MAX_EXACT).contains(&n)
}

/// Packs one record's fields and bytes.
fn pack_record(r: &Record, data: &mut Vec<u8>, messages: &mut Vec<f64>, headers: &mut Vec<f64>) {
    let (key_start, key_len) = put(data, r.key.as_deref());
    let (value_start, value_len) = put(data, r.value.as_deref());
    let first_header = (headers.len() / HEADER_FIELDS) as f64;
    for (name, value) in &r.headers {
        let (name_start, name_len) = put(data, Some(name.as_bytes()));
        let (value_start, value_len) = put(data, value.as_deref());
        headers.extend_from_slice(&[name_start, name_len, value_start, value_len]);
    }
    messages.extend_from_slice(&[
        r.offset as f64,
        r.timestamp as f64,
        r.attributes.into(),
        r.context as f64,
        key_start,
        key_len,
        value_start,
        value_len,
        first_header,
        r.headers.len() as f64,
    ]);
}

/// Packs a fetched batch for JavaScript.
pub fn batch_to_js(batch: Batch) -> JsBatch {
    let bytes: usize = batch
        .records
        .iter()
        .map(|r| {
            r.key.as_ref().map_or(0, |k| k.len())
                + r.value.as_ref().map_or(0, |v| v.len())
                + r.headers
                    .iter()
                    .map(|(k, v)| k.len() + v.as_ref().map_or(0, |v| v.len()))
                    .sum::<usize>()
        })
        .sum();
    let mut data = Vec::with_capacity(bytes);
    let mut messages = Vec::with_capacity(batch.records.len() * MESSAGE_FIELDS);
    let mut headers = Vec::new();
    for record in &batch.records {
        pack_record(record, &mut data, &mut messages, &mut headers);
    }
    let exact = batch
        .records
        .iter()
        .any(|r| !is_exact(r.offset) || !is_exact(r.timestamp))
        .then(|| {
            batch
                .records
                .iter()
                .flat_map(|r| [r.offset.to_string(), r.timestamp.to_string()])
                .collect()
        });
    JsBatch {
        topic: batch.topic,
        partition: batch.partition,
        high_watermark: batch.high_watermark.to_string(),
        fetched_offset: batch.fetched_offset.to_string(),
        next_offset: batch.next_offset.to_string(),
        contexts: batch.contexts.into_iter().map(context_to_js).collect(),
        data: data.into(),
        messages: Float64Array::new(messages),
        headers: Float64Array::new(headers),
        exact,
    }
}
