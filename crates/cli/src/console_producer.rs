//! `console-producer`: kafka-console-producer.sh — each line of standard input becomes a
//! message (a `>` prompt when it is a terminal), with Kafka's `--property` settings for keys
//! and headers, `--producer-property`, `--compression-codec` and `--request-required-acks`.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ferrokafka_client::producer::{Message, Producer, SendOptions, TopicMessages};
use kafka_protocol::records::Compression;
use tokio::sync::mpsc;

use crate::{connect, StopOn};

/// Most lines sent in one request.
const MAX_BATCH: usize = 500;

/// Arguments of `console-producer`, named as kafka-console-producer.sh names them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Kafka server to connect to (host:port, comma-separated).
    #[arg(long, value_name = "SERVERS")]
    bootstrap_server: Option<String>,
    /// The older name of --bootstrap-server.
    #[arg(long, value_name = "SERVERS")]
    broker_list: Option<String>,
    /// The topic to produce messages to.
    #[arg(long)]
    topic: String,
    /// How lines are read: parse.key, key.separator, parse.headers, headers.delimiter,
    /// headers.separator, headers.key.separator, null.marker, ignore.error; may repeat.
    #[arg(long = "property", value_name = "KEY=VALUE")]
    properties: Vec<String>,
    /// A producer setting as key=value (acks, compression.type, ...); may repeat.
    #[arg(long = "producer-property", value_name = "KEY=VALUE")]
    producer_properties: Vec<String>,
    /// A producer config file (Java properties).
    #[arg(long = "producer.config", value_name = "FILE")]
    producer_config: Option<std::path::PathBuf>,
    /// none, gzip, snappy, lz4 or zstd; gzip when given without a value.
    #[arg(long, num_args = 0..=1, default_missing_value = "gzip")]
    compression_codec: Option<String>,
    /// The acks of each produce request: -1 (all), 0 or 1.
    #[arg(long)]
    request_required_acks: Option<String>,
    /// How long the broker may wait for the acks, in ms.
    #[arg(long, default_value_t = 1500)]
    request_timeout_ms: i32,
    /// Sends each line on its own, waiting for its acknowledgement.
    #[arg(long)]
    sync: bool,
}

/// How lines become messages (the `--property` settings).
#[derive(Debug, Clone, PartialEq)]
struct LineFormat {
    parse_key: bool,
    key_separator: String,
    parse_headers: bool,
    headers_delimiter: String,
    headers_separator: String,
    headers_key_separator: String,
    null_marker: Option<String>,
    ignore_error: bool,
}

impl LineFormat {
    fn new(properties: &BTreeMap<String, String>) -> LineFormat {
        let get = |k: &str, d: &str| properties.get(k).cloned().unwrap_or_else(|| d.to_string());
        let flag = |k: &str| {
            properties
                .get(k)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        };
        LineFormat {
            parse_key: flag("parse.key"),
            key_separator: get("key.separator", "\t"),
            parse_headers: flag("parse.headers"),
            headers_delimiter: get("headers.delimiter", "\t"),
            headers_separator: get("headers.separator", ","),
            headers_key_separator: get("headers.key.separator", ":"),
            null_marker: properties.get("null.marker").cloned(),
            ignore_error: flag("ignore.error"),
        }
    }

    /// The message line `number` (1-based) stands for.
    fn parse(&self, number: usize, line: &str) -> Result<Message, String> {
        let mut rest = line;
        let mut headers = Vec::new();
        if self.parse_headers {
            match rest.split_once(self.headers_delimiter.as_str()) {
                Some((header_text, after)) => {
                    rest = after;
                    if header_text != self.null_marker.as_deref().unwrap_or("\u{0}") {
                        for header in header_text.split(self.headers_separator.as_str()) {
                            let (key, value) = header
                                .split_once(self.headers_key_separator.as_str())
                                .map_or((header, None), |(k, v)| (k, Some(v)));
                            headers.push((
                                Bytes::from(key.to_string()),
                                self.nullable(value.unwrap_or_default())
                                    .filter(|_| value.is_some()),
                            ));
                        }
                    }
                }
                None if !self.ignore_error => {
                    return Err(format!(
                        "No headers delimiter found on line number {number}: '{line}'"
                    ))
                }
                None => {}
            }
        }
        let (key, value) = if self.parse_key {
            match rest.split_once(self.key_separator.as_str()) {
                Some((key, value)) => (self.nullable(key), self.nullable(value)),
                None if self.ignore_error => (None, self.nullable(rest)),
                None => {
                    return Err(format!(
                        "No key separator found on line number {number}: '{line}'"
                    ))
                }
            }
        } else {
            (None, self.nullable(rest))
        };
        Ok(Message {
            key,
            value,
            headers,
            timestamp: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            partition: None,
        })
    }

    /// `text` as bytes, or null when it is the null marker.
    fn nullable(&self, text: &str) -> Option<Bytes> {
        (self.null_marker.as_deref() != Some(text)).then(|| Bytes::from(text.to_string()))
    }
}

/// Kafka's acks setting as a number.
pub fn parse_acks(value: &str) -> Result<i16, String> {
    match value.trim() {
        "all" | "-1" => Ok(-1),
        "0" => Ok(0),
        "1" => Ok(1),
        other => Err(format!(
            "Invalid value {other} for configuration acks: String must be one of: all, -1, 0, 1"
        )),
    }
}

/// Kafka's compression codec names.
pub fn parse_codec(value: &str) -> Result<Compression, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "none" => Ok(Compression::None),
        "gzip" => Ok(Compression::Gzip),
        "snappy" => Ok(Compression::Snappy),
        "lz4" => Ok(Compression::Lz4),
        "zstd" => Ok(Compression::Zstd),
        other => Err(format!(
            "Invalid value {other} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd"
        )),
    }
}

/// `key=value` items as a map.
pub fn key_values(items: &[String], flag: &str) -> Result<BTreeMap<String, String>, String> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| format!("{flag} expects key=value, got '{item}'"))
        })
        .collect()
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

fn execute(args: Args, stop: StopOn) -> Result<(), String> {
    let bootstrap = args
        .bootstrap_server
        .clone()
        .or(args.broker_list.clone())
        .ok_or("Missing required argument \"[bootstrap-server]\"")?;
    let format = LineFormat::new(&key_values(&args.properties, "--property")?);
    let mut settings = match &args.producer_config {
        Some(path) => crate::properties::parse(
            &std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => BTreeMap::new(),
    };
    settings.extend(key_values(
        &args.producer_properties,
        "--producer-property",
    )?);
    let acks = match args
        .request_required_acks
        .as_deref()
        .or(settings.get("acks").map(String::as_str))
    {
        Some(value) => parse_acks(value)?,
        None => -1,
    };
    let compression = match args
        .compression_codec
        .as_deref()
        .or(settings.get("compression.type").map(String::as_str))
    {
        Some(value) => parse_codec(value)?,
        None => Compression::None,
    };
    let send_options = SendOptions {
        acks,
        timeout_ms: args.request_timeout_ms,
        compression,
    };
    let client_id = settings
        .get("client.id")
        .cloned()
        .unwrap_or_else(|| "console-producer".to_string());
    let cluster = connect::cluster(&bootstrap, &client_id)?;
    let producer = Producer::new(cluster, connect::producer_options(Duration::ZERO));
    let (lines, mut incoming) = mpsc::channel::<String>(4 * MAX_BATCH);
    std::thread::spawn(move || read_lines(lines));
    let batch_limit = if args.sync { 1 } else { MAX_BATCH };
    crate::runtime()?.block_on(async {
        let mut number = 0;
        loop {
            let first = tokio::select! {
                line = incoming.recv() => line,
                _ = stop.wait() => None,
            };
            let Some(first) = first else { return Ok(()) };
            let mut batch = vec![first];
            while batch.len() < batch_limit {
                match incoming.try_recv() {
                    Ok(line) => batch.push(line),
                    Err(_) => break,
                }
            }
            let mut messages = Vec::with_capacity(batch.len());
            for line in &batch {
                number += 1;
                messages.push(format.parse(number, line)?);
            }
            producer
                .send(
                    vec![TopicMessages {
                        topic: args.topic.clone(),
                        messages,
                    }],
                    send_options,
                )
                .await
                .map_err(|e| {
                    format!(
                        "Error when sending message to topic {}: {}",
                        args.topic,
                        connect::describe(&e, &bootstrap)
                    )
                })?;
        }
    })
}

/// Reads standard input line by line into `lines`, prompting with `>` on a terminal.
fn read_lines(lines: mpsc::Sender<String>) {
    let stdin = std::io::stdin();
    let prompt = stdin.is_terminal();
    let mut input = stdin.lock();
    loop {
        if prompt {
            print!(">");
            let _ = std::io::stdout().flush();
        }
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let trimmed = line.strip_suffix('\n').unwrap_or(&line);
                let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
                if lines.blocking_send(trimmed.to_string()).is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(props: &[(&str, &str)]) -> LineFormat {
        LineFormat::new(
            &props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn reads_keys_and_headers_as_kafka_does() {
        let plain = format(&[]).parse(1, "a\tb").unwrap();
        assert_eq!(plain.key, None);
        assert_eq!(plain.value.as_deref(), Some(&b"a\tb"[..]));

        let keyed = format(&[("parse.key", "true"), ("key.separator", ":")]);
        let m = keyed.parse(1, "k1:v:1").unwrap();
        assert_eq!(m.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(m.value.as_deref(), Some(&b"v:1"[..]));
        assert_eq!(
            keyed.parse(2, "nokey").unwrap_err(),
            "No key separator found on line number 2: 'nokey'"
        );

        let headed = format(&[("parse.headers", "true"), ("parse.key", "true")]);
        let m = headed.parse(1, "h1:v1,h2\tk\tv").unwrap();
        assert_eq!(
            m.headers,
            vec![
                (Bytes::from("h1"), Some(Bytes::from("v1"))),
                (Bytes::from("h2"), None)
            ]
        );
        assert_eq!(m.key.as_deref(), Some(&b"k"[..]));

        let nulls = format(&[("parse.key", "true"), ("null.marker", "<null>")]);
        let m = nulls.parse(1, "<null>\tv").unwrap();
        assert_eq!(m.key, None);
    }

    #[test]
    fn reads_acks_and_codecs() {
        assert_eq!(parse_acks("all").unwrap(), -1);
        assert_eq!(parse_acks("1").unwrap(), 1);
        assert!(parse_acks("2").is_err());
        assert_eq!(parse_codec("LZ4").unwrap(), Compression::Lz4);
        assert!(parse_codec("brotli").is_err());
    }
}
