//! The broker's durable metadata, one [`Journal`] per kind in `<log dir>/metadata/`:
//! `topics` (name, id, partition count and config overrides of every topic) and
//! `group-offsets` (every group's committed offsets) and `transactions` (the producer ids handed
//! out so far and every transactional id's producer id, epoch and decided outcome). Each kind has
//! its records, the state they build, and the records that rewrite that state as a snapshot.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::journal::Journal;

/// A topic as the metadata records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicMeta {
    pub name: String,
    pub id: uuid::Uuid,
    pub partitions: i32,
    pub configs: BTreeMap<String, String>,
}

/// A change to the topics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TopicRecord {
    /// A topic created, grown or reconfigured: its whole description.
    Topic(TopicMeta),
    /// A topic deleted.
    Removed { name: String },
}

/// A committed offset as the metadata records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetMeta {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: String,
}

/// A change to the committed offsets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OffsetRecord {
    Commit {
        group: String,
        topic: String,
        partition: i32,
        #[serde(flatten)]
        committed: OffsetMeta,
    },
    Delete {
        group: String,
        topic: String,
        partition: i32,
    },
    DeleteGroup {
        group: String,
    },
    DeleteTopic {
        topic: String,
    },
}

/// Committed offsets by group, topic and partition.
pub type GroupOffsets = BTreeMap<String, BTreeMap<String, BTreeMap<i32, OffsetMeta>>>;

/// A transactional id as the metadata records it, after each decision of its coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnMeta {
    pub transactional_id: String,
    pub producer_id: i64,
    pub previous_producer_id: i64,
    pub producer_epoch: i16,
    pub last_producer_epoch: i16,
    pub timeout_ms: i32,
    /// Kafka's state name: `Empty`, `PrepareCommit`, `PrepareAbort`, `CompleteCommit` or
    /// `CompleteAbort` (an open transaction is recorded only once it is decided).
    pub state: String,
    /// The partitions a decided transaction's markers go to.
    pub partitions: Vec<(String, i32)>,
    pub epoch_bump_per_txn: bool,
}

/// A change to the producer ids and transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TxnRecord {
    /// Producer ids below `next` may have been handed out.
    ProducerIds { next: i64 },
    /// A transactional id's state.
    Txn(TxnMeta),
}

/// The producer ids and transactions the metadata holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transactions {
    /// No producer id at or above this one was handed out.
    pub next_producer_id: i64,
    pub txns: BTreeMap<String, TxnMeta>,
}

impl Transactions {
    fn apply(&mut self, record: TxnRecord) {
        match record {
            TxnRecord::ProducerIds { next } => {
                self.next_producer_id = self.next_producer_id.max(next);
            }
            TxnRecord::Txn(txn) => {
                self.txns.insert(txn.transactional_id.clone(), txn);
            }
        }
    }

    fn records(&self) -> Vec<TxnRecord> {
        std::iter::once(TxnRecord::ProducerIds {
            next: self.next_producer_id,
        })
        .chain(self.txns.values().cloned().map(TxnRecord::Txn))
        .collect()
    }
}

/// A journal grows to this many changes, or twice its state, before it is compacted.
const MIN_COMPACTION: usize = 1000;

/// The metadata kinds, their journals and states.
#[derive(Debug)]
pub struct Metadata {
    topics_journal: Journal,
    topics: BTreeMap<String, TopicMeta>,
    offsets_journal: Journal,
    offsets: GroupOffsets,
    txns_journal: Journal,
    txns: Transactions,
}

fn apply_topic(topics: &mut BTreeMap<String, TopicMeta>, record: TopicRecord) {
    match record {
        TopicRecord::Topic(topic) => {
            topics.insert(topic.name.clone(), topic);
        }
        TopicRecord::Removed { name } => {
            topics.remove(&name);
        }
    }
}

fn apply_offset(offsets: &mut GroupOffsets, record: OffsetRecord) {
    match record {
        OffsetRecord::Commit {
            group,
            topic,
            partition,
            committed,
        } => {
            offsets
                .entry(group)
                .or_default()
                .entry(topic)
                .or_default()
                .insert(partition, committed);
        }
        OffsetRecord::Delete {
            group,
            topic,
            partition,
        } => {
            if let Some(topics) = offsets.get_mut(&group) {
                if let Some(partitions) = topics.get_mut(&topic) {
                    partitions.remove(&partition);
                    if partitions.is_empty() {
                        topics.remove(&topic);
                    }
                }
                if topics.is_empty() {
                    offsets.remove(&group);
                }
            }
        }
        OffsetRecord::DeleteGroup { group } => {
            offsets.remove(&group);
        }
        OffsetRecord::DeleteTopic { topic } => {
            for topics in offsets.values_mut() {
                topics.remove(&topic);
            }
            offsets.retain(|_, topics| !topics.is_empty());
        }
    }
}

impl Metadata {
    /// Opens (creating) the metadata directory and replays every kind.
    pub fn open(dir: &Path) -> io::Result<Metadata> {
        std::fs::create_dir_all(dir)?;
        let (topics_journal, records) = Journal::open::<TopicRecord>(dir, "topics")?;
        let mut topics = BTreeMap::new();
        for record in records {
            apply_topic(&mut topics, record);
        }
        let (offsets_journal, records) = Journal::open::<OffsetRecord>(dir, "group-offsets")?;
        let mut offsets = GroupOffsets::new();
        for record in records {
            apply_offset(&mut offsets, record);
        }
        let (txns_journal, records) = Journal::open::<TxnRecord>(dir, "transactions")?;
        let mut txns = Transactions::default();
        for record in records {
            txns.apply(record);
        }
        Ok(Metadata {
            topics_journal,
            topics,
            offsets_journal,
            offsets,
            txns_journal,
            txns,
        })
    }

    pub fn topics(&self) -> &BTreeMap<String, TopicMeta> {
        &self.topics
    }

    pub fn offsets(&self) -> &GroupOffsets {
        &self.offsets
    }

    pub fn transactions(&self) -> &Transactions {
        &self.txns
    }

    /// Records a producer id or transaction change; returns the file to fsync.
    pub fn record_txn(&mut self, record: TxnRecord) -> io::Result<Arc<File>> {
        self.txns_journal.append(&record)?;
        self.txns.apply(record);
        if self.txns_journal.records() > MIN_COMPACTION.max(2 * (self.txns.txns.len() + 1)) {
            self.txns_journal.compact(&self.txns.records())?;
        }
        Ok(self.txns_journal.file().clone())
    }

    /// Records a topic change; returns the file to fsync.
    pub fn record_topic(&mut self, record: TopicRecord) -> io::Result<Arc<File>> {
        self.topics_journal.append(&record)?;
        apply_topic(&mut self.topics, record);
        if self.topics_journal.records() > MIN_COMPACTION.max(2 * self.topics.len()) {
            let state: Vec<TopicRecord> = self
                .topics
                .values()
                .cloned()
                .map(TopicRecord::Topic)
                .collect();
            self.topics_journal.compact(&state)?;
        }
        Ok(self.topics_journal.file().clone())
    }

    /// Records an offsets change; returns the file to fsync.
    pub fn record_offsets(&mut self, record: OffsetRecord) -> io::Result<Arc<File>> {
        self.offsets_journal.append(&record)?;
        apply_offset(&mut self.offsets, record);
        let size: usize = self
            .offsets
            .values()
            .flat_map(BTreeMap::values)
            .map(BTreeMap::len)
            .sum();
        if self.offsets_journal.records() > MIN_COMPACTION.max(2 * size) {
            let state: Vec<OffsetRecord> = self
                .offsets
                .iter()
                .flat_map(|(group, topics)| {
                    topics.iter().flat_map(move |(topic, partitions)| {
                        partitions
                            .iter()
                            .map(move |(partition, committed)| OffsetRecord::Commit {
                                group: group.clone(),
                                topic: topic.clone(),
                                partition: *partition,
                                committed: committed.clone(),
                            })
                    })
                })
                .collect();
            self.offsets_journal.compact(&state)?;
        }
        Ok(self.offsets_journal.file().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(group: &str, topic: &str, partition: i32, offset: i64) -> OffsetRecord {
        OffsetRecord::Commit {
            group: group.into(),
            topic: topic.into(),
            partition,
            committed: OffsetMeta {
                offset,
                leader_epoch: 0,
                metadata: String::new(),
            },
        }
    }

    #[test]
    fn topics_and_offsets_survive_a_reopen_and_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let mut metadata = Metadata::open(dir.path()).unwrap();
        let topic = TopicMeta {
            name: "t".into(),
            id: uuid::Uuid::new_v4(),
            partitions: 2,
            configs: [("retention.ms".to_string(), "10".to_string())].into(),
        };
        metadata
            .record_topic(TopicRecord::Topic(topic.clone()))
            .unwrap();
        metadata
            .record_topic(TopicRecord::Topic(TopicMeta {
                name: "gone".into(),
                ..topic.clone()
            }))
            .unwrap();
        metadata
            .record_topic(TopicRecord::Removed {
                name: "gone".into(),
            })
            .unwrap();
        for offset in 0..2500 {
            metadata
                .record_offsets(commit("g", "t", 0, offset))
                .unwrap();
        }
        metadata.record_offsets(commit("g", "u", 0, 1)).unwrap();
        metadata.record_offsets(commit("h", "t", 1, 7)).unwrap();
        metadata
            .record_offsets(OffsetRecord::DeleteTopic { topic: "u".into() })
            .unwrap();
        metadata
            .record_offsets(OffsetRecord::DeleteGroup { group: "h".into() })
            .unwrap();
        drop(metadata);
        let metadata = Metadata::open(dir.path()).unwrap();
        assert_eq!(metadata.topics().values().collect::<Vec<_>>(), vec![&topic]);
        let offsets = metadata.offsets();
        assert_eq!(offsets.len(), 1);
        assert_eq!(offsets["g"].len(), 1);
        assert_eq!(offsets["g"]["t"][&0].offset, 2499);
        let journal = std::fs::metadata(dir.path().join("group-offsets.journal")).unwrap();
        assert!(journal.len() < 100_000, "compacted: {}", journal.len());
    }

    #[test]
    fn producer_ids_and_transactions_survive_a_reopen_and_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let mut metadata = Metadata::open(dir.path()).unwrap();
        let txn = |epoch: i16| TxnMeta {
            transactional_id: "tx".into(),
            producer_id: 4,
            previous_producer_id: -1,
            producer_epoch: epoch,
            last_producer_epoch: -1,
            timeout_ms: 60_000,
            state: "PrepareCommit".into(),
            partitions: vec![("t".into(), 0)],
            epoch_bump_per_txn: false,
        };
        for epoch in 0..1500 {
            metadata.record_txn(TxnRecord::Txn(txn(epoch))).unwrap();
        }
        metadata
            .record_txn(TxnRecord::ProducerIds { next: 2000 })
            .unwrap();
        metadata
            .record_txn(TxnRecord::ProducerIds { next: 1000 })
            .unwrap();
        drop(metadata);
        let metadata = Metadata::open(dir.path()).unwrap();
        let restored = metadata.transactions();
        assert_eq!(restored.next_producer_id, 2000);
        assert_eq!(restored.txns.values().collect::<Vec<_>>(), vec![&txn(1499)]);
        // Uncompacted, the 1502 records would take over 300 kB.
        let journal = std::fs::metadata(dir.path().join("transactions.journal")).unwrap();
        assert!(journal.len() < 150_000, "compacted: {}", journal.len());
    }
}
