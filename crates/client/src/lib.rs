//! ferrokafka-client: the Kafka client behind ferrokafka's kafkajs-compatible API.
//!
//! [`Connection`] is one pipelined connection to one broker, with ApiVersions negotiation;
//! metadata, producer (idempotent and transactional too), consumer and admin build on it. The addon in `src/` only converts
//! arguments and hands results back to JavaScript.

pub mod admin;
mod cluster;
mod connection;
pub mod consumer;
mod error;
pub mod observer;
pub mod partitioner;
pub mod producer;
pub mod retry;
pub mod transaction;
mod versions;

pub use cluster::{Cluster, ClusterOptions, Metadata, PartitionMetadata, TopicMetadata};
pub use connection::{Connection, ConnectionOptions};
pub use error::{Error, Result};
pub use versions::ApiVersionTable;
