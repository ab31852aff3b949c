//! Binding for the command-line tools: the npm bin scripts call `runCli(argv)`.

use napi_derive::napi;

/// Runs a `ferrokafka` subcommand with `args` (program name first) and returns its exit code.
/// Blocks the calling thread for as long as the command runs.
#[napi]
pub fn run_cli(args: Vec<String>) -> i32 {
    ferrokafka_cli::run(args)
}
