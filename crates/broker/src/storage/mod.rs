//! Durable storage: a broker started with a log directory (`log.dirs`, or `logDir` from
//! JavaScript) keeps its partition logs as segment files and its metadata (topics, configs,
//! committed offsets, producer ids and transactions) in journals there, and after a stop, clean
//! or not, comes back with everything it acknowledged. The layout is described in `FORMAT.md`
//! beside this file.
//!
//! [`Storage`] is the open directory: it holds the lock that keeps a second broker out, the
//! metadata, the checkpoints' registry and the flusher thread, opens partition logs
//! ([`DiskLog`]) with the recovery they need, and closes everything cleanly.

mod checkpoint;
mod disk_log;
mod flusher;
mod index;
mod journal;
pub mod maintenance;
mod metadata;
mod producer_snapshot;
mod segment;
mod settings;

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use parking_lot::Mutex;
use tokio::sync::Notify;
use uuid::Uuid;

pub use disk_log::{DiskLog, Opened};
pub use metadata::{
    GroupOffsets, OffsetMeta, OffsetRecord, TopicMeta, TopicRecord, Transactions, TxnMeta,
    TxnRecord,
};
pub use settings::LogSettings;

use checkpoint::{Offsets, Registry};
use disk_log::Recovery;
use flusher::{Flusher, Job};
use metadata::Metadata;

use crate::config::BrokerConfig;

/// The lock file that keeps a second broker out of the directory.
const LOCK_FILE: &str = ".lock";
/// Written by a clean stop, removed at start: its presence means every index can be trusted.
const CLEAN_SHUTDOWN: &str = ".clean_shutdown";
/// The directory's identity, in Kafka's format.
const META_PROPERTIES: &str = "meta.properties";
/// Where the metadata journals live.
const METADATA_DIR: &str = "metadata";

/// The log directory cannot be used, or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StorageError(String);

impl StorageError {
    pub fn new(message: String) -> Self {
        StorageError(message)
    }

    /// The error code a request that needed the disk is answered with.
    pub fn response_error(&self) -> ResponseError {
        ResponseError::KafkaStorageError
    }
}

impl From<io::Error> for StorageError {
    fn from(error: io::Error) -> Self {
        StorageError(error.to_string())
    }
}

/// An open log directory.
#[derive(Debug)]
pub struct Storage {
    dir: PathBuf,
    lock: File,
    cluster_id: String,
    clean_start: bool,
    recovery_points: Offsets,
    log_starts: Offsets,
    registry: Arc<Registry>,
    flusher: Flusher,
    metadata: Mutex<Metadata>,
    /// Signalled when topic configs change, so logs pick up their new settings.
    pub settings_changed: Notify,
    closed: std::sync::atomic::AtomicBool,
}

/// The broker's log directory from its properties: `log.dirs`, else `log.dir`; `None` keeps
/// everything in memory. Only one directory is supported.
pub fn log_dir(config: &BrokerConfig) -> Result<Option<PathBuf>, StorageError> {
    let Some(value) = config.property("log.dirs").or(config.property("log.dir")) else {
        return Ok(None);
    };
    let dirs: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    match dirs.as_slice() {
        [] => Ok(None),
        [dir] => Ok(Some(PathBuf::from(dir))),
        _ => Err(StorageError::new(format!(
            "log.dirs lists {} directories ({value}); this broker keeps its logs in one",
            dirs.len()
        ))),
    }
}

fn parse_properties(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

impl Storage {
    /// Opens `dir` (creating it) for a broker with `config`: takes the lock, checks the
    /// directory belongs to this node and cluster, and loads the metadata. Partition logs are
    /// opened afterwards with [`Storage::open_log`].
    pub fn open(dir: &Path, config: &BrokerConfig) -> Result<Storage, StorageError> {
        let at = |what: &str, e: io::Error| {
            StorageError::new(format!("log directory {}: {what}: {e}", dir.display()))
        };
        std::fs::create_dir_all(dir).map_err(|e| at("cannot create it", e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| at("cannot open its lock file", e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StorageError::new(format!(
                    "log directory {} is in use by another broker (it holds {}); stop that broker or choose another log directory",
                    dir.display(),
                    lock_path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(at("cannot lock it", e)),
        }
        let cluster_id = Self::check_identity(dir, config)?;
        let marker = dir.join(CLEAN_SHUTDOWN);
        let clean_start = marker.exists();
        if clean_start {
            std::fs::remove_file(&marker).map_err(|e| at("cannot remove its clean marker", e))?;
            checkpoint::sync_dir(dir).map_err(|e| at("cannot sync it", e))?;
        }
        let read_checkpoint = |name| {
            checkpoint::read(dir, name).unwrap_or_else(|error| {
                tracing::warn!(%error, "ignoring an unreadable checkpoint; recovery scans every segment");
                Offsets::new()
            })
        };
        let recovery_points = read_checkpoint(checkpoint::RECOVERY_POINTS);
        let log_starts = read_checkpoint(checkpoint::LOG_STARTS);
        let metadata = Metadata::open(&dir.join(METADATA_DIR))
            .map_err(|e| at("cannot read its metadata", e))?;
        let registry = Arc::new(Registry::default());
        let group_commit = config
            .property("log.flush.group.commit.enable")
            .is_none_or(|v| v.trim() != "false");
        let flusher = Flusher::start(dir, registry.clone(), group_commit)
            .map_err(|e| at("cannot start its flusher", e))?;
        tracing::info!(dir = %dir.display(), clean = clean_start, "opened the log directory");
        Ok(Storage {
            dir: dir.to_path_buf(),
            lock,
            cluster_id,
            clean_start,
            recovery_points,
            log_starts,
            registry,
            flusher,
            metadata: Mutex::new(metadata),
            settings_changed: Notify::new(),
            closed: false.into(),
        })
    }

    /// Reads or writes `meta.properties`; returns the cluster id the directory belongs to.
    fn check_identity(dir: &Path, config: &BrokerConfig) -> Result<String, StorageError> {
        let path = dir.join(META_PROPERTIES);
        let stored = match std::fs::read_to_string(&path) {
            Ok(text) => parse_properties(&text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let text = format!(
                    "#\n#ferrokafka log directory\nversion=1\nnode.id={}\ncluster.id={}\n",
                    config.node_id, config.cluster_id
                );
                checkpoint::replace_file(dir, META_PROPERTIES, text.as_bytes())?;
                return Ok(config.cluster_id.clone());
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(node) = stored.get("node.id") {
            if *node != config.node_id.to_string() {
                return Err(StorageError::new(format!(
                    "log directory {} belongs to node {node}, not to node.id {}",
                    dir.display(),
                    config.node_id
                )));
            }
        }
        let cluster = stored.get("cluster.id").cloned().unwrap_or_default();
        match config.property("cluster.id") {
            Some(asked) if asked.trim() != cluster => Err(StorageError::new(format!(
                "log directory {} belongs to cluster {cluster}, not to cluster.id {asked}",
                dir.display()
            ))),
            _ => Ok(cluster),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cluster id the directory was formatted with.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// Every topic the metadata knows.
    pub fn topics(&self) -> Vec<TopicMeta> {
        self.metadata.lock().topics().values().cloned().collect()
    }

    /// Every committed offset the metadata knows.
    pub fn group_offsets(&self) -> GroupOffsets {
        self.metadata.lock().offsets().clone()
    }

    /// The producer ids handed out and every transactional id's state.
    pub fn transactions(&self) -> Transactions {
        self.metadata.lock().transactions().clone()
    }

    /// Opens (or prepares, for a new partition) the log of a partition.
    pub fn open_log(
        &self,
        topic: &str,
        topic_id: Uuid,
        partition: i32,
        settings: Arc<LogSettings>,
    ) -> Result<(DiskLog, Opened), StorageError> {
        let key = (topic.to_string(), partition);
        let recovery = Recovery {
            clean: self.clean_start,
            recovery_point: self.recovery_points.get(&key).copied().unwrap_or(0),
            log_start: self.log_starts.get(&key).copied().unwrap_or(0),
        };
        let marks = self.registry.register(topic, partition, 0, 0);
        DiskLog::open(
            self.dir.join(disk_log::dir_name(topic, partition)),
            topic_id,
            settings,
            marks,
            self.flusher.clone(),
            recovery,
        )
    }

    /// The log of a partition created now, before it has any file.
    pub fn new_log(
        &self,
        topic: &str,
        topic_id: Uuid,
        partition: i32,
        settings: Arc<LogSettings>,
    ) -> DiskLog {
        DiskLog::empty(
            self.dir.join(disk_log::dir_name(topic, partition)),
            topic_id,
            settings,
            self.registry.register(topic, partition, 0, 0),
            self.flusher.clone(),
        )
    }

    /// Moves aside partition directories that no known topic owns (renamed `-stray`, never
    /// deleted) and deletes those left by deleted topics.
    pub fn sweep(&self, topics: &[TopicMeta]) -> Result<(), StorageError> {
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with("-delete") {
                self.flusher.request(Job::RemoveDir(entry.path()));
                continue;
            }
            let Some((topic, partition)) = name.rsplit_once('-') else {
                continue;
            };
            let Ok(partition) = partition.parse::<i32>() else {
                continue;
            };
            let owned = topics.iter().any(|t| {
                t.name == topic
                    && partition < t.partitions
                    && disk_log::read_topic_id(&entry.path()).is_none_or(|id| id == t.id)
            });
            if !owned {
                let stray = self
                    .dir
                    .join(format!("{name}.{}-stray", Uuid::new_v4().simple()));
                tracing::warn!(dir = %entry.path().display(), moved_to = %stray.display(), "a partition directory no topic owns was moved aside");
                std::fs::rename(entry.path(), stray)?;
            }
        }
        Ok(())
    }

    /// Records a topic change in the metadata.
    pub fn record_topic(&self, record: TopicRecord) -> Result<(), StorageError> {
        let file = self.metadata.lock().record_topic(record);
        self.synced(file, "the topics")
    }

    /// Records a committed offsets change in the metadata.
    pub fn record_offsets(&self, record: OffsetRecord) -> Result<(), StorageError> {
        let file = self.metadata.lock().record_offsets(record);
        self.synced(file, "the committed offsets")
    }

    /// Records a producer id or transaction change in the metadata.
    pub fn record_txn(&self, record: TxnRecord) -> Result<(), StorageError> {
        let file = self.metadata.lock().record_txn(record);
        self.synced(file, "the transactions")
    }

    fn synced(&self, file: io::Result<Arc<File>>, what: &str) -> Result<(), StorageError> {
        match file {
            Ok(file) => {
                self.flusher.request(Job::Sync {
                    files: vec![file],
                    dir: None,
                    recovered: None,
                });
                Ok(())
            }
            Err(error) => {
                let message = format!("recording a change to {what} failed: {error}");
                self.flusher.fail(message.clone());
                Err(StorageError::new(message))
            }
        }
    }

    /// Removes a deleted topic's partition directories: renamed at once, deleted by the
    /// flusher.
    pub fn remove_topic_dirs(&self, topic: &str, partitions: i32) {
        self.registry.forget_topic(topic);
        for partition in 0..partitions {
            let dir = self.dir.join(disk_log::dir_name(topic, partition));
            if !dir.exists() {
                continue;
            }
            let doomed = self.dir.join(format!(
                "{}.{}-delete",
                disk_log::dir_name(topic, partition),
                Uuid::new_v4().simple()
            ));
            match std::fs::rename(&dir, &doomed) {
                Ok(()) => {
                    self.flusher.request(Job::RemoveDir(doomed));
                }
                Err(error) => {
                    tracing::warn!(dir = %dir.display(), %error, "cannot remove a deleted topic's directory")
                }
            }
        }
        self.flusher.request(Job::Sync {
            files: Vec::new(),
            dir: Some(self.dir.clone()),
            recovered: None,
        });
        self.flusher.request(Job::Checkpoints);
    }

    /// Has the checkpoint files rewritten.
    pub fn request_checkpoints(&self) {
        self.flusher.request(Job::Checkpoints);
    }

    /// A mark to pass to [`Storage::flushed_since`]: the flushes requests wait for, asked
    /// for so far.
    pub fn mark(&self) -> u64 {
        self.flusher.awaited()
    }

    /// Waits for every flush a request must wait for that was asked for since `mark` (its own
    /// appends' and those of requests running alongside: they share the same fsync round),
    /// and reports a failed directory.
    pub async fn flushed_since(&self, mark: u64) -> Result<(), StorageError> {
        let awaited = self.flusher.awaited();
        if awaited > mark {
            self.flusher.wait(awaited).await
        } else {
            self.flusher.check()
        }
    }

    /// Stops cleanly: `close_logs` seals and flushes every partition log (returning the
    /// flusher tickets to wait for); then the checkpoints are written, the clean marker left
    /// and the lock released. Blocks; run it off the runtime's workers.
    pub fn close(&self, close_logs: impl FnOnce() -> Vec<u64>) -> Result<(), StorageError> {
        if self.closed.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return Ok(());
        }
        let tickets = close_logs();
        let checkpoints = self.flusher.request(Job::Checkpoints);
        let waited = self
            .flusher
            .wait_blocking(tickets.into_iter().max().unwrap_or(0).max(checkpoints));
        let result = waited.and_then(|()| {
            checkpoint::replace_file(&self.dir, CLEAN_SHUTDOWN, b"")?;
            Ok(())
        });
        self.flusher.stop();
        if let Err(error) = self.lock.unlock() {
            tracing::warn!(dir = %self.dir.display(), %error, "cannot release the lock");
        }
        match &result {
            Ok(()) => tracing::info!(dir = %self.dir.display(), "closed the log directory cleanly"),
            Err(error) => {
                tracing::error!(dir = %self.dir.display(), %error, "the log directory did not close cleanly")
            }
        }
        result
    }
}

impl Drop for Storage {
    /// A directory dropped without [`Storage::close`] (its broker never stopped cleanly) still
    /// finishes the flusher's queued work; the next start recovers it as after a crash.
    fn drop(&mut self) {
        self.flusher.stop();
    }
}
