//! One log segment: a `.log` file holding record batches exactly as the partition log stored
//! them, back to back, starting at the segment's base offset (the file name, 20 digits), and its
//! offset and time indexes. Appends go to the end of the file (the page cache; fsync is the
//! flusher's job); reads find a batch through the offset index and then walk batch headers.
//!
//! Opening a segment either trusts its indexes (a segment flushed before a clean stop), checking
//! only that they hold together with the file, or scans it batch by batch, validating length,
//! magic, record count, CRC32C and offsets, truncating a torn or corrupt tail at the last good
//! batch and rebuilding the indexes.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use ferrokafka_wire::record_batch::{validate_batches, BatchHeader, HEADER_LEN, LOG_OVERHEAD};

use super::index::{self, Index, OffsetEntry, TimeEntry};

/// The name of a segment file: the base offset in 20 digits and the extension.
pub fn file_name(base_offset: i64, extension: &str) -> String {
    format!("{base_offset:020}.{extension}")
}

/// The base offset named by a `.log` file name, if it is one.
pub fn base_offset_of(file_name: &str) -> Option<i64> {
    let digits = file_name.strip_suffix(".log")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// A batch as appended: where it ends and its largest timestamp.
#[derive(Debug, Clone, Copy)]
pub struct BatchInfo {
    pub last_offset: i64,
    pub max_timestamp: i64,
    pub len: u32,
}

/// A tail dropped when a segment was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// Where the last good batch ended.
    pub position: u64,
    pub dropped_bytes: u64,
    pub reason: String,
}

/// One segment and its indexes.
#[derive(Debug)]
pub struct Segment {
    base_offset: i64,
    log_path: PathBuf,
    log: Arc<File>,
    size: u64,
    next_offset: i64,
    offsets: Index<OffsetEntry>,
    times: Index<TimeEntry>,
    bytes_since_index: u64,
    max_timestamp: i64,
    offset_of_max_timestamp: i64,
    created: Instant,
}

/// What a scan of the log file found.
struct Scanned {
    size: u64,
    next_offset: i64,
    offsets: Vec<OffsetEntry>,
    times: Vec<TimeEntry>,
    bytes_since_index: u64,
    max_timestamp: i64,
    offset_of_max_timestamp: i64,
    bad_tail: Option<String>,
}

impl Segment {
    /// Creates an empty segment starting at `base_offset`.
    pub fn create(dir: &Path, base_offset: i64) -> io::Result<Segment> {
        let log_path = dir.join(file_name(base_offset, "log"));
        let log = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&log_path)?;
        Ok(Segment {
            base_offset,
            log: Arc::new(log),
            size: 0,
            next_offset: base_offset,
            offsets: Index::write(&dir.join(file_name(base_offset, "index")), Vec::new())?,
            times: Index::write(&dir.join(file_name(base_offset, "timeindex")), Vec::new())?,
            log_path,
            bytes_since_index: 0,
            max_timestamp: -1,
            offset_of_max_timestamp: -1,
            created: Instant::now(),
        })
    }

    /// Opens an existing segment. With `trust_indexes` its indexes are used when they hold
    /// together with the log; otherwise (or when they do not) the log is scanned and validated,
    /// a bad tail truncated, and the indexes rebuilt.
    pub fn open(
        dir: &Path,
        base_offset: i64,
        trust_indexes: bool,
        index_interval: u64,
    ) -> io::Result<(Segment, Option<Truncation>)> {
        let log_path = dir.join(file_name(base_offset, "log"));
        let log = OpenOptions::new().read(true).write(true).open(&log_path)?;
        let file_len = log.metadata()?.len();
        let index_path = dir.join(file_name(base_offset, "index"));
        let time_path = dir.join(file_name(base_offset, "timeindex"));
        if trust_indexes {
            if let Some(scanned) =
                load_indexes(&log, base_offset, file_len, &index_path, &time_path)?
            {
                let segment = Segment::from_scan(log_path, log, base_offset, scanned, dir)?;
                return Ok((segment, None));
            }
        }
        let scanned = scan(&log, base_offset, file_len, index_interval)?;
        let truncation = scanned.bad_tail.clone().map(|reason| Truncation {
            position: scanned.size,
            dropped_bytes: file_len - scanned.size,
            reason,
        });
        if scanned.size < file_len {
            log.set_len(scanned.size)?;
        }
        let segment = Segment::from_scan(log_path, log, base_offset, scanned, dir)?;
        Ok((segment, truncation))
    }

    fn from_scan(
        log_path: PathBuf,
        log: File,
        base_offset: i64,
        scanned: Scanned,
        dir: &Path,
    ) -> io::Result<Segment> {
        Ok(Segment {
            base_offset,
            log_path,
            log: Arc::new(log),
            size: scanned.size,
            next_offset: scanned.next_offset,
            offsets: Index::write(&dir.join(file_name(base_offset, "index")), scanned.offsets)?,
            times: Index::write(
                &dir.join(file_name(base_offset, "timeindex")),
                scanned.times,
            )?,
            bytes_since_index: scanned.bytes_since_index,
            max_timestamp: scanned.max_timestamp,
            offset_of_max_timestamp: scanned.offset_of_max_timestamp,
            created: Instant::now(),
        })
    }

    /// The offset after the segment's last record (the base offset when empty).
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The largest timestamp of the segment's batches, if it has any.
    pub fn max_timestamp(&self) -> Option<i64> {
        (!self.is_empty()).then_some(self.max_timestamp)
    }

    /// When this process created or opened the segment.
    pub fn created(&self) -> Instant {
        self.created
    }

    /// Entries in the offset index.
    pub fn index_entries(&self) -> usize {
        self.offsets.len()
    }

    /// The files to fsync for the segment to be durable.
    pub fn files(&self) -> Vec<Arc<File>> {
        vec![
            self.log.clone(),
            self.offsets.file().clone(),
            self.times.file().clone(),
        ]
    }

    /// The segment's files, for deletion.
    pub fn paths(&self) -> Vec<PathBuf> {
        vec![
            self.log_path.clone(),
            self.offsets.path().to_path_buf(),
            self.times.path().to_path_buf(),
        ]
    }

    /// Whether `last_offset` can still be written here (offsets are stored relative to the
    /// base in 32 bits).
    pub fn can_hold(&self, last_offset: i64) -> bool {
        last_offset - self.base_offset <= i64::from(u32::MAX) && self.size <= u64::from(u32::MAX)
    }

    /// Appends batches (their bytes back to back in `data`) with one write, then indexes them.
    /// On a failed write the file is cut back and nothing is recorded.
    pub fn append(
        &mut self,
        data: &[u8],
        batches: &[BatchInfo],
        index_interval: u64,
    ) -> io::Result<()> {
        if let Err(error) = self.log.write_all_at(data, self.size) {
            let _ = self.log.set_len(self.size);
            return Err(error);
        }
        for batch in batches {
            if batch.max_timestamp > self.max_timestamp {
                self.max_timestamp = batch.max_timestamp;
                self.offset_of_max_timestamp = batch.last_offset;
            }
            if self.bytes_since_index > index_interval {
                let relative = (batch.last_offset - self.base_offset) as u32;
                let indexed = self
                    .offsets
                    .append(OffsetEntry {
                        relative_offset: relative,
                        position: self.size as u32,
                    })
                    .and_then(|()| self.append_time_entry());
                if let Err(error) = indexed {
                    tracing::warn!(segment = %self.log_path.display(), %error, "index write failed; the index is rebuilt at the next start");
                }
                self.bytes_since_index = 0;
            }
            self.bytes_since_index += u64::from(batch.len);
            self.size += u64::from(batch.len);
            self.next_offset = batch.last_offset + 1;
        }
        Ok(())
    }

    /// Appends a time index entry for the largest timestamp so far, if it grew.
    fn append_time_entry(&mut self) -> io::Result<()> {
        if self.offset_of_max_timestamp < 0
            || self
                .times
                .last()
                .is_some_and(|e| e.timestamp >= self.max_timestamp)
        {
            return Ok(());
        }
        self.times.append(TimeEntry {
            timestamp: self.max_timestamp,
            relative_offset: (self.offset_of_max_timestamp - self.base_offset) as u32,
        })
    }

    /// Completes the time index before the segment stops being the active one (or the broker
    /// stops), so a later open knows the segment's largest timestamp from it.
    pub fn seal(&mut self) -> io::Result<()> {
        self.append_time_entry()
    }

    /// The header of the batch starting at `position`.
    fn header_at(&self, position: u64) -> io::Result<BatchHeader> {
        let mut buf = [0u8; HEADER_LEN];
        self.log.read_exact_at(&mut buf, position)?;
        BatchHeader::parse(&buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// The position and header of the batch holding `offset`, if the segment has it.
    fn locate(&self, offset: i64) -> io::Result<Option<(u64, BatchHeader)>> {
        let relative = (offset - self.base_offset).clamp(0, i64::from(u32::MAX)) as u32;
        let mut position = u64::from(self.offsets.position_for(relative));
        while position < self.size {
            let header = self.header_at(position)?;
            if header.last_offset() >= offset {
                return Ok(Some((position, header)));
            }
            position += header.total_len() as u64;
        }
        Ok(None)
    }

    fn read_at(&self, position: u64, len: usize) -> io::Result<Bytes> {
        let mut buf = vec![0u8; len];
        self.log.read_exact_at(&mut buf, position)?;
        Ok(Bytes::from(buf))
    }

    /// Whole batches from the one holding `offset` that start below `max_offset`, at most
    /// `max_bytes` of them unless `min_one` asks for the first whatever its size; `None` when
    /// no batch here ends at or after `offset`.
    pub fn read(
        &self,
        offset: i64,
        max_bytes: usize,
        min_one: bool,
        max_offset: i64,
    ) -> io::Result<Option<Bytes>> {
        let Some((start, first)) = self.locate(offset)? else {
            return Ok(None);
        };
        if first.base_offset >= max_offset {
            return Ok(Some(Bytes::new()));
        }
        let available = (self.size - start) as usize;
        if first.total_len() > max_bytes {
            return if min_one {
                let data = self.read_at(start, first.total_len())?;
                self.check_crcs(data).map(Some)
            } else {
                Ok(Some(Bytes::new()))
            };
        }
        let mut data = self.read_at(start, available.min(max_bytes))?;
        let mut end = 0;
        while end + LOG_OVERHEAD <= data.len() {
            let base_offset = i64::from_be_bytes(data[end..end + 8].try_into().expect("8 bytes"));
            let length = i32::from_be_bytes(data[end + 8..end + 12].try_into().expect("4 bytes"));
            let total = LOG_OVERHEAD + length.max(0) as usize;
            if base_offset >= max_offset || end + total > data.len() {
                break;
            }
            end += total;
        }
        data.truncate(end);
        self.check_crcs(data).map(Some)
    }

    /// The batches of `data` up to the first whose CRC32C does not match (logged): bytes that
    /// went bad on disk after the segment was opened are never served.
    fn check_crcs(&self, mut data: Bytes) -> io::Result<Bytes> {
        let mut at = 0;
        while at < data.len() {
            let header = BatchHeader::parse(&data[at..])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let end = at + header.total_len();
            // The CRC covers the batch from its attributes (byte 21) to its end.
            if crc32c::crc32c(&data[at + 21..end]) != header.crc {
                tracing::error!(segment = %self.log_path.display(), offset = header.base_offset, "a stored batch fails its CRC32C; serving the log only up to it");
                data.truncate(at);
                break;
            }
            at = end;
        }
        Ok(data)
    }

    /// The first batch whose largest timestamp is at least `timestamp` and whose last offset is
    /// at least `min_offset`, with its header.
    pub fn find_by_timestamp(
        &self,
        timestamp: i64,
        min_offset: i64,
    ) -> io::Result<Option<(BatchHeader, Bytes)>> {
        if self.max_timestamp().is_none_or(|max| max < timestamp) {
            return Ok(None);
        }
        let from_time = self.base_offset + i64::from(self.times.offset_for(timestamp));
        let Some((mut position, _)) = self.locate(from_time.max(min_offset))? else {
            return Ok(None);
        };
        while position < self.size {
            let header = self.header_at(position)?;
            if header.max_timestamp >= timestamp && header.last_offset() >= min_offset {
                let data = self.read_at(position, header.total_len())?;
                return Ok(Some((header, data)));
            }
            position += header.total_len() as u64;
        }
        Ok(None)
    }
}

/// Builds a segment's state from its index files and the batches after the last offset index
/// entry, or `None` when the indexes are missing or do not hold together with the log.
fn load_indexes(
    log: &File,
    base_offset: i64,
    file_len: u64,
    index_path: &Path,
    time_path: &Path,
) -> io::Result<Option<Scanned>> {
    let (Some(offsets), Some(times)) = (
        Index::<OffsetEntry>::read(index_path)?,
        Index::<TimeEntry>::read(time_path)?,
    ) else {
        return Ok(None);
    };
    if !index::offsets_consistent(&offsets, file_len) {
        return Ok(None);
    }
    let max_relative = offsets.last().map_or(0, |e| e.relative_offset);
    let (mut position, mut expected) = match offsets.last() {
        Some(entry) => (u64::from(entry.position), None),
        None => (0, Some(base_offset)),
    };
    let mut next_offset = base_offset;
    let (mut max_timestamp, mut offset_of_max) = times.last().map_or((-1, -1), |e| {
        (e.timestamp, base_offset + i64::from(e.relative_offset))
    });
    let mut tail_max_relative = max_relative;
    while position < file_len {
        let mut buf = [0u8; HEADER_LEN];
        if file_len - position < HEADER_LEN as u64 {
            return Ok(None);
        }
        log.read_exact_at(&mut buf, position)?;
        let Ok(header) = BatchHeader::parse(&buf) else {
            return Ok(None);
        };
        let total = header.total_len() as u64;
        let starts_right = expected.is_none_or(|e| header.base_offset == e);
        let indexed_right = expected.is_some()
            || offsets
                .last()
                .is_none_or(|e| header.last_offset() == base_offset + i64::from(e.relative_offset));
        if header.batch_length < (HEADER_LEN - LOG_OVERHEAD) as i32
            || position + total > file_len
            || !starts_right
            || !indexed_right
        {
            return Ok(None);
        }
        if header.max_timestamp > max_timestamp {
            max_timestamp = header.max_timestamp;
            offset_of_max = header.last_offset();
        }
        next_offset = header.last_offset() + 1;
        tail_max_relative = tail_max_relative.max((header.last_offset() - base_offset) as u32);
        expected = Some(next_offset);
        position += total;
    }
    if !index::times_consistent(&times, tail_max_relative) {
        return Ok(None);
    }
    Ok(Some(Scanned {
        size: file_len,
        next_offset,
        bytes_since_index: file_len - offsets.last().map_or(0, |e| u64::from(e.position)),
        offsets,
        times,
        max_timestamp,
        offset_of_max_timestamp: offset_of_max,
        bad_tail: None,
    }))
}

/// Reads the log from the start, validating every batch, up to the first bad one, and builds
/// the indexes of what is good.
fn scan(log: &File, base_offset: i64, file_len: u64, index_interval: u64) -> io::Result<Scanned> {
    let mut reader = BufReader::with_capacity(1 << 20, log);
    let mut scanned = Scanned {
        size: 0,
        next_offset: base_offset,
        offsets: Vec::new(),
        times: Vec::new(),
        bytes_since_index: 0,
        max_timestamp: -1,
        offset_of_max_timestamp: -1,
        bad_tail: None,
    };
    while scanned.size < file_len {
        let remaining = file_len - scanned.size;
        if remaining < LOG_OVERHEAD as u64 {
            scanned.bad_tail = Some(format!("a torn batch header of {remaining} bytes"));
            break;
        }
        let mut prefix = [0u8; LOG_OVERHEAD];
        reader.read_exact(&mut prefix)?;
        let length = i32::from_be_bytes(prefix[8..12].try_into().expect("4 bytes"));
        let total = LOG_OVERHEAD as u64 + length.max(0) as u64;
        if length < (HEADER_LEN - LOG_OVERHEAD) as i32 || total > remaining {
            scanned.bad_tail = Some(format!(
                "a batch length of {length} with {remaining} bytes left in the file"
            ));
            break;
        }
        let mut batch = vec![0u8; total as usize];
        batch[..LOG_OVERHEAD].copy_from_slice(&prefix);
        reader.read_exact(&mut batch[LOG_OVERHEAD..])?;
        let batch = Bytes::from(batch);
        let header = match validate_batches(&batch) {
            Ok(batches) => batches[0].0,
            Err(error) => {
                scanned.bad_tail = Some(error.to_string());
                break;
            }
        };
        if header.base_offset != scanned.next_offset {
            scanned.bad_tail = Some(format!(
                "a batch at offset {} where {} was expected",
                header.base_offset, scanned.next_offset
            ));
            break;
        }
        if header.max_timestamp > scanned.max_timestamp {
            scanned.max_timestamp = header.max_timestamp;
            scanned.offset_of_max_timestamp = header.last_offset();
        }
        if scanned.bytes_since_index > index_interval {
            scanned.offsets.push(OffsetEntry {
                relative_offset: (header.last_offset() - base_offset) as u32,
                position: scanned.size as u32,
            });
            if scanned
                .times
                .last()
                .is_none_or(|e| e.timestamp < scanned.max_timestamp)
            {
                scanned.times.push(TimeEntry {
                    timestamp: scanned.max_timestamp,
                    relative_offset: (scanned.offset_of_max_timestamp - base_offset) as u32,
                });
            }
            scanned.bytes_since_index = 0;
        }
        scanned.bytes_since_index += total;
        scanned.size += total;
        scanned.next_offset = header.last_offset() + 1;
    }
    Ok(scanned)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bytes::BytesMut;
    use ferrokafka_wire::record_batch::patch_offset_and_epoch;
    use ferrokafka_wire::records::{encode_batch, BatchOptions, RecordRef};

    /// A batch of `count` records at `base_offset` with timestamps `ts, ts+1, ...`.
    pub fn batch(base_offset: i64, count: usize, ts: i64) -> Bytes {
        let values: Vec<Vec<u8>> = (0..count).map(|i| format!("v{i}").into_bytes()).collect();
        let records: Vec<RecordRef> = values
            .iter()
            .enumerate()
            .map(|(i, v)| RecordRef {
                key: None,
                value: Some(v),
                headers: &[],
                timestamp: ts + i as i64,
            })
            .collect();
        let mut buf = BytesMut::new();
        encode_batch(&mut buf, &records, &BatchOptions::default()).unwrap();
        patch_offset_and_epoch(&mut buf, base_offset, 0);
        buf.freeze()
    }

    fn append(segment: &mut Segment, data: &Bytes, interval: u64) {
        let header = BatchHeader::parse(data).unwrap();
        let info = BatchInfo {
            last_offset: header.last_offset(),
            max_timestamp: header.max_timestamp,
            len: data.len() as u32,
        };
        segment.append(data, &[info], interval).unwrap();
    }

    /// A segment at base 100 with ten batches of three records, indexed every batch.
    fn filled(dir: &Path) -> Segment {
        let mut segment = Segment::create(dir, 100).unwrap();
        for i in 0..10 {
            append(&mut segment, &batch(100 + 3 * i, 3, 1000 + 10 * i), 0);
        }
        segment
    }

    fn offsets_in(data: &Option<Bytes>) -> Vec<i64> {
        validate_batches(data.as_ref().unwrap())
            .map(|b| b.iter().map(|(h, _)| h.base_offset).collect())
            .unwrap_or_default()
    }

    #[test]
    fn names_files_with_twenty_digits() {
        assert_eq!(file_name(42, "log"), "00000000000000000042.log");
        assert_eq!(base_offset_of("00000000000000000042.log"), Some(42));
        assert_eq!(base_offset_of("42.log"), None);
        assert_eq!(base_offset_of("00000000000000000042.index"), None);
    }

    #[test]
    fn reads_whole_batches_through_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let segment = filled(dir.path());
        assert_eq!(segment.next_offset(), 130);
        assert!(segment.index_entries() > 5);
        assert_eq!(
            offsets_in(&segment.read(107, usize::MAX, true, i64::MAX).unwrap())[0],
            106
        );
        let one = batch(0, 3, 0).len();
        let two = segment
            .read(100, 2 * one + one / 2, false, i64::MAX)
            .unwrap();
        assert_eq!(offsets_in(&two), vec![100, 103]);
        assert!(segment
            .read(100, 10, false, i64::MAX)
            .unwrap()
            .unwrap()
            .is_empty());
        assert_eq!(
            offsets_in(&segment.read(100, 10, true, i64::MAX).unwrap()),
            vec![100]
        );
        assert_eq!(segment.read(130, 1000, true, i64::MAX).unwrap(), None);
    }

    #[test]
    fn reads_stop_before_a_batch_at_or_past_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let segment = filled(dir.path());
        let bounded = segment.read(100, usize::MAX, true, 106).unwrap();
        assert_eq!(offsets_in(&bounded), vec![100, 103]);
        let nothing = segment.read(107, usize::MAX, true, 106).unwrap();
        assert_eq!(nothing, Some(Bytes::new()));
    }

    #[test]
    fn finds_batches_by_timestamp() {
        let dir = tempfile::tempdir().unwrap();
        let segment = filled(dir.path());
        let found = |ts, min| {
            segment
                .find_by_timestamp(ts, min)
                .unwrap()
                .map(|(h, _)| h.base_offset)
        };
        assert_eq!(found(0, 0), Some(100));
        assert_eq!(found(1032, 0), Some(109));
        assert_eq!(found(1030, 0), Some(109));
        assert_eq!(found(1030, 115), Some(115));
        assert_eq!(found(2000, 0), None);
        assert_eq!(segment.max_timestamp(), Some(1092));
    }

    #[test]
    fn reopens_from_trusted_indexes_with_the_same_state() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = filled(dir.path());
        segment.seal().unwrap();
        let (reopened, truncated) = Segment::open(dir.path(), 100, true, 0).unwrap();
        assert_eq!(truncated, None);
        assert_eq!(reopened.next_offset(), 130);
        assert_eq!(reopened.size(), segment.size());
        assert_eq!(reopened.max_timestamp(), Some(1092));
        assert_eq!(reopened.offsets.entries(), segment.offsets.entries());
    }

    #[test]
    fn rebuilds_missing_or_inconsistent_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let segment = filled(dir.path());
        let expected = segment.offsets.entries().to_vec();
        drop(segment);
        std::fs::remove_file(dir.path().join(file_name(100, "index"))).unwrap();
        let (reopened, _) = Segment::open(dir.path(), 100, true, 0).unwrap();
        assert_eq!(reopened.offsets.entries(), expected);
        drop(reopened);
        let index = dir.path().join(file_name(100, "index"));
        let mut bytes = std::fs::read(&index).unwrap();
        bytes[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        std::fs::write(&index, bytes).unwrap();
        let (reopened, _) = Segment::open(dir.path(), 100, true, 0).unwrap();
        assert_eq!(reopened.offsets.entries(), expected);
        assert_eq!(
            Index::<OffsetEntry>::read(&index).unwrap().unwrap(),
            expected
        );
    }

    #[test]
    fn truncates_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let segment = filled(dir.path());
        let size = segment.size();
        drop(segment);
        let log = dir.path().join(file_name(100, "log"));
        let file = OpenOptions::new().write(true).open(&log).unwrap();
        file.set_len(size - 5).unwrap();
        let (reopened, truncated) = Segment::open(dir.path(), 100, false, 0).unwrap();
        let truncated = truncated.unwrap();
        assert_eq!(reopened.next_offset(), 127);
        assert_eq!(truncated.position, reopened.size());
        assert_eq!(std::fs::metadata(&log).unwrap().len(), reopened.size());
    }

    #[test]
    fn truncates_at_a_corrupt_batch() {
        let dir = tempfile::tempdir().unwrap();
        let segment = filled(dir.path());
        let one = batch(0, 3, 0).len() as u64;
        drop(segment);
        let log = dir.path().join(file_name(100, "log"));
        let mut bytes = std::fs::read(&log).unwrap();
        let at = (4 * one + 70) as usize;
        bytes[at] ^= 0x40;
        std::fs::write(&log, bytes).unwrap();
        let (reopened, truncated) = Segment::open(dir.path(), 100, false, 0).unwrap();
        assert_eq!(reopened.next_offset(), 112);
        let truncated = truncated.unwrap();
        assert_eq!(truncated.position, 4 * one);
        assert!(truncated.reason.contains("CRC"), "{}", truncated.reason);
        assert_eq!(
            offsets_in(&reopened.read(100, usize::MAX, true, i64::MAX).unwrap()).len(),
            4
        );
    }

    #[test]
    fn reads_stop_before_a_batch_that_went_bad_after_opening() {
        let dir = tempfile::tempdir().unwrap();
        let segment = filled(dir.path());
        let one = batch(0, 3, 0).len() as u64;
        let file = OpenOptions::new()
            .write(true)
            .open(dir.path().join(file_name(100, "log")))
            .unwrap();
        file.write_all_at(b"\xff\xff", 2 * one + 70).unwrap();
        assert_eq!(
            offsets_in(&segment.read(100, usize::MAX, true, i64::MAX).unwrap()),
            vec![100, 103]
        );
        assert!(segment
            .read(106, usize::MAX, true, i64::MAX)
            .unwrap()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_wrong_base_offset_is_corruption_too() {
        let dir = tempfile::tempdir().unwrap();
        let segment = filled(dir.path());
        let one = batch(0, 3, 0).len();
        drop(segment);
        let log = dir.path().join(file_name(100, "log"));
        let mut bytes = std::fs::read(&log).unwrap();
        bytes[2 * one + 7] ^= 1;
        std::fs::write(&log, bytes).unwrap();
        let (reopened, truncated) = Segment::open(dir.path(), 100, false, 0).unwrap();
        assert_eq!(reopened.next_offset(), 106);
        assert!(truncated.unwrap().reason.contains("expected"));
    }
}
