//! `producer-perf-test`: kafka-producer-perf-test.sh — sends `--num-records` records of
//! `--record-size` random capital letters (or payloads picked from `--payload-file`) as fast as
//! `--throughput` allows, and prints Kafka's lines: one per 5 s window, then the total with the
//! latency percentiles. Records go in sends of up to `batch.size` bytes, many in flight at once
//! (up to `buffer.memory` bytes); a record's latency runs from its creation to its
//! acknowledgement.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ferrokafka_client::producer::{Message, Producer, SendOptions, TopicMessages};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use tokio::task::JoinHandle;

use crate::java_format::fixed;
use crate::progress::Progress;
use crate::{connect, console_producer};

/// Arguments of `producer-perf-test`, named as kafka-producer-perf-test.sh names them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The topic to produce to.
    #[arg(long)]
    topic: String,
    /// How many records to send.
    #[arg(long, allow_negative_numbers = true)]
    num_records: i64,
    /// Each record's size in bytes.
    #[arg(long, allow_negative_numbers = true)]
    record_size: Option<i64>,
    /// A UTF-8 file whose payloads (split by --payload-delimiter) are sent, picked at random.
    #[arg(long)]
    payload_file: Option<PathBuf>,
    /// What separates the payloads of --payload-file.
    #[arg(long, default_value = "\\n")]
    payload_delimiter: String,
    /// At most this many records a second; -1 for no limit.
    #[arg(long, allow_negative_numbers = true)]
    throughput: f64,
    /// Producer settings as key=value (bootstrap.servers, acks, compression.type, batch.size,
    /// linger.ms, buffer.memory, client.id).
    #[arg(long = "producer-props", num_args = 1.., value_name = "PROP-NAME=PROP-VALUE")]
    producer_props: Vec<String>,
    /// A producer config file (Java properties).
    #[arg(long = "producer.config", value_name = "CONFIG-FILE")]
    producer_config: Option<PathBuf>,
}

/// The window of the periodic report.
const REPORTING_INTERVAL: Duration = Duration::from_secs(5);

pub fn run(args: Args) -> i32 {
    match execute(args) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("ERROR {message}");
            1
        }
    }
}

/// The producer settings: the config file, then --producer-props over it.
fn settings(args: &Args) -> Result<BTreeMap<String, String>, String> {
    if args.producer_props.is_empty() && args.producer_config.is_none() {
        return Err("Either --producer-props or --producer.config must be specified.".into());
    }
    let mut settings = match &args.producer_config {
        Some(path) => crate::properties::parse(
            &std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => BTreeMap::new(),
    };
    for prop in &args.producer_props {
        let pieces: Vec<&str> = prop.split('=').collect();
        let [key, value] = pieces.as_slice() else {
            return Err(format!("Invalid property: {prop}"));
        };
        settings.insert(key.to_string(), value.to_string());
    }
    Ok(settings)
}

/// A numeric setting, or its default.
fn number(settings: &BTreeMap<String, String>, key: &str, default: u64) -> Result<u64, String> {
    settings.get(key).map_or(Ok(default), |v| {
        v.trim()
            .parse()
            .map_err(|_| format!("Invalid value {v} for configuration {key}"))
    })
}

/// The payloads of `--payload-file`, as Kafka reads them.
fn read_payloads(path: &PathBuf, delimiter: &str) -> Result<Vec<Bytes>, String> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
    println!("Reading payloads from: {}", absolute.display());
    let text = std::fs::read_to_string(path).unwrap_or_default();
    if text.is_empty() {
        return Err("File does not exist or empty file provided.".into());
    }
    let delimiter = if delimiter == "\\n" { "\n" } else { delimiter };
    let payloads: Vec<Bytes> = text
        .split(delimiter)
        .filter(|p| !p.is_empty())
        .map(|p| Bytes::from(p.to_string()))
        .collect();
    println!("Number of messages read: {}", payloads.len());
    Ok(payloads)
}

fn execute(args: Args) -> Result<(), String> {
    if args.num_records <= 0 {
        return Err("--num-records should be greater than zero".into());
    }
    let record_size = match (args.record_size, &args.payload_file) {
        (Some(_), Some(_)) => {
            return Err("argument --payload-file: not allowed with argument --record-size".into())
        }
        (None, None) => {
            return Err("one of the arguments --record-size --payload-file is required".into())
        }
        (Some(size), None) if size <= 0 => {
            return Err("--record-size should be greater than zero".into())
        }
        (size, _) => size.map(|s| s as usize),
    };
    let settings = settings(&args)?;
    let payloads = match &args.payload_file {
        Some(path) => read_payloads(path, &args.payload_delimiter)?,
        None => Vec::new(),
    };
    let bootstrap = settings.get("bootstrap.servers").cloned().ok_or(
        "Missing required configuration \"bootstrap.servers\" which has no default value.",
    )?;
    let acks = console_producer::parse_acks(settings.get("acks").map_or("all", String::as_str))?;
    let compression = console_producer::parse_codec(
        settings
            .get("compression.type")
            .map_or("none", String::as_str),
    )?;
    let batch_size = number(&settings, "batch.size", 16_384)?.max(1) as usize;
    let buffer_memory = number(&settings, "buffer.memory", 33_554_432)?.max(1) as usize;
    let linger = Duration::from_millis(number(&settings, "linger.ms", 5)?);
    let request_timeout = number(&settings, "request.timeout.ms", 30_000)?;
    let client_id = settings
        .get("client.id")
        .cloned()
        .unwrap_or_else(|| "perf-producer-client".to_string());
    let cluster = connect::cluster(&bootstrap, &client_id)?;
    let producer = Arc::new(Producer::new(cluster, connect::producer_options(linger)));
    let send = SendOptions {
        acks,
        timeout_ms: request_timeout.min(i32::MAX as u64) as i32,
        compression,
    };
    let plan = Plan {
        topic: args.topic.clone(),
        records: args.num_records as u64,
        record_size,
        payloads,
        throughput: args.throughput,
        batch_size,
        buffer_memory,
        send,
    };
    crate::runtime()?.block_on(produce(producer, plan, &bootstrap))
}

/// What to send.
struct Plan {
    topic: String,
    records: u64,
    record_size: Option<usize>,
    payloads: Vec<Bytes>,
    throughput: f64,
    batch_size: usize,
    buffer_memory: usize,
    send: SendOptions,
}

/// A finished send: its outcome, when it was acknowledged, and its records' creation times and
/// sizes.
type Sent = (Result<(), String>, Instant, Vec<(Instant, usize)>);

/// One send in flight.
type InFlight = JoinHandle<Sent>;

async fn produce(producer: Arc<Producer>, plan: Plan, bootstrap: &str) -> Result<(), String> {
    let mut stats = Stats::new(plan.records);
    let mut progress = Progress::new();
    let mut random = fastrand::Rng::with_seed(0);
    let mut in_flight: FuturesUnordered<InFlight> = FuturesUnordered::new();
    let mut outstanding_bytes = 0usize;
    let mut pending: Vec<Message> = Vec::new();
    let mut pending_meta: Vec<(Instant, usize)> = Vec::new();
    let mut pending_bytes = 0usize;
    let start = Instant::now();
    let flush = |pending: &mut Vec<Message>,
                 meta: &mut Vec<(Instant, usize)>,
                 bytes: &mut usize,
                 in_flight: &mut FuturesUnordered<InFlight>| {
        if pending.is_empty() {
            return;
        }
        let messages = std::mem::take(pending);
        let meta = std::mem::take(meta);
        *bytes = 0;
        let producer = producer.clone();
        let topic = plan.topic.clone();
        let options = plan.send;
        let bootstrap = bootstrap.to_string();
        in_flight.push(tokio::spawn(async move {
            let outcome = producer
                .send(vec![TopicMessages { topic, messages }], options)
                .await
                .map(|_| ())
                .map_err(|e| connect::describe(&e, &bootstrap));
            (outcome, Instant::now(), meta)
        }));
    };
    for i in 0..plan.records {
        let payload = match plan.record_size {
            Some(size) => Bytes::from(
                (0..size)
                    .map(|_| b'A' + random.u8(0..26))
                    .collect::<Vec<u8>>(),
            ),
            None => plan.payloads[random.usize(0..plan.payloads.len())].clone(),
        };
        let size = payload.len();
        pending.push(Message {
            value: Some(payload),
            timestamp: now_millis(),
            ..Message::default()
        });
        pending_meta.push((Instant::now(), size));
        pending_bytes += size;
        outstanding_bytes += size;
        if pending_bytes >= plan.batch_size {
            flush(
                &mut pending,
                &mut pending_meta,
                &mut pending_bytes,
                &mut in_flight,
            );
        }
        while outstanding_bytes > plan.buffer_memory && !in_flight.is_empty() {
            outstanding_bytes -= settle(in_flight.next().await, &mut stats, &mut progress)?;
        }
        if plan.throughput > 0.0 {
            let due = start + Duration::from_secs_f64((i + 1) as f64 / plan.throughput);
            if due > Instant::now() {
                flush(
                    &mut pending,
                    &mut pending_meta,
                    &mut pending_bytes,
                    &mut in_flight,
                );
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep_until(due.into()) => break,
                        done = in_flight.next(), if !in_flight.is_empty() => {
                            outstanding_bytes -= settle(done, &mut stats, &mut progress)?;
                        }
                    }
                }
            }
        }
        while let Some(done) = futures::FutureExt::now_or_never(in_flight.next()).flatten() {
            outstanding_bytes -= settle(Some(done), &mut stats, &mut progress)?;
        }
    }
    flush(
        &mut pending,
        &mut pending_meta,
        &mut pending_bytes,
        &mut in_flight,
    );
    while let Some(done) = in_flight.next().await {
        settle(Some(done), &mut stats, &mut progress)?;
    }
    progress.clear();
    println!("{}", stats.total());
    Ok(())
}

/// Records a finished send's latencies; its bytes. A failed send ends the test.
fn settle(
    done: Option<Result<Sent, tokio::task::JoinError>>,
    stats: &mut Stats,
    progress: &mut Progress,
) -> Result<usize, String> {
    let Some(done) = done else { return Ok(0) };
    let (outcome, acked, meta) = done.map_err(|e| format!("a send failed: {e}"))?;
    progress.clear();
    outcome.map_err(|e| format!("Error when sending records: {e}"))?;
    let mut bytes = 0;
    for (created, size) in meta {
        bytes += size;
        let latency = acked.saturating_duration_since(created).as_millis() as u64;
        if let Some(window) = stats.record(latency, size as u64) {
            println!("{window}");
        }
    }
    progress.update(|| stats.progress());
    Ok(bytes)
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Kafka's producer statistics: totals, the current window, and a sample of the latencies.
struct Stats {
    start: Instant,
    sampling: u64,
    latencies: Vec<u64>,
    iteration: u64,
    count: u64,
    bytes: u64,
    total_latency: u64,
    max_latency: u64,
    window_start: Instant,
    window_count: u64,
    window_bytes: u64,
    window_total_latency: u64,
    window_max_latency: u64,
}

impl Stats {
    fn new(records: u64) -> Stats {
        let sampling = records / records.clamp(1, 500_000);
        Stats {
            start: Instant::now(),
            sampling: sampling.max(1),
            latencies: Vec::with_capacity((records / sampling.max(1)) as usize + 1),
            iteration: 0,
            count: 0,
            bytes: 0,
            total_latency: 0,
            max_latency: 0,
            window_start: Instant::now(),
            window_count: 0,
            window_bytes: 0,
            window_total_latency: 0,
            window_max_latency: 0,
        }
    }

    /// Counts one acknowledged record; the window's line when the window is over.
    fn record(&mut self, latency: u64, bytes: u64) -> Option<String> {
        self.count += 1;
        self.bytes += bytes;
        self.total_latency += latency;
        self.max_latency = self.max_latency.max(latency);
        self.window_count += 1;
        self.window_bytes += bytes;
        self.window_total_latency += latency;
        self.window_max_latency = self.window_max_latency.max(latency);
        if self.iteration.is_multiple_of(self.sampling) {
            self.latencies.push(latency);
        }
        self.iteration += 1;
        if self.window_start.elapsed() < REPORTING_INTERVAL {
            return None;
        }
        let elapsed = self.window_start.elapsed().as_millis() as f64;
        let line = format!(
            "{} records sent, {} records/sec ({} MB/sec), {} ms avg latency, {} ms max latency.",
            self.window_count,
            fixed(1000.0 * self.window_count as f64 / elapsed, 1),
            fixed(1000.0 * self.window_bytes as f64 / elapsed / 1_048_576.0, 2),
            fixed(
                self.window_total_latency as f64 / self.window_count as f64,
                1
            ),
            fixed(self.window_max_latency as f64, 1),
        );
        self.window_start = Instant::now();
        self.window_count = 0;
        self.window_bytes = 0;
        self.window_total_latency = 0;
        self.window_max_latency = 0;
        Some(line)
    }

    /// The live progress line.
    fn progress(&self) -> String {
        let elapsed = self.start.elapsed().as_secs_f64().max(f64::EPSILON);
        format!(
            "{} records sent, {} records/sec",
            self.count,
            fixed(self.count as f64 / elapsed, 1)
        )
    }

    /// Kafka's summary line.
    fn total(&mut self) -> String {
        let elapsed = self.start.elapsed().as_millis() as f64;
        self.latencies.sort_unstable();
        let size = self.latencies.len();
        let percentile = |p: f64| {
            self.latencies
                .get(((p * size as f64) as usize).min(size.saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        format!(
            "{} records sent, {} records/sec ({} MB/sec), {} ms avg latency, {} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
            self.count,
            fixed(1000.0 * self.count as f64 / elapsed, 6),
            fixed(1000.0 * self.bytes as f64 / elapsed / 1_048_576.0, 2),
            fixed(self.total_latency as f64 / self.count as f64, 2),
            fixed(self.max_latency as f64, 2),
            percentile(0.5),
            percentile(0.95),
            percentile(0.99),
            percentile(0.999),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_as_kafka_does() {
        let mut stats = Stats::new(4);
        for latency in [4, 1, 3, 2] {
            assert_eq!(stats.record(latency, 10), None);
        }
        let total = stats.total();
        assert!(total.starts_with("4 records sent, "), "{total}");
        assert!(
            total.ends_with(" MB/sec), 2.50 ms avg latency, 4.00 ms max latency, 3 ms 50th, 4 ms 95th, 4 ms 99th, 4 ms 99.9th."),
            "{total}"
        );
    }
}
