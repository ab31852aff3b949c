//! Holds a producer's lanes back while a burst of sends is handed to them. Sends started
//! together (a thousand `send()` calls in one JavaScript tick) reach the lanes one after another;
//! a lane running on another thread would otherwise write a request for the first few while the
//! rest are still arriving. With the gate held, each lane takes the whole burst in one round.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// Open unless someone holds it.
#[derive(Debug, Default)]
pub struct Gate {
    holds: AtomicUsize,
    opened: Notify,
}

/// Keeps the gate closed until dropped.
#[derive(Debug)]
pub struct GateHold(Arc<Gate>);

impl Gate {
    /// Closes the gate until the returned hold (and every other) is dropped.
    pub fn hold(self: &Arc<Self>) -> GateHold {
        self.holds.fetch_add(1, Ordering::SeqCst);
        GateHold(self.clone())
    }

    /// Resolves once nobody holds the gate.
    pub async fn open(&self) {
        loop {
            let opened = self.opened.notified();
            tokio::pin!(opened);
            opened.as_mut().enable();
            if self.holds.load(Ordering::SeqCst) == 0 {
                return;
            }
            opened.await;
        }
    }
}

impl Drop for GateHold {
    fn drop(&mut self) {
        if self.0.holds.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.opened.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn opens_when_the_last_hold_is_dropped() {
        let gate = Arc::new(Gate::default());
        gate.open().await;
        let first = gate.hold();
        let second = gate.hold();
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.open().await }
        });
        drop(first);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the gate opened")
            .expect("the waiter finished");
    }
}
