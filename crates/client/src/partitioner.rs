//! kafkajs's partitioners: `DefaultPartitioner` (the Java client's murmur2, so keys land where
//! the Java client and kafkajs put them) and `LegacyPartitioner` (kafkajs 1.x's murmur2, which
//! computes in JavaScript doubles and so differs from Java's for most keys).
//!
//! Both share kafkajs's strategy: an explicit partition wins; a key picks
//! `toPositive(murmur2(key)) % partitions`; keyless messages go round-robin over the partitions
//! that have a leader, starting from a random point per topic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

const SEED: u32 = 0x9747_b28c;
const M: u32 = 0x5bd1_e995;

/// Which hash a partitioner uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionerKind {
    Default,
    Legacy,
}

/// A partition as the partitioner sees it.
#[derive(Debug, Clone, Copy)]
pub struct PartitionInfo {
    pub partition: i32,
    pub leader: i32,
}

/// A stateful partitioner (the round-robin counters live here), one per producer.
#[derive(Debug)]
pub struct Partitioner {
    kind: PartitionerKind,
    counters: Mutex<HashMap<String, Arc<AtomicU32>>>,
}

/// The partitioner as one topic's messages see it: looked up once per topic of a send.
pub struct TopicPartitioner {
    kind: PartitionerKind,
    counter: Arc<AtomicU32>,
    count: u32,
    /// The partitions with a leader, which keyless messages go round.
    available: Vec<i32>,
}

impl Partitioner {
    pub fn new(kind: PartitionerKind) -> Self {
        Partitioner {
            kind,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// The partitioner for `topic`, whose partitions are `partitions` (sorted by partition id).
    pub fn topic(&self, topic: &str, partitions: &[PartitionInfo]) -> TopicPartitioner {
        let counter = {
            let mut counters = self.counters.lock();
            match counters.get(topic) {
                Some(counter) => counter.clone(),
                None => counters
                    .entry(topic.to_string())
                    .or_insert_with(|| Arc::new(AtomicU32::new(fastrand::u32(..))))
                    .clone(),
            }
        };
        TopicPartitioner {
            kind: self.kind,
            counter,
            count: partitions.len() as u32,
            available: partitions
                .iter()
                .filter(|p| p.leader >= 0)
                .map(|p| p.partition)
                .collect(),
        }
    }
}

impl TopicPartitioner {
    /// The partition for a message with `key`.
    pub fn partition(&self, key: Option<&[u8]>) -> i32 {
        if let Some(key) = key {
            let hash = match self.kind {
                PartitionerKind::Default => murmur2(key),
                PartitionerKind::Legacy => legacy_murmur2(key),
            };
            return ((hash & 0x7fff_ffff) as u32 % self.count) as i32;
        }
        let next = self.counter.fetch_add(1, Ordering::Relaxed).wrapping_add(1) & 0x7fff_ffff;
        if self.available.is_empty() {
            (next % self.count) as i32
        } else {
            self.available[(next % self.available.len() as u32) as usize]
        }
    }
}

/// The Java client's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`).
pub fn murmur2(data: &[u8]) -> i32 {
    let mut h = SEED ^ data.len() as u32;
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    if tail.len() >= 3 {
        h ^= (tail[2] as u32) << 16;
    }
    if tail.len() >= 2 {
        h ^= (tail[1] as u32) << 8;
    }
    if !tail.is_empty() {
        h ^= tail[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// JavaScript's ToUint32 of a double.
fn to_uint32(x: f64) -> u32 {
    if !x.is_finite() {
        return 0;
    }
    x.trunc().rem_euclid(4_294_967_296.0) as u32
}

/// JavaScript's ToInt32 of a double.
fn to_int32(x: f64) -> i32 {
    to_uint32(x) as i32
}

/// kafkajs 1.x's murmur2, reproduced step by step in doubles: products lose precision past
/// 2^53, the loop runs `ceil(len / 4)` times reading missing bytes as 0, and the bitwise
/// operators truncate to 32 bits as JavaScript does.
pub fn legacy_murmur2(data: &[u8]) -> i32 {
    let byte = |i: usize| data.get(i).map_or(0.0, |b| *b as f64);
    let m = M as f64;
    let length = data.len();
    let mut h = (SEED as i32 ^ length as i32) as f64;
    for i in 0..length.div_ceil(4) {
        let i4 = i * 4;
        let top = to_int32(byte(i4 + 3)) << 24;
        let mut k = byte(i4)
            + ((byte(i4 + 1) as i32) << 8) as f64
            + ((byte(i4 + 2) as i32) << 16) as f64
            + top as f64;
        k *= m;
        k = (to_int32(k) ^ (to_uint32(k) >> 24) as i32) as f64;
        k *= m;
        h *= m;
        h = (to_int32(h) ^ to_int32(k)) as f64;
    }
    let rest = length & !3;
    let tail = length % 4;
    if tail == 3 {
        h = (to_int32(h) ^ ((byte(rest + 2) as i32) << 16)) as f64;
    }
    if tail >= 2 {
        h = (to_int32(h) ^ ((byte(rest + 1) as i32) << 8)) as f64;
    }
    if tail >= 1 {
        h = (to_int32(h) ^ byte(rest) as i32) as f64;
        h *= m;
    }
    h = (to_int32(h) ^ (to_uint32(h) >> 13) as i32) as f64;
    h *= m;
    to_int32(h) ^ (to_uint32(h) >> 15) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (key, kafkajs DefaultPartitioner murmur2, kafkajs LegacyPartitioner murmur2), computed with
    /// kafkajs 2.2.4.
    const VECTORS: &[(&str, i32, i32)] = &[
        ("", 275646681, 275646684),
        ("a", -1563381124, -809885833),
        ("ab", 316155434, -1686076413),
        ("abc", 479470107, 1545667907),
        ("abcd", -1323649548, -2139815384),
        ("abcde", 461995741, 1468550417),
        ("hello world", 1221641059, 1620997181),
        ("kafka", -798503068, 840273835),
        ("21", -973932308, -595812486),
        ("ключ", 2122343024, 1321446022),
    ];

    #[test]
    fn hashes_match_kafkajs() {
        for (key, default, legacy) in VECTORS {
            assert_eq!(murmur2(key.as_bytes()), *default, "default {key:?}");
            assert_eq!(legacy_murmur2(key.as_bytes()), *legacy, "legacy {key:?}");
        }
    }

    fn partitions(leaders: &[i32]) -> Vec<PartitionInfo> {
        leaders
            .iter()
            .enumerate()
            .map(|(i, leader)| PartitionInfo {
                partition: i as i32,
                leader: *leader,
            })
            .collect()
    }

    #[test]
    fn keys_pick_by_hash_and_keyless_go_round_robin_over_led_partitions() {
        let partitioner = Partitioner::new(PartitionerKind::Default);
        let all = partitions(&[1, 1, 1]);
        assert_eq!(
            partitioner.topic("t", &all).partition(Some(b"kafka")),
            ((-798503068i32 & 0x7fffffff) % 3)
        );
        let some = partitions(&[1, -1, 1]);
        let picked: Vec<i32> = (0..4)
            .map(|_| partitioner.topic("t", &some).partition(None))
            .collect();
        assert!(picked.iter().all(|p| *p != 1), "{picked:?}");
        assert_ne!(picked[0], picked[1]);
        assert_eq!(picked[0], picked[2]);
    }
}
