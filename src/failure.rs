//! `Failure`: why a client operation failed, as a plain object that lib/errors.js turns into
//! kafkajs's error classes.

use std::sync::Arc;

use ferrokafka_client::retry::{retry, RetryError, RetryOptions};
use ferrokafka_client::Cluster;
use ferrokafka_client::Error as ClientError;
use napi_derive::napi;

/// Why an operation failed, in the terms kafkajs's error classes need.
#[napi(object)]
pub struct Failure {
    /// `connection`, `closed`, `timeout`, `protocol`, `unsupported`, `encoding`, `assigner` (a
    /// custom partition assigner threw) or `invalid` (a call the current state does not allow,
    /// or bad arguments).
    pub kind: String,
    pub message: String,
    /// `host:port` of the broker involved, when known.
    pub broker: Option<String>,
    /// The Kafka error code (protocol failures).
    pub error_code: Option<i32>,
    /// The socket error's Node.js name, e.g. `ECONNREFUSED` (connection failures).
    pub errno: Option<String>,
    /// The API involved (timeouts and unsupported APIs).
    pub api_key: Option<i32>,
    pub api_name: Option<String>,
    pub api_version: Option<i32>,
    /// Set when retriable failures outlasted every retry.
    pub retry_count: Option<u32>,
    pub retry_time: Option<f64>,
}

impl Failure {
    pub(crate) fn from_client(error: ClientError) -> Failure {
        let mut failure = Failure {
            kind: String::new(),
            message: error.to_string(),
            broker: None,
            error_code: None,
            errno: None,
            api_key: None,
            api_name: None,
            api_version: None,
            retry_count: None,
            retry_time: None,
        };
        match error {
            ClientError::Connection {
                broker,
                code,
                closed,
                ..
            } => {
                failure.kind = if closed { "closed" } else { "connection" }.into();
                failure.broker = (!broker.is_empty()).then_some(broker);
                failure.errno = code.map(str::to_string);
            }
            ClientError::RequestTimeout {
                broker,
                api,
                version,
                ..
            } => {
                failure.kind = "timeout".into();
                failure.broker = Some(broker);
                failure.api_key = Some(api as i32);
                failure.api_name = Some(format!("{api:?}"));
                failure.api_version = Some(version.into());
            }
            ClientError::UnsupportedApi(api) => {
                failure.kind = "unsupported".into();
                failure.api_key = Some(api as i32);
                failure.api_name = Some(format!("{api:?}"));
            }
            ClientError::Protocol { error, .. } => {
                failure.kind = "protocol".into();
                failure.error_code = Some(error.code().into());
            }
            ClientError::Encoding(_) => failure.kind = "encoding".into(),
            ClientError::State(_) => failure.kind = "invalid".into(),
            // What a custom assigner threw is kept by JavaScript, which reports it as thrown.
            ClientError::Assignor { thrown, .. } => {
                failure.kind = if thrown { "assigner" } else { "invalid" }.into()
            }
        }
        failure
    }

    pub(crate) fn from_retry(error: RetryError) -> Failure {
        match error {
            RetryError::NonRetriable(error) => Failure::from_client(error),
            RetryError::Exhausted {
                last,
                retry_count,
                retry_time,
            } => Failure {
                retry_count: Some(retry_count),
                retry_time: Some(retry_time as f64),
                ..Failure::from_client(last)
            },
        }
    }

    pub(crate) fn invalid(message: String) -> Failure {
        Failure {
            kind: "invalid".into(),
            message,
            ..Failure::from_client(ClientError::Encoding(String::new()))
        }
    }
}

/// Connects `cluster` to a seed broker, retrying with the client's retry options: the failure,
/// or `None` once connected.
pub async fn connect_to_seeds(cluster: Arc<Cluster>, options: RetryOptions) -> Option<Failure> {
    retry(options, |_| cluster.any_connection())
        .await
        .err()
        .map(Failure::from_retry)
}
