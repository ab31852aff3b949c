//! Broker-level configs as DescribeConfigs reports them: Kafka 4.0's table of broker configs
//! (type, default, dynamic or not, sensitive or not, documentation; `broker_configs.tsv`), and
//! the layers a value comes from: dynamic per-broker, dynamic cluster default, static, default.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::config::BrokerConfig;

/// A config value's type, with the code DescribeConfigs v3+ reports for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Unknown = 0,
    Boolean = 1,
    String = 2,
    Int = 3,
    Short = 4,
    Long = 5,
    Double = 6,
    List = 7,
    Class = 8,
    Password = 9,
}

impl ConfigType {
    fn parse(name: &str) -> ConfigType {
        match name {
            "BOOLEAN" => ConfigType::Boolean,
            "STRING" => ConfigType::String,
            "INT" => ConfigType::Int,
            "SHORT" => ConfigType::Short,
            "LONG" => ConfigType::Long,
            "DOUBLE" => ConfigType::Double,
            "LIST" => ConfigType::List,
            "CLASS" => ConfigType::Class,
            "PASSWORD" => ConfigType::Password,
            _ => ConfigType::Unknown,
        }
    }

    /// Kafka's name for the type, as used in its validation messages.
    pub fn kafka_name(self) -> &'static str {
        match self {
            ConfigType::Unknown => "UNKNOWN",
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }

    /// Whether a value of this type is hidden: passwords, and (as in Kafka) configs of
    /// unknown type.
    pub fn is_sensitive(self) -> bool {
        matches!(self, ConfigType::Password | ConfigType::Unknown)
    }
}

/// Where a config's value comes from, with DescribeConfigs' source codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    TopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
}

/// One synonym of a config: a name, its value in one layer, and that layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synonym {
    pub name: String,
    pub value: String,
    pub source: ConfigSource,
}

/// One broker config Kafka 4.0 defines.
#[derive(Debug)]
pub struct BrokerConfigDef {
    pub name: String,
    pub kind: ConfigType,
    pub default: Option<String>,
    /// Whether AlterConfigs may change it at runtime (Kafka reports the others read-only).
    pub dynamic: bool,
    pub sensitive: bool,
    pub doc: String,
}

static BROKER_CONFIGS: LazyLock<Vec<BrokerConfigDef>> = LazyLock::new(|| {
    include_str!("broker_configs.tsv")
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next()?.to_string();
            let kind = ConfigType::parse(fields.next()?);
            let default = Some(fields.next()?).filter(|d| *d != "\\N").map(unescape);
            let dynamic = fields.next()? == "true";
            let sensitive = fields.next()? == "true";
            let doc = unescape(fields.next()?);
            Some(BrokerConfigDef {
                name,
                kind,
                default,
                dynamic,
                sensitive,
                doc,
            })
        })
        .collect()
});

fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Every broker config, sorted by name.
pub fn all() -> &'static [BrokerConfigDef] {
    &BROKER_CONFIGS
}

/// The definition of a broker config, if Kafka has one by that name.
pub fn lookup(name: &str) -> Option<&'static BrokerConfigDef> {
    let table = all();
    table
        .binary_search_by(|d| d.name.as_str().cmp(name))
        .ok()
        .map(|i| &table[i])
}

/// The type of a broker config (`Unknown` for names Kafka does not define).
pub fn kind(name: &str) -> ConfigType {
    lookup(name).map_or(ConfigType::Unknown, |d| d.kind)
}

/// Broker configs that stand for the same setting, most specific first (Kafka's
/// `DynamicBrokerConfig.brokerConfigSynonyms`), with the factor that turns each into the
/// first one's unit.
fn synonym_group(name: &str) -> &'static [(&'static str, i64)] {
    const RETENTION: &[(&str, i64)] = &[
        ("log.retention.ms", 1),
        ("log.retention.minutes", 60_000),
        ("log.retention.hours", 3_600_000),
    ];
    const ROLL: &[(&str, i64)] = &[("log.roll.ms", 1), ("log.roll.hours", 3_600_000)];
    const JITTER: &[(&str, i64)] = &[
        ("log.roll.jitter.ms", 1),
        ("log.roll.jitter.hours", 3_600_000),
    ];
    const FLUSH: &[(&str, i64)] = &[
        ("log.flush.interval.ms", 1),
        ("log.flush.scheduler.interval.ms", 1),
    ];
    match name {
        "log.retention.ms" | "log.retention.minutes" | "log.retention.hours" => RETENTION,
        "log.roll.ms" | "log.roll.hours" => ROLL,
        "log.roll.jitter.ms" | "log.roll.jitter.hours" => JITTER,
        "log.flush.interval.ms" => FLUSH,
        _ => &[],
    }
}

/// The static layer: the properties the broker was started with, plus the settings it was
/// given as options (node id, listener, ...) and those a single-node Kafka's
/// server.properties sets (combined roles, internal topics with one replica), where they
/// differ from Kafka's defaults.
pub fn static_configs(config: &BrokerConfig, host: &str, port: i32) -> BTreeMap<String, String> {
    let listener = format!("PLAINTEXT://{host}:{port}");
    let intrinsic = [
        ("node.id", config.node_id.to_string()),
        ("broker.id", config.node_id.to_string()),
        ("listeners", listener.clone()),
        ("advertised.listeners", listener),
        ("num.partitions", config.num_partitions.to_string()),
        (
            "auto.create.topics.enable",
            config.auto_create_topics.to_string(),
        ),
        (
            "socket.request.max.bytes",
            config.max_request_bytes.to_string(),
        ),
        (
            "group.initial.rebalance.delay.ms",
            config.group_initial_rebalance_delay_ms.to_string(),
        ),
        (
            "group.min.session.timeout.ms",
            config.group_min_session_timeout_ms.to_string(),
        ),
        (
            "group.max.session.timeout.ms",
            config.group_max_session_timeout_ms.to_string(),
        ),
        ("process.roles", "broker,controller".to_string()),
        ("offsets.topic.replication.factor", "1".to_string()),
        ("transaction.state.log.replication.factor", "1".to_string()),
        ("transaction.state.log.min.isr", "1".to_string()),
    ];
    let mut configs = config.properties.clone();
    for (name, value) in intrinsic {
        let default = lookup(name).and_then(|d| d.default.as_deref());
        if !configs.contains_key(name) && default != Some(value.as_str()) {
            configs.insert(name.to_string(), value);
        }
    }
    configs
}

/// The layers a broker config's value comes from, highest precedence first.
#[derive(Debug, Clone, Copy)]
pub struct Layers<'a> {
    pub dynamic: &'a BTreeMap<String, String>,
    pub dynamic_default: &'a BTreeMap<String, String>,
    pub statics: &'a BTreeMap<String, String>,
}

impl<'a> Layers<'a> {
    fn each(&self) -> [(Option<&'a BTreeMap<String, String>>, ConfigSource); 4] {
        [
            (Some(self.dynamic), ConfigSource::DynamicBrokerConfig),
            (
                Some(self.dynamic_default),
                ConfigSource::DynamicDefaultBrokerConfig,
            ),
            (Some(self.statics), ConfigSource::StaticBrokerConfig),
            (None, ConfigSource::DefaultConfig),
        ]
    }

    fn in_layer(map: Option<&'a BTreeMap<String, String>>, name: &str) -> Option<String> {
        match map {
            Some(map) => map.get(name).cloned(),
            None => lookup(name).and_then(|d| d.default.clone()),
        }
    }

    /// The value of `name` and the layer it comes from.
    pub fn get(&self, name: &str) -> Option<(String, ConfigSource)> {
        self.each()
            .into_iter()
            .find_map(|(map, source)| Self::in_layer(map, name).map(|v| (v, source)))
    }

    /// The synonyms DescribeConfigs lists for `name`: every layer's value of every name in its
    /// synonym group, layer by layer, starting at the first entry for `name` itself.
    pub fn synonyms(&self, name: &str) -> Vec<Synonym> {
        let group = synonym_group(name);
        let names: Vec<&str> = if group.is_empty() {
            vec![name]
        } else {
            group.iter().map(|(n, _)| *n).collect()
        };
        let mut synonyms = Vec::new();
        for (map, source) in self.each() {
            for synonym in &names {
                if let Some(value) = Self::in_layer(map, synonym) {
                    synonyms.push(Synonym {
                        name: synonym.to_string(),
                        value,
                        source,
                    });
                }
            }
        }
        let first = synonyms
            .iter()
            .position(|s| s.name == name)
            .unwrap_or(synonyms.len());
        synonyms.split_off(first)
    }

    /// The value the broker acts on for `name`, resolving unit synonyms the way Kafka does
    /// (`log.retention.ms`, else minutes, else hours).
    pub fn effective(&self, name: &str) -> Option<String> {
        let group = synonym_group(name);
        if group.first().map(|(n, _)| *n) != Some(name) {
            return self.get(name).map(|(v, _)| v);
        }
        group.iter().find_map(|(synonym, factor)| {
            let (value, _) = self.get(synonym)?;
            if *factor == 1 {
                return Some(value);
            }
            let scaled: i64 = value.trim().parse().ok()?;
            Some(scaled.saturating_mul(*factor).to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps() -> [BTreeMap<String, String>; 3] {
        [BTreeMap::new(), BTreeMap::new(), BTreeMap::new()]
    }

    #[test]
    fn table_is_sorted_and_knows_kafkas_defaults() {
        let names: Vec<_> = all().iter().map(|d| d.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(all().len() > 250);
        let max = lookup("message.max.bytes").unwrap();
        assert_eq!(max.default.as_deref(), Some("1048588"));
        assert!(max.dynamic);
        assert!(!max.doc.is_empty());
        assert!(!lookup("num.partitions").unwrap().dynamic);
        assert_eq!(kind("ssl.key.password"), ConfigType::Password);
        assert_eq!(kind("no.such.config"), ConfigType::Unknown);
    }

    #[test]
    fn layers_take_precedence_in_kafkas_order() {
        let [mut dynamic, mut default, mut statics] = maps();
        let layers = Layers {
            dynamic: &dynamic,
            dynamic_default: &default,
            statics: &statics,
        };
        assert_eq!(
            layers.get("message.max.bytes"),
            Some(("1048588".to_string(), ConfigSource::DefaultConfig))
        );
        statics.insert("message.max.bytes".into(), "1".into());
        default.insert("message.max.bytes".into(), "2".into());
        dynamic.insert("message.max.bytes".into(), "3".into());
        let layers = Layers {
            dynamic: &dynamic,
            dynamic_default: &default,
            statics: &statics,
        };
        let sources: Vec<_> = layers
            .synonyms("message.max.bytes")
            .into_iter()
            .map(|s| (s.value, s.source))
            .collect();
        assert_eq!(
            sources,
            vec![
                ("3".to_string(), ConfigSource::DynamicBrokerConfig),
                ("2".to_string(), ConfigSource::DynamicDefaultBrokerConfig),
                ("1".to_string(), ConfigSource::StaticBrokerConfig),
                ("1048588".to_string(), ConfigSource::DefaultConfig),
            ]
        );
    }

    #[test]
    fn retention_resolves_units_and_lists_synonyms_like_kafka() {
        let [dynamic, default, mut statics] = maps();
        let layers = Layers {
            dynamic: &dynamic,
            dynamic_default: &default,
            statics: &statics,
        };
        assert_eq!(layers.effective("log.retention.ms").unwrap(), "604800000");
        // Kafka drops synonyms until the first one named like the config itself.
        assert!(layers.synonyms("log.retention.ms").is_empty());
        statics.insert("log.retention.minutes".into(), "2".into());
        let layers = Layers {
            dynamic: &dynamic,
            dynamic_default: &default,
            statics: &statics,
        };
        assert_eq!(layers.effective("log.retention.ms").unwrap(), "120000");
    }

    #[test]
    fn options_become_static_configs_only_when_they_differ_from_kafka() {
        let config = BrokerConfig::default();
        let statics = static_configs(&config, "127.0.0.1", 9092);
        assert_eq!(statics["node.id"], "1");
        assert_eq!(statics["group.initial.rebalance.delay.ms"], "0");
        assert_eq!(statics["listeners"], "PLAINTEXT://127.0.0.1:9092");
        assert_eq!(statics["offsets.topic.replication.factor"], "1");
        assert!(!statics.contains_key("num.partitions"));
    }
}
