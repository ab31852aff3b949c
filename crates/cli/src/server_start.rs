//! `server-start`: runs a broker from a server.properties file and `--override key=value`
//! settings, as kafka-server-start.sh does: in the foreground until interrupted, or with
//! `-daemon` in the background (see `daemon`). ZooKeeper settings are refused, keys Kafka does
//! not know are named once, and a pid file lets `server-stop` find the server.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::net::{IpAddr, ToSocketAddrs};
use std::path::PathBuf;

use ferrokafka_broker::{Broker, BrokerConfig};

use crate::daemon::{self, Launcher};
use crate::{pid_files, server_checks, StopOn};

/// Arguments of `server-start`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run in the background, output in $LOG_DIR/kafkaServer.out (Kafka's `-daemon`).
    #[arg(long)]
    daemon: bool,
    /// A server.properties file.
    config: Option<PathBuf>,
    /// A property that replaces the file's value, as `key=value`; may repeat.
    #[arg(long = "override", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
}

pub fn run(args: Args, stop: StopOn, launcher: &Launcher) -> i32 {
    match start(args, stop, launcher) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("ERROR {message}");
            1
        }
    }
}

/// The file's properties with the overrides applied.
fn properties(args: &Args) -> Result<BTreeMap<String, String>, String> {
    let mut properties = match &args.config {
        Some(path) => super::properties::parse(
            &std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => BTreeMap::new(),
    };
    for item in &args.overrides {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| format!("--override expects key=value, got {item:?}"))?;
        properties.insert(key.trim().to_string(), value.trim().to_string());
    }
    Ok(properties)
}

/// The arguments that start the same server in the foreground.
fn foreground_args(args: &Args) -> Vec<String> {
    let mut out = vec!["server-start".to_string()];
    out.extend(args.config.iter().map(|c| c.to_string_lossy().into_owned()));
    for item in &args.overrides {
        out.push("--override".to_string());
        out.push(item.clone());
    }
    out
}

fn start(args: Args, stop: StopOn, launcher: &Launcher) -> Result<(), String> {
    let properties = properties(&args)?;
    server_checks::refuse_zookeeper(&properties)?;
    let log_dir = launcher.log_dir();
    if args.daemon {
        println!(
            "{}",
            daemon::start(launcher, &foreground_args(&args), &log_dir)?
        );
        return Ok(());
    }
    let unknown = server_checks::unknown_keys(&properties).join(", ");
    let roles = properties.get("process.roles").cloned();
    let listener = properties
        .get("listeners")
        .map(String::as_str)
        .unwrap_or("PLAINTEXT://127.0.0.1:9092")
        .to_string();
    let (host, port) = parse_listener(&listener)?;
    let advertised = properties.get("advertised.listeners").cloned();
    let mut config = BrokerConfig::from_properties(properties).map_err(|e| e.to_string())?;
    config.host = host;
    config.port = port;
    if let Some(advertised) = advertised {
        let (name, port) = split_listener(&advertised)?;
        config.advertised_host = Some(name);
        config.advertised_port = Some(port);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERROKAFKA_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    if !unknown.is_empty() {
        tracing::warn!(
            "These configurations '[{unknown}]' were supplied but are not Kafka broker settings; they are ignored."
        );
    }
    runtime.block_on(async {
        let broker = Broker::start(config)
            .await
            .map_err(|e| format!("cannot start the broker: {e}"))?;
        let node_id = broker.state().config.node_id;
        let line = format!(
            "[KafkaServer id={node_id}] started: listening on {} (cluster id {})",
            broker.bootstrap(),
            broker.state().config.cluster_id
        );
        println!("{line}");
        let registration =
            pid_files::register(&log_dir, node_id, roles.as_deref(), &broker.bootstrap());
        let _registration = match registration {
            Ok(registration) => Some(registration),
            Err(e) if daemon::is_daemon() => {
                broker.shutdown().await;
                return Err(format!(
                    "cannot write a pid file into {}: {e}",
                    log_dir.display()
                ));
            }
            Err(e) => {
                tracing::warn!(
                    "cannot write a pid file into {} ({e}); kafka-server-stop will not find this server",
                    log_dir.display()
                );
                None
            }
        };
        daemon::report_started(&line).await;
        stop.wait().await;
        broker.shutdown().await;
        Ok(())
    })
}

/// Splits the first listener of a `listeners` value (`PLAINTEXT://host:port,...`) into its host
/// and port; an empty host means every interface, as in Kafka.
fn split_listener(value: &str) -> Result<(String, u16), String> {
    let first = value.split(',').next().unwrap_or("").trim();
    let address = first.split_once("://").map_or(first, |(_, rest)| rest);
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("listener {first:?} has no port"))?;
    let port = port
        .parse()
        .map_err(|_| format!("listener {first:?} has an invalid port"))?;
    Ok((host.trim_matches(['[', ']']).to_string(), port))
}

/// The address a listener binds: its host's IPv4 address where it has one, as Java prefers.
fn parse_listener(value: &str) -> Result<(IpAddr, u16), String> {
    let (host, port) = split_listener(value)?;
    if host.is_empty() {
        return Ok((IpAddr::from([0, 0, 0, 0]), port));
    }
    let ips: Vec<IpAddr> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve listener host {host:?}: {e}"))?
        .map(|a| a.ip())
        .collect();
    let ip = ips
        .iter()
        .find(|ip| ip.is_ipv4())
        .or(ips.first())
        .ok_or_else(|| format!("listener host {host:?} has no address"))?;
    Ok((*ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_listeners_like_kafka() {
        assert_eq!(
            split_listener("PLAINTEXT://localhost:9092,CONTROLLER://:9093").unwrap(),
            ("localhost".to_string(), 9092)
        );
        assert_eq!(
            parse_listener("PLAINTEXT://:0").unwrap().0,
            IpAddr::from([0, 0, 0, 0])
        );
        assert!(split_listener("PLAINTEXT://nohost").is_err());
        assert_eq!(
            parse_listener("PLAINTEXT://localhost:9092").unwrap().0,
            IpAddr::from([127, 0, 0, 1])
        );
    }
}
