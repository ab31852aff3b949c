//! ferrokafka-cli: Kafka's scripts (`kafka-server-start.sh`, `kafka-topics.sh`, ...) as
//! subcommands of one `ferrokafka` program, shared by the standalone binary and the npm
//! package's bin scripts. Each subcommand takes the flags of the Kafka script it stands for.

mod connect;
mod console_consumer;
mod console_producer;
mod consumer_groups;
mod consumer_perf;
mod daemon;
mod datetime;
mod java_format;
mod pid_files;
mod producer_perf;
mod progress;
mod properties;
mod reset_offsets;
mod server_checks;
mod server_start;
mod server_stop;
mod stop;
mod storage;
mod topics;

use clap::{Parser, Subcommand};

pub use daemon::Launcher;
pub use stop::StopOn;

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
    /// Start a broker in the foreground or with -daemon, like kafka-server-start.sh.
    ServerStart(server_start::Args),
    /// Stop the running brokers, like kafka-server-stop.sh.
    ServerStop(server_stop::Args),
    /// Make a cluster id and format log directories, like kafka-storage.sh.
    Storage(storage::Args),
    /// Create, list, describe, alter and delete topics, like kafka-topics.sh.
    Topics(topics::Args),
    /// Send standard input's lines to a topic, like kafka-console-producer.sh.
    ConsoleProducer(console_producer::Args),
    /// Print a topic's messages, like kafka-console-consumer.sh.
    ConsoleConsumer(console_consumer::Args),
    /// List, describe, delete consumer groups and reset their offsets, like
    /// kafka-consumer-groups.sh.
    ConsumerGroups(consumer_groups::Args),
    /// Measure how fast records are produced, like kafka-producer-perf-test.sh.
    ProducerPerfTest(producer_perf::Args),
    /// Measure how fast records are consumed, like kafka-consumer-perf-test.sh.
    ConsumerPerfTest(consumer_perf::Args),
}

/// The subcommand each of Kafka's scripts stands for, by script name (without `.sh`).
pub const SCRIPTS: &[(&str, &str)] = &[
    ("kafka-server-start", "server-start"),
    ("kafka-server-stop", "server-stop"),
    ("kafka-storage", "storage"),
    ("kafka-topics", "topics"),
    ("kafka-console-producer", "console-producer"),
    ("kafka-console-consumer", "console-consumer"),
    ("kafka-consumer-groups", "consumer-groups"),
    ("kafka-producer-perf-test", "producer-perf-test"),
    ("kafka-consumer-perf-test", "consumer-perf-test"),
];

/// Runs the tool named by `args` (`args[0]` is the program name) and returns its exit code.
/// A program named after one of Kafka's scripts (`kafka-topics.sh`, ...) runs that script's
/// subcommand. `launcher` runs this program again (for `server-start -daemon`).
pub fn run(args: Vec<String>, stop: StopOn, launcher: Launcher) -> i32 {
    let cli = match Cli::try_parse_from(normalise(args)) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return error.exit_code();
        }
    };
    match cli.command {
        Command::ServerStart(args) => server_start::run(args, stop, &launcher),
        Command::ServerStop(args) => server_stop::run(args, &launcher),
        Command::Storage(args) => storage::run(args),
        Command::Topics(args) => topics::run(args),
        Command::ConsoleProducer(args) => console_producer::run(args, stop),
        Command::ConsoleConsumer(args) => console_consumer::run(args, stop),
        Command::ConsumerGroups(args) => consumer_groups::run(args),
        Command::ProducerPerfTest(args) => producer_perf::run(args),
        Command::ConsumerPerfTest(args) => consumer_perf::run(args, stop),
    }
}

/// Kafka's script names become subcommands, and its single-dash `-daemon` a flag.
fn normalise(args: Vec<String>) -> Vec<String> {
    let mut args: Vec<String> = args
        .into_iter()
        .map(|a| if a == "-daemon" { "--daemon".into() } else { a })
        .collect();
    let program = args
        .first()
        .map(|p| {
            let base = p.rsplit(['/', '\\']).next().unwrap_or(p);
            base.strip_suffix(".sh").unwrap_or(base).to_string()
        })
        .unwrap_or_default();
    if let Some((_, subcommand)) = SCRIPTS.iter().find(|(script, _)| *script == program) {
        args.insert(1, subcommand.to_string());
    }
    args
}

/// The runtime a tool's client runs on.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_names_pick_the_subcommand() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            normalise(args(&["/usr/bin/kafka-topics.sh", "--list"])),
            args(&["/usr/bin/kafka-topics.sh", "topics", "--list"])
        );
        assert_eq!(
            normalise(args(&["ferrokafka", "topics"])),
            args(&["ferrokafka", "topics"])
        );
        assert_eq!(
            normalise(args(&["kafka-server-start.sh", "-daemon", "s.properties"])),
            args(&[
                "kafka-server-start.sh",
                "server-start",
                "--daemon",
                "s.properties"
            ])
        );
    }

    #[test]
    fn topics_takes_kafkas_flags() {
        let cli = Cli::try_parse_from([
            "ferrokafka",
            "topics",
            "--bootstrap-server",
            "localhost:9092",
            "--create",
            "--topic",
            "t1",
            "--partitions",
            "1",
            "--replication-factor",
            "1",
            "--config",
            "retention.ms=1",
        ]);
        assert!(cli.is_ok(), "{cli:?}");
        assert!(Cli::try_parse_from(["ferrokafka", "topics", "--no-such-flag"]).is_err());
    }
}
