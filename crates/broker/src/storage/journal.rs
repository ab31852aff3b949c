//! A kind of broker metadata kept as a snapshot plus a journal of the changes since: files
//! `<kind>.snapshot` and `<kind>.journal` in the metadata directory, each a sequence of frames
//! `[length u32][crc32c u32][JSON record]` (big-endian). A change is appended to the journal
//! (one write, before the request it belongs to is answered); once the journal outgrows the
//! state it is compacted: the whole state written as a new snapshot (atomically), then the
//! journal emptied. Replaying a journal over a snapshot that already holds its changes gives
//! the same state, so a stop between the two steps loses nothing. A torn or corrupt journal
//! tail is dropped at the last whole record.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::checkpoint;

/// The journal of one kind of metadata.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    kind: &'static str,
    file: Arc<File>,
    len: u64,
    records: usize,
}

fn frame<R: Serialize>(record: &R) -> io::Result<Vec<u8>> {
    let payload = serde_json::to_vec(record)?;
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc32c::crc32c(&payload).to_be_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The records of a frame sequence and the length of its valid prefix.
fn parse<R: DeserializeOwned>(bytes: &[u8]) -> (Vec<R>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while bytes.len() - at >= 8 {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_be_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes"));
        let Some(payload) = bytes.get(at + 8..at + 8 + len) else {
            break;
        };
        if crc32c::crc32c(payload) != crc {
            break;
        }
        let Ok(record) = serde_json::from_slice(payload) else {
            break;
        };
        records.push(record);
        at += 8 + len;
    }
    (records, at)
}

fn read_or_empty(path: &Path) -> io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

impl Journal {
    /// Opens the kind's files in `dir` and returns the journal with every record, snapshot
    /// first. A snapshot that does not read whole is an error (it is only ever replaced
    /// atomically); a journal's bad tail is cut off.
    pub fn open<R: DeserializeOwned>(
        dir: &Path,
        kind: &'static str,
    ) -> io::Result<(Journal, Vec<R>)> {
        let snapshot_path = dir.join(format!("{kind}.snapshot"));
        let snapshot = read_or_empty(&snapshot_path)?;
        let (mut records, valid) = parse::<R>(&snapshot);
        if valid != snapshot.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is corrupt", snapshot_path.display()),
            ));
        }
        let journal_path = dir.join(format!("{kind}.journal"));
        let journal = read_or_empty(&journal_path)?;
        let (changes, valid) = parse::<R>(&journal);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&journal_path)?;
        if valid != journal.len() {
            tracing::warn!(
                journal = %journal_path.display(),
                dropped_bytes = journal.len() - valid,
                "dropping a torn or corrupt tail of a metadata journal"
            );
            file.set_len(valid as u64)?;
        }
        let count = changes.len();
        records.extend(changes);
        Ok((
            Journal {
                dir: dir.to_path_buf(),
                kind,
                file: Arc::new(file),
                len: valid as u64,
                records: count,
            },
            records,
        ))
    }

    /// Appends one change (to the page cache; fsync the [`Journal::file`] for more).
    pub fn append<R: Serialize>(&mut self, record: &R) -> io::Result<()> {
        let bytes = frame(record)?;
        if let Err(error) = self.file.write_all_at(&bytes, self.len) {
            let _ = self.file.set_len(self.len);
            return Err(error);
        }
        self.len += bytes.len() as u64;
        self.records += 1;
        Ok(())
    }

    /// Changes appended since the last snapshot.
    pub fn records(&self) -> usize {
        self.records
    }

    /// The journal file, to fsync.
    pub fn file(&self) -> &Arc<File> {
        &self.file
    }

    /// Writes `state` as the new snapshot and empties the journal.
    pub fn compact<R: Serialize>(&mut self, state: &[R]) -> io::Result<()> {
        let mut bytes = Vec::new();
        for record in state {
            bytes.extend(frame(record)?);
        }
        checkpoint::replace_file(&self.dir, &format!("{}.snapshot", self.kind), &bytes)?;
        self.file.set_len(0)?;
        self.file.sync_all()?;
        self.len = 0;
        self.records = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_snapshot_then_journal_and_drops_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, records) = Journal::open::<String>(dir.path(), "k").unwrap();
        assert!(records.is_empty());
        journal.append(&"a".to_string()).unwrap();
        journal.compact(&["a".to_string()]).unwrap();
        journal.append(&"b".to_string()).unwrap();
        journal.append(&"c".to_string()).unwrap();
        drop(journal);
        let path = dir.path().join("k.journal");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 1);
        std::fs::write(&path, &bytes).unwrap();
        let (mut journal, records) = Journal::open::<String>(dir.path(), "k").unwrap();
        assert_eq!(records, vec!["a", "b"]);
        assert_eq!(journal.records(), 1);
        journal.append(&"d".to_string()).unwrap();
        drop(journal);
        let (_, records) = Journal::open::<String>(dir.path(), "k").unwrap();
        assert_eq!(records, vec!["a", "b", "d"]);
    }

    #[test]
    fn a_corrupt_snapshot_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = Journal::open::<String>(dir.path(), "k").unwrap();
        journal.compact(&["a".to_string()]).unwrap();
        let path = dir.path().join("k.snapshot");
        let mut bytes = std::fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(Journal::open::<String>(dir.path(), "k").is_err());
    }
}
