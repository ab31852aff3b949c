//! What the client reports about its requests, for kafkajs's network instrumentation events
//! (`network.request`, `network.request_timeout`, `network.request_queue_size`).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use kafka_protocol::messages::ApiKey;

/// One request's timings, as kafkajs's REQUEST and REQUEST_TIMEOUT events carry them.
#[derive(Debug, Clone)]
pub struct RequestEvent {
    pub broker: String,
    pub client_id: String,
    pub correlation_id: i32,
    /// The response's size in bytes (0 for a timeout).
    pub size: usize,
    /// When the request was created and written, in ms since the epoch.
    pub created_at: i64,
    pub sent_at: i64,
    /// Written minus created, and answered minus written, in ms.
    pub pending_duration: i64,
    pub duration: i64,
    pub api: ApiKey,
    pub api_version: i16,
}

/// Receives the client's network events. Called from the client's tasks: keep it quick.
pub trait Observer: Send + Sync {
    /// Whether anyone listens; when false the client skips the bookkeeping.
    fn enabled(&self) -> bool;
    fn request(&self, event: RequestEvent);
    fn request_timeout(&self, event: RequestEvent);
    /// Requests for `broker` waiting for a free in-flight slot.
    fn queue_size(&self, broker: &str, client_id: &str, size: usize);
}

/// A shareable observer, printable in option structs.
#[derive(Clone)]
pub struct ObserverHandle(pub Arc<dyn Observer>);

impl std::fmt::Debug for ObserverHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ObserverHandle")
    }
}

impl std::ops::Deref for ObserverHandle {
    type Target = dyn Observer;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
