//! The classic group coordinator (TODO: membership, rebalances, offsets).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::BrokerConfig;

/// All consumer groups of the broker. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GroupCoordinator {
    inner: Arc<()>,
}

impl GroupCoordinator {
    pub fn new(_config: &BrokerConfig) -> Self {
        GroupCoordinator {
            inner: Arc::new(()),
        }
    }

    /// Expires sessions and completes rebalances on time until `shutdown`.
    pub async fn run_timers(self, shutdown: CancellationToken) {
        let _ = &self.inner;
        shutdown.cancelled().await;
    }
}
