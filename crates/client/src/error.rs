//! The client's errors. Each maps onto one kafkajs error class in the JavaScript layer.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ApiKey;

/// A client operation's failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The broker could not be reached, or the connection broke (KafkaJSConnectionError;
    /// KafkaJSConnectionClosedError when `closed`: the broker closed it under a request).
    /// `code` is the socket error's name as Node.js reports it (`ECONNREFUSED`, ...).
    #[error("{message}")]
    Connection {
        broker: String,
        code: Option<&'static str>,
        message: String,
        closed: bool,
    },
    /// No response within the request timeout (KafkaJSRequestTimeoutError).
    #[error("Request {api:?}(key: {}, version: {version}) timed out", *api as i16)]
    RequestTimeout {
        broker: String,
        api: ApiKey,
        version: i16,
        timeout_ms: u64,
    },
    /// The broker does not support an API this client needs
    /// (KafkaJSServerDoesNotSupportApiKey).
    #[error("the broker does not support {0:?}")]
    UnsupportedApi(ApiKey),
    /// The broker answered with a Kafka error code (KafkaJSProtocolError).
    #[error("{error}")]
    Protocol {
        error: ResponseError,
        message: Option<String>,
    },
    /// A request or response did not encode or decode.
    #[error("protocol encoding error: {0}")]
    Encoding(String),
    /// The call is not allowed in the current state, e.g. sending in a transaction that has
    /// ended (KafkaJSNonRetriableError with kafkajs's message).
    #[error("{0}")]
    State(String),
    /// A partition assignor failed: the group's protocol names none of this member's
    /// assignors, or an assignor the application supplied threw (`thrown`). kafkajs retries a
    /// throwing assignor on a rebalance but not on a member's first join, so the consumer sets
    /// `retriable`.
    #[error("{message}")]
    Assignor {
        message: String,
        thrown: bool,
        retriable: bool,
    },
}

/// The Kafka error codes kafkajs 2.2.4 marks retriable. Kafka's own list differs: it adds codes
/// kafkajs predates (e.g. 89 THROTTLING_QUOTA_EXCEEDED) and leaves out 51
/// CONCURRENT_TRANSACTIONS, which kafkajs retries.
const KAFKAJS_RETRIABLE: [i16; 25] = [
    2, 3, 5, 6, 7, 9, 13, 14, 15, 16, 19, 20, 41, 51, 56, 70, 71, 72, 74, 75, 78, 80, 83, 84, 88,
];

/// The client's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether kafkajs would retry the operation that failed with this error.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Connection { .. } | Error::RequestTimeout { .. } => true,
            Error::Protocol { error, .. } => KAFKAJS_RETRIABLE.contains(&error.code()),
            Error::UnsupportedApi(_) | Error::Encoding(_) | Error::State(_) => false,
            Error::Assignor { retriable, .. } => *retriable,
        }
    }

    /// A connection failure on `broker`, without a socket error code.
    pub fn connection(broker: &str, message: impl Into<String>) -> Error {
        Error::Connection {
            broker: broker.to_string(),
            code: None,
            message: message.into(),
            closed: false,
        }
    }

    /// The connection to `broker` closed while requests were outstanding.
    pub fn closed(broker: &str) -> Error {
        Error::Connection {
            broker: broker.to_string(),
            code: None,
            message: "Closed connection".to_string(),
            closed: true,
        }
    }

    /// `host` did not resolve, worded as Node.js's `getaddrinfo ENOTFOUND <host>`.
    pub fn not_found(broker: &str, host: &str) -> Error {
        Error::Connection {
            broker: broker.to_string(),
            code: Some("ENOTFOUND"),
            message: format!("Connection error: getaddrinfo ENOTFOUND {host}"),
            closed: false,
        }
    }

    /// A socket error on `broker`, worded as kafkajs words it: `Connection error: <detail>`,
    /// where the detail names the error as Node.js does (`connect ECONNREFUSED 127.0.0.1:9092`).
    pub fn socket(broker: &str, syscall: &str, error: &std::io::Error) -> Error {
        let code = errno_name(error);
        let detail = match code {
            Some(code) => format!("{syscall} {code} {broker}"),
            None => error.to_string(),
        };
        Error::Connection {
            broker: broker.to_string(),
            code,
            message: format!("Connection error: {detail}"),
            closed: false,
        }
    }

    /// The error for a nonzero Kafka error code, or `None` for 0.
    pub fn from_code(code: i16, message: Option<String>) -> Option<Error> {
        ResponseError::try_from_code(code).map(|error| Error::Protocol { error, message })
    }

    /// The error for a nonzero code of a transactional request (InitProducerId,
    /// AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn). PRODUCER_FENCED, which
    /// brokers answer the newer versions of these, becomes INVALID_PRODUCER_EPOCH, which they
    /// answer the versions kafkajs speaks: a fenced producer fails with the error kafkajs users
    /// know (kafkajs has no PRODUCER_FENCED).
    pub fn from_transaction_code(code: i16) -> Option<Error> {
        let code = if code == ResponseError::ProducerFenced.code() {
            ResponseError::InvalidProducerEpoch.code()
        } else {
            code
        };
        Error::from_code(code, None)
    }
}

/// The name Node.js gives a socket error (`err.code`), for the kinds a client meets.
fn errno_name(error: &std::io::Error) -> Option<&'static str> {
    use std::io::ErrorKind;
    Some(match error.kind() {
        ErrorKind::ConnectionRefused => "ECONNREFUSED",
        ErrorKind::ConnectionReset => "ECONNRESET",
        ErrorKind::ConnectionAborted => "ECONNABORTED",
        ErrorKind::BrokenPipe => "EPIPE",
        ErrorKind::TimedOut => "ETIMEDOUT",
        ErrorKind::HostUnreachable => "EHOSTUNREACH",
        ErrorKind::NetworkUnreachable => "ENETUNREACH",
        ErrorKind::AddrNotAvailable => "EADDRNOTAVAIL",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_the_codes_kafkajs_retries() {
        let retriable = |code| Error::from_code(code, None).unwrap().is_retriable();
        assert!(retriable(51), "CONCURRENT_TRANSACTIONS");
        assert!(retriable(6), "NOT_LEADER_OR_FOLLOWER");
        assert!(
            !retriable(89),
            "THROTTLING_QUOTA_EXCEEDED is not retried by kafkajs"
        );
        assert!(!retriable(10), "MESSAGE_TOO_LARGE");
    }
}
