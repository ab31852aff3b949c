//! The tokio runtime every async binding runs on. The JavaScript thread is busy with the
//! application, so the runtime takes a worker thread for each of the other cores (at least one);
//! tokio's `TOKIO_WORKER_THREADS` sets another number. With more workers than free cores, a request
//! started from JavaScript woke one worker, which woke another to run it: on two cores one worker
//! instead of two took an awaited single-message send from 0.21–0.24 ms to 0.15–0.18 ms (p50)
//! and sent no less per second.

use std::num::NonZeroUsize;
use std::thread::available_parallelism;

use tokio::runtime::{Builder, Runtime};

/// What the runtime's threads are called (as `ps -L` and debuggers show them).
const THREAD_NAME: &str = "ferrokafka-rt";

/// `TOKIO_WORKER_THREADS` when it is a positive number, otherwise a worker thread for each core
/// but the JavaScript thread's, at least one. (Left to tokio, a malformed value would panic.)
fn worker_threads() -> usize {
    std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .filter(|threads| *threads > 0)
        .unwrap_or_else(|| {
            available_parallelism()
                .map_or(1, NonZeroUsize::get)
                .saturating_sub(1)
                .max(1)
        })
}

fn build() -> std::io::Result<Runtime> {
    Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name(THREAD_NAME)
        .enable_all()
        .build()
}

/// Hands napi-rs the runtime when the addon loads; should it fail to start, napi-rs starts its
/// default one.
#[napi_derive::module_init]
fn init() {
    if let Ok(runtime) = build() {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}
