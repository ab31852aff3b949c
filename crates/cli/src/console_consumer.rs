//! `console-consumer`: kafka-console-consumer.sh — prints a topic's messages with Kafka's
//! DefaultMessageFormatter `--property` settings, as a member of `--group` (or of a fresh
//! `console-consumer-N` group), until `--max-messages`, `--timeout-ms` or Ctrl-C, and then says
//! how many messages it processed. With `--partition` (and `--offset`) it reads that partition
//! directly, in no group.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use ferrokafka_client::consumer::partition_reader::{PartitionReader, ReaderOptions, StartAt};
use ferrokafka_client::consumer::records::{BatchContext, Record};
use ferrokafka_client::consumer::{Batch, Consumer};

use crate::console_producer::key_values;
use crate::{connect, StopOn};

/// Arguments of `console-consumer`, named as kafka-console-consumer.sh names them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Kafka server to connect to (host:port, comma-separated).
    #[arg(long, value_name = "SERVERS")]
    bootstrap_server: Option<String>,
    /// The topic to consume.
    #[arg(long)]
    topic: String,
    /// The consumer group to consume in; a fresh one when absent.
    #[arg(long)]
    group: Option<String>,
    /// Start from the earliest message when the group has no committed offset.
    #[arg(long)]
    from_beginning: bool,
    /// Read this partition directly, in no group; from its end unless --offset or
    /// --from-beginning says otherwise.
    #[arg(long)]
    partition: Option<i32>,
    /// With --partition: where to start, earliest, latest or an offset.
    #[arg(long)]
    offset: Option<String>,
    /// Exit after this many messages.
    #[arg(long)]
    max_messages: Option<u64>,
    /// Exit when no message arrived for this long, in ms.
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// read_committed or read_uncommitted.
    #[arg(long, default_value = "read_uncommitted")]
    isolation_level: String,
    /// How messages are printed: print.key, print.value, print.timestamp, print.partition,
    /// print.offset, print.headers, key.separator, line.separator, headers.separator,
    /// null.literal; may repeat.
    #[arg(long = "property", value_name = "KEY=VALUE")]
    properties: Vec<String>,
    /// A consumer setting as key=value (client.id, ...); may repeat.
    #[arg(long = "consumer-property", value_name = "KEY=VALUE")]
    consumer_properties: Vec<String>,
}

/// Kafka's DefaultMessageFormatter settings.
#[derive(Debug, Clone, PartialEq)]
struct Formatter {
    timestamp: bool,
    partition: bool,
    offset: bool,
    headers: bool,
    key: bool,
    value: bool,
    key_separator: String,
    line_separator: String,
    headers_separator: String,
    null_literal: String,
}

impl Formatter {
    fn new(properties: &BTreeMap<String, String>) -> Formatter {
        let get = |k: &str, d: &str| properties.get(k).cloned().unwrap_or_else(|| d.to_string());
        let flag = |k: &str, d: bool| {
            properties
                .get(k)
                .map_or(d, |v| v.trim().eq_ignore_ascii_case("true"))
        };
        Formatter {
            timestamp: flag("print.timestamp", false),
            partition: flag("print.partition", false),
            offset: flag("print.offset", false),
            headers: flag("print.headers", false),
            key: flag("print.key", false),
            value: flag("print.value", true),
            key_separator: get("key.separator", "\t"),
            line_separator: get("line.separator", "\n"),
            headers_separator: get("headers.separator", ","),
            null_literal: get("null.literal", "null"),
        }
    }

    /// A record as the formatter prints it: the chosen columns joined by the key separator.
    fn format(&self, partition: i32, context: Option<&BatchContext>, record: &Record) -> Vec<u8> {
        let mut columns: Vec<Vec<u8>> = Vec::new();
        let bytes = |b: Option<&[u8]>| {
            b.map_or_else(|| self.null_literal.as_bytes().to_vec(), <[u8]>::to_vec)
        };
        if self.timestamp {
            let kind = match context.map(|c| c.timestamp_type) {
                Some(1) => "LogAppendTime",
                _ => "CreateTime",
            };
            columns.push(if record.timestamp < 0 {
                b"NO_TIMESTAMP".to_vec()
            } else {
                format!("{kind}:{}", record.timestamp).into_bytes()
            });
        }
        if self.partition {
            columns.push(format!("Partition:{partition}").into_bytes());
        }
        if self.offset {
            columns.push(format!("Offset:{}", record.offset).into_bytes());
        }
        if self.headers {
            if record.headers.is_empty() {
                columns.push(b"NO_HEADERS".to_vec());
            } else {
                let mut out = Vec::new();
                for (i, (key, value)) in record.headers.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(self.headers_separator.as_bytes());
                    }
                    out.extend_from_slice(key);
                    out.push(b':');
                    out.extend_from_slice(&bytes(*value));
                }
                columns.push(out);
            }
        }
        if self.key {
            columns.push(bytes(record.key));
        }
        if self.value {
            columns.push(bytes(record.value));
        }
        let mut out = columns.join(self.key_separator.as_bytes());
        out.extend_from_slice(self.line_separator.as_bytes());
        out
    }
}

pub fn run(args: Args, stop: StopOn) -> i32 {
    match execute(args, stop) {
        Ok(processed) => {
            eprintln!("Processed a total of {processed} messages");
            0
        }
        Err((processed, message)) => {
            eprintln!("ERROR {message}");
            if let Some(processed) = processed {
                eprintln!("Processed a total of {processed} messages");
            }
            1
        }
    }
}

fn execute(args: Args, stop: StopOn) -> Result<u64, (Option<u64>, String)> {
    let early = |m: String| (None, m);
    let bootstrap = args
        .bootstrap_server
        .clone()
        .ok_or_else(|| early("Missing required argument \"[bootstrap-server]\"".to_string()))?;
    let from_beginning = args.from_beginning;
    let direct = direct_start(&args).map_err(early)?;
    let read_uncommitted = match args.isolation_level.as_str() {
        "read_uncommitted" => true,
        "read_committed" => false,
        other => {
            return Err(early(format!(
                "Invalid value {other} for configuration isolation.level: String must be one of: read_committed, read_uncommitted"
            )))
        }
    };
    let formatter = Formatter::new(&key_values(&args.properties, "--property").map_err(early)?);
    let settings = key_values(&args.consumer_properties, "--consumer-property").map_err(early)?;
    let client_id = settings
        .get("client.id")
        .cloned()
        .unwrap_or_else(|| "console-consumer".to_string());
    if let Some(start) = direct {
        return read_partition(&args, start, read_uncommitted, &formatter, &client_id, stop);
    }
    let commit = args.group.is_some();
    let group_id = args
        .group
        .clone()
        .unwrap_or_else(|| format!("console-consumer-{}", fastrand::u32(0..100_000)));
    let cluster = connect::cluster(&bootstrap, &client_id).map_err(early)?;
    let options = connect::consumer_options(group_id, read_uncommitted);
    let runtime = crate::runtime().map_err(early)?;
    runtime.block_on(async {
        let consumer = Consumer::start(
            cluster,
            connect::connection(&client_id),
            options,
            vec![(args.topic.clone(), from_beginning)],
            commit,
        );
        let mut processed = 0u64;
        let outcome = consume(
            &consumer,
            &args,
            &formatter,
            &mut processed,
            &stop,
            &bootstrap,
        )
        .await;
        consumer.stop().await;
        outcome
            .map(|()| processed)
            .map_err(|m| (Some(processed), m))
    })
}

async fn consume(
    consumer: &Consumer,
    args: &Args,
    formatter: &Formatter,
    processed: &mut u64,
    stop: &StopOn,
    bootstrap: &str,
) -> Result<(), String> {
    let idle = args.timeout_ms.map(Duration::from_millis);
    loop {
        if args.max_messages.is_some_and(|max| *processed >= max) {
            return Ok(());
        }
        let poll = tokio::select! {
            poll = consumer.next() => poll,
            _ = stop.wait() => return Ok(()),
            _ = sleep_or_forever(idle) => return Ok(()),
        };
        if let Some(failure) = poll.failure {
            return Err(connect::describe(&failure, bootstrap));
        }
        if poll.stopped {
            return Ok(());
        }
        let Some(batch) = poll.batch else { continue };
        let tp = (batch.topic.clone(), batch.partition);
        let (next, cut_short) = print_batch(&batch, args, formatter, processed)?;
        consumer.batch_done(&tp, next, if cut_short { next } else { None });
        if args.group.is_some() && next.is_some() {
            consumer
                .commit(None)
                .await
                .map_err(|e| connect::describe(&e, bootstrap))?;
        }
    }
}

/// Prints `batch`'s records up to `--max-messages`; the offset after the last one printed, and
/// whether some were left unprinted.
fn print_batch(
    batch: &Batch,
    args: &Args,
    formatter: &Formatter,
    processed: &mut u64,
) -> Result<(Option<i64>, bool), String> {
    let mut stdout = std::io::stdout().lock();
    let mut next = None;
    let mut printed = 0;
    for record in batch.records.iter() {
        if args.max_messages.is_some_and(|max| *processed >= max) {
            break;
        }
        let line = formatter.format(batch.partition, batch.contexts.get(record.context), &record);
        stdout
            .write_all(&line)
            .map_err(|e| format!("cannot write to standard output: {e}"))?;
        *processed += 1;
        printed += 1;
        next = Some(record.offset + 1);
    }
    let _ = stdout.flush();
    Ok((next, printed < batch.records.len()))
}

/// Where `--partition`/`--offset` say to start reading, checked as Kafka checks them; `None`
/// without `--partition`.
fn direct_start(args: &Args) -> Result<Option<StartAt>, String> {
    let Some(partition) = args.partition else {
        return match args.offset {
            Some(_) => Err("The partition is required when offset is specified.".to_string()),
            None => Ok(None),
        };
    };
    if args.from_beginning && args.offset.is_some() {
        return Err("Options from-beginning and offset cannot be specified together.".to_string());
    }
    if args.group.is_some() {
        return Err("Options group and partition cannot be specified together.".to_string());
    }
    if partition < 0 {
        return Err(format!(
            "The provided partition '{partition}' is incorrect."
        ));
    }
    let start = match args.offset.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("earliest") => StartAt::Earliest,
        Some("latest") => StartAt::Latest,
        Some(text) => match text.parse::<i64>() {
            Ok(offset) if offset >= 0 => StartAt::Offset(offset),
            _ => {
                return Err(format!(
                    "The provided offset value '{}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.",
                    args.offset.as_deref().unwrap_or_default()
                ))
            }
        },
        None if args.from_beginning => StartAt::Earliest,
        None => StartAt::Latest,
    };
    Ok(Some(start))
}

/// Reads `--partition` from `start` in no group until `--max-messages`, `--timeout-ms` or the
/// stop.
fn read_partition(
    args: &Args,
    start: StartAt,
    read_uncommitted: bool,
    formatter: &Formatter,
    client_id: &str,
    stop: StopOn,
) -> Result<u64, (Option<u64>, String)> {
    let early = |m: String| (None, m);
    let bootstrap = args.bootstrap_server.clone().unwrap_or_default();
    let cluster = connect::cluster(&bootstrap, client_id).map_err(early)?;
    let mut reader = PartitionReader::new(
        cluster,
        connect::connection(client_id),
        (args.topic.clone(), args.partition.unwrap_or_default()),
        start,
        ReaderOptions {
            max_wait: Duration::from_millis(500),
            max_bytes: 1 << 20,
            read_uncommitted,
            retry: connect::RETRY,
            reset: StartAt::Latest,
        },
    );
    let idle = args.timeout_ms.map(Duration::from_millis);
    let runtime = crate::runtime().map_err(early)?;
    let mut processed = 0u64;
    let outcome: Result<(), String> = runtime.block_on(async {
        let mut idle_since = tokio::time::Instant::now();
        loop {
            if args.max_messages.is_some_and(|max| processed >= max) {
                return Ok(());
            }
            let deadline = idle.map(|idle| idle_since + idle);
            let fetched = tokio::select! {
                fetched = reader.next() => fetched,
                _ = stop.wait() => return Ok(()),
                _ = sleep_until_or_forever(deadline) => return Ok(()),
            };
            let batch = fetched.map_err(|e| connect::describe(&e, &bootstrap))?;
            if let Some(batch) = batch.filter(|b| !b.records.is_empty()) {
                print_batch(&batch, args, formatter, &mut processed)?;
                idle_since = tokio::time::Instant::now();
            }
        }
    });
    outcome
        .map(|()| processed)
        .map_err(|m| (Some(processed), m))
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until_or_forever(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Sleeps for `duration`, or forever when there is none.
async fn sleep_or_forever(duration: Option<Duration>) {
    match duration {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record<'static> {
        Record {
            offset: 7,
            timestamp: 1000,
            attributes: 0,
            key: Some(b"k"),
            value: None,
            headers: vec![(b"h", Some(b"v")), (b"n", None)],
            context: 0,
        }
    }

    fn formatter(props: &[(&str, &str)]) -> Formatter {
        Formatter::new(
            &props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn formats_like_kafkas_default_formatter() {
        assert_eq!(formatter(&[]).format(0, None, &record()), b"null\n");
        let all = formatter(&[
            ("print.timestamp", "true"),
            ("print.partition", "true"),
            ("print.offset", "true"),
            ("print.headers", "true"),
            ("print.key", "true"),
            ("key.separator", "|"),
        ]);
        assert_eq!(
            String::from_utf8(all.format(2, None, &record())).unwrap(),
            "CreateTime:1000|Partition:2|Offset:7|h:v,n:null|k|null\n"
        );
        let mut bare = record();
        bare.headers.clear();
        assert_eq!(
            formatter(&[("print.headers", "true"), ("print.value", "false")])
                .format(0, None, &bare),
            b"NO_HEADERS\n"
        );
    }
}
