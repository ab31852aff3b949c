//! Topic-level configs: the names Kafka knows, their types, their defaults and the broker
//! property that supplies each default (`retention.ms` <- `log.retention.ms`).

use std::collections::BTreeMap;

use crate::config::BrokerConfig;

/// A config value's type, with the code DescribeConfigs v3+ reports for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean = 1,
    String = 2,
    Int = 3,
    Long = 5,
    Double = 6,
    List = 7,
}

/// One topic config Kafka knows.
#[derive(Debug)]
pub struct TopicConfigDef {
    pub name: &'static str,
    pub kind: ConfigType,
    pub default: &'static str,
    /// The broker property whose value, when set, replaces `default`.
    pub broker_property: Option<&'static str>,
    /// Accepted values, for string configs with a fixed set.
    pub allowed: &'static [&'static str],
}

const fn def(
    name: &'static str,
    kind: ConfigType,
    default: &'static str,
    broker_property: Option<&'static str>,
) -> TopicConfigDef {
    TopicConfigDef {
        name,
        kind,
        default,
        broker_property,
        allowed: &[],
    }
}

const LONG_MAX: &str = "9223372036854775807";

/// Every topic config, sorted by name, as Apache Kafka 4 lists them.
pub static TOPIC_CONFIGS: &[TopicConfigDef] = &[
    TopicConfigDef {
        allowed: &["delete", "compact", "compact,delete", "delete,compact"],
        ..def(
            "cleanup.policy",
            ConfigType::List,
            "delete",
            Some("log.cleanup.policy"),
        )
    },
    TopicConfigDef {
        allowed: &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
        ..def(
            "compression.type",
            ConfigType::String,
            "producer",
            Some("compression.type"),
        )
    },
    def(
        "delete.retention.ms",
        ConfigType::Long,
        "86400000",
        Some("log.cleaner.delete.retention.ms"),
    ),
    def(
        "file.delete.delay.ms",
        ConfigType::Long,
        "60000",
        Some("log.segment.delete.delay.ms"),
    ),
    def(
        "flush.messages",
        ConfigType::Long,
        LONG_MAX,
        Some("log.flush.interval.messages"),
    ),
    def(
        "flush.ms",
        ConfigType::Long,
        LONG_MAX,
        Some("log.flush.interval.ms"),
    ),
    def(
        "index.interval.bytes",
        ConfigType::Int,
        "4096",
        Some("log.index.interval.bytes"),
    ),
    def(
        "local.retention.bytes",
        ConfigType::Long,
        "-2",
        Some("log.local.retention.bytes"),
    ),
    def(
        "local.retention.ms",
        ConfigType::Long,
        "-2",
        Some("log.local.retention.ms"),
    ),
    def(
        "max.compaction.lag.ms",
        ConfigType::Long,
        LONG_MAX,
        Some("log.cleaner.max.compaction.lag.ms"),
    ),
    def(
        "max.message.bytes",
        ConfigType::Int,
        "1048588",
        Some("message.max.bytes"),
    ),
    def(
        "message.timestamp.after.max.ms",
        ConfigType::Long,
        "3600000",
        Some("log.message.timestamp.after.max.ms"),
    ),
    def(
        "message.timestamp.before.max.ms",
        ConfigType::Long,
        LONG_MAX,
        Some("log.message.timestamp.before.max.ms"),
    ),
    TopicConfigDef {
        allowed: &["CreateTime", "LogAppendTime"],
        ..def(
            "message.timestamp.type",
            ConfigType::String,
            "CreateTime",
            Some("log.message.timestamp.type"),
        )
    },
    def(
        "min.cleanable.dirty.ratio",
        ConfigType::Double,
        "0.5",
        Some("log.cleaner.min.cleanable.ratio"),
    ),
    def(
        "min.compaction.lag.ms",
        ConfigType::Long,
        "0",
        Some("log.cleaner.min.compaction.lag.ms"),
    ),
    def(
        "min.insync.replicas",
        ConfigType::Int,
        "1",
        Some("min.insync.replicas"),
    ),
    def(
        "preallocate",
        ConfigType::Boolean,
        "false",
        Some("log.preallocate"),
    ),
    def("remote.storage.enable", ConfigType::Boolean, "false", None),
    def(
        "retention.bytes",
        ConfigType::Long,
        "-1",
        Some("log.retention.bytes"),
    ),
    def(
        "retention.ms",
        ConfigType::Long,
        "604800000",
        Some("log.retention.ms"),
    ),
    def(
        "segment.bytes",
        ConfigType::Int,
        "1073741824",
        Some("log.segment.bytes"),
    ),
    def(
        "segment.index.bytes",
        ConfigType::Int,
        "10485760",
        Some("log.index.size.max.bytes"),
    ),
    def(
        "segment.jitter.ms",
        ConfigType::Long,
        "0",
        Some("log.roll.jitter.ms"),
    ),
    def(
        "segment.ms",
        ConfigType::Long,
        "604800000",
        Some("log.roll.ms"),
    ),
    def(
        "unclean.leader.election.enable",
        ConfigType::Boolean,
        "false",
        Some("unclean.leader.election.enable"),
    ),
];

/// The definition of a topic config, if Kafka has one by that name.
pub fn lookup(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

/// Where a topic config's effective value comes from, with DescribeConfigs' source codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    TopicConfig = 1,
    DynamicBrokerConfig = 2,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
}

/// The default of a topic config on this broker, and where it comes from.
pub fn broker_default(def: &TopicConfigDef, broker: &BrokerConfig) -> (String, ConfigSource) {
    let from_broker = def.broker_property.and_then(|p| match p {
        "log.retention.ms" => broker
            .property(p)
            .map(str::to_string)
            .or_else(|| scaled(broker, "log.retention.minutes", 60_000))
            .or_else(|| scaled(broker, "log.retention.hours", 3_600_000)),
        "log.roll.ms" => broker
            .property(p)
            .map(str::to_string)
            .or_else(|| scaled(broker, "log.roll.hours", 3_600_000)),
        _ => broker.property(p).map(str::to_string),
    });
    match from_broker {
        Some(value) => (value, ConfigSource::StaticBrokerConfig),
        None => (def.default.to_string(), ConfigSource::DefaultConfig),
    }
}

fn scaled(broker: &BrokerConfig, key: &str, factor: i64) -> Option<String> {
    let value: i64 = broker.property(key)?.trim().parse().ok()?;
    Some(value.saturating_mul(factor).to_string())
}

/// Checks a value against its config's type and allowed values; `Err` holds Kafka's reason.
pub fn validate(def: &TopicConfigDef, value: &str) -> Result<(), String> {
    let ok = match def.kind {
        ConfigType::Boolean => matches!(value.to_ascii_lowercase().as_str(), "true" | "false"),
        ConfigType::Int => value.trim().parse::<i32>().is_ok(),
        ConfigType::Long => value.trim().parse::<i64>().is_ok(),
        ConfigType::Double => value.trim().parse::<f64>().is_ok(),
        ConfigType::String | ConfigType::List => {
            def.allowed.is_empty() || def.allowed.contains(&value.trim())
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "Invalid value {value} for configuration {}",
            def.name
        ))
    }
}

/// The effective value of `name` for a topic with `overrides` on `broker`.
pub fn effective(
    name: &str,
    overrides: &BTreeMap<String, String>,
    broker: &BrokerConfig,
) -> Option<String> {
    if let Some(value) = overrides.get(name) {
        return Some(value.clone());
    }
    lookup(name).map(|def| broker_default(def, broker).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_complete_enough() {
        let names: Vec<_> = TOPIC_CONFIGS.iter().map(|d| d.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(lookup("retention.ms").is_some());
        assert!(lookup("no.such.config").is_none());
    }

    #[test]
    fn defaults_come_from_broker_properties() {
        let mut broker = BrokerConfig::default();
        assert_eq!(
            effective("retention.ms", &BTreeMap::new(), &broker).unwrap(),
            "604800000"
        );
        broker
            .properties
            .insert("log.retention.hours".into(), "1".into());
        assert_eq!(
            effective("retention.ms", &BTreeMap::new(), &broker).unwrap(),
            "3600000"
        );
        let overrides = [("retention.ms".to_string(), "5".to_string())].into();
        assert_eq!(effective("retention.ms", &overrides, &broker).unwrap(), "5");
    }

    #[test]
    fn validates_types_and_choices() {
        assert!(validate(lookup("retention.ms").unwrap(), "12").is_ok());
        assert!(validate(lookup("retention.ms").unwrap(), "soon").is_err());
        assert!(validate(lookup("cleanup.policy").unwrap(), "compact").is_ok());
        assert!(validate(lookup("cleanup.policy").unwrap(), "shred").is_err());
    }
}
