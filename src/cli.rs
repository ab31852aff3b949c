//! Bindings for the command-line tools: the npm bin script runs `runCli(argv)` and calls
//! `stopCli()` when Node receives SIGINT or SIGTERM (Node owns the process's signals). The bin
//! script also says how to run the tools again (`node <package>/bin/ferrokafka.js`), which
//! `server-start -daemon` needs since this process is Node, not a `ferrokafka` executable.

use std::sync::{Arc, LazyLock};

use ferrokafka_cli::{Launcher, StopOn};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tokio::sync::{oneshot, Notify};

/// Wakes a running long-lived command (server-start) so it shuts down cleanly.
static STOP: LazyLock<Arc<Notify>> = LazyLock::new(|| Arc::new(Notify::new()));

/// Runs a `ferrokafka` subcommand with `args` (program name first) on a thread of its own and
/// resolves with its exit code; `launcher` is the command that runs the tools again.
#[napi]
pub async fn run_cli(args: Vec<String>, launcher: Option<Vec<String>>) -> Result<i32> {
    let (done, code) = oneshot::channel();
    std::thread::spawn(move || {
        let launcher = Launcher::new(launcher.unwrap_or_default());
        let _ = done.send(ferrokafka_cli::run(
            args,
            StopOn::Notified(STOP.clone()),
            launcher,
        ));
    });
    code.await
        .map_err(|_| Error::new(Status::GenericFailure, "the command ended abnormally"))
}

/// Asks a running command to stop, as Ctrl-C would.
#[napi]
pub fn stop_cli() {
    STOP.notify_one();
}
