//! A partition's records on disk: the directory `<topic>-<partition>` and its segments, the last
//! one active. It stores batches exactly as the partition log hands them over (base offset,
//! leader epoch and LogAppendTime already patched), rolls segments by size, age, index size and
//! offset range, asks the flusher for fsyncs as the flush policy says, reads through the
//! segments' indexes, drops whole segments below the log start offset, and on open recovers
//! every segment not known to be flushed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrokafka_wire::record_batch::{patch_offset_and_epoch, set_log_append_time, BatchHeader};
use uuid::Uuid;

use super::checkpoint::LogMarks;
use super::flusher::{Flusher, Job};
use super::producer_snapshot;
use super::segment::{self, BatchInfo, Segment};
use super::settings::LogSettings;
use super::StorageError;
use crate::log::{Read, StoredBatch};

/// The file in each partition directory naming the topic id it belongs to.
pub const PARTITION_METADATA: &str = "partition.metadata";

/// The directory name of a partition.
pub fn dir_name(topic: &str, partition: i32) -> String {
    format!("{topic}-{partition}")
}

/// The topic id a partition directory's metadata file names, if it has a readable one.
pub fn read_topic_id(dir: &Path) -> Option<Uuid> {
    let text = std::fs::read_to_string(dir.join(PARTITION_METADATA)).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("topic_id: "))
        .and_then(|id| Uuid::parse_str(id.trim()).ok())
}

/// Where a log's recovery starts and what it knows from the checkpoints.
#[derive(Debug, Clone, Copy)]
pub struct Recovery {
    /// The previous stop was clean: every index can be trusted.
    pub clean: bool,
    pub recovery_point: i64,
    pub log_start: i64,
}

/// The offsets of an opened log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub log_start: i64,
    pub next_offset: i64,
}

/// One partition's segments.
#[derive(Debug)]
pub struct DiskLog {
    dir: PathBuf,
    topic_id: Uuid,
    segments: BTreeMap<i64, Segment>,
    settings: Arc<LogSettings>,
    marks: Arc<LogMarks>,
    flusher: Flusher,
    /// The offset up to which an fsync has been asked for.
    flush_requested: i64,
    /// When records not yet asked to be flushed were first appended.
    dirty_since: Option<Instant>,
    size: u64,
}

impl DiskLog {
    /// Opens the log in `dir` (which need not exist yet: it is created on the first append),
    /// recovering segments past the recovery point unless the last stop was clean.
    pub fn open(
        dir: PathBuf,
        topic_id: Uuid,
        settings: Arc<LogSettings>,
        marks: Arc<LogMarks>,
        flusher: Flusher,
        recovery: Recovery,
    ) -> Result<(DiskLog, Opened), StorageError> {
        let mut bases = Vec::new();
        if dir.exists() {
            for entry in std::fs::read_dir(&dir)? {
                let name = entry?.file_name();
                let name = name.to_string_lossy();
                if let Some(base) = segment::base_offset_of(&name) {
                    bases.push(base);
                } else if name.ends_with(".tmp") || name.ends_with(".deleted") {
                    std::fs::remove_file(dir.join(&*name))?;
                }
            }
        }
        bases.sort_unstable();
        let mut segments = BTreeMap::new();
        let mut unflushed = Vec::new();
        let mut expected = None;
        for (i, &base) in bases.iter().enumerate() {
            let trusted = recovery.clean
                || bases
                    .get(i + 1)
                    .is_some_and(|next| *next <= recovery.recovery_point);
            let (opened, truncation) =
                Segment::open(&dir, base, trusted, settings.index_interval_bytes())?;
            if expected.is_some_and(|e| e != base) {
                tracing::warn!(dir = %dir.display(), base, ?expected, "segments leave a gap in the offsets");
            }
            expected = Some(opened.next_offset());
            if !trusted {
                unflushed.extend(opened.files());
            }
            segments.insert(base, opened);
            if let Some(truncation) = truncation {
                tracing::warn!(
                    segment = %dir.join(segment::file_name(base, "log")).display(),
                    position = truncation.position,
                    dropped_bytes = truncation.dropped_bytes,
                    reason = %truncation.reason,
                    "recovery found a bad batch; truncated the log there"
                );
                for later in &bases[i + 1..] {
                    tracing::warn!(segment = %dir.join(segment::file_name(*later, "log")).display(), "deleting a segment after the truncation");
                    for extension in ["log", "index", "timeindex"] {
                        let _ =
                            std::fs::remove_file(dir.join(segment::file_name(*later, extension)));
                    }
                }
                break;
            }
        }
        let next_offset = segments
            .values()
            .next_back()
            .map_or(recovery.log_start.max(0), Segment::next_offset);
        let first_base = segments.keys().next().copied().unwrap_or(next_offset);
        let log_start = recovery.log_start.clamp(first_base, next_offset);
        marks.set_log_start(log_start);
        marks.set_recovery_point(recovery.recovery_point.min(next_offset));
        let mut log = DiskLog::empty(dir, topic_id, settings, marks, flusher);
        log.size = segments.values().map(Segment::size).sum();
        log.segments = segments;
        if !unflushed.is_empty() {
            log.flusher.request(Job::Sync {
                files: unflushed,
                dir: None,
                recovered: Some((log.marks.clone(), next_offset)),
            });
        }
        Ok((
            log,
            Opened {
                log_start,
                next_offset,
            },
        ))
    }

    /// The log of a new partition: its directory is created with the first append.
    pub fn empty(
        dir: PathBuf,
        topic_id: Uuid,
        settings: Arc<LogSettings>,
        marks: Arc<LogMarks>,
        flusher: Flusher,
    ) -> DiskLog {
        DiskLog {
            dir,
            topic_id,
            segments: BTreeMap::new(),
            settings,
            marks,
            flusher,
            flush_requested: 0,
            dirty_since: None,
            size: 0,
        }
    }

    /// Bytes held by the segments.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The offset below which every record is known to be fsynced.
    pub fn recovery_point(&self) -> i64 {
        self.marks.recovery_point()
    }

    /// The partition's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Appends batches at `first_offset`, patching each one's base offset and leader epoch (and
    /// LogAppendTime), with one write. Returns the offset after the last record.
    pub fn append(
        &mut self,
        first_offset: i64,
        batches: &[(BatchHeader, Bytes)],
        leader_epoch: i32,
        log_append_time: Option<i64>,
    ) -> Result<i64, StorageError> {
        self.flusher.check()?;
        let mut data = BytesMut::with_capacity(batches.iter().map(|(_, b)| b.len()).sum());
        let mut infos = Vec::with_capacity(batches.len());
        let mut offset = first_offset;
        for (header, bytes) in batches {
            let start = data.len();
            data.extend_from_slice(bytes);
            patch_offset_and_epoch(&mut data[start..], offset, leader_epoch);
            if let Some(now) = log_append_time {
                set_log_append_time(&mut data[start..], now);
            }
            let last_offset = offset + i64::from(header.last_offset_delta);
            infos.push(BatchInfo {
                last_offset,
                max_timestamp: log_append_time.unwrap_or(header.max_timestamp),
                len: bytes.len() as u32,
            });
            offset = last_offset + 1;
        }
        self.roll_if_needed(first_offset, offset - 1, data.len() as u64)?;
        let interval = self.settings.index_interval_bytes();
        let active = self.active_mut()?;
        active.append(&data, &infos, interval).map_err(|e| {
            StorageError::new(format!(
                "appending to {} failed: {e}",
                active.paths()[0].display()
            ))
        })?;
        self.size += data.len() as u64;
        self.dirty_since.get_or_insert_with(Instant::now);
        let flushed = self.marks.recovery_point().max(self.flush_requested);
        if offset - flushed >= self.settings.flush_messages() {
            self.request_flush(offset);
        }
        Ok(offset)
    }

    fn active_mut(&mut self) -> Result<&mut Segment, StorageError> {
        self.segments
            .values_mut()
            .next_back()
            .ok_or_else(|| StorageError::new("the log has no active segment".to_string()))
    }

    /// Starts a new segment at `first_offset` when the active one is full, old, or cannot hold
    /// the offsets; creates the directory and first segment of a new log.
    fn roll_if_needed(
        &mut self,
        first_offset: i64,
        last_offset: i64,
        len: u64,
    ) -> Result<(), StorageError> {
        let Some(active) = self.segments.values().next_back() else {
            std::fs::create_dir_all(&self.dir)?;
            std::fs::write(
                self.dir.join(PARTITION_METADATA),
                format!("version: 0\ntopic_id: {}\n", self.topic_id),
            )?;
            let segment = Segment::create(&self.dir, first_offset)?;
            let mut files = segment.files();
            files.push(Arc::new(std::fs::File::open(
                self.dir.join(PARTITION_METADATA),
            )?));
            self.segments.insert(first_offset, segment);
            self.flusher.request(Job::Sync {
                files,
                dir: self.dir.parent().map(Path::to_path_buf),
                recovered: None,
            });
            self.flusher.request(Job::Sync {
                files: Vec::new(),
                dir: Some(self.dir.clone()),
                recovered: None,
            });
            return Ok(());
        };
        let full = active.size() + len > self.settings.segment_bytes()
            || active.index_entries() >= self.settings.max_index_entries()
            || !active.can_hold(last_offset)
            || active.size() + len > u64::from(u32::MAX);
        let old = active.created().elapsed() >= Duration::from_millis(self.settings.segment_ms());
        if !active.is_empty() && (full || old) {
            self.roll(first_offset)?;
        }
        Ok(())
    }

    /// Seals the active segment, starts one at `base_offset`, and has the old one flushed.
    fn roll(&mut self, base_offset: i64) -> Result<(), StorageError> {
        let segment = Segment::create(&self.dir, base_offset)?;
        let mut files = Vec::new();
        if let Some(active) = self.segments.values_mut().next_back() {
            if let Err(error) = active.seal() {
                tracing::warn!(dir = %self.dir.display(), %error, "cannot complete a time index");
            }
            files = active.files();
        }
        self.segments.insert(base_offset, segment);
        self.flusher.request(Job::Sync {
            files,
            dir: Some(self.dir.clone()),
            recovered: Some((self.marks.clone(), base_offset)),
        });
        tracing::debug!(dir = %self.dir.display(), base_offset, "rolled a new segment");
        Ok(())
    }

    /// Asks the flusher to fsync the active segment, recording `offset` as flushed after.
    fn request_flush(&mut self, offset: i64) {
        let Some(active) = self.segments.values().next_back() else {
            return;
        };
        self.flusher.request_awaited(Job::Sync {
            files: active.files(),
            dir: None,
            recovered: Some((self.marks.clone(), offset)),
        });
        self.flush_requested = offset;
        self.dirty_since = None;
    }

    /// Asks for an fsync when records have waited `flush.ms`; returns when the next check is
    /// due, if one is.
    pub fn flush_if_due(&mut self, now: Instant) -> Option<Instant> {
        let flush_ms = Duration::from_millis(self.settings.flush_ms()?);
        let since = self.dirty_since?;
        if now.duration_since(since) >= flush_ms {
            let end = self
                .segments
                .values()
                .next_back()
                .map(Segment::next_offset)?;
            self.request_flush(end);
            return None;
        }
        Some(since + flush_ms)
    }

    /// Whole batches from the one holding `offset` that start below `max_offset`, as
    /// [`crate::log::PartitionLog::read_below`] serves them. A read error is logged and takes
    /// the directory out of service.
    pub fn read(&self, offset: i64, max_bytes: usize, min_one: bool, max_offset: i64) -> Read {
        let from = self
            .segments
            .range(..=offset)
            .next_back()
            .map_or(i64::MIN, |(base, _)| *base);
        for segment in self.segments.range(from..).map(|(_, s)| s) {
            match segment.read(offset, max_bytes, min_one, max_offset) {
                Ok(Some(records)) => {
                    let end_offset = last_offset(&records).map_or(offset, |last| last + 1);
                    return Read {
                        records,
                        end_offset,
                    };
                }
                Ok(None) => continue,
                Err(error) => {
                    self.flusher.fail(format!(
                        "reading {} failed: {error}",
                        segment.paths()[0].display()
                    ));
                    break;
                }
            }
        }
        Read {
            records: Bytes::new(),
            end_offset: offset,
        }
    }

    /// The first batch with a timestamp of at least `timestamp` ending at or after
    /// `min_offset`.
    pub(crate) fn batch_by_timestamp(
        &self,
        timestamp: i64,
        min_offset: i64,
    ) -> Option<StoredBatch> {
        self.segments
            .values()
            .filter(|s| s.next_offset() > min_offset)
            .filter(|s| s.max_timestamp().is_some_and(|max| max >= timestamp))
            .find_map(|s| match s.find_by_timestamp(timestamp, min_offset) {
                Ok(found) => found,
                Err(error) => {
                    self.flusher.fail(format!(
                        "reading {} failed: {error}",
                        s.paths()[0].display()
                    ));
                    None
                }
            })
            .map(|(header, data)| StoredBatch {
                last_offset: header.last_offset(),
                last_offset_delta: header.last_offset_delta,
                record_count: header.record_count,
                max_timestamp: header.max_timestamp,
                data,
            })
    }

    /// The largest timestamp in the log.
    pub fn max_timestamp(&self) -> Option<i64> {
        self.segments
            .values()
            .filter_map(Segment::max_timestamp)
            .max()
    }

    /// Records a new log start offset and deletes the segments wholly below it (rolling first
    /// when that is every record), then has the checkpoint rewritten.
    pub fn delete_before(&mut self, offset: i64) {
        self.marks.set_log_start(offset);
        let active_below = self
            .segments
            .values()
            .next_back()
            .is_some_and(|s| !s.is_empty() && s.next_offset() <= offset);
        if active_below {
            if let Err(error) = self.roll(offset) {
                tracing::warn!(dir = %self.dir.display(), %error, "cannot roll before deleting segments");
            }
        }
        let mut doomed = Vec::new();
        while self.segments.len() > 1 {
            let mut bases = self.segments.keys();
            let (_, second) = (bases.next(), bases.next().copied());
            if second.is_none_or(|b| b > offset) {
                break;
            }
            let (_, segment) = self.segments.pop_first().expect("at least two segments");
            self.size -= segment.size();
            doomed.extend(segment.paths());
        }
        self.flusher.request_awaited(Job::Checkpoints);
        if !doomed.is_empty() {
            tracing::info!(dir = %self.dir.display(), log_start_offset = offset, files = doomed.len(), "deleting segments below the log start offset");
            self.flusher.request(Job::Delete(doomed));
        }
    }

    /// The offset retention moves the log start to: past every segment older than
    /// `retention.ms` (by its largest timestamp) and past the oldest segments while the rest
    /// still exceed `retention.bytes`. `None` when nothing is due.
    pub fn retention_point(&self, now_ms: i64) -> Option<i64> {
        let mut point = None;
        if let Some(retention_ms) = self.settings.retention_ms() {
            for segment in self.segments.values() {
                match segment.max_timestamp() {
                    Some(ts) if now_ms - ts > retention_ms => point = Some(segment.next_offset()),
                    _ => break,
                }
            }
        }
        if let Some(limit) = self.settings.retention_bytes() {
            let mut size = self.size;
            for segment in self.segments.values() {
                if segment.is_empty() || size < limit + segment.size() {
                    break;
                }
                size -= segment.size();
                point = point.max(Some(segment.next_offset()));
            }
        }
        point.filter(|p| *p > self.marks.log_start())
    }

    /// Writes a producer state snapshot covering every batch below `offset` and has the flusher
    /// fsync it. A snapshot is derived data: failing to write one is only logged.
    pub fn write_producer_snapshot(&self, offset: i64, state: &[u8]) {
        if self.segments.is_empty() {
            return;
        }
        match producer_snapshot::write(&self.dir, offset, state) {
            Ok(file) => {
                self.flusher.request(Job::Sync {
                    files: vec![Arc::new(file)],
                    dir: Some(self.dir.clone()),
                    recovered: None,
                });
            }
            Err(error) => {
                tracing::warn!(dir = %self.dir.display(), offset, %error, "cannot write a producer state snapshot")
            }
        }
    }

    /// The newest producer state snapshot at or below `end`, and its offset.
    pub fn producer_snapshot(&self, end: i64) -> Option<(i64, Vec<u8>)> {
        producer_snapshot::latest(&self.dir, end)
    }

    /// Completes the active segment's time index and fsyncs it, for a clean stop; returns the
    /// flusher ticket to wait for.
    pub fn close(&mut self) -> Option<u64> {
        let active = self.segments.values_mut().next_back()?;
        if let Err(error) = active.seal() {
            tracing::warn!(dir = %self.dir.display(), %error, "cannot complete a time index");
        }
        let end = active.next_offset();
        Some(self.flusher.request(Job::Sync {
            files: active.files(),
            dir: Some(self.dir.clone()),
            recovered: Some((self.marks.clone(), end)),
        }))
    }
}

/// The last offset of the last of whole `batches`.
fn last_offset(batches: &[u8]) -> Option<i64> {
    let mut at = 0;
    let mut last = None;
    while at < batches.len() {
        let Ok(header) = BatchHeader::parse(&batches[at..]) else {
            break;
        };
        last = Some(header.last_offset());
        at += header.total_len();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::checkpoint::Registry;
    use crate::storage::segment::tests::batch;
    use ferrokafka_wire::record_batch::validate_batches;

    struct Fixture {
        dir: tempfile::TempDir,
        registry: Arc<Registry>,
        flusher: Flusher,
        settings: Arc<LogSettings>,
    }

    impl Fixture {
        fn new(configs: &[(&str, &str)]) -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let registry = Arc::new(Registry::default());
            let flusher = Flusher::start(dir.path(), registry.clone(), true).unwrap();
            let settings = Arc::new(LogSettings::default());
            let configs: BTreeMap<String, String> = configs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            settings.update(|name| {
                configs
                    .get(name)
                    .cloned()
                    .or_else(|| crate::topic_config::lookup(name).map(|d| d.default.to_string()))
            });
            Fixture {
                dir,
                registry,
                flusher,
                settings,
            }
        }

        fn open(&self, clean: bool) -> (DiskLog, Opened) {
            let starts = super::super::checkpoint::read(
                self.dir.path(),
                super::super::checkpoint::LOG_STARTS,
            )
            .unwrap();
            let points = super::super::checkpoint::read(
                self.dir.path(),
                super::super::checkpoint::RECOVERY_POINTS,
            )
            .unwrap();
            let key = ("t".to_string(), 0);
            let recovery = Recovery {
                clean,
                recovery_point: points.get(&key).copied().unwrap_or(0),
                log_start: starts.get(&key).copied().unwrap_or(0),
            };
            let marks = self.registry.register("t", 0, 0, 0);
            DiskLog::open(
                self.dir.path().join("t-0"),
                Uuid::nil(),
                self.settings.clone(),
                marks,
                self.flusher.clone(),
                recovery,
            )
            .unwrap()
        }

        fn settle(&self) {
            let ticket = self.flusher.request(Job::Checkpoints);
            self.flusher.wait_blocking(ticket).unwrap();
        }
    }

    fn put(log: &mut DiskLog, next: i64, count: usize, ts: i64) -> i64 {
        let data = batch(0, count, ts);
        let batches = validate_batches(&data).unwrap();
        log.append(next, &batches, 0, None).unwrap()
    }

    fn offsets(data: &Bytes) -> Vec<i64> {
        validate_batches(data)
            .map(|b| b.iter().map(|(h, _)| h.base_offset).collect())
            .unwrap_or_default()
    }

    #[test]
    fn rolls_segments_by_size_and_reads_across_them() {
        let fixture = Fixture::new(&[("segment.bytes", "300")]);
        let (mut log, opened) = fixture.open(false);
        assert_eq!(opened.next_offset, 0);
        let mut next = 0;
        for i in 0..10 {
            next = put(&mut log, next, 2, i);
        }
        assert_eq!(next, 20);
        assert!(log.segment_count() > 2, "{} segments", log.segment_count());
        let mut at = 0;
        let mut seen: Vec<i64> = Vec::new();
        while at < next {
            let data = log.read(at, 1000, true, i64::MAX).records;
            let got = offsets(&data);
            assert!(!got.is_empty());
            seen.extend(&got);
            at = *got.last().unwrap() + 2;
        }
        assert_eq!(seen, (0..20).step_by(2).collect::<Vec<_>>());
        assert!(log.read(20, 1000, true, i64::MAX).records.is_empty());
        assert_eq!(log.batch_by_timestamp(5, 0).unwrap().last_offset, 9);
        assert_eq!(log.max_timestamp(), Some(10));
    }

    #[test]
    fn reopens_after_a_clean_close_and_after_a_crash() {
        let fixture = Fixture::new(&[("segment.bytes", "300")]);
        let (mut log, _) = fixture.open(false);
        let mut next = 0;
        for i in 0..6 {
            next = put(&mut log, next, 3, i);
        }
        let ticket = log.close().unwrap();
        fixture.flusher.wait_blocking(ticket).unwrap();
        fixture.settle();
        drop(log);
        let (mut log, opened) = fixture.open(true);
        assert_eq!(opened.next_offset, 18);
        assert_eq!(put(&mut log, next, 3, 9), 21);
        drop(log);
        let (log, opened) = fixture.open(false);
        assert_eq!(opened.next_offset, 21);
        assert_eq!(
            offsets(&log.read(18, 1000, true, i64::MAX).records),
            vec![18]
        );
    }

    #[test]
    fn delete_before_drops_whole_segments_and_persists_the_start() {
        let fixture = Fixture::new(&[("segment.bytes", "300")]);
        let (mut log, _) = fixture.open(false);
        let mut next = 0;
        for i in 0..10 {
            next = put(&mut log, next, 2, i);
        }
        let before = log.segment_count();
        log.delete_before(9);
        assert!(log.segment_count() < before);
        assert_eq!(offsets(&log.read(9, 100_000, true, i64::MAX).records)[0], 8);
        log.delete_before(next);
        assert_eq!(log.segment_count(), 1);
        assert_eq!(log.size(), 0);
        fixture.settle();
        drop(log);
        let (log, opened) = fixture.open(false);
        assert_eq!(
            opened,
            Opened {
                log_start: 20,
                next_offset: 20
            }
        );
        assert_eq!(log.segment_count(), 1);
    }

    #[test]
    fn retention_finds_old_and_excess_segments() {
        let fixture = Fixture::new(&[("segment.bytes", "300"), ("retention.ms", "1000")]);
        let (mut log, _) = fixture.open(false);
        let mut next = 0;
        for i in 0..10 {
            next = put(&mut log, next, 2, i * 100);
        }
        assert_eq!(log.retention_point(0), None);
        let point = log.retention_point(1500).unwrap();
        assert!(point > 0 && point < next, "{point}");
        assert_eq!(log.retention_point(100_000), Some(next));
        fixture.settings.update(|name| match name {
            "retention.bytes" => Some("0".into()),
            "retention.ms" => Some("-1".into()),
            _ => None,
        });
        assert_eq!(log.retention_point(0), Some(next));
    }

    #[test]
    fn flush_messages_one_moves_the_recovery_point_with_every_append() {
        let fixture = Fixture::new(&[("flush.messages", "1")]);
        let (mut log, _) = fixture.open(false);
        let next = put(&mut log, 0, 4, 0);
        fixture.settle();
        assert_eq!(log.marks.recovery_point(), next);
    }
}
