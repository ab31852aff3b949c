//! Turns the parts one lane collected into Produce requests: each partition's messages become
//! record batches of at most [`MAX_BATCH_BYTES`], a request carries at most one batch per
//! partition (as Kafka requires) and at most [`MAX_REQUEST_BYTES`], and the partitions of a
//! response are traced back to the parts their messages came from.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferrokafka_wire::records::{encode_batch, BatchOptions, RecordRef};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::Compression;
use uuid::Uuid;

use super::{Message, Part};
use crate::error::{Error, Result};

/// The most record bytes (keys, values, headers) written into one batch, below the broker's
/// default `message.max.bytes` of 1 MiB. A single larger message gets a batch of its own.
pub const MAX_BATCH_BYTES: usize = 1_000_000;
/// The most record bytes in one Produce request, well below the broker's default
/// `socket.request.max.bytes` of 100 MiB.
pub const MAX_REQUEST_BYTES: usize = 32 << 20;

/// Messages `range` of part `part` of the round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub part: usize,
    pub start: usize,
    pub end: usize,
}

/// One record batch to write: the slices of parts it holds, in order.
#[derive(Debug, Default)]
pub struct Chunk {
    pub slices: Vec<Slice>,
    pub bytes: usize,
}

/// One Produce request: per topic and partition, the chunk it carries.
#[derive(Debug, Default)]
pub struct Planned {
    pub chunks: Vec<(Arc<str>, i32, Chunk)>,
}

impl Planned {
    /// The id of `topic`, as the parts carry it.
    pub fn topic_id(&self, parts: &[Part], topic: &str) -> Uuid {
        self.chunks
            .iter()
            .find(|(t, _, _)| &**t == topic)
            .and_then(|(_, _, chunk)| chunk.slices.first())
            .map_or_else(Uuid::nil, |slice| parts[slice.part].topic_id)
    }
}

/// A topic and partition.
type PartitionKey = (Arc<str>, i32);

/// A header as a record batch takes it: key and optional value.
type Header<'a> = (&'a [u8], Option<&'a [u8]>);

/// A message's size as counted against the limits.
pub fn size_of(message: &Message) -> usize {
    let headers: usize = message
        .headers
        .iter()
        .map(|(k, v)| k.len() + v.as_ref().map_or(0, |v| v.len()) + 4)
        .sum();
    message.key.as_ref().map_or(0, |k| k.len())
        + message.value.as_ref().map_or(0, |v| v.len())
        + headers
        + 16
}

/// Splits the round's parts into requests. Parts for one partition keep their order, both
/// within a batch and across requests.
pub fn plan(parts: &[Part]) -> Vec<Planned> {
    let mut per_partition: BTreeMap<PartitionKey, Vec<Chunk>> = BTreeMap::new();
    for (index, part) in parts.iter().enumerate() {
        let chunks = per_partition
            .entry((part.topic.clone(), part.partition))
            .or_default();
        for (offset, message) in part.messages.iter().enumerate() {
            let size = size_of(message);
            let fits = chunks
                .last()
                .is_some_and(|c| c.bytes + size <= MAX_BATCH_BYTES);
            if !fits {
                chunks.push(Chunk::default());
            }
            let chunk = chunks.last_mut().expect("a chunk was just ensured");
            chunk.bytes += size;
            match chunk.slices.last_mut() {
                Some(slice) if slice.part == index && slice.end == offset => slice.end += 1,
                _ => chunk.slices.push(Slice {
                    part: index,
                    start: offset,
                    end: offset + 1,
                }),
            }
        }
    }
    let mut queues: Vec<(PartitionKey, VecDeque<Chunk>)> = per_partition
        .into_iter()
        .map(|(key, chunks)| (key, chunks.into()))
        .collect();
    let mut requests = Vec::new();
    while queues.iter().any(|(_, q)| !q.is_empty()) {
        let mut request = Planned::default();
        let mut bytes = 0;
        for ((topic, partition), queue) in &mut queues {
            let Some(next) = queue.front() else { continue };
            if !request.chunks.is_empty() && bytes + next.bytes > MAX_REQUEST_BYTES {
                continue;
            }
            bytes += next.bytes;
            let chunk = queue.pop_front().expect("front exists");
            request.chunks.push((topic.clone(), *partition, chunk));
        }
        requests.push(request);
    }
    requests
}

/// Writes `planned` as a Produce request.
pub fn encode(
    planned: &Planned,
    parts: &[Part],
    acks: i16,
    timeout_ms: i32,
    compression: Compression,
    version: i16,
) -> Result<ProduceRequest> {
    let mut topics: Vec<TopicProduceData> = Vec::new();
    for (topic, partition, chunk) in &planned.chunks {
        let messages = chunk
            .slices
            .iter()
            .flat_map(|s| &parts[s.part].messages[s.start..s.end]);
        let options = BatchOptions {
            compression,
            ..BatchOptions::default()
        };
        let records = encode_records(messages, &options, chunk.bytes)?;
        let data = PartitionProduceData::default()
            .with_index(*partition)
            .with_records(Some(records));
        match topics.iter_mut().find(|t| t.name.0.as_str() == &**topic) {
            Some(existing) => existing.partition_data.push(data),
            None => {
                let mut entry = TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                    .with_partition_data(vec![data]);
                if version >= 13 {
                    entry.topic_id = planned.topic_id(parts, topic);
                }
                topics.push(entry);
            }
        }
    }
    Ok(ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(timeout_ms)
        .with_topic_data(topics))
}

/// Writes `messages` as one record batch with `options` (codec, producer id, epoch, sequence);
/// `bytes` is their size as [`size_of`] counts it, to size the buffer.
pub fn encode_records<'a>(
    messages: impl Iterator<Item = &'a Message>,
    options: &BatchOptions,
    bytes: usize,
) -> Result<Bytes> {
    let messages: Vec<&Message> = messages.collect();
    let headers: Vec<Vec<Header<'_>>> = messages
        .iter()
        .map(|m| {
            m.headers
                .iter()
                .map(|(k, v)| (&k[..], v.as_deref()))
                .collect()
        })
        .collect();
    let records: Vec<RecordRef<'_>> = messages
        .iter()
        .zip(&headers)
        .map(|(m, headers)| RecordRef {
            key: m.key.as_deref(),
            value: m.value.as_deref(),
            headers,
            timestamp: m.timestamp,
        })
        .collect();
    let mut out = BytesMut::with_capacity(bytes + 128);
    encode_batch(&mut out, &records, options).map_err(|e| Error::Encoding(e.to_string()))?;
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn part(topic: &str, partition: i32, count: usize, size: usize) -> Part {
        let message = Message {
            value: Some(Bytes::from(vec![b'x'; size])),
            ..Message::default()
        };
        Part {
            topic: topic.into(),
            topic_id: Uuid::nil(),
            partition,
            messages: Arc::new(vec![message; count]),
        }
    }

    #[test]
    fn parts_for_one_partition_share_a_batch_in_order() {
        let parts = [
            part("a", 0, 3, 10),
            part("b", 1, 1, 10),
            part("a", 0, 2, 10),
        ];
        let requests = plan(&parts);
        assert_eq!(requests.len(), 1);
        let (topic, partition, chunk) = &requests[0].chunks[0];
        assert_eq!((&**topic, *partition), ("a", 0));
        assert_eq!(
            chunk.slices,
            [
                Slice {
                    part: 0,
                    start: 0,
                    end: 3
                },
                Slice {
                    part: 2,
                    start: 0,
                    end: 2
                }
            ]
        );
    }

    #[test]
    fn a_large_partition_is_split_into_batches_across_requests() {
        let parts = [part("a", 0, 5, 400_000), part("a", 1, 1, 10)];
        let requests = plan(&parts);
        let batches: Vec<Vec<(i32, usize)>> = requests
            .iter()
            .map(|r| {
                r.chunks
                    .iter()
                    .map(|(_, p, c)| (*p, c.slices.iter().map(|s| s.end - s.start).sum()))
                    .collect()
            })
            .collect();
        assert_eq!(batches, [vec![(0, 2), (1, 1)], vec![(0, 2)], vec![(0, 1)]]);
        assert!(requests
            .iter()
            .flat_map(|r| &r.chunks)
            .all(|(_, _, c)| c.bytes <= MAX_BATCH_BYTES));
    }

    #[test]
    fn a_message_larger_than_a_batch_gets_one_of_its_own() {
        let parts = [part("a", 0, 2, 2_000_000)];
        let requests = plan(&parts);
        assert_eq!(requests.len(), 2);
        assert!(requests.iter().all(|r| r.chunks.len() == 1));
    }
}
