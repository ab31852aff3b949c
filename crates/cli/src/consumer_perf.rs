//! `consumer-perf-test`: kafka-consumer-perf-test.sh — consumes `--messages` records of a topic
//! in a group (from the earliest offset, or the latest with `--from-latest`), stopping early when
//! no record came for `--timeout` ms, and prints Kafka's CSV: a header, then one summary line
//! (or, with `--show-detailed-stats`, a line per reporting interval). Times are printed in UTC.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrokafka_client::consumer::{Consumer, ConsumerOptions, Event};
use tokio::time::Instant;

use crate::datetime::format_millis;
use crate::java_format::fixed;
use crate::progress::Progress;
use crate::{connect, StopOn};

/// Arguments of `consumer-perf-test`, named as kafka-consumer-perf-test.sh names them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Kafka server to connect to (host:port, comma-separated).
    #[arg(long, value_name = "SERVERS")]
    bootstrap_server: Option<String>,
    /// The topic to consume from.
    #[arg(long)]
    topic: Option<String>,
    /// How many messages to consume.
    #[arg(long, allow_negative_numbers = true)]
    messages: Option<i64>,
    /// The group to consume in (default perf-consumer-N).
    #[arg(long)]
    group: Option<String>,
    /// Without a committed offset, start at the latest offset rather than the earliest.
    #[arg(long)]
    from_latest: bool,
    /// The most time allowed between records, in ms.
    #[arg(long, default_value_t = 10_000)]
    timeout: u64,
    /// Print a line per reporting interval instead of the summary.
    #[arg(long)]
    show_detailed_stats: bool,
    /// The reporting interval of --show-detailed-stats, in ms.
    #[arg(long, default_value_t = 5_000)]
    reporting_interval: u64,
    /// Skip the header line.
    #[arg(long)]
    hide_header: bool,
    /// The most bytes fetched per partition at once.
    #[arg(long, default_value_t = 1024 * 1024)]
    fetch_size: i32,
    /// A consumer config file (Java properties): client.id, isolation.level.
    #[arg(long = "consumer.config", value_name = "CONFIG-FILE")]
    consumer_config: Option<PathBuf>,
}

pub fn run(args: Args, stop: StopOn) -> i32 {
    match execute(args, stop) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("ERROR {message}");
            1
        }
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Counts so far, and whether Ctrl-C ended the count.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    messages: u64,
    bytes: u64,
}

fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn execute(args: Args, stop: StopOn) -> Result<(), String> {
    let messages = args
        .messages
        .ok_or("Missing required argument \"[messages]\"")?;
    let topic = args
        .topic
        .clone()
        .ok_or("Exactly one of the following arguments is required: [topic], [include]")?;
    let bootstrap = args
        .bootstrap_server
        .clone()
        .ok_or("Missing required argument \"[bootstrap-server]\"")?;
    if args.reporting_interval == 0 {
        return Err("Reporting interval must be greater than 0.".into());
    }
    let settings = match &args.consumer_config {
        Some(path) => crate::properties::parse(
            &std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => Default::default(),
    };
    let read_uncommitted = settings
        .get("isolation.level")
        .is_none_or(|level| level != "read_committed");
    let client_id = settings
        .get("client.id")
        .cloned()
        .unwrap_or_else(|| "perf-consumer-client".to_string());
    let group_id = args
        .group
        .clone()
        .unwrap_or_else(|| format!("perf-consumer-{}", fastrand::u32(0..100_000)));
    if !args.hide_header {
        let first = if args.show_detailed_stats {
            "time, threadId"
        } else {
            "start.time, end.time"
        };
        println!("{first}, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec");
    }
    let cluster = connect::cluster(&bootstrap, &client_id)?;
    let options = ConsumerOptions {
        max_bytes_per_partition: args.fetch_size,
        ..connect::consumer_options(group_id, read_uncommitted)
    };
    let wanted = messages.max(0) as u64;
    crate::runtime()?.block_on(async {
        let start_ms = now_millis();
        let start = Instant::now();
        let consumer = Arc::new(Consumer::start(
            cluster,
            connect::connection(&client_id),
            options,
            vec![(topic, !args.from_latest)],
            true,
        ));
        let join = Arc::new(Mutex::new(Join::default()));
        let joins = tokio::spawn(track_joins(consumer.clone(), join.clone(), start));
        let outcome = consume(&consumer, &args, wanted, &join, &stop, &bootstrap).await;
        let end_ms = now_millis();
        consumer.stop().await;
        let _ = joins.await;
        let (counts, stopped) = outcome?;
        if counts.messages < wanted && !stopped {
            println!("WARNING: Exiting before consuming the expected number of messages: timeout ({} ms) exceeded. You can use the --timeout option to increase the timeout.", args.timeout);
        }
        if !args.show_detailed_stats {
            let elapsed_sec = (end_ms - start_ms) as f64 / 1000.0;
            let join_ms = join.lock().unwrap_or_else(|e| e.into_inner()).total_ms;
            let fetch_ms = (end_ms - start_ms) - join_ms as i64;
            let mb = megabytes(counts.bytes);
            println!(
                "{}, {}, {}, {}, {}, {}, {}, {}, {}, {}",
                format_millis(start_ms),
                format_millis(end_ms),
                fixed(mb, 4),
                fixed(mb / elapsed_sec, 4),
                counts.messages,
                fixed(counts.messages as f64 / elapsed_sec, 4),
                join_ms,
                fetch_ms,
                fixed(mb / (fetch_ms as f64 / 1000.0), 4),
                fixed(counts.messages as f64 / (fetch_ms as f64 / 1000.0), 4),
            );
        }
        Ok(())
    })
}

/// Time spent joining the group: in all, and since the last detailed report.
#[derive(Debug, Default)]
struct Join {
    total_ms: u64,
    round_ms: u64,
    joined_once: bool,
}

/// Adds each join's time: from the start for the first, the join's own duration after.
async fn track_joins(consumer: Arc<Consumer>, join: Arc<Mutex<Join>>, start: Instant) {
    loop {
        let events = consumer.events().await;
        if events.is_empty() {
            return;
        }
        for event in events {
            if let Event::GroupJoin { duration_ms, .. } = event {
                let mut join = join.lock().unwrap_or_else(|e| e.into_inner());
                let took = if join.joined_once {
                    duration_ms
                } else {
                    start.elapsed().as_millis() as u64
                };
                join.joined_once = true;
                join.total_ms += took;
                join.round_ms += took;
            }
        }
    }
}

async fn consume(
    consumer: &Consumer,
    args: &Args,
    wanted: u64,
    join: &Mutex<Join>,
    stop: &StopOn,
    bootstrap: &str,
) -> Result<(Counts, bool), String> {
    let timeout = Duration::from_millis(args.timeout);
    let interval = Duration::from_millis(args.reporting_interval);
    let mut counts = Counts::default();
    let mut last = Counts::default();
    let mut last_report = Instant::now();
    let mut last_consumed = Instant::now();
    let mut progress = Progress::new();
    while counts.messages < wanted {
        let poll = tokio::select! {
            poll = consumer.next() => poll,
            _ = stop.wait() => {
                progress.clear();
                return Ok((counts, true));
            }
            _ = tokio::time::sleep_until(last_consumed + timeout) => break,
        };
        if let Some(failure) = poll.failure {
            progress.clear();
            return Err(connect::describe(&failure, bootstrap));
        }
        if poll.stopped {
            break;
        }
        let Some(batch) = poll.batch else { continue };
        let tp = (batch.topic.clone(), batch.partition);
        let now = Instant::now();
        let mut next = None;
        let mut taken = 0;
        for record in batch.records.iter() {
            if counts.messages >= wanted {
                break;
            }
            counts.messages += 1;
            counts.bytes += record.key.map_or(0, |k| k.len() as u64)
                + record.value.map_or(0, |v| v.len() as u64);
            next = Some(record.offset + 1);
            taken += 1;
        }
        let cut_short = taken < batch.records.len();
        consumer.batch_done(&tp, next, if cut_short { next } else { None });
        if next.is_some() {
            last_consumed = now;
        }
        if args.show_detailed_stats && now - last_report >= interval {
            progress.clear();
            let round =
                std::mem::take(&mut join.lock().unwrap_or_else(|e| e.into_inner()).round_ms);
            println!("{}", detailed_line(counts, last, now - last_report, round));
            last_report = now;
            last = counts;
        }
        progress.update(|| {
            format!(
                "{} messages, {} MB consumed",
                counts.messages,
                fixed(megabytes(counts.bytes), 4)
            )
        });
    }
    progress.clear();
    Ok((counts, false))
}

/// A `--show-detailed-stats` line for the interval since `last`.
fn detailed_line(counts: Counts, last: Counts, elapsed: Duration, join_ms: u64) -> String {
    let elapsed_ms = elapsed.as_millis() as f64;
    let interval_mb = megabytes(counts.bytes - last.bytes);
    let interval_messages = (counts.messages - last.messages) as f64;
    let fetch_ms = elapsed.as_millis() as i64 - join_ms as i64;
    let per_fetch_sec = |amount: f64| {
        if fetch_ms <= 0 {
            0.0
        } else {
            1000.0 * amount / fetch_ms as f64
        }
    };
    format!(
        "{}, 0, {}, {}, {}, {}, {}, {}, {}, {}",
        format_millis(now_millis()),
        fixed(megabytes(counts.bytes), 4),
        fixed(1000.0 * interval_mb / elapsed_ms, 4),
        counts.messages,
        fixed(interval_messages / elapsed_ms * 1000.0, 4),
        join_ms,
        fetch_ms,
        fixed(per_fetch_sec(interval_mb), 4),
        fixed(per_fetch_sec(interval_messages), 4),
    )
}
