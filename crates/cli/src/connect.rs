//! Reaching a cluster from a tool: the `--bootstrap-server` list, a client with retries short
//! enough that an unreachable server fails in seconds, and failures as one line of text.

use std::sync::Arc;
use std::time::Duration;

use ferrokafka_client::admin::Admin;
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

/// A client error as one line.
pub fn describe_error(error: &Error, bootstrap: &str) -> String {
    match error {
        Error::Connection { message, .. } => {
            format!("cannot reach bootstrap server {bootstrap}: {message}")
        }
        other => other.to_string(),
    }
}
