//! A segment's two sparse indexes, as Kafka lays them out: the offset index (`.index`) maps the
//! last offset of a batch to the position where the batch starts in the `.log` file, the time
//! index (`.timeindex`) maps the largest timestamp seen so far to the offset of the batch holding
//! it. Both are append-only files of fixed-size big-endian entries with offsets relative to the
//! segment's base offset, mirrored in memory for lookups. They are derived data: whenever one is
//! missing or does not hold together it is rebuilt from the log.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One fixed-size index entry.
pub trait Entry: Copy + std::fmt::Debug + PartialEq {
    const SIZE: usize;
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Self;
}

/// An offset index entry: the batch whose last offset is `base + relative_offset` starts at
/// `position`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetEntry {
    pub relative_offset: u32,
    pub position: u32,
}

impl Entry for OffsetEntry {
    const SIZE: usize = 8;
    fn encode(&self) -> Vec<u8> {
        let mut out = self.relative_offset.to_be_bytes().to_vec();
        out.extend_from_slice(&self.position.to_be_bytes());
        out
    }
    fn decode(bytes: &[u8]) -> Self {
        OffsetEntry {
            relative_offset: u32::from_be_bytes(bytes[0..4].try_into().expect("4 bytes")),
            position: u32::from_be_bytes(bytes[4..8].try_into().expect("4 bytes")),
        }
    }
}

/// A time index entry: no batch up to offset `base + relative_offset` has a timestamp above
/// `timestamp`, and that offset's batch is the first to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeEntry {
    pub timestamp: i64,
    pub relative_offset: u32,
}

impl Entry for TimeEntry {
    const SIZE: usize = 12;
    fn encode(&self) -> Vec<u8> {
        let mut out = self.timestamp.to_be_bytes().to_vec();
        out.extend_from_slice(&self.relative_offset.to_be_bytes());
        out
    }
    fn decode(bytes: &[u8]) -> Self {
        TimeEntry {
            timestamp: i64::from_be_bytes(bytes[0..8].try_into().expect("8 bytes")),
            relative_offset: u32::from_be_bytes(bytes[8..12].try_into().expect("4 bytes")),
        }
    }
}

/// An index file and its entries.
#[derive(Debug)]
pub struct Index<E> {
    path: PathBuf,
    file: Arc<File>,
    entries: Vec<E>,
}

impl<E: Entry> Index<E> {
    /// Opens the index at `path` with these entries, rewriting the file when it does not hold
    /// exactly them.
    pub fn write(path: &Path, entries: Vec<E>) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let bytes: Vec<u8> = entries.iter().flat_map(Entry::encode).collect();
        let current = std::fs::read(path)?;
        if current != bytes {
            file.set_len(0)?;
            file.write_all_at(&bytes, 0)?;
        }
        Ok(Index {
            path: path.to_path_buf(),
            file: Arc::new(file),
            entries,
        })
    }

    /// The entries stored at `path`, or `None` when the file is missing or its length is not a
    /// whole number of entries.
    pub fn read(path: &Path) -> io::Result<Option<Vec<E>>> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if bytes.len() % E::SIZE != 0 {
            return Ok(None);
        }
        Ok(Some(bytes.chunks_exact(E::SIZE).map(E::decode).collect()))
    }

    /// Appends one entry to the file and to memory.
    pub fn append(&mut self, entry: E) -> io::Result<()> {
        let at = (self.entries.len() * E::SIZE) as u64;
        self.file.write_all_at(&entry.encode(), at)?;
        self.entries.push(entry);
        Ok(())
    }

    #[cfg(test)]
    pub fn entries(&self) -> &[E] {
        &self.entries
    }

    pub fn last(&self) -> Option<&E> {
        self.entries.last()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn file(&self) -> &Arc<File> {
        &self.file
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Index<OffsetEntry> {
    /// The position to start scanning from for `relative_offset`: that of the last entry whose
    /// batch ends at or before it, or 0.
    pub fn position_for(&self, relative_offset: u32) -> u32 {
        let i = self
            .entries
            .partition_point(|e| e.relative_offset <= relative_offset);
        i.checked_sub(1).map_or(0, |i| self.entries[i].position)
    }
}

impl Index<TimeEntry> {
    /// The offset (relative) to start scanning from for the first batch with a timestamp of at
    /// least `timestamp`: that of the last entry whose timestamp is at most it, or 0.
    pub fn offset_for(&self, timestamp: i64) -> u32 {
        let i = self.entries.partition_point(|e| e.timestamp <= timestamp);
        i.checked_sub(1)
            .map_or(0, |i| self.entries[i].relative_offset)
    }
}

/// Whether offset index entries hold together with a log of `log_size` bytes: offsets and
/// positions strictly increasing, positions inside the log.
pub fn offsets_consistent(entries: &[OffsetEntry], log_size: u64) -> bool {
    entries
        .windows(2)
        .all(|w| w[0].relative_offset < w[1].relative_offset && w[0].position < w[1].position)
        && entries
            .last()
            .is_none_or(|e| u64::from(e.position) < log_size)
}

/// Whether time index entries hold together with an offset index: timestamps and offsets
/// strictly increasing, offsets no later than `max_relative_offset`.
pub fn times_consistent(entries: &[TimeEntry], max_relative_offset: u32) -> bool {
    entries
        .windows(2)
        .all(|w| w[0].timestamp < w[1].timestamp && w[0].relative_offset <= w[1].relative_offset)
        && entries
            .last()
            .is_none_or(|e| e.relative_offset <= max_relative_offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.index");
        let mut index = Index::<OffsetEntry>::write(&path, Vec::new()).unwrap();
        for (o, p) in [(3, 0), (9, 4200), (20, 9000)] {
            index
                .append(OffsetEntry {
                    relative_offset: o,
                    position: p,
                })
                .unwrap();
        }
        let read = Index::<OffsetEntry>::read(&path).unwrap().unwrap();
        assert_eq!(read, index.entries());
        assert_eq!(index.position_for(2), 0);
        assert_eq!(index.position_for(9), 4200);
        assert_eq!(index.position_for(15), 4200);
        assert_eq!(index.position_for(99), 9000);
        assert!(offsets_consistent(&read, 9001));
        assert!(!offsets_consistent(&read, 9000));
    }

    #[test]
    fn a_torn_entry_makes_the_file_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.timeindex");
        std::fs::write(&path, [0u8; 13]).unwrap();
        assert_eq!(Index::<TimeEntry>::read(&path).unwrap(), None);
        assert_eq!(
            Index::<TimeEntry>::read(&dir.path().join("missing")).unwrap(),
            None
        );
    }

    #[test]
    fn time_lookups_start_at_the_last_entry_not_after_the_timestamp() {
        let dir = tempfile::tempdir().unwrap();
        let entries = vec![
            TimeEntry {
                timestamp: 10,
                relative_offset: 0,
            },
            TimeEntry {
                timestamp: 30,
                relative_offset: 5,
            },
        ];
        let index = Index::write(&dir.path().join("t"), entries.clone()).unwrap();
        assert_eq!(index.offset_for(5), 0);
        assert_eq!(index.offset_for(30), 5);
        assert_eq!(index.offset_for(29), 0);
        assert!(times_consistent(&entries, 5));
        assert!(!times_consistent(&entries, 4));
    }
}
