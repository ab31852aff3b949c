//! The listener: binds the socket, opens the log directory when there is one, accepts
//! connections and hands each to its own task, and shuts everything down on request, closing
//! the log directory cleanly last.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::BrokerConfig;
use crate::connection;
use crate::state::State;
use crate::storage::{self, Storage};
use crate::txn;

/// A running broker. Dropping it without [`Broker::shutdown`] leaves its tasks running until
/// the runtime stops.
#[derive(Debug)]
pub struct Broker {
    state: Arc<State>,
    local_addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Broker {
    /// Binds the listener, opens and recovers the log directory if the config names one, and
    /// starts serving. Must be called within a tokio runtime.
    pub async fn start(mut config: BrokerConfig) -> io::Result<Broker> {
        let listener = TcpListener::bind((config.host, config.port))
            .await
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot listen on {}:{}: {e}", config.host, config.port),
                )
            })?;
        let local_addr = listener.local_addr()?;
        let host = config
            .advertised_host
            .clone()
            .unwrap_or_else(|| config.host.to_string());
        let port = config.advertised_port.unwrap_or(local_addr.port());
        let state = match storage::log_dir(&config).map_err(io::Error::other)? {
            None => State::new(config, host, port.into()),
            Some(dir) => {
                let opened = tokio::task::spawn_blocking(move || {
                    let storage = Arc::new(Storage::open(&dir, &config)?);
                    config.cluster_id = storage.cluster_id().to_string();
                    State::with_storage(config, host, port.into(), storage)
                });
                opened
                    .await
                    .map_err(io::Error::other)?
                    .map_err(io::Error::other)?
            }
        };
        let state = Arc::new(state);
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        tasks.spawn(state.groups.clone().run_timers(shutdown.clone()));
        tasks.spawn(txn::run_timeouts(
            state.clone(),
            Duration::from_millis(state.config.transaction_abort_interval_ms),
            shutdown.clone(),
        ));
        if let Some(storage) = &state.storage {
            tasks.spawn(storage::maintenance::run(
                state.clone(),
                storage.clone(),
                shutdown.clone(),
            ));
        }
        tasks.spawn(accept_loop(
            listener,
            state.clone(),
            shutdown.clone(),
            tasks.clone(),
        ));
        tracing::info!(%local_addr, node_id = state.config.node_id, "broker listening");
        Ok(Broker {
            state,
            local_addr,
            shutdown,
            tasks,
        })
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The `host:port` clients should bootstrap from.
    pub fn bootstrap(&self) -> String {
        format!(
            "{}:{}",
            self.state.advertised_host, self.state.advertised_port
        )
    }

    /// The broker's shared state, for embedding code and tests.
    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Stops accepting, closes every connection, waits for every task to end, and closes the
    /// log directory cleanly (every log flushed, checkpoints written, the lock released).
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        if let Some(storage) = self.state.storage.clone() {
            let state = self.state.clone();
            let closed =
                tokio::task::spawn_blocking(move || storage.close(|| close_logs(&state))).await;
            if let Err(error) = closed
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
            {
                tracing::error!(%error, "closing the log directory failed");
            }
        }
        tracing::info!(local_addr = %self.local_addr, "broker stopped");
    }
}

/// Snapshots the producer state of, seals and flushes every partition log; returns the
/// flusher tickets to wait for.
fn close_logs(state: &State) -> Vec<u64> {
    state
        .topics()
        .iter()
        .flat_map(|topic| topic.partitions())
        .filter_map(|partition| partition.log.lock().close_disk())
        .collect()
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tasks.spawn(connection::serve(stream, peer, state.clone(), shutdown.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
        }
    }
}
