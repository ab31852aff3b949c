//! ferrokafka-client: the Kafka client behind ferrokafka's kafkajs-compatible API.
//!
//! Connections, metadata, producer, consumer and admin live here; the addon in `src/` only
//! converts arguments and hands results back to JavaScript.

pub use ferrokafka_wire as wire;
