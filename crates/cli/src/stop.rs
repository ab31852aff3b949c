//! What ends a long-running command: Ctrl-C or SIGTERM for the standalone binary, a
//! notification from Node (which owns the process's signals) inside the npm package.

use std::sync::Arc;

use tokio::sync::Notify;

/// What ends a long-running command such as `server-start` or `console-consumer`.
#[derive(Debug, Clone)]
pub enum StopOn {
    /// Ctrl-C or SIGTERM, caught by the command itself (the standalone binary).
    Signals,
    /// A notification from the host; used inside Node, which owns the process's signals.
    Notified(Arc<Notify>),
}

impl StopOn {
    /// Resolves when the command should stop.
    pub async fn wait(&self) {
        match self {
            StopOn::Signals => signalled().await,
            StopOn::Notified(notify) => notify.notified().await,
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (what kafka-server-stop sends).
async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
