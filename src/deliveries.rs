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

/// The thread-safe function that drains the queue on the JS thread, handing JavaScript `P`. It
/// does not keep Node alive: the JS side holds the event loop open while results are
/// outstanding.
type Drain<P> = ThreadsafeFunction<(), (), P, Status, false, true>;

/// Where results of type `T` go: the JS function given to [`Deliveries::new`] receives them as
/// arrays, the one given to [`Deliveries::packed`] as whatever its `pack` makes of them.
pub struct Deliveries<T: 'static, P: ToNapiValue + 'static = Vec<T>> {
    queue: Arc<Queue<T>>,
    drain: Drain<P>,
}

impl<T: ToNapiValue + Send + 'static> Deliveries<T> {
    pub fn new(callback: Function<'_, Vec<T>, ()>) -> Result<Self> {
        Deliveries::packed(callback, |items| items)
    }
}

impl<T: Send + 'static, P: ToNapiValue + 'static> Deliveries<T, P> {
    /// Deliveries that reach `callback` as one `pack(results)` per wake-up.
    pub fn packed(callback: Function<'_, P, ()>, pack: fn(Vec<T>) -> P) -> Result<Self> {
        let queue = Arc::new(Queue {
            items: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
        });
        let taken = queue.clone();
        let drain = callback
            .build_threadsafe_function::<()>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(move |_| Ok(pack(taken.take())))?;
        Ok(Deliveries { queue, drain })
    }

    /// The results queued so far, taken now on the JS thread (a wake-up already on its way then
    /// finds fewer, or none).
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.queue.items.lock())
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
/// result instead of a lost reply. `held` is dropped once every operation has been polled once.
pub fn spawn_delivered<T, P, F, H>(
    deliveries: Arc<Deliveries<T, P>>,
    operations: Vec<Delivered<T, F>>,
    held: H,
) where
    T: Send + 'static,
    P: ToNapiValue + 'static,
    F: Future<Output = T> + Send + 'static,
    H: Send + 'static,
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
        let mut all = std::pin::pin!(futures::future::join_all(runs));
        if futures::poll!(all.as_mut()).is_pending() {
            drop(held);
            all.await;
        }
    });
}
