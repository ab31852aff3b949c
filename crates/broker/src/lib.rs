//! ferrokafka-broker: a Kafka broker that runs inside another process.
//!
//! [`Broker::start`] binds a listener (127.0.0.1 and an ephemeral port by default) and serves
//! the Kafka wire protocol to any client: one task per connection, one handler module per API
//! in [`handlers`], partition logs in [`log`] (in memory, or on disk through [`storage`]) with
//! their [`producer_state`], the classic group coordinator in [`group`] and the transaction
//! coordinator in [`txn`].

mod append_arena;
pub mod broker_config;
pub mod config;
mod connection;
pub mod control_batch;
mod dispatch;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod group;
mod handlers;
mod large_alloc;
pub mod log;
pub mod producer_state;
mod server;
pub mod state;
pub mod storage;
pub mod topic_config;
pub mod txn;

pub use config::{BrokerConfig, ConfigError};
pub use large_alloc::LazyLargeAllocator;
pub use server::Broker;
