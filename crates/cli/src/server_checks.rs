//! Checks of a server.properties before a broker starts from it: a ZooKeeper connection is
//! refused with Kafka 4's advice (ZooKeeper mode is gone), and keys that are no Kafka broker
//! setting are collected so the server can name them once. Kafka's settings that this broker
//! has no use for (the controller quorum, thread counts, ...) are accepted silently.

use std::collections::BTreeMap;

use ferrokafka_broker::broker_config;

/// Settings of this broker's own that Kafka does not define.
const OWN_KEYS: &[&str] = &["cluster.id", "log.flush.group.commit.enable"];

/// Prefixes of Kafka settings named per listener or per mechanism.
const PREFIXES: &[&str] = &[
    "listener.name.",
    "remote.log.storage.",
    "remote.log.metadata.",
];

/// Refuses `zookeeper.connect` (and its companions): Kafka 4 runs in KRaft mode only.
pub fn refuse_zookeeper(properties: &BTreeMap<String, String>) -> Result<(), String> {
    match properties.keys().find(|key| key.starts_with("zookeeper.")) {
        Some(key) => Err(format!(
            "{key} is set, but ZooKeeper mode was removed in Apache Kafka 4.0: remove the zookeeper.* settings, set process.roles=broker,controller and node.id, and format the log directories with kafka-storage.sh format --standalone -t <cluster id> -c <server.properties>"
        )),
        None => Ok(()),
    }
}

/// The keys that are neither a Kafka broker setting nor one of this broker's own.
pub fn unknown_keys(properties: &BTreeMap<String, String>) -> Vec<&str> {
    properties
        .keys()
        .map(String::as_str)
        .filter(|key| {
            broker_config::lookup(key).is_none()
                && !OWN_KEYS.contains(key)
                && !PREFIXES.iter().any(|prefix| key.starts_with(prefix))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn properties(keys: &[&str]) -> BTreeMap<String, String> {
        keys.iter()
            .map(|k| (k.to_string(), "1".to_string()))
            .collect()
    }

    #[test]
    fn refuses_zookeeper_with_advice() {
        let error = refuse_zookeeper(&properties(&["node.id", "zookeeper.connect"])).unwrap_err();
        assert!(error.starts_with("zookeeper.connect is set"), "{error}");
        assert!(error.contains("process.roles") && error.contains("kafka-storage.sh format"));
        assert!(!error.contains('\n'));
        assert!(refuse_zookeeper(&properties(&["node.id"])).is_ok());
    }

    #[test]
    fn names_only_keys_kafka_does_not_know() {
        let props = properties(&[
            "node.id",
            "controller.quorum.bootstrap.servers",
            "cluster.id",
            "listener.name.controller.ssl.keystore.location",
            "no.such.key",
            "num.partition",
        ]);
        assert_eq!(unknown_keys(&props), vec!["no.such.key", "num.partition"]);
    }
}
