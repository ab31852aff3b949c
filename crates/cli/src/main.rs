//! The `ferrokafka` binary: Kafka's command-line tools as subcommands.

/// Requests declaring huge collections must not abort the broker: see `LazyLargeAllocator`.
#[global_allocator]
static ALLOC: ferrokafka_broker::LazyLargeAllocator = ferrokafka_broker::LazyLargeAllocator;

fn main() {
    let code = ferrokafka_cli::run(
        std::env::args().collect(),
        ferrokafka_cli::StopOn::Signals,
        ferrokafka_cli::Launcher::current_exe(),
    );
    std::process::exit(code);
}
