//! Broker settings, named and defaulted as in Kafka's server.properties.

use std::collections::BTreeMap;
use std::net::IpAddr;

/// A broker setting that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid value {value:?} for broker property {key}: {reason}")]
    Invalid {
        key: String,
        value: String,
        reason: String,
    },
}

/// Everything a broker needs to start. Build it with [`BrokerConfig::default`] and adjust, or
/// from Kafka property names with [`BrokerConfig::from_properties`].
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Address to listen on.
    pub host: IpAddr,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Host name advertised in Metadata; defaults to `host`.
    pub advertised_host: Option<String>,
    /// Port advertised in Metadata; defaults to the bound port.
    pub advertised_port: Option<u16>,
    /// `node.id` (or `broker.id`).
    pub node_id: i32,
    /// The cluster id reported in Metadata and DescribeCluster.
    pub cluster_id: String,
    /// `num.partitions`: partitions of an auto-created topic or a CreateTopics asking for -1.
    pub num_partitions: i32,
    /// `auto.create.topics.enable`.
    pub auto_create_topics: bool,
    /// `socket.request.max.bytes`: the largest request frame accepted.
    pub max_request_bytes: usize,
    /// `group.initial.rebalance.delay.ms`; 0 by default here (Kafka's is 3000).
    pub group_initial_rebalance_delay_ms: u64,
    /// `group.min.session.timeout.ms`.
    pub group_min_session_timeout_ms: i32,
    /// `group.max.session.timeout.ms`.
    pub group_max_session_timeout_ms: i32,
    /// `transaction.max.timeout.ms`: the longest transaction timeout a producer may ask for.
    pub transaction_max_timeout_ms: i32,
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms`: how often transactions
    /// open past their timeout are looked for and aborted.
    pub transaction_abort_interval_ms: u64,
    /// Every property given, by its Kafka name, reported by DescribeConfigs for the broker and
    /// used as the default of the matching topic configs (`log.retention.ms` -> `retention.ms`).
    pub properties: BTreeMap<String, String>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            advertised_host: None,
            advertised_port: None,
            node_id: 1,
            cluster_id: random_cluster_id(),
            num_partitions: 1,
            auto_create_topics: true,
            max_request_bytes: ferrokafka_wire::frame::DEFAULT_MAX_FRAME_BYTES,
            group_initial_rebalance_delay_ms: 0,
            group_min_session_timeout_ms: 6_000,
            group_max_session_timeout_ms: 1_800_000,
            transaction_max_timeout_ms: 900_000,
            transaction_abort_interval_ms: 10_000,
            properties: BTreeMap::new(),
        }
    }
}

impl BrokerConfig {
    /// Builds a config from Kafka broker property names. Properties this broker does not act on
    /// are kept (and reported by DescribeConfigs) but otherwise ignored.
    pub fn from_properties(properties: BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let mut config = BrokerConfig::default();
        for (key, value) in &properties {
            let value = value.trim();
            match key.as_str() {
                "node.id" | "broker.id" => config.node_id = parse(key, value)?,
                "cluster.id" => config.cluster_id = value.to_string(),
                "num.partitions" => config.num_partitions = parse_positive(key, value)?,
                "auto.create.topics.enable" => config.auto_create_topics = parse(key, value)?,
                "socket.request.max.bytes" => {
                    config.max_request_bytes = parse_positive::<usize>(key, value)?
                }
                "group.initial.rebalance.delay.ms" => {
                    config.group_initial_rebalance_delay_ms = parse(key, value)?
                }
                "group.min.session.timeout.ms" => {
                    config.group_min_session_timeout_ms = parse(key, value)?
                }
                "group.max.session.timeout.ms" => {
                    config.group_max_session_timeout_ms = parse(key, value)?
                }
                "transaction.max.timeout.ms" => {
                    config.transaction_max_timeout_ms = parse_positive(key, value)?
                }
                "transaction.abort.timed.out.transaction.cleanup.interval.ms" => {
                    config.transaction_abort_interval_ms = parse_positive(key, value)?
                }
                _ => {}
            }
        }
        config.properties = properties;
        Ok(config)
    }

    /// A broker property as given, if it was.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }
}

fn parse<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| ConfigError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
        reason: e.to_string(),
    })
}

fn parse_positive<T>(key: &str, value: &str) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + Default,
    T::Err: std::fmt::Display,
{
    let parsed: T = parse(key, value)?;
    if parsed <= T::default() {
        return Err(ConfigError::Invalid {
            key: key.to_string(),
            value: value.to_string(),
            reason: "must be positive".to_string(),
        });
    }
    Ok(parsed)
}

/// A cluster id in Kafka's format: a random UUID as 22 characters of URL-safe base64.
pub fn random_cluster_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bits = uuid::Uuid::new_v4().as_u128();
    (0..22)
        .map(|i| {
            let shift = 128i32 - 6 * (i + 1);
            let chunk = if shift >= 0 {
                (bits >> shift) & 0x3f
            } else {
                (bits << -shift) & 0x3f
            };
            ALPHABET[chunk as usize] as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kafka_property_names() {
        let props = [
            ("node.id", "3"),
            ("num.partitions", "4"),
            ("x.y", "z"),
            ("transaction.max.timeout.ms", "60000"),
            (
                "transaction.abort.timed.out.transaction.cleanup.interval.ms",
                "500",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let config = BrokerConfig::from_properties(props).unwrap();
        assert_eq!(config.node_id, 3);
        assert_eq!(config.num_partitions, 4);
        assert_eq!(config.property("x.y"), Some("z"));
        assert_eq!(config.transaction_max_timeout_ms, 60_000);
        assert_eq!(config.transaction_abort_interval_ms, 500);
    }

    #[test]
    fn rejects_bad_values() {
        let props = [("num.partitions".to_string(), "0".to_string())].into();
        assert!(BrokerConfig::from_properties(props).is_err());
    }

    #[test]
    fn cluster_ids_look_like_kafkas() {
        let id = random_cluster_id();
        assert_eq!(id.len(), 22);
        assert_ne!(id, random_cluster_id());
    }
}
