//! The client's errors. Each maps onto one kafkajs error class in the JavaScript layer.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::ApiKey;

/// A client operation's failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The broker could not be reached, or the connection broke (KafkaJSConnectionError).
    #[error("connection error: {0}")]
    Connection(String),
    /// No response within the request timeout (KafkaJSRequestTimeoutError).
    #[error("request {api:?} timed out after {timeout_ms} ms")]
    RequestTimeout { api: ApiKey, timeout_ms: u64 },
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
}

/// The client's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether kafkajs would retry the operation that failed with this error.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Connection(_) | Error::RequestTimeout { .. } => true,
            Error::Protocol { error, .. } => error.is_retriable(),
            Error::UnsupportedApi(_) | Error::Encoding(_) => false,
        }
    }

    /// The error for a nonzero Kafka error code, or `None` for 0.
    pub fn from_code(code: i16, message: Option<String>) -> Option<Error> {
        ResponseError::try_from_code(code).map(|error| Error::Protocol { error, message })
    }
}
