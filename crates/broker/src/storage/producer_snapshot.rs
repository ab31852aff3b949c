//! Producer state snapshots, as Kafka keeps them beside a partition's segments: the file
//! `<offset>.snapshot` (20 digits) holds the partition's producer state covering every batch
//! below `offset`, so that opening the log replays only the batches from there, and producers
//! whose batches retention or DeleteRecords removed are still recognised. A snapshot is written
//! when a segment is rolled and at a clean stop; the newest two are kept. It is derived data:
//! one that does not check out (CRC32C) or lies beyond the end of a recovered log is ignored.

use std::fs::File;
use std::io;
use std::path::Path;

use super::segment;

const EXTENSION: &str = "snapshot";
/// How many snapshots a partition keeps.
const KEPT: usize = 2;

/// The offset named by a snapshot file name, if it is one.
fn offset_of(file_name: &str) -> Option<i64> {
    let digits = file_name.strip_suffix(".snapshot")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The snapshots in `dir`, newest first.
fn list(dir: &Path) -> io::Result<Vec<i64>> {
    let mut offsets = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                if let Some(offset) = offset_of(&entry?.file_name().to_string_lossy()) {
                    offsets.push(offset);
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    Ok(offsets)
}

/// Writes the snapshot at `offset` (a temporary file renamed into place) and removes all but
/// the newest [`KEPT`]; returns the file, for the flusher to fsync.
pub fn write(dir: &Path, offset: i64, state: &[u8]) -> io::Result<File> {
    let name = segment::file_name(offset, EXTENSION);
    let temp = dir.join(format!("{name}.tmp"));
    let mut contents = Vec::with_capacity(state.len() + 4);
    contents.extend_from_slice(&crc32c::crc32c(state).to_be_bytes());
    contents.extend_from_slice(state);
    std::fs::write(&temp, &contents)?;
    std::fs::rename(&temp, dir.join(&name))?;
    for old in list(dir)?.into_iter().skip(KEPT) {
        std::fs::remove_file(dir.join(segment::file_name(old, EXTENSION)))?;
    }
    File::open(dir.join(name))
}

/// The newest readable snapshot at or below `end` (the log's end offset) and its offset.
/// Snapshots beyond `end` (the log was cut shorter by recovery) are deleted.
pub fn latest(dir: &Path, end: i64) -> Option<(i64, Vec<u8>)> {
    let offsets = list(dir).unwrap_or_else(|error| {
        tracing::warn!(dir = %dir.display(), %error, "cannot list producer state snapshots");
        Vec::new()
    });
    for offset in offsets {
        let path = dir.join(segment::file_name(offset, EXTENSION));
        if offset > end {
            tracing::warn!(snapshot = %path.display(), end, "deleting a producer state snapshot beyond the end of the log");
            let _ = std::fs::remove_file(&path);
            continue;
        }
        match std::fs::read(&path) {
            Ok(bytes)
                if bytes.len() >= 4 && crc32c::crc32c(&bytes[4..]).to_be_bytes() == bytes[..4] =>
            {
                return Some((offset, bytes[4..].to_vec()));
            }
            Ok(_) => {
                tracing::warn!(snapshot = %path.display(), "ignoring a corrupt producer state snapshot")
            }
            Err(error) => {
                tracing::warn!(snapshot = %path.display(), %error, "cannot read a producer state snapshot")
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_two_and_skips_bad_or_too_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        for offset in [5, 10, 20] {
            write(dir.path(), offset, format!("state {offset}").as_bytes()).unwrap();
        }
        assert_eq!(list(dir.path()).unwrap(), vec![20, 10]);
        assert_eq!(latest(dir.path(), 30), Some((20, b"state 20".to_vec())));
        let newest = dir.path().join(segment::file_name(20, EXTENSION));
        let mut bytes = std::fs::read(&newest).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&newest, bytes).unwrap();
        assert_eq!(latest(dir.path(), 30), Some((10, b"state 10".to_vec())));
        assert_eq!(latest(dir.path(), 15), Some((10, b"state 10".to_vec())));
        assert_eq!(latest(dir.path(), 9), None);
        assert!(list(dir.path()).unwrap().is_empty());
    }
}
