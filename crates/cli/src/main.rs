//! The `ferrokafka` binary: Kafka's command-line tools as subcommands.

fn main() {
    std::process::exit(ferrokafka_cli::run(std::env::args().collect()));
}
