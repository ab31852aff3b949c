//! Per-partition offsets kept in checkpoint files at the top of the log directory, in Kafka's
//! text format (a version line `0`, a count line, then `topic partition offset` lines):
//! `recovery-point-offset-checkpoint` (every batch below the offset is known to be fsynced, so
//! recovery after an unclean stop scans only from there) and `log-start-offset-checkpoint` (the
//! first offset still readable, moved by DeleteRecords and retention). Files are replaced
//! atomically: written beside, fsynced, renamed, and the directory fsynced.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

pub const RECOVERY_POINTS: &str = "recovery-point-offset-checkpoint";
pub const LOG_STARTS: &str = "log-start-offset-checkpoint";

/// Offsets by topic name and partition.
pub type Offsets = BTreeMap<(String, i32), i64>;

/// Reads a checkpoint file; a missing file is empty, an unreadable one an error.
pub fn read(dir: &Path, name: &str) -> io::Result<Offsets> {
    let text = match std::fs::read_to_string(dir.join(name)) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Offsets::new()),
        Err(e) => return Err(e),
    };
    let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidData, format!("{name}: {why}"));
    let mut lines = text.lines();
    if lines.next() != Some("0") {
        return Err(bad("unknown version"));
    }
    let count: usize = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| bad("no entry count"))?;
    let mut offsets = Offsets::new();
    for line in lines {
        let mut fields = line.split(' ');
        let (Some(topic), Some(partition), Some(offset), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(bad("malformed entry"));
        };
        let partition = partition.parse().map_err(|_| bad("bad partition"))?;
        let offset = offset.parse().map_err(|_| bad("bad offset"))?;
        offsets.insert((topic.to_string(), partition), offset);
    }
    if offsets.len() != count {
        return Err(bad("entry count mismatch"));
    }
    Ok(offsets)
}

/// Replaces a checkpoint file atomically.
pub fn write(dir: &Path, name: &str, offsets: &Offsets) -> io::Result<()> {
    let mut text = format!("0\n{}\n", offsets.len());
    for ((topic, partition), offset) in offsets {
        text.push_str(&format!("{topic} {partition} {offset}\n"));
    }
    replace_file(dir, name, text.as_bytes())
}

/// Writes `name` in `dir` through a temporary file, fsyncing file and directory.
pub fn replace_file(dir: &Path, name: &str, contents: &[u8]) -> io::Result<()> {
    let temp = dir.join(format!("{name}.tmp"));
    let mut file = File::create(&temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&temp, dir.join(name))?;
    sync_dir(dir)
}

/// Makes a directory's entries (created, renamed, removed files) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The offsets of one partition log that the checkpoints record.
#[derive(Debug)]
pub struct LogMarks {
    recovery_point: AtomicI64,
    log_start: AtomicI64,
}

impl LogMarks {
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point.load(Ordering::Acquire)
    }

    /// Moves the recovery point forward (never back).
    pub fn advance_recovery_point(&self, offset: i64) {
        self.recovery_point.fetch_max(offset, Ordering::AcqRel);
    }

    /// Sets the recovery point, for a log truncated below it.
    pub fn set_recovery_point(&self, offset: i64) {
        self.recovery_point.store(offset, Ordering::Release);
    }

    pub fn log_start(&self) -> i64 {
        self.log_start.load(Ordering::Acquire)
    }

    pub fn set_log_start(&self, offset: i64) {
        self.log_start.store(offset, Ordering::Release);
    }
}

/// Every partition log of the directory, by topic name and partition, for the checkpoints.
#[derive(Debug, Default)]
pub struct Registry {
    logs: Mutex<BTreeMap<(String, i32), Arc<LogMarks>>>,
}

impl Registry {
    /// Registers a partition log with its current offsets.
    pub fn register(
        &self,
        topic: &str,
        partition: i32,
        recovery_point: i64,
        log_start: i64,
    ) -> Arc<LogMarks> {
        let marks = Arc::new(LogMarks {
            recovery_point: AtomicI64::new(recovery_point),
            log_start: AtomicI64::new(log_start),
        });
        self.logs
            .lock()
            .insert((topic.to_string(), partition), marks.clone());
        marks
    }

    /// Forgets a deleted topic's logs.
    pub fn forget_topic(&self, topic: &str) {
        self.logs.lock().retain(|(t, _), _| t != topic);
    }

    /// Writes both checkpoint files.
    pub fn write_checkpoints(&self, dir: &Path) -> io::Result<()> {
        let (recovery, starts): (Offsets, Offsets) = {
            let logs = self.logs.lock();
            (
                logs.iter()
                    .map(|(k, m)| (k.clone(), m.recovery_point()))
                    .collect(),
                logs.iter()
                    .map(|(k, m)| (k.clone(), m.log_start()))
                    .collect(),
            )
        };
        write(dir, RECOVERY_POINTS, &recovery)?;
        write(dir, LOG_STARTS, &starts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_kafkas_format() {
        let dir = tempfile::tempdir().unwrap();
        let offsets: Offsets = [(("a.b".to_string(), 0), 5), (("c".to_string(), 3), 0)].into();
        write(dir.path(), LOG_STARTS, &offsets).unwrap();
        let text = std::fs::read_to_string(dir.path().join(LOG_STARTS)).unwrap();
        assert_eq!(text, "0\n2\na.b 0 5\nc 3 0\n");
        assert_eq!(read(dir.path(), LOG_STARTS).unwrap(), offsets);
        assert!(read(dir.path(), RECOVERY_POINTS).unwrap().is_empty());
        std::fs::write(dir.path().join(RECOVERY_POINTS), "0\n2\na 0 1\n").unwrap();
        assert!(read(dir.path(), RECOVERY_POINTS).is_err());
    }

    #[test]
    fn the_registry_checkpoints_what_logs_report() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::default();
        let marks = registry.register("t", 1, 0, 0);
        marks.advance_recovery_point(10);
        marks.advance_recovery_point(4);
        marks.set_log_start(3);
        registry.register("gone", 0, 7, 7);
        registry.forget_topic("gone");
        registry.write_checkpoints(dir.path()).unwrap();
        let key = ("t".to_string(), 1);
        assert_eq!(read(dir.path(), RECOVERY_POINTS).unwrap()[&key], 10);
        assert_eq!(read(dir.path(), LOG_STARTS).unwrap().len(), 1);
        assert_eq!(read(dir.path(), LOG_STARTS).unwrap()[&key], 3);
    }
}
