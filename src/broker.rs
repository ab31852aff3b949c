//! Bindings for the embedded broker: `startBroker(options)` and the `EmbeddedBroker` handle.

use std::collections::HashMap;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::Arc;

use ferrokafka_broker::{Broker, BrokerConfig};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Options of `createBroker()`, already checked for types by the JS layer.
#[napi(object)]
pub struct BrokerOptions {
    pub host: Option<String>,
    pub port: Option<u32>,
    pub node_id: Option<i32>,
    pub cluster_id: Option<String>,
    pub num_partitions: Option<i32>,
    pub auto_create_topics: Option<bool>,
    /// A directory to keep topics, records and committed offsets in (`log.dirs`); without one
    /// everything stays in memory.
    pub log_dir: Option<String>,
    /// Kafka broker properties by their server.properties names, values as strings.
    pub config: Option<HashMap<String, String>>,
}

/// A running broker owned by JavaScript.
#[napi]
pub struct EmbeddedBroker {
    broker: Arc<Broker>,
}

#[napi]
impl EmbeddedBroker {
    /// The host clients connect to.
    #[napi(getter)]
    pub fn host(&self) -> String {
        self.broker.state().advertised_host.clone()
    }

    /// The port the broker listens on.
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.broker.local_addr().port().into()
    }

    /// The broker's node id.
    #[napi(getter)]
    pub fn node_id(&self) -> i32 {
        self.broker.state().config.node_id
    }

    /// The cluster id reported to clients.
    #[napi(getter)]
    pub fn cluster_id(&self) -> String {
        self.broker.state().config.cluster_id.clone()
    }

    /// Stops the broker: closes the listener and every connection, ends every task.
    #[napi]
    pub async fn close(&self) -> Result<()> {
        self.broker.shutdown().await;
        Ok(())
    }
}

fn config_from(options: BrokerOptions) -> Result<BrokerConfig> {
    let mut properties: std::collections::BTreeMap<String, String> =
        options.config.unwrap_or_default().into_iter().collect();
    if let Some(dir) = options.log_dir {
        properties.insert("log.dirs".to_string(), dir);
        // A log directory belongs to one cluster: an explicit id is checked against it.
        if let Some(cluster_id) = &options.cluster_id {
            properties.insert("cluster.id".to_string(), cluster_id.clone());
        }
    }
    let advertised = properties
        .get("advertised.listeners")
        .map(|value| advertised_listener(value))
        .transpose()?;
    let mut config = BrokerConfig::from_properties(properties)
        .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
    if let Some((host, port)) = advertised {
        config.advertised_host = Some(host);
        config.advertised_port = Some(port);
    }
    if let Some(host) = options.host {
        config.host = resolve(&host)?;
        config.advertised_host = Some(host);
    }
    if let Some(port) = options.port {
        config.port = u16::try_from(port)
            .map_err(|_| Error::new(Status::InvalidArg, format!("port {port} is out of range")))?;
    }
    if let Some(node_id) = options.node_id {
        config.node_id = node_id;
    }
    if let Some(cluster_id) = options.cluster_id {
        config.cluster_id = cluster_id;
    }
    if let Some(partitions) = options.num_partitions {
        if partitions <= 0 {
            return Err(Error::new(
                Status::InvalidArg,
                format!("numPartitions must be positive, got {partitions}"),
            ));
        }
        config.num_partitions = partitions;
    }
    if let Some(auto_create) = options.auto_create_topics {
        config.auto_create_topics = auto_create;
    }
    Ok(config)
}

/// The host and port of the first listener in an `advertised.listeners` value
/// (`PLAINTEXT://host:port,...`), which Metadata then reports instead of the bound address.
fn advertised_listener(value: &str) -> Result<(String, u16)> {
    let first = value.split(',').next().unwrap_or("").trim();
    let address = first.split_once("://").map_or(first, |(_, rest)| rest);
    address
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host.to_string(), port.parse().ok()?)))
        .filter(|(host, _)| !host.is_empty())
        .ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                format!("advertised.listeners {first:?} is not NAME://host:port"),
            )
        })
}

fn resolve(host: &str) -> Result<IpAddr> {
    if let Ok(ip) = host.parse() {
        return Ok(ip);
    }
    (host, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.find(|a| a.is_ipv4()))
        .map(|a| a.ip())
        .ok_or_else(|| Error::new(Status::InvalidArg, format!("cannot resolve host {host:?}")))
}

/// Starts a broker; resolves once it is listening.
#[napi]
pub async fn start_broker(options: Option<BrokerOptions>) -> Result<EmbeddedBroker> {
    let config = match options {
        Some(options) => config_from(options)?,
        None => BrokerConfig::default(),
    };
    let broker = Broker::start(config)
        .await
        .map_err(|e| Error::new(Status::GenericFailure, format!("cannot start broker: {e}")))?;
    Ok(EmbeddedBroker {
        broker: Arc::new(broker),
    })
}
