//! The Node.js addon: napi bindings only. Converts arguments, owns handles, returns promises;
//! every piece of Kafka logic lives in the workspace crates.

// napi-rs registers the exported functions only outside test builds, so a test build sees them
// as unused.
#![cfg_attr(test, allow(dead_code))]

mod admin;
mod assigners;
mod broker;
mod cli;
mod consumer;
mod consumer_batch;
mod deliveries;
mod failure;
mod network_events;
mod packed;
mod producer;
mod retry_settings;
mod runtime;
mod shared_bytes;

/// Requests declaring huge collections must not abort Node: see `LazyLargeAllocator`.
#[global_allocator]
static ALLOC: ferrokafka_broker::LazyLargeAllocator = ferrokafka_broker::LazyLargeAllocator;
