//! kafkajs's network instrumentation events from the client's connections: the observer the
//! client reports to, switched on only while JavaScript listens, and the event objects it hands
//! to JavaScript.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ferrokafka_client::observer::{Observer, ObserverHandle, RequestEvent};
use kafka_protocol::messages::ApiKey;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::deliveries::Deliveries;

/// One network event; `kind` is `request`, `request_timeout` or `request_queue_size`, and the
/// fields are those of kafkajs's payload for it.
#[napi(object)]
pub struct NetworkEvent {
    pub kind: String,
    pub broker: String,
    pub client_id: String,
    pub correlation_id: Option<i32>,
    pub size: Option<u32>,
    pub created_at: Option<f64>,
    pub sent_at: Option<f64>,
    pub pending_duration: Option<f64>,
    pub duration: Option<f64>,
    pub api_name: Option<String>,
    pub api_key: Option<i32>,
    pub api_version: Option<i32>,
    pub queue_size: Option<u32>,
}

impl NetworkEvent {
    fn from_request(kind: &str, event: RequestEvent, with_size: bool) -> NetworkEvent {
        NetworkEvent {
            kind: kind.to_string(),
            broker: event.broker,
            client_id: event.client_id,
            correlation_id: Some(event.correlation_id),
            size: with_size.then_some(event.size as u32),
            created_at: Some(event.created_at as f64),
            sent_at: Some(event.sent_at as f64),
            pending_duration: Some(event.pending_duration as f64),
            duration: with_size.then_some(event.duration as f64),
            api_name: Some(api_name(event.api)),
            api_key: Some(event.api as i32),
            api_version: Some(event.api_version.into()),
            queue_size: None,
        }
    }
}

/// The name kafkajs gives `api`: Kafka's, except FindCoordinator, which kafkajs calls by its
/// old name, GroupCoordinator.
fn api_name(api: ApiKey) -> String {
    match api {
        ApiKey::FindCoordinator => "GroupCoordinator".to_string(),
        other => format!("{other:?}"),
    }
}

/// Forwards the client's network events to JavaScript while `enabled`.
pub struct NetworkObserver {
    enabled: AtomicBool,
    events: Deliveries<NetworkEvent>,
}

impl NetworkObserver {
    /// An observer delivering to `callback`, off until [`NetworkObserver::set_enabled`].
    pub fn new(callback: Function<'_, Vec<NetworkEvent>, ()>) -> Result<Arc<NetworkObserver>> {
        Ok(Arc::new(NetworkObserver {
            enabled: AtomicBool::new(false),
            events: Deliveries::new(callback)?,
        }))
    }

    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    /// The events queued for JavaScript so far, taken now.
    pub fn take(&self) -> Vec<NetworkEvent> {
        self.events.take()
    }

    /// The handle the client's options take.
    pub fn handle(self: &Arc<Self>) -> ObserverHandle {
        ObserverHandle(self.clone())
    }
}

impl Observer for NetworkObserver {
    fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    fn request(&self, event: RequestEvent) {
        self.events
            .deliver(NetworkEvent::from_request("request", event, true));
    }

    fn request_timeout(&self, event: RequestEvent) {
        self.events
            .deliver(NetworkEvent::from_request("request_timeout", event, false));
    }

    fn queue_size(&self, broker: &str, client_id: &str, size: usize) {
        self.events.deliver(NetworkEvent {
            kind: "request_queue_size".to_string(),
            broker: broker.to_string(),
            client_id: client_id.to_string(),
            correlation_id: None,
            size: None,
            created_at: None,
            sent_at: None,
            pending_duration: None,
            duration: None,
            api_name: None,
            api_key: None,
            api_version: None,
            queue_size: Some(size as u32),
        });
    }
}
