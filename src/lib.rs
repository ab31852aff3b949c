//! The Node.js addon: napi bindings only. Converts arguments, owns handles, returns promises;
//! every piece of Kafka logic lives in the workspace crates.

mod broker;
mod cli;
