//! Topic-level configs: the names Kafka 4.0 knows, their types, defaults, validators and
//! documentation, the broker property that supplies each default (`retention.ms` <-
//! `log.retention.ms`), and how DescribeConfigs and CreateTopics report a topic's configs.

use std::collections::BTreeMap;

use crate::broker_config::{ConfigSource, ConfigType, Layers, Synonym};

/// The checks Kafka applies to a topic config's value beyond its type.
#[derive(Debug, Clone, Copy)]
pub enum Validator {
    Any,
    AtLeast(i64),
    Between(i64, i64),
    OneOf(&'static [&'static str]),
    /// A comma-separated list whose items must come from the set.
    ListOf(&'static [&'static str]),
    /// 1 to 9, or -1 for the codec's default.
    GzipLevel,
}

/// One topic config Kafka knows.
#[derive(Debug)]
pub struct TopicConfigDef {
    pub name: &'static str,
    pub kind: ConfigType,
    pub default: &'static str,
    /// The broker property whose value, when set, replaces `default`.
    pub broker_property: Option<&'static str>,
    pub validator: Validator,
    pub doc: &'static str,
}

const LONG_MAX: &str = "9223372036854775807";

/// Every topic config, sorted by name, as Apache Kafka 4.0 lists them.
pub static TOPIC_CONFIGS: &[TopicConfigDef] = &[
    TopicConfigDef {
        name: "cleanup.policy",
        kind: ConfigType::List,
        default: "delete",
        broker_property: Some("log.cleanup.policy"),
        validator: Validator::ListOf(&["compact", "delete"]),
        doc: "This config designates the retention policy to use on log segments. The \"delete\" policy (which is the default) will discard old segments when their retention time or size limit has been reached. The \"compact\" policy will enable <a href=\"#compaction\">log compaction</a>, which retains the latest value for each key. It is also possible to specify both policies in a comma-separated list (e.g. \"delete,compact\"). In this case, old segments will be discarded per the retention time and size configuration, while retained segments will be compacted.",
    },
    TopicConfigDef {
        name: "compression.gzip.level",
        kind: ConfigType::Int,
        default: "-1",
        broker_property: Some("compression.gzip.level"),
        validator: Validator::GzipLevel,
        doc: "The compression level to use if compression.type is set to <code>gzip</code>.",
    },
    TopicConfigDef {
        name: "compression.lz4.level",
        kind: ConfigType::Int,
        default: "9",
        broker_property: Some("compression.lz4.level"),
        validator: Validator::Between(1, 17),
        doc: "The compression level to use if compression.type is set to <code>lz4</code>.",
    },
    TopicConfigDef {
        name: "compression.type",
        kind: ConfigType::String,
        default: "producer",
        broker_property: Some("compression.type"),
        validator: Validator::OneOf(&["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
        doc: "Specify the final compression type for a given topic. This configuration accepts the standard compression codecs ('gzip', 'snappy', 'lz4', 'zstd'). It additionally accepts 'uncompressed' which is equivalent to no compression; and 'producer' which means retain the original compression codec set by the producer.",
    },
    TopicConfigDef {
        name: "compression.zstd.level",
        kind: ConfigType::Int,
        default: "3",
        broker_property: Some("compression.zstd.level"),
        validator: Validator::Between(-131072, 22),
        doc: "The compression level to use if compression.type is set to <code>zstd</code>.",
    },
    TopicConfigDef {
        name: "delete.retention.ms",
        kind: ConfigType::Long,
        default: "86400000",
        broker_property: Some("log.cleaner.delete.retention.ms"),
        validator: Validator::AtLeast(0),
        doc: "The amount of time to retain delete tombstone markers for <a href=\"#compaction\">log compacted</a> topics. This setting also gives a bound on the time in which a consumer must complete a read if they begin from offset 0 to ensure that they get a valid snapshot of the final stage (otherwise delete tombstones may be collected before they complete their scan).",
    },
    TopicConfigDef {
        name: "file.delete.delay.ms",
        kind: ConfigType::Long,
        default: "60000",
        broker_property: Some("log.segment.delete.delay.ms"),
        validator: Validator::AtLeast(0),
        doc: "The time to wait before deleting a file from the filesystem",
    },
    TopicConfigDef {
        name: "flush.messages",
        kind: ConfigType::Long,
        default: LONG_MAX,
        broker_property: Some("log.flush.interval.messages"),
        validator: Validator::AtLeast(1),
        doc: "This setting allows specifying an interval at which we will force an fsync of data written to the log. For example if this was set to 1 we would fsync after every message; if it were 5 we would fsync after every five messages. In general we recommend you not set this and use replication for durability and allow the operating system's background flush capabilities as it is more efficient. This setting can be overridden on a per-topic basis (see <a href=\"#topicconfigs\">the per-topic configuration section</a>).",
    },
    TopicConfigDef {
        name: "flush.ms",
        kind: ConfigType::Long,
        default: LONG_MAX,
        broker_property: Some("log.flush.interval.ms"),
        validator: Validator::AtLeast(0),
        doc: "This setting allows specifying a time interval at which we will force an fsync of data written to the log. For example if this was set to 1000 we would fsync after 1000 ms had passed. In general we recommend you not set this and use replication for durability and allow the operating system's background flush capabilities as it is more efficient.",
    },
    TopicConfigDef {
        name: "follower.replication.throttled.replicas",
        kind: ConfigType::List,
        default: "",
        broker_property: None,
        validator: Validator::Any,
        doc: "A list of replicas for which log replication should be throttled on the follower side. The list should describe a set of replicas in the form [PartitionId]:[BrokerId],[PartitionId]:[BrokerId]:... or alternatively the wildcard '*' can be used to throttle all replicas for this topic.",
    },
    TopicConfigDef {
        name: "index.interval.bytes",
        kind: ConfigType::Int,
        default: "4096",
        broker_property: Some("log.index.interval.bytes"),
        validator: Validator::AtLeast(0),
        doc: "This setting controls how frequently Kafka adds an index entry to its offset index. The default setting ensures that we index a message roughly every 4096 bytes. More indexing allows reads to jump closer to the exact position in the log but makes the index larger. You probably don't need to change this.",
    },
    TopicConfigDef {
        name: "leader.replication.throttled.replicas",
        kind: ConfigType::List,
        default: "",
        broker_property: None,
        validator: Validator::Any,
        doc: "A list of replicas for which log replication should be throttled on the leader side. The list should describe a set of replicas in the form [PartitionId]:[BrokerId],[PartitionId]:[BrokerId]:... or alternatively the wildcard '*' can be used to throttle all replicas for this topic.",
    },
    TopicConfigDef {
        name: "local.retention.bytes",
        kind: ConfigType::Long,
        default: "-2",
        broker_property: Some("log.local.retention.bytes"),
        validator: Validator::AtLeast(-2),
        doc: "The maximum size of local log segments that can grow for a partition before it deletes the old segments. Default value is -2, it represents `retention.bytes` value to be used. The effective value should always be less than or equal to `retention.bytes` value.",
    },
    TopicConfigDef {
        name: "local.retention.ms",
        kind: ConfigType::Long,
        default: "-2",
        broker_property: Some("log.local.retention.ms"),
        validator: Validator::AtLeast(-2),
        doc: "The number of milliseconds to keep the local log segment before it gets deleted. Default value is -2, it represents `retention.ms` value is to be used. The effective value should always be less than or equal to `retention.ms` value.",
    },
    TopicConfigDef {
        name: "max.compaction.lag.ms",
        kind: ConfigType::Long,
        default: LONG_MAX,
        broker_property: Some("log.cleaner.max.compaction.lag.ms"),
        validator: Validator::AtLeast(1),
        doc: "The maximum time a message will remain ineligible for compaction in the log. Only applicable for logs that are being compacted.",
    },
    TopicConfigDef {
        name: "max.message.bytes",
        kind: ConfigType::Int,
        default: "1048588",
        broker_property: Some("message.max.bytes"),
        validator: Validator::AtLeast(0),
        doc: "The largest record batch size allowed by Kafka (after compression if compression is enabled). If this is increased and there are consumers older than 0.10.2, the consumers' fetch size must also be increased so that they can fetch record batches this large. In the latest message format version, records are always grouped into batches for efficiency. In previous message format versions, uncompressed records are not grouped into batches and this limit only applies to a single record in that case.",
    },
    TopicConfigDef {
        name: "message.timestamp.after.max.ms",
        kind: ConfigType::Long,
        default: "3600000",
        broker_property: Some("log.message.timestamp.after.max.ms"),
        validator: Validator::AtLeast(0),
        doc: "This configuration sets the allowable timestamp difference between the message timestamp and the broker's timestamp. The message timestamp can be later than or equal to the broker's timestamp, with the maximum allowable difference determined by the value set in this configuration. If message.timestamp.type=CreateTime, the message will be rejected if the difference in timestamps exceeds this specified threshold. This configuration is ignored if message.timestamp.type=LogAppendTime.",
    },
    TopicConfigDef {
        name: "message.timestamp.before.max.ms",
        kind: ConfigType::Long,
        default: LONG_MAX,
        broker_property: Some("log.message.timestamp.before.max.ms"),
        validator: Validator::AtLeast(0),
        doc: "This configuration sets the allowable timestamp difference between the broker's timestamp and the message timestamp. The message timestamp can be earlier than or equal to the broker's timestamp, with the maximum allowable difference determined by the value set in this configuration. If message.timestamp.type=CreateTime, the message will be rejected if the difference in timestamps exceeds this specified threshold. This configuration is ignored if message.timestamp.type=LogAppendTime.",
    },
    TopicConfigDef {
        name: "message.timestamp.type",
        kind: ConfigType::String,
        default: "CreateTime",
        broker_property: Some("log.message.timestamp.type"),
        validator: Validator::OneOf(&["CreateTime", "LogAppendTime"]),
        doc: "Define whether the timestamp in the message is message create time or log append time.",
    },
    TopicConfigDef {
        name: "min.cleanable.dirty.ratio",
        kind: ConfigType::Double,
        default: "0.5",
        broker_property: Some("log.cleaner.min.cleanable.ratio"),
        validator: Validator::Between(0, 1),
        doc: "This configuration controls how frequently the log compactor will attempt to clean the log (assuming <a href=\"#compaction\">log compaction</a> is enabled). By default we will avoid cleaning a log where more than 50% of the log has been compacted. This ratio bounds the maximum space wasted in the log by duplicates (at 50% at most 50% of the log could be duplicates). A higher ratio will mean fewer, more efficient cleanings but will mean more wasted space in the log. If the max.compaction.lag.ms or the min.compaction.lag.ms configurations are also specified, then the log compactor considers the log to be eligible for compaction as soon as either: (i) the dirty ratio threshold has been met and the log has had dirty (uncompacted) records for at least the min.compaction.lag.ms duration, or (ii) if the log has had dirty (uncompacted) records for at most the max.compaction.lag.ms period.",
    },
    TopicConfigDef {
        name: "min.compaction.lag.ms",
        kind: ConfigType::Long,
        default: "0",
        broker_property: Some("log.cleaner.min.compaction.lag.ms"),
        validator: Validator::AtLeast(0),
        doc: "The minimum time a message will remain uncompacted in the log. Only applicable for logs that are being compacted.",
    },
    TopicConfigDef {
        name: "min.insync.replicas",
        kind: ConfigType::Int,
        default: "1",
        broker_property: Some("min.insync.replicas"),
        validator: Validator::AtLeast(1),
        doc: "When a producer sets acks to \"all\" (or \"-1\"), this configuration specifies the minimum number of replicas that must acknowledge a write for the write to be considered successful. If this minimum cannot be met, then the producer will raise an exception (either <code>NotEnoughReplicas</code> or <code>NotEnoughReplicasAfterAppend</code>).<br> Regardless of the <code>acks</code> setting, the messages will not be visible to the consumers until they are replicated to all in-sync replicas and the <code>min.insync.replicas</code> condition is met.<br> When used together, <code>min.insync.replicas</code> and <code>acks</code> allow you to enforce greater durability guarantees. A typical scenario would be to create a topic with a replication factor of 3, set <code>min.insync.replicas</code> to 2, and produce with <code>acks</code> of \"all\". This will ensure that a majority of replicas must persist a write before it's considered successful by the producer and it's visible to consumers.",
    },
    TopicConfigDef {
        name: "preallocate",
        kind: ConfigType::Boolean,
        default: "false",
        broker_property: Some("log.preallocate"),
        validator: Validator::Any,
        doc: "True if we should preallocate the file on disk when creating a new log segment.",
    },
    TopicConfigDef {
        name: "remote.log.copy.disable",
        kind: ConfigType::Boolean,
        default: "false",
        broker_property: None,
        validator: Validator::Any,
        doc: "Determines whether tiered data for a topic should become read only, and no more data uploading on a topic. Once this config is set to true, the local retention configuration (i.e. local.retention.ms/bytes) becomes irrelevant, and all data expiration follows the topic-wide retention configuration(i.e. retention.ms/bytes).",
    },
    TopicConfigDef {
        name: "remote.log.delete.on.disable",
        kind: ConfigType::Boolean,
        default: "false",
        broker_property: None,
        validator: Validator::Any,
        doc: "Determines whether tiered data for a topic should be deleted after tiered storage is disabled on a topic. This configuration should be enabled when trying to set `remote.storage.enable` from true to false",
    },
    TopicConfigDef {
        name: "remote.storage.enable",
        kind: ConfigType::Boolean,
        default: "false",
        broker_property: None,
        validator: Validator::Any,
        doc: "To enable tiered storage for a topic, set this configuration as true. You can not disable this config once it is enabled. It will be provided in future versions.",
    },
    TopicConfigDef {
        name: "retention.bytes",
        kind: ConfigType::Long,
        default: "-1",
        broker_property: Some("log.retention.bytes"),
        validator: Validator::Any,
        doc: "This configuration controls the maximum size a partition (which consists of log segments) can grow to before we will discard old log segments to free up space if we are using the \"delete\" retention policy. By default there is no size limit only a time limit. Since this limit is enforced at the partition level, multiply it by the number of partitions to compute the topic retention in bytes. Additionally, retention.bytes configuration operates independently of \"segment.ms\" and \"segment.bytes\" configurations. Moreover, it triggers the rolling of new segment if the retention.bytes is configured to zero.",
    },
    TopicConfigDef {
        name: "retention.ms",
        kind: ConfigType::Long,
        default: "604800000",
        broker_property: Some("log.retention.ms"),
        validator: Validator::AtLeast(-1),
        doc: "This configuration controls the maximum time we will retain a log before we will discard old log segments to free up space if we are using the \"delete\" retention policy. This represents an SLA on how soon consumers must read their data. If set to -1, no time limit is applied. Additionally, retention.ms configuration operates independently of \"segment.ms\" and \"segment.bytes\" configurations. Moreover, it triggers the rolling of new segment if the retention.ms condition is satisfied.",
    },
    TopicConfigDef {
        name: "segment.bytes",
        kind: ConfigType::Int,
        default: "1073741824",
        broker_property: Some("log.segment.bytes"),
        validator: Validator::AtLeast(14),
        doc: "This configuration controls the segment file size for the log. Retention and cleaning is always done a file at a time so a larger segment size means fewer files but less granular control over retention.",
    },
    TopicConfigDef {
        name: "segment.index.bytes",
        kind: ConfigType::Int,
        default: "10485760",
        broker_property: Some("log.index.size.max.bytes"),
        validator: Validator::AtLeast(4),
        doc: "This configuration controls the size of the index that maps offsets to file positions. We preallocate this index file and shrink it only after log rolls. You generally should not need to change this setting.",
    },
    TopicConfigDef {
        name: "segment.jitter.ms",
        kind: ConfigType::Long,
        default: "0",
        broker_property: Some("log.roll.jitter.ms"),
        validator: Validator::AtLeast(0),
        doc: "The maximum random jitter subtracted from the scheduled segment roll time to avoid thundering herds of segment rolling",
    },
    TopicConfigDef {
        name: "segment.ms",
        kind: ConfigType::Long,
        default: "604800000",
        broker_property: Some("log.roll.ms"),
        validator: Validator::AtLeast(1),
        doc: "This configuration controls the period of time after which Kafka will force the log to roll even if the segment file isn't full to ensure that retention can delete or compact old data.",
    },
    TopicConfigDef {
        name: "unclean.leader.election.enable",
        kind: ConfigType::Boolean,
        default: "false",
        broker_property: Some("unclean.leader.election.enable"),
        validator: Validator::Any,
        doc: "Indicates whether to enable replicas not in the ISR set to be elected as leader as a last resort, even though doing so may result in data loss.<p>Note: In KRaft mode, when enabling this config dynamically, it needs to wait for the unclean leader electionthread to trigger election periodically (default is 5 minutes). Please run `kafka-leader-election.sh` with `unclean` option to trigger the unclean leader election immediately if needed.</p>",
    },
];

/// The definition of a topic config, if Kafka has one by that name.
pub fn lookup(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

fn invalid(def: &TopicConfigDef, value: &str, reason: impl std::fmt::Display) -> String {
    format!(
        "Invalid value {value} for configuration {}: {reason}",
        def.name
    )
}

/// Checks a value against its config's type and validator; `Err` holds Kafka's message.
pub fn validate(def: &TopicConfigDef, value: &str) -> Result<(), String> {
    let trimmed = value.trim();
    let number = match def.kind {
        ConfigType::Boolean => {
            if !trimmed.eq_ignore_ascii_case("true") && !trimmed.eq_ignore_ascii_case("false") {
                return Err(invalid(
                    def,
                    value,
                    "Expected value to be either true or false",
                ));
            }
            None
        }
        ConfigType::Int => Some(
            trimmed
                .parse::<i32>()
                .map(f64::from)
                .map_err(|_| invalid(def, value, "Not a number of type INT"))?,
        ),
        ConfigType::Long => Some(
            trimmed
                .parse::<i64>()
                .map(|n| n as f64)
                .map_err(|_| invalid(def, value, "Not a number of type LONG"))?,
        ),
        ConfigType::Double => Some(
            trimmed
                .parse::<f64>()
                .map_err(|_| invalid(def, value, "Not a number of type DOUBLE"))?,
        ),
        _ => None,
    };
    match (def.validator, number) {
        (Validator::AtLeast(min), Some(n)) if n < min as f64 => {
            Err(invalid(def, value, format!("Value must be at least {min}")))
        }
        (Validator::Between(min, _), Some(n)) if n < min as f64 => {
            Err(invalid(def, value, format!("Value must be at least {min}")))
        }
        (Validator::Between(_, max), Some(n)) if n > max as f64 => Err(invalid(
            def,
            value,
            format!("Value must be no more than {max}"),
        )),
        (Validator::GzipLevel, Some(n)) if n != -1.0 && !(1.0..=9.0).contains(&n) => Err(invalid(
            def,
            value,
            "Value must be between 1 and 9 or equal to -1",
        )),
        (Validator::OneOf(choices), _) if !choices.contains(&trimmed) => Err(invalid(
            def,
            value,
            format!("String must be one of: {}", choices.join(", ")),
        )),
        (Validator::ListOf(choices), _) => {
            match split_list(value)
                .into_iter()
                .find(|item| !choices.contains(item))
            {
                Some(_) => Err(invalid(
                    def,
                    value,
                    format!("String must be one of: {}", choices.join(", ")),
                )),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// Checks a whole set of topic configs the way Kafka's `LogConfig.validate` does: unknown
/// names first, then each value.
pub fn validate_all(configs: &BTreeMap<String, String>) -> Result<(), String> {
    if let Some(unknown) = configs.keys().find(|name| lookup(name).is_none()) {
        return Err(format!("Unknown topic config name: {unknown}"));
    }
    for (name, value) in configs {
        let def = lookup(name).expect("names checked above");
        validate(def, value)?;
    }
    Ok(())
}

fn split_list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

/// A valid value in the form Kafka reports it (`TRUE` -> `true`, ` 5` -> `5`,
/// `delete, compact` -> `delete,compact`).
pub fn canonical(def: &TopicConfigDef, value: &str) -> String {
    let trimmed = value.trim();
    match def.kind {
        ConfigType::Boolean => trimmed.to_ascii_lowercase(),
        ConfigType::Int | ConfigType::Long => trimmed
            .parse::<i64>()
            .map_or_else(|_| trimmed.to_string(), |n| n.to_string()),
        ConfigType::Double => match trimmed.parse::<f64>() {
            Ok(n) if n.fract() == 0.0 && n.is_finite() => format!("{n:.1}"),
            Ok(n) => n.to_string(),
            Err(_) => trimmed.to_string(),
        },
        ConfigType::List => split_list(value).join(","),
        _ => trimmed.to_string(),
    }
}

/// Validates `configs` and returns them in canonical form.
pub fn checked(configs: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    validate_all(&configs)?;
    Ok(configs
        .into_iter()
        .map(|(name, value)| {
            let def = lookup(&name).expect("validated");
            (name, canonical(def, &value))
        })
        .collect())
}

/// A topic config as DescribeConfigs and CreateTopics report it.
#[derive(Debug, Clone)]
pub struct Described {
    pub def: &'static TopicConfigDef,
    pub value: String,
    pub source: ConfigSource,
    pub synonyms: Vec<Synonym>,
}

/// One topic config of a topic with `overrides`, on a broker whose configs are `layers`.
pub fn describe(
    def: &'static TopicConfigDef,
    overrides: &BTreeMap<String, String>,
    layers: &Layers<'_>,
) -> Described {
    let mut synonyms = Vec::new();
    if let Some(value) = overrides.get(def.name) {
        synonyms.push(Synonym {
            name: def.name.to_string(),
            value: value.clone(),
            source: ConfigSource::TopicConfig,
        });
    }
    if let Some(property) = def.broker_property {
        synonyms.extend(layers.synonyms(property));
    }
    let source = synonyms
        .first()
        .map_or(ConfigSource::DefaultConfig, |s| s.source);
    let value = effective(def.name, overrides, layers).unwrap_or_default();
    Described {
        def,
        value,
        source,
        synonyms,
    }
}

/// Every topic config of a topic with `overrides`, sorted by name.
pub fn describe_all(overrides: &BTreeMap<String, String>, layers: &Layers<'_>) -> Vec<Described> {
    TOPIC_CONFIGS
        .iter()
        .map(|def| describe(def, overrides, layers))
        .collect()
}

/// The effective value of `name` for a topic with `overrides` on a broker with `layers`.
pub fn effective(
    name: &str,
    overrides: &BTreeMap<String, String>,
    layers: &Layers<'_>,
) -> Option<String> {
    if let Some(value) = overrides.get(name) {
        return Some(value.clone());
    }
    let def = lookup(name)?;
    let from_broker = def.broker_property.and_then(|p| layers.effective(p));
    Some(from_broker.unwrap_or_else(|| def.default.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_layers<R>(statics: &[(&str, &str)], f: impl FnOnce(&Layers<'_>) -> R) -> R {
        let statics: BTreeMap<String, String> = statics
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let empty = BTreeMap::new();
        f(&Layers {
            dynamic: &empty,
            dynamic_default: &empty,
            statics: &statics,
        })
    }

    #[test]
    fn table_is_sorted_and_complete() {
        let names: Vec<_> = TOPIC_CONFIGS.iter().map(|d| d.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(TOPIC_CONFIGS.len(), 33);
        assert!(TOPIC_CONFIGS.iter().all(|d| !d.doc.is_empty()));
        assert!(lookup("no.such.config").is_none());
    }

    #[test]
    fn defaults_come_from_broker_properties() {
        let none = BTreeMap::new();
        with_layers(&[], |l| {
            assert_eq!(effective("retention.ms", &none, l).unwrap(), "604800000")
        });
        with_layers(&[("log.retention.hours", "1")], |l| {
            assert_eq!(effective("retention.ms", &none, l).unwrap(), "3600000")
        });
        let overrides = [("retention.ms".to_string(), "5".to_string())].into();
        with_layers(&[], |l| {
            assert_eq!(effective("retention.ms", &overrides, l).unwrap(), "5")
        });
    }

    #[test]
    fn validation_messages_match_kafka() {
        let check = |name: &str, value: &str| validate(lookup(name).unwrap(), value);
        assert!(check("retention.ms", "12").is_ok());
        assert_eq!(
            check("retention.ms", "x").unwrap_err(),
            "Invalid value x for configuration retention.ms: Not a number of type LONG"
        );
        assert_eq!(
            check("max.message.bytes", "99999999999").unwrap_err(),
            "Invalid value 99999999999 for configuration max.message.bytes: Not a number of type INT"
        );
        assert_eq!(
            check("preallocate", "yes").unwrap_err(),
            "Invalid value yes for configuration preallocate: Expected value to be either true or false"
        );
        assert_eq!(
            check("cleanup.policy", "shred").unwrap_err(),
            "Invalid value shred for configuration cleanup.policy: String must be one of: compact, delete"
        );
        assert!(check("cleanup.policy", "compact, delete").is_ok());
        assert_eq!(
            check("segment.bytes", "10").unwrap_err(),
            "Invalid value 10 for configuration segment.bytes: Value must be at least 14"
        );
        assert_eq!(
            check("compression.type", "brotli").unwrap_err(),
            "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"
        );
        assert!(check("compression.gzip.level", "-1").is_ok());
        assert!(check("compression.gzip.level", "0").is_err());
        let unknown = [("no.such".to_string(), "1".to_string())].into();
        assert_eq!(
            validate_all(&unknown).unwrap_err(),
            "Unknown topic config name: no.such"
        );
    }

    #[test]
    fn values_are_stored_the_way_kafka_reports_them() {
        let c = |name: &str, value: &str| canonical(lookup(name).unwrap(), value);
        assert_eq!(c("preallocate", "TRUE"), "true");
        assert_eq!(c("retention.ms", " 5"), "5");
        assert_eq!(c("cleanup.policy", "delete, compact"), "delete,compact");
        assert_eq!(c("min.cleanable.dirty.ratio", "1"), "1.0");
    }

    #[test]
    fn describe_reports_sources_and_synonyms_like_kafka() {
        let none = BTreeMap::new();
        with_layers(&[], |l| {
            let max = describe(lookup("max.message.bytes").unwrap(), &none, l);
            assert_eq!(max.source, ConfigSource::DefaultConfig);
            assert_eq!(max.synonyms.len(), 1);
            assert_eq!(max.synonyms[0].name, "message.max.bytes");
            let retention = describe(lookup("retention.ms").unwrap(), &none, l);
            assert!(retention.synonyms.is_empty());
        });
        let overrides = [("max.message.bytes".to_string(), "10".to_string())].into();
        with_layers(&[("message.max.bytes", "20")], |l| {
            let max = describe(lookup("max.message.bytes").unwrap(), &overrides, l);
            assert_eq!(max.value, "10");
            assert_eq!(max.source, ConfigSource::TopicConfig);
            let sources: Vec<_> = max.synonyms.iter().map(|s| s.source).collect();
            assert_eq!(
                sources,
                [
                    ConfigSource::TopicConfig,
                    ConfigSource::StaticBrokerConfig,
                    ConfigSource::DefaultConfig
                ]
            );
        });
    }
}
