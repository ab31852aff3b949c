//! The listener: binds the socket, accepts connections and hands each to its own task, and
//! shuts everything down on request.

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
    /// Binds the listener and starts serving. Must be called within a tokio runtime.
    pub async fn start(config: BrokerConfig) -> io::Result<Broker> {
        let listener = TcpListener::bind((config.host, config.port)).await?;
        let local_addr = listener.local_addr()?;
        let host = config
            .advertised_host
            .clone()
            .unwrap_or_else(|| config.host.to_string());
        let port = config.advertised_port.unwrap_or(local_addr.port());
        let state = Arc::new(State::new(config, host, port.into()));
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        tasks.spawn(state.groups.clone().run_timers(shutdown.clone()));
        tasks.spawn(txn::run_timeouts(
            state.clone(),
            Duration::from_millis(state.config.transaction_abort_interval_ms),
            shutdown.clone(),
        ));
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

    /// Stops accepting, closes every connection and waits for every task to end.
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        tracing::info!(local_addr = %self.local_addr, "broker stopped");
    }
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
