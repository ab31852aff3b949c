//! Bindings for the admin client: `NativeAdmin`, one async method per kafkajs admin operation.
//! Arguments arrive as kafkajs passes them (already checked by lib/admin.js) and results leave
//! in kafkajs's shapes; Kafka failures resolve as `failure` objects, never as exceptions.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ferrokafka_client::admin::Admin;
use ferrokafka_client::retry::{RetryError, RetryOptions};
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions};
use napi_derive::napi;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::failure::{connect_to_seeds, Failure};
use crate::network_events::{NetworkEvent, NetworkObserver};
use crate::retry_settings::RetrySettings;

/// An admin client's settings, checked and defaulted by the JS layer.
#[napi(object)]
pub struct NativeAdminOptions {
    pub brokers: Vec<String>,
    pub client_id: String,
    pub connection_timeout: u32,
    pub request_timeout: u32,
    /// The client's retry options, used to reach the seed brokers.
    pub cluster_retry: RetrySettings,
    /// The admin's retry options.
    pub retry: RetrySettings,
}

/// What an admin operation resolves with: its result, or why it failed.
#[napi(object)]
pub struct AdminOutcome {
    pub value: Option<Value>,
    pub failure: Option<Failure>,
}

/// A connected admin client owned by JavaScript.
#[napi]
pub struct NativeAdmin {
    admin: Arc<Admin>,
    cluster_retry: RetryOptions,
    network: Arc<NetworkObserver>,
}

/// Why an operation produced no value: arguments the client cannot use, or the client's failure.
enum Failed {
    Invalid(String),
    Client(RetryError),
}

/// Parses kafkajs-shaped arguments.
fn parse<T: DeserializeOwned>(args: Value) -> Result<T, Failed> {
    serde_json::from_value(args).map_err(|e| Failed::Invalid(e.to_string()))
}

/// Runs an operation and packs its result or failure.
async fn outcome<T, Fut>(operation: Fut) -> AdminOutcome
where
    T: Serialize,
    Fut: Future<Output = Result<T, Failed>>,
{
    let packed = operation
        .await
        .and_then(|value| serde_json::to_value(value).map_err(|e| Failed::Invalid(e.to_string())));
    match packed {
        Ok(value) => AdminOutcome {
            value: Some(value),
            failure: None,
        },
        Err(failed) => AdminOutcome {
            value: None,
            failure: Some(match failed {
                Failed::Invalid(message) => Failure::invalid(message),
                Failed::Client(error) => Failure::from_retry(error),
            }),
        },
    }
}

fn failed(error: RetryError) -> Failed {
    Failed::Client(error)
}

#[napi]
impl NativeAdmin {
    /// `on_network` receives network events (while `observe_network(true)`), in arrays.
    #[napi(constructor)]
    pub fn new(
        options: NativeAdminOptions,
        on_network: napi::bindgen_prelude::Function<'_, Vec<NetworkEvent>, ()>,
    ) -> napi::Result<Self> {
        let network = NetworkObserver::new(on_network)?;
        let cluster = Arc::new(Cluster::new(ClusterOptions {
            brokers: options.brokers,
            connection: ConnectionOptions {
                client_id: options.client_id,
                connect_timeout: Duration::from_millis(options.connection_timeout.into()),
                request_timeout: Duration::from_millis(options.request_timeout.into()),
                observer: Some(network.handle()),
                max_in_flight: None,
            },
            metadata_max_age: Duration::ZERO,
        }));
        Ok(NativeAdmin {
            admin: Arc::new(Admin::new(cluster, options.retry.into())),
            cluster_retry: options.cluster_retry.into(),
            network,
        })
    }

    /// Turns the network events on or off (on while JavaScript has listeners for them).
    #[napi]
    pub fn observe_network(&self, enabled: bool) {
        self.network.set_enabled(enabled);
    }

    /// Connects to a seed broker, retrying with the client's retry options; resolves with the
    /// failure, or null once connected.
    #[napi]
    pub async fn connect(&self) -> Option<Failure> {
        connect_to_seeds(self.admin.cluster().clone(), self.cluster_retry).await
    }

    /// Closes every connection.
    #[napi]
    pub fn disconnect(&self) {
        self.admin.cluster().disconnect();
    }

    /// `{ topicErrors, leadersReady }` for kafkajs's `createTopics` arguments.
    #[napi]
    pub async fn create_topics(&self, args: Value) -> AdminOutcome {
        outcome(async { self.admin.create_topics(parse(args)?).await.map_err(failed) }).await
    }

    #[napi]
    pub async fn delete_topics(&self, args: Value) -> AdminOutcome {
        outcome(async { self.admin.delete_topics(parse(args)?).await.map_err(failed) }).await
    }

    #[napi]
    pub async fn create_partitions(&self, args: Value) -> AdminOutcome {
        outcome(async {
            self.admin
                .create_partitions(parse(args)?)
                .await
                .map_err(failed)
        })
        .await
    }

    #[napi]
    pub async fn list_topics(&self) -> AdminOutcome {
        outcome(async { self.admin.list_topics().await.map_err(failed) }).await
    }

    /// The `topics` array of `fetchTopicMetadata`'s result.
    #[napi]
    pub async fn fetch_topic_metadata(&self, topics: Vec<String>) -> AdminOutcome {
        outcome(async {
            self.admin
                .fetch_topic_metadata(topics)
                .await
                .map_err(failed)
        })
        .await
    }

    #[napi]
    pub async fn describe_cluster(&self) -> AdminOutcome {
        outcome(async { self.admin.describe_cluster().await.map_err(failed) }).await
    }

    #[napi]
    pub async fn fetch_topic_offsets(&self, topic: String) -> AdminOutcome {
        outcome(async { self.admin.fetch_topic_offsets(topic).await.map_err(failed) }).await
    }

    /// `timestamp` in milliseconds; absent means "latest".
    #[napi]
    pub async fn fetch_topic_offsets_by_timestamp(
        &self,
        topic: String,
        timestamp: Option<f64>,
    ) -> AdminOutcome {
        let timestamp = timestamp.map(|t| t as i64);
        outcome(async {
            self.admin
                .fetch_topic_offsets_by_timestamp(topic, timestamp)
                .await
                .map_err(failed)
        })
        .await
    }

    /// Committed offsets for `{ groupId, topics }`, unresolved.
    #[napi]
    pub async fn fetch_offsets(&self, args: Value) -> AdminOutcome {
        outcome(async { self.admin.fetch_offsets(parse(args)?).await.map_err(failed) }).await
    }

    /// Resolves with null once committed, or with the group's state when it has members.
    #[napi]
    pub async fn set_offsets(&self, args: Value) -> AdminOutcome {
        outcome(async { self.admin.set_offsets(parse(args)?).await.map_err(failed) }).await
    }

    /// Like `set_offsets`, for every partition at its start (`earliest`) or end.
    #[napi]
    pub async fn reset_offsets(
        &self,
        group_id: String,
        topic: String,
        earliest: bool,
    ) -> AdminOutcome {
        outcome(async {
            self.admin
                .reset_offsets(group_id, topic, earliest)
                .await
                .map_err(failed)
        })
        .await
    }

    /// `{ errors, retryCount, retryTime }` for `{ topic, partitions }`.
    #[napi]
    pub async fn delete_topic_records(&self, args: Value) -> AdminOutcome {
        #[derive(serde::Deserialize)]
        struct Args {
            topic: String,
            partitions: Vec<ferrokafka_client::admin::SeekEntry>,
        }
        outcome(async {
            let Args { topic, partitions } = parse(args)?;
            self.admin
                .delete_topic_records(topic, partitions)
                .await
                .map_err(failed)
        })
        .await
    }

    #[napi]
    pub async fn describe_configs(&self, args: Value) -> AdminOutcome {
        outcome(async {
            self.admin
                .describe_configs(parse(args)?)
                .await
                .map_err(failed)
        })
        .await
    }

    #[napi]
    pub async fn alter_configs(&self, args: Value) -> AdminOutcome {
        outcome(async { self.admin.alter_configs(parse(args)?).await.map_err(failed) }).await
    }

    #[napi]
    pub async fn list_groups(&self) -> AdminOutcome {
        outcome(async { self.admin.list_groups().await.map_err(failed) }).await
    }

    /// Member metadata and assignments come back as byte arrays.
    #[napi]
    pub async fn describe_groups(&self, group_ids: Vec<String>) -> AdminOutcome {
        outcome(async { self.admin.describe_groups(group_ids).await.map_err(failed) }).await
    }

    /// Each group's result, failed ones included.
    #[napi]
    pub async fn delete_groups(&self, group_ids: Vec<String>) -> AdminOutcome {
        outcome(async { self.admin.delete_groups(group_ids).await.map_err(failed) }).await
    }

    #[napi]
    pub async fn create_acls(&self, acl: Value) -> AdminOutcome {
        outcome(async { self.admin.create_acls(parse(acl)?).await.map_err(failed) }).await
    }

    #[napi]
    pub async fn describe_acls(&self, filter: Value) -> AdminOutcome {
        outcome(async {
            self.admin
                .describe_acls(parse(filter)?)
                .await
                .map_err(failed)
        })
        .await
    }

    #[napi]
    pub async fn delete_acls(&self, filters: Value) -> AdminOutcome {
        outcome(async {
            self.admin
                .delete_acls(parse(filters)?)
                .await
                .map_err(failed)
        })
        .await
    }

    /// The partitions the controller refused to reassign.
    #[napi]
    pub async fn alter_partition_reassignments(&self, args: Value) -> AdminOutcome {
        outcome(async {
            self.admin
                .alter_partition_reassignments(parse(args)?)
                .await
                .map_err(failed)
        })
        .await
    }

    #[napi]
    pub async fn list_partition_reassignments(&self, args: Value) -> AdminOutcome {
        outcome(async {
            self.admin
                .list_partition_reassignments(parse(args)?)
                .await
                .map_err(failed)
        })
        .await
    }
}
