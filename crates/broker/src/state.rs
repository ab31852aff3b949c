//! The broker's shared state: its settings, its topics and their partitions, the group and
//! transaction coordinators, the signal that wakes long-polling fetches when records arrive,
//! and, for a broker with a log directory, the storage that topic changes are recorded in.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::broker_config::{self, Layers};
use crate::config::BrokerConfig;
use crate::group::GroupCoordinator;
use crate::log::PartitionLog;
use crate::storage::{LogSettings, Storage, StorageError, TopicMeta, TopicRecord};
use crate::topic_config;
use crate::txn::{self, TxnCoordinator};

/// The leader epoch of every partition: there is one replica and it never changes leader.
pub const LEADER_EPOCH: i32 = 0;

/// One partition of a topic.
#[derive(Debug)]
pub struct Partition {
    pub index: i32,
    pub log: Mutex<PartitionLog>,
}

/// A topic: its id, partitions and config overrides.
#[derive(Debug)]
pub struct Topic {
    pub name: String,
    pub id: Uuid,
    partitions: RwLock<Vec<Arc<Partition>>>,
    configs: RwLock<BTreeMap<String, String>>,
    /// The log settings its partitions' segment files follow.
    pub log_settings: Arc<LogSettings>,
    storage: Option<Arc<Storage>>,
}

impl Topic {
    fn new(
        name: String,
        partitions: i32,
        configs: BTreeMap<String, String>,
        storage: Option<Arc<Storage>>,
    ) -> Self {
        let topic = Topic {
            name,
            id: Uuid::new_v4(),
            partitions: RwLock::new(Vec::new()),
            configs: RwLock::new(configs),
            log_settings: Arc::default(),
            storage,
        };
        topic.add_partitions(partitions);
        topic
    }

    /// The topic as the storage records it.
    fn meta(&self) -> TopicMeta {
        TopicMeta {
            name: self.name.clone(),
            id: self.id,
            partitions: self.partition_count(),
            configs: self.configs(),
        }
    }

    /// Records a change of the topic in the storage, if there is one.
    fn record(&self) {
        if let Some(storage) = &self.storage {
            let _ = storage.record_topic(TopicRecord::Topic(self.meta()));
        }
    }

    /// Number of partitions.
    pub fn partition_count(&self) -> i32 {
        self.partitions.read().len() as i32
    }

    /// The partition with this index, if it exists.
    pub fn partition(&self, index: i32) -> Option<Arc<Partition>> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.partitions.read().get(i).cloned())
    }

    /// All partitions, in index order.
    pub fn partitions(&self) -> Vec<Arc<Partition>> {
        self.partitions.read().clone()
    }

    /// Adds partitions until there are `count`.
    pub fn grow_to(&self, count: i32) {
        if self.add_partitions(count) {
            self.record();
        }
    }

    /// Adds partitions until there are `count`; returns whether any were added.
    fn add_partitions(&self, count: i32) -> bool {
        let mut partitions = self.partitions.write();
        let before = partitions.len();
        while (partitions.len() as i32) < count {
            let index = partitions.len() as i32;
            let log = match &self.storage {
                Some(storage) => PartitionLog::on_disk(
                    storage.new_log(&self.name, self.id, index, self.log_settings.clone()),
                    0,
                    0,
                    &txn::Decided::new(),
                    txn::now_ms(),
                ),
                None => PartitionLog::default(),
            };
            partitions.push(Arc::new(Partition {
                index,
                log: Mutex::new(log),
            }));
        }
        partitions.len() > before
    }

    /// The topic's config overrides.
    pub fn configs(&self) -> BTreeMap<String, String> {
        self.configs.read().clone()
    }

    /// Replaces the topic's config overrides.
    pub fn set_configs(&self, configs: BTreeMap<String, String>) {
        *self.configs.write() = configs;
        self.record();
        if let Some(storage) = &self.storage {
            storage.settings_changed.notify_one();
        }
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct State {
    pub config: BrokerConfig,
    /// Host and port written into Metadata and FindCoordinator.
    pub advertised_host: String,
    pub advertised_port: i32,
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    /// Broker config changes made with AlterConfigs / IncrementalAlterConfigs.
    pub dynamic_configs: RwLock<BTreeMap<String, String>>,
    /// Cluster-wide broker config defaults set through the broker resource named "".
    pub dynamic_default_configs: RwLock<BTreeMap<String, String>>,
    /// The broker's static configs: its properties and the options it was started with.
    pub static_configs: BTreeMap<String, String>,
    /// Signalled whenever records are appended anywhere.
    pub appended: Notify,
    pub groups: GroupCoordinator,
    pub txns: TxnCoordinator,
    /// The log directory, when the broker keeps its logs on disk.
    pub storage: Option<Arc<Storage>>,
}

/// The cluster-wide defaults a freshly formatted Kafka 4 cluster starts with: with eligible
/// leader replicas on (the default since 4.1), formatting records `min.insync.replicas` as a
/// cluster-level dynamic config, so DescribeConfigs reports it from that source.
fn bootstrap_cluster_defaults(min_insync_replicas: &str) -> BTreeMap<String, String> {
    [(
        "min.insync.replicas".to_string(),
        min_insync_replicas.to_string(),
    )]
    .into()
}

fn config_min_isr(static_configs: &BTreeMap<String, String>) -> String {
    static_configs
        .get("min.insync.replicas")
        .cloned()
        .unwrap_or_else(|| "1".to_string())
}

impl State {
    pub fn new(config: BrokerConfig, advertised_host: String, advertised_port: i32) -> Self {
        let groups = GroupCoordinator::new(&config);
        let txns = TxnCoordinator::new(config.transaction_max_timeout_ms);
        let static_configs =
            broker_config::static_configs(&config, &advertised_host, advertised_port);
        State {
            config,
            advertised_host,
            advertised_port,
            topics: RwLock::new(BTreeMap::new()),
            dynamic_configs: RwLock::new(BTreeMap::new()),
            dynamic_default_configs: RwLock::new(bootstrap_cluster_defaults(&config_min_isr(
                &static_configs,
            ))),
            static_configs,
            appended: Notify::new(),
            groups,
            txns,
            storage: None,
        }
    }

    /// A state whose topics, records and committed offsets live in `storage`: restores what
    /// it holds, recovering partition logs as needed.
    pub fn with_storage(
        config: BrokerConfig,
        advertised_host: String,
        advertised_port: i32,
        storage: Arc<Storage>,
    ) -> Result<Self, StorageError> {
        let mut state = State::new(config, advertised_host, advertised_port);
        let metas = storage.topics();
        storage.sweep(&metas)?;
        let decided = state.txns.restore(storage.clone(), txn::now_ms());
        let mut topics = BTreeMap::new();
        for meta in metas {
            let topic = Topic {
                name: meta.name.clone(),
                id: meta.id,
                partitions: RwLock::new(Vec::new()),
                configs: RwLock::new(meta.configs.clone()),
                log_settings: Arc::default(),
                storage: Some(storage.clone()),
            };
            state.refresh_log_settings(&topic);
            let mut partitions = Vec::new();
            for index in 0..meta.partitions {
                let (disk, opened) =
                    storage.open_log(&meta.name, meta.id, index, topic.log_settings.clone())?;
                partitions.push(Arc::new(Partition {
                    index,
                    log: Mutex::new(PartitionLog::on_disk(
                        disk,
                        opened.log_start,
                        opened.next_offset,
                        &decided,
                        txn::now_ms(),
                    )),
                }));
            }
            for partition in &partitions {
                if let Some(last) = partition
                    .log
                    .lock()
                    .producers()
                    .entries()
                    .map(|(id, _)| id)
                    .max()
                {
                    state.txns.skip_producer_ids_through(last);
                }
            }
            *topic.partitions.write() = partitions;
            topics.insert(meta.name, Arc::new(topic));
        }
        state.topics = RwLock::new(topics);
        state
            .groups
            .restore(storage.group_offsets(), storage.clone());
        state.storage = Some(storage);
        Ok(state)
    }

    /// Re-reads a topic's log settings from its configs and the broker's.
    pub fn refresh_log_settings(&self, topic: &Topic) {
        topic
            .log_settings
            .update(|name| self.topic_config(topic, name));
    }

    /// The topic called `name`, if it exists.
    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.topics.read().get(name).cloned()
    }

    /// The topic with this id, if it exists.
    pub fn topic_by_id(&self, id: Uuid) -> Option<Arc<Topic>> {
        self.topics.read().values().find(|t| t.id == id).cloned()
    }

    /// Every topic, sorted by name.
    pub fn topics(&self) -> Vec<Arc<Topic>> {
        self.topics.read().values().cloned().collect()
    }

    /// Creates a topic after checking its name, partition count and configs the way Kafka does.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        configs: BTreeMap<String, String>,
    ) -> Result<Arc<Topic>, (ResponseError, String)> {
        self.check_new_topic(name, partitions, &configs)?;
        let mut topics = self.topics.write();
        if topics.contains_key(name) {
            return Err((
                ResponseError::TopicAlreadyExists,
                format!("Topic '{name}' already exists."),
            ));
        }
        let topic = Arc::new(Topic::new(
            name.to_string(),
            partitions,
            configs,
            self.storage.clone(),
        ));
        self.refresh_log_settings(&topic);
        if let Some(storage) = &self.storage {
            storage
                .record_topic(TopicRecord::Topic(topic.meta()))
                .map_err(|e| (e.response_error(), e.to_string()))?;
        }
        topics.insert(name.to_string(), topic.clone());
        Ok(topic)
    }

    /// Validates a topic creation without performing it (CreateTopics with validateOnly).
    pub fn check_new_topic(
        &self,
        name: &str,
        partitions: i32,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), (ResponseError, String)> {
        validate_topic_name(name)?;
        if self.topics.read().contains_key(name) {
            return Err((
                ResponseError::TopicAlreadyExists,
                format!("Topic '{name}' already exists."),
            ));
        }
        if partitions <= 0 {
            return Err((
                ResponseError::InvalidPartitions,
                "Number of partitions must be larger than 0.".to_string(),
            ));
        }
        topic_config::validate_all(configs).map_err(|m| (ResponseError::InvalidConfig, m))
    }

    /// Creates `name` with the broker's default partition count if auto-creation is on and the
    /// topic does not exist; returns the topic either way when it exists afterwards.
    pub fn auto_create(&self, name: &str) -> Option<Arc<Topic>> {
        if let Some(topic) = self.topic(name) {
            return Some(topic);
        }
        if !self.config.auto_create_topics {
            return None;
        }
        match self.create_topic(name, self.config.num_partitions, BTreeMap::new()) {
            Ok(topic) => Some(topic),
            Err(_) => self.topic(name),
        }
    }

    /// Deletes a topic and the group offsets committed for it, returning it if it existed.
    pub fn delete_topic(&self, name: &str) -> Option<Arc<Topic>> {
        let deleted = self.topics.write().remove(name);
        if let Some(topic) = &deleted {
            if let Some(storage) = &self.storage {
                let _ = storage.record_topic(TopicRecord::Removed {
                    name: name.to_string(),
                });
                storage.remove_topic_dirs(name, topic.partition_count());
            }
            self.groups.forget_topic(name);
        }
        deleted
    }

    /// The effective value of a topic config for `topic`.
    pub fn topic_config(&self, topic: &Topic, name: &str) -> Option<String> {
        self.with_config_layers(|layers| {
            topic_config::effective(name, &topic.configs.read(), layers)
        })
    }

    /// Runs `f` with the broker's config layers (dynamic, dynamic default, static).
    pub fn with_config_layers<R>(&self, f: impl FnOnce(&Layers<'_>) -> R) -> R {
        let dynamic = self.dynamic_configs.read();
        let dynamic_default = self.dynamic_default_configs.read();
        f(&Layers {
            dynamic: &dynamic,
            dynamic_default: &dynamic_default,
            statics: &self.static_configs,
        })
    }
}

/// Kafka's topic name rules: 1-249 characters of `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub fn validate_topic_name(name: &str) -> Result<(), (ResponseError, String)> {
    let reason = if name.is_empty() {
        "the empty string is not allowed".to_string()
    } else if name == "." || name == ".." {
        format!("'{name}' is not allowed")
    } else if name.len() > 249 {
        format!("'{name}' is longer than the max allowed length 249")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        format!("'{name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'")
    } else {
        return Ok(());
    };
    Err((
        ResponseError::InvalidTopicException,
        format!("Topic name is invalid: {reason}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State::new(BrokerConfig::default(), "127.0.0.1".into(), 9092)
    }

    #[test]
    fn creates_and_refuses_topics_like_kafka() {
        let state = state();
        let topic = state.create_topic("orders", 3, BTreeMap::new()).unwrap();
        assert_eq!(topic.partition_count(), 3);
        assert_eq!(
            state
                .create_topic("orders", 1, BTreeMap::new())
                .unwrap_err()
                .0,
            ResponseError::TopicAlreadyExists
        );
        assert_eq!(
            state
                .create_topic("bad name", 1, BTreeMap::new())
                .unwrap_err()
                .0,
            ResponseError::InvalidTopicException
        );
        assert_eq!(
            state
                .create_topic("zero", 0, BTreeMap::new())
                .unwrap_err()
                .0,
            ResponseError::InvalidPartitions
        );
        let unknown = [("no.such".to_string(), "1".to_string())].into();
        assert_eq!(
            state.create_topic("cfg", 1, unknown).unwrap_err().0,
            ResponseError::InvalidConfig
        );
    }

    #[test]
    fn auto_creation_follows_the_setting() {
        let state = state();
        assert!(state.auto_create("fresh").is_some());
        let config = BrokerConfig {
            auto_create_topics: false,
            ..BrokerConfig::default()
        };
        let strict = State::new(config, "127.0.0.1".into(), 9092);
        assert!(strict.auto_create("fresh").is_none());
    }
}
