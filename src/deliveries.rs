//! Hands finished operations back to JavaScript in batches. Each result joins a queue; the
//! first one queued asks the JS thread (through one thread-safe function) to take the whole
//! queue, so a thousand sends finishing together cost one call into JavaScript, not a thousand
//! promises settled one by one.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::FutureExt;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use parking_lot::Mutex;

/// Results waiting for the JS thread.
struct Queue<T> {
    items: Mutex<Vec<T>>,
    scheduled: AtomicBool,
}

impl<T> Queue<T> {
    fn take(&self) -> Vec<T> {
        self.scheduled.store(false, Ordering::Release);
        std::mem::take(&mut *self.items.lock())
    }
}

/// The thread-safe function that drains the queue on the JS thread. It does not keep Node
/// alive: the JS side holds the event loop open while results are outstanding.
type Drain<T> = ThreadsafeFunction<(), (), Vec<T>, Status, false, true>;

/// Where results of type `T` go: the JS function given to [`Deliveries::new`] receives them as
/// arrays.
pub struct Deliveries<T: ToNapiValue + 'static> {
    queue: Arc<Queue<T>>,
    drain: Drain<T>,
}

impl<T: ToNapiValue + Send + 'static> Deliveries<T> {
    pub fn new(callback: Function<'_, Vec<T>, ()>) -> Result<Self> {
        let queue = Arc::new(Queue {
            items: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
        });
        let taken = queue.clone();
        let drain = callback
            .build_threadsafe_function::<()>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(move |_| Ok(taken.take()))?;
        Ok(Deliveries { queue, drain })
    }

    /// Queues `item`, waking the JS thread unless a wake-up is already on its way.
    pub fn deliver(&self, item: T) {
        self.queue.items.lock().push(item);
        if !self.queue.scheduled.swap(true, Ordering::AcqRel) {
            self.drain.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

/// One operation to run and deliver: its future, and the result to deliver instead should it
/// panic (given the panic's message).
pub type Delivered<T, F> = (F, Box<dyn FnOnce(String) -> T + Send>);

/// Runs `operations` together on the addon's runtime (one task, so a burst of them costs one
/// wake-up) and delivers each result as it finishes. A panic becomes its operation's fallback
/// result instead of a lost reply.
pub fn spawn_delivered<T, F>(deliveries: Arc<Deliveries<T>>, operations: Vec<Delivered<T, F>>)
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    napi::bindgen_prelude::spawn(async move {
        let runs = operations.into_iter().map(|(operation, on_panic)| {
            let deliveries = &deliveries;
            async move {
                let result = std::panic::AssertUnwindSafe(operation).catch_unwind().await;
                let item = result.unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_string());
                    on_panic(message)
                });
                deliveries.deliver(item);
            }
        });
        futures::future::join_all(runs).await;
    });
}
