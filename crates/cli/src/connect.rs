//! Reaching a cluster from a tool: the `--bootstrap-server` list, a client with retries short
//! enough that an unreachable server fails in seconds, and failures as one line of text.

use std::sync::Arc;
use std::time::Duration;

use ferrokafka_client::admin::Admin;
use ferrokafka_client::consumer::{Assignor, AssignorKind, ConsumerOptions, GroupSettings};
use ferrokafka_client::partitioner::{Partitioner, PartitionerKind};
use ferrokafka_client::producer::ProducerOptions;
use ferrokafka_client::retry::{RetryError, RetryOptions};
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions, Error};

/// How the tools retry: a handful of quick attempts, so a wrong address fails fast.
pub const RETRY: RetryOptions = RetryOptions {
    max_retry_time: 1_000.0,
    initial_retry_time: 100.0,
    factor: 0.2,
    multiplier: 2.0,
    retries: 4,
};

/// The connection settings of a tool's client, named `client_id`.
pub fn connection(client_id: &str) -> ConnectionOptions {
    ConnectionOptions {
        client_id: client_id.to_string(),
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(30),
        observer: None,
        max_in_flight: None,
    }
}

/// The producer settings of a tool: the default partitioner, five requests in flight per broker
/// and `linger` before a batch goes out.
pub fn producer_options(linger: Duration) -> ProducerOptions {
    ProducerOptions {
        retry: RETRY,
        allow_auto_topic_creation: true,
        partitioner: Arc::new(Partitioner::new(PartitionerKind::Default)),
        max_in_flight: 5,
        linger,
        idempotence: None,
    }
}

/// The group consumer settings of a tool, as the Java consumer's defaults: range assignment,
/// a 45 s session, 1 MiB per partition; `read_uncommitted` picks the isolation level.
pub fn consumer_options(group_id: String, read_uncommitted: bool) -> ConsumerOptions {
    ConsumerOptions {
        group: GroupSettings {
            group_id,
            session_timeout: Duration::from_secs(45),
            rebalance_timeout: Duration::from_secs(60),
            group_instance_id: None,
            assignors: vec![Assignor::BuiltIn(AssignorKind::Range)],
            custom_assignors: None,
            allow_auto_topic_creation: true,
        },
        heartbeat_interval: Duration::from_secs(3),
        retry: RETRY,
        max_bytes_per_partition: 1 << 20,
        min_bytes: 1,
        max_bytes: 50 << 20,
        max_wait: Duration::from_millis(500),
        read_uncommitted,
        rack_id: String::new(),
        metadata_max_age: Duration::from_secs(300),
        watch_topics: false,
    }
}

/// A cluster reached through the comma-separated `bootstrap` list.
pub fn cluster(bootstrap: &str, client_id: &str) -> Result<Arc<Cluster>, String> {
    let brokers: Vec<String> = bootstrap
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if brokers.is_empty() {
        return Err("--bootstrap-server names no broker".to_string());
    }
    Ok(Arc::new(Cluster::new(ClusterOptions {
        brokers,
        connection: connection(client_id),
        metadata_max_age: Duration::from_secs(300),
    })))
}

/// An admin client on `bootstrap`.
pub fn admin(bootstrap: &str, client_id: &str) -> Result<Admin, String> {
    Ok(Admin::new(cluster(bootstrap, client_id)?, RETRY))
}

/// A client failure as one line; connection failures name the bootstrap servers tried.
pub fn describe(error: &RetryError, bootstrap: &str) -> String {
    let last = match error {
        RetryError::Exhausted { last, .. } | RetryError::NonRetriable(last) => last,
    };
    describe_error(last, bootstrap)
}

/// A client error as one line. A connection failure names the bootstrap servers only when it
/// was one of them (or no broker in particular) that could not be reached.
pub fn describe_error(error: &Error, bootstrap: &str) -> String {
    match error {
        Error::Connection { message, .. } if names_a_missing_broker(message) => message.clone(),
        Error::Connection {
            broker, message, ..
        } if broker.is_empty() || bootstrap.split(',').any(|b| b.trim() == broker) => {
            format!("cannot reach bootstrap server {bootstrap}: {message}")
        }
        Error::Connection {
            broker, message, ..
        } => format!("cannot reach broker {broker}: {message}"),
        other => other.to_string(),
    }
}

/// Whether `message` says a broker is missing from the cluster's metadata (the cluster was
/// reached) rather than unreachable.
fn names_a_missing_broker(message: &str) -> bool {
    message.contains("not found in the cached metadata")
        || message.contains("is not in the metadata")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blames_the_bootstrap_servers_only_when_they_failed() {
        let bootstrap = "127.0.0.1:1,127.0.0.1:2";
        assert_eq!(
            describe_error(&Error::connection("127.0.0.1:2", "refused"), bootstrap),
            "cannot reach bootstrap server 127.0.0.1:1,127.0.0.1:2: refused"
        );
        assert_eq!(
            describe_error(&Error::connection("10.0.0.9:9092", "refused"), bootstrap),
            "cannot reach broker 10.0.0.9:9092: refused"
        );
        assert_eq!(
            describe_error(
                &Error::connection("", "Broker 0 not found in the cached metadata"),
                bootstrap
            ),
            "Broker 0 not found in the cached metadata"
        );
    }
}
