//! Bindings for the command-line tools: the npm bin script runs `runCli(argv)` and calls
//! `stopCli()` when Node receives SIGINT or SIGTERM (Node owns the process's signals).

use std::sync::{Arc, LazyLock};

use ferrokafka_cli::StopOn;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tokio::sync::{oneshot, Notify};

/// Wakes a running long-lived command (server-start) so it shuts down cleanly.
static STOP: LazyLock<Arc<Notify>> = LazyLock::new(|| Arc::new(Notify::new()));

/// Runs a `ferrokafka` subcommand with `args` (program name first) on a thread of its own and
/// resolves with its exit code.
#[napi]
pub async fn run_cli(args: Vec<String>) -> Result<i32> {
    let (done, code) = oneshot::channel();
    std::thread::spawn(move || {
        let _ = done.send(ferrokafka_cli::run(args, StopOn::Notified(STOP.clone())));
    });
    code.await
        .map_err(|_| Error::new(Status::GenericFailure, "the command ended abnormally"))
}

/// Asks a running command to stop, as Ctrl-C would.
#[napi]
pub fn stop_cli() {
    STOP.notify_one();
}
