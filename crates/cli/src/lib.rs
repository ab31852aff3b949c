//! ferrokafka-cli: Kafka's scripts (`kafka-server-start.sh`, ...) as subcommands of one
//! `ferrokafka` program, shared by the standalone binary and the npm package's bin scripts.

mod properties;
mod server_start;

use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio::sync::Notify;

/// Kafka's command-line tools.
#[derive(Debug, Parser)]
#[command(
    name = "ferrokafka",
    version,
    about = "Kafka's command-line tools, on ferrokafka"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a broker in the foreground, like kafka-server-start.sh.
    ServerStart(server_start::Args),
}

/// What ends a long-running command such as `server-start`.
#[derive(Debug, Clone)]
pub enum StopOn {
    /// Ctrl-C or SIGTERM, caught by the command itself (the standalone binary).
    Signals,
    /// A notification from the host; used inside Node, which owns the process's signals.
    Notified(Arc<Notify>),
}

/// Runs the tool named by `args` (`args[0]` is the program name) and returns its exit code.
pub fn run(args: Vec<String>, stop: StopOn) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return error.exit_code();
        }
    };
    match cli.command {
        Command::ServerStart(args) => server_start::run(args, stop),
    }
}
