//! kafkajs's `retry` options as they cross from JavaScript, every field filled in by the JS layer.

use ferrokafka_client::retry::RetryOptions;
use napi_derive::napi;

/// kafkajs's `retry` options, every field filled in by the JS layer.
#[napi(object)]
#[derive(Clone, Copy)]
pub struct RetrySettings {
    pub max_retry_time: f64,
    pub initial_retry_time: f64,
    pub factor: f64,
    pub multiplier: f64,
    pub retries: u32,
}

impl From<RetrySettings> for RetryOptions {
    fn from(r: RetrySettings) -> Self {
        RetryOptions {
            max_retry_time: r.max_retry_time,
            initial_retry_time: r.initial_retry_time,
            factor: r.factor,
            multiplier: r.multiplier,
            retries: r.retries,
        }
    }
}
