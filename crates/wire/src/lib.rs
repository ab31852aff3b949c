//! ferrokafka-wire: the Kafka wire-level pieces shared by the broker and the client.
//!
//! Request and response bodies come from the `kafka-protocol` crate (re-exported as
//! [`protocol`]); this crate adds what sits around them: length-prefixed framing, the table of
//! versions each API can be decoded at, and validation of v2 record batches.

pub mod frame;
pub mod record_batch;
pub mod records;
pub mod versions;

pub use kafka_protocol as protocol;
pub use kafka_protocol::error::ResponseError;
