//! Bindings for the consumer: `NativeConsumer`. The group, heartbeats, fetching and offsets run
//! in ferrokafka-client; JavaScript pulls one whole batch per call and hands it back when its
//! handlers are done. Kafka failures resolve as `failure` objects, as for the producer. Custom
//! partition assigners live in JavaScript: the membership code calls them through
//! `JsAssigners`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrokafka_client::consumer::{
    Assignor, AssignorKind, Consumer, ConsumerOptions, CustomAssignorsHandle, Event, GroupSettings,
    Poll, TopicPartition,
};
use ferrokafka_client::retry::{retry, RetryOptions};
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::assigners::{AssignerCall, AssignerOutcome, JsAssigners, JsTopicMetadata};
use crate::consumer_batch::{batch_to_js, JsBatch};
use crate::failure::{connect_to_seeds, Failure};
use crate::network_events::{NetworkEvent, NetworkObserver};
use crate::retry_settings::RetrySettings;

/// A consumer's settings, checked and defaulted by the JS layer.
#[napi(object)]
pub struct NativeConsumerOptions {
    pub brokers: Vec<String>,
    pub client_id: String,
    pub connection_timeout: u32,
    pub request_timeout: u32,
    pub metadata_max_age: f64,
    pub cluster_retry: RetrySettings,
    pub retry: RetrySettings,
    pub group_id: String,
    pub group_instance_id: Option<String>,
    /// The partition assigners in order of preference.
    pub assigners: Vec<JsAssignerSpec>,
    pub session_timeout: u32,
    pub rebalance_timeout: u32,
    pub heartbeat_interval: u32,
    pub max_bytes_per_partition: i32,
    pub min_bytes: i32,
    pub max_bytes: i32,
    pub max_wait_time_in_ms: u32,
    pub read_uncommitted: bool,
    pub rack_id: String,
    pub allow_auto_topic_creation: bool,
    /// Requests in flight per connection at most (kafkajs's `maxInFlightRequests`); absent: no
    /// limit.
    pub max_in_flight_requests: Option<u32>,
}

/// A partition assigner: a built-in one by protocol name (`RoundRobinAssigner`, `range`), or a
/// custom one by its `name`, implemented in JavaScript.
#[napi(object)]
pub struct JsAssignerSpec {
    pub name: String,
    pub custom: bool,
}

/// A subscribed topic.
#[napi(object)]
pub struct JsSubscription {
    pub topic: String,
    pub from_beginning: bool,
}

/// A partition's offset, as a string.
#[napi(object)]
pub struct JsOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: String,
}

/// A topic and partition.
#[napi(object)]
pub struct JsTopicPartition {
    pub topic: String,
    pub partition: i32,
}

/// Partitions of one topic.
#[napi(object)]
pub struct JsTopicPartitions {
    pub topic: String,
    pub partitions: Vec<i32>,
}

/// An instrumentation event: `type` names it, the other fields are its payload.
#[napi(object)]
pub struct JsEvent {
    pub r#type: String,
    pub member_id: Option<String>,
    pub leader_id: Option<String>,
    pub is_leader: Option<bool>,
    pub generation_id: Option<i32>,
    pub group_protocol: Option<String>,
    pub member_assignment: Option<Vec<JsTopicPartitions>>,
    pub node_id: Option<i32>,
    pub duration: Option<f64>,
    pub number_of_batches: Option<u32>,
    pub assigned_topics: Option<Vec<String>>,
    pub topics_subscribed: Option<Vec<String>>,
    pub topics_not_subscribed: Option<Vec<String>>,
    pub topic_names: Option<Vec<String>>,
}

/// What `next` resolves with and `take` returns: a batch, a failure, or the stop.
#[napi(object, object_from_js = false)]
pub struct JsPoll {
    pub batch: Option<JsBatch>,
    pub failure: Option<Failure>,
    pub stopped: bool,
}

fn poll_to_js(poll: Poll) -> JsPoll {
    JsPoll {
        batch: poll.batch.map(batch_to_js),
        failure: poll.failure.map(Failure::from_retry),
        stopped: poll.stopped,
    }
}

fn stopped() -> JsPoll {
    JsPoll {
        batch: None,
        failure: None,
        stopped: true,
    }
}

/// What `commit` and `connect` resolve with.
#[napi(object)]
pub struct JsOutcome {
    pub failure: Option<Failure>,
}

/// A member in kafkajs's `describeGroup` shape.
#[napi(object)]
pub struct JsMemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub client_host: String,
    pub member_metadata: Buffer,
    pub member_assignment: Buffer,
}

/// kafkajs's `GroupDescription`, or why it could not be had.
#[napi(object)]
pub struct JsGroupDescription {
    pub error_code: i32,
    pub group_id: String,
    pub members: Vec<JsMemberDescription>,
    pub protocol: String,
    pub protocol_type: String,
    pub state: String,
    pub failure: Option<Failure>,
}

/// Topic names, or why they could not be listed.
#[napi(object)]
pub struct JsTopicNames {
    pub names: Vec<String>,
    pub failure: Option<Failure>,
}

/// Topics' partition metadata, or why it could not be fetched.
#[napi(object)]
pub struct JsTopicMetadataOutcome {
    pub topics: Vec<JsTopicMetadata>,
    pub failure: Option<Failure>,
}

/// A consumer owned by JavaScript.
#[napi]
pub struct NativeConsumer {
    cluster: Arc<Cluster>,
    network: Arc<NetworkObserver>,
    connection: ConnectionOptions,
    options: ConsumerOptions,
    cluster_retry: RetryOptions,
    running: Mutex<Option<Arc<Consumer>>>,
}

fn offset_of(text: &str) -> Result<i64> {
    text.trim()
        .parse()
        .map_err(|_| Error::new(Status::InvalidArg, format!("invalid offset {text:?}")))
}

fn offsets_of(offsets: Vec<JsOffset>) -> Result<Vec<(TopicPartition, i64)>> {
    offsets
        .into_iter()
        .map(|o| Ok(((o.topic, o.partition), offset_of(&o.offset)?)))
        .collect()
}

fn event_to_js(event: Event) -> JsEvent {
    let mut js = JsEvent {
        r#type: String::new(),
        member_id: None,
        leader_id: None,
        is_leader: None,
        generation_id: None,
        group_protocol: None,
        member_assignment: None,
        node_id: None,
        duration: None,
        number_of_batches: None,
        assigned_topics: None,
        topics_subscribed: None,
        topics_not_subscribed: None,
        topic_names: None,
    };
    match event {
        Event::GroupJoin {
            generation,
            duration_ms,
        } => {
            js.r#type = "group_join".into();
            js.is_leader = Some(generation.is_leader());
            js.member_id = Some(generation.member_id);
            js.leader_id = Some(generation.leader_id);
            js.generation_id = Some(generation.generation_id);
            js.group_protocol = Some(generation.protocol);
            let mut assignment = generation.assignment;
            js.member_assignment = Some(
                generation
                    .assigned_topics
                    .into_iter()
                    .filter_map(|topic| {
                        let partitions = assignment.remove(&topic)?;
                        Some(JsTopicPartitions { topic, partitions })
                    })
                    .collect(),
            );
            js.duration = Some(duration_ms as f64);
        }
        Event::Heartbeat {
            member_id,
            generation_id,
        } => {
            js.r#type = "heartbeat".into();
            js.member_id = Some(member_id);
            js.generation_id = Some(generation_id);
        }
        Event::Rebalancing { member_id } => {
            js.r#type = "rebalancing".into();
            js.member_id = Some(member_id);
        }
        Event::FetchStart { node_id } => {
            js.r#type = "fetch_start".into();
            js.node_id = Some(node_id);
        }
        Event::Fetch {
            node_id,
            duration_ms,
            record_batches,
        } => {
            js.r#type = "fetch".into();
            js.node_id = Some(node_id);
            js.duration = Some(duration_ms as f64);
            js.number_of_batches = Some(record_batches as u32);
        }
        Event::UnsubscribedTopics {
            generation_id,
            member_id,
            assigned_topics,
            topics_subscribed,
            topics_not_subscribed,
        } => {
            js.r#type = "unsubscribed_topics".into();
            js.generation_id = Some(generation_id);
            js.member_id = Some(member_id);
            js.assigned_topics = Some(assigned_topics);
            js.topics_subscribed = Some(topics_subscribed);
            js.topics_not_subscribed = Some(topics_not_subscribed);
        }
        Event::Topics { names } => {
            js.r#type = "topics".into();
            js.topic_names = Some(names);
        }
    }
    js
}

#[napi]
impl NativeConsumer {
    /// `on_network` receives network events (while `observe_network(true)`), in arrays;
    /// `on_assigner_call` answers the custom partition assigners' calls.
    #[napi(constructor)]
    pub fn new(
        options: NativeConsumerOptions,
        on_network: Function<'_, Vec<NetworkEvent>, ()>,
        on_assigner_call: Function<'_, AssignerCall, Promise<AssignerOutcome>>,
    ) -> Result<Self> {
        let assignors = options
            .assigners
            .iter()
            .map(|spec| {
                if spec.custom {
                    return Ok(Assignor::Custom(spec.name.clone()));
                }
                AssignorKind::from_name(&spec.name)
                    .map(Assignor::BuiltIn)
                    .ok_or_else(|| {
                        Error::new(
                            Status::InvalidArg,
                            format!("unknown partition assigner {:?}", spec.name),
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let custom_assignors = if options.assigners.iter().any(|a| a.custom) {
            Some(CustomAssignorsHandle(Arc::new(JsAssigners::new(
                on_assigner_call,
            )?)))
        } else {
            None
        };
        let network = NetworkObserver::new(on_network)?;
        let connection = ConnectionOptions {
            client_id: options.client_id,
            connect_timeout: Duration::from_millis(options.connection_timeout.into()),
            request_timeout: Duration::from_millis(options.request_timeout.into()),
            observer: Some(network.handle()),
            max_in_flight: options.max_in_flight_requests.map(|n| n.max(1) as usize),
        };
        let cluster = Arc::new(Cluster::new(ClusterOptions {
            brokers: options.brokers,
            connection: connection.clone(),
            metadata_max_age: Duration::from_millis(options.metadata_max_age.max(0.0) as u64),
        }));
        let ms = |v: u32| Duration::from_millis(v.into());
        Ok(NativeConsumer {
            cluster,
            network,
            connection,
            cluster_retry: options.cluster_retry.into(),
            options: ConsumerOptions {
                group: GroupSettings {
                    group_id: options.group_id,
                    session_timeout: ms(options.session_timeout),
                    rebalance_timeout: ms(options.rebalance_timeout),
                    group_instance_id: options.group_instance_id,
                    assignors,
                    custom_assignors,
                    allow_auto_topic_creation: options.allow_auto_topic_creation,
                },
                heartbeat_interval: ms(options.heartbeat_interval),
                retry: options.retry.into(),
                max_bytes_per_partition: options.max_bytes_per_partition,
                min_bytes: options.min_bytes,
                max_bytes: options.max_bytes,
                max_wait: ms(options.max_wait_time_in_ms),
                read_uncommitted: options.read_uncommitted,
                rack_id: options.rack_id,
                metadata_max_age: Duration::from_millis(options.metadata_max_age.max(0.0) as u64),
                watch_topics: false,
            },
            running: Mutex::new(None),
        })
    }

    fn running(&self) -> Option<Arc<Consumer>> {
        self.running.lock().expect("not poisoned").clone()
    }

    /// Connects to a seed broker, retrying with the client's retry options; resolves with the
    /// failure, or null once connected.
    #[napi]
    pub async fn connect(&self) -> Option<Failure> {
        connect_to_seeds(self.cluster.clone(), self.cluster_retry).await
    }

    /// Turns the network events on or off (on while JavaScript has listeners for them).
    #[napi]
    pub fn observe_network(&self, enabled: bool) {
        self.network.set_enabled(enabled);
    }

    /// The partition metadata of `topics` (all topics when empty), for custom assigners.
    #[napi]
    pub async fn topic_metadata(&self, topics: Vec<String>) -> JsTopicMetadataOutcome {
        match retry(self.options.retry, |_| self.cluster.refresh(&topics, false)).await {
            Ok(metadata) => JsTopicMetadataOutcome {
                topics: metadata
                    .topics
                    .values()
                    .filter(|t| topics.is_empty() || topics.contains(&t.name))
                    .map(JsTopicMetadata::from)
                    .collect(),
                failure: None,
            },
            Err(error) => JsTopicMetadataOutcome {
                topics: Vec::new(),
                failure: Some(Failure::from_retry(error)),
            },
        }
    }

    /// Every topic in the cluster (for RegExp subscriptions).
    #[napi]
    pub async fn topic_names(&self) -> JsTopicNames {
        match retry(self.options.retry, |_| self.cluster.refresh(&[], false)).await {
            Ok(metadata) => JsTopicNames {
                names: metadata.topics.keys().cloned().collect(),
                failure: None,
            },
            Err(error) => JsTopicNames {
                names: Vec::new(),
                failure: Some(Failure::from_retry(error)),
            },
        }
    }

    /// Starts consuming: joins the group in the background. With `autoCommit`, resolved
    /// offsets are committed before rebalances and on stop too. With `watchTopics` (RegExp
    /// subscriptions), the cluster's topic names come as `topics` events when they change.
    #[napi]
    pub async fn start(&self, topics: Vec<JsSubscription>, auto_commit: bool, watch_topics: bool) {
        let options = ConsumerOptions {
            watch_topics,
            ..self.options.clone()
        };
        let consumer = Consumer::start(
            self.cluster.clone(),
            self.connection.clone(),
            options,
            topics
                .into_iter()
                .map(|s| (s.topic, s.from_beginning))
                .collect(),
            auto_commit,
        );
        *self.running.lock().expect("not poisoned") = Some(Arc::new(consumer));
    }

    /// Adds topics to the running consumer's subscription; the group is joined again.
    #[napi]
    pub fn subscribe(&self, topics: Vec<JsSubscription>) {
        if let Some(consumer) = self.running() {
            consumer.subscribe(
                topics
                    .into_iter()
                    .map(|s| (s.topic, s.from_beginning))
                    .collect(),
            );
        }
    }

    /// The next batch, failure or stop, once there is one.
    #[napi]
    pub async fn next(&self) -> JsPoll {
        match self.running() {
            Some(consumer) => poll_to_js(consumer.next().await),
            None => stopped(),
        }
    }

    /// The next batch, failure or stop if there is one now (a batch fetched ahead of the
    /// application is handed over without a trip through the runtime's threads).
    #[napi]
    pub fn take(&self) -> Option<JsPoll> {
        match self.running() {
            Some(consumer) => consumer.try_next().map(poll_to_js),
            None => Some(stopped()),
        }
    }

    /// Resolves once there are instrumentation events to take; false once stopped with none.
    #[napi]
    pub async fn events_waiting(&self) -> bool {
        match self.running() {
            Some(consumer) => consumer.events_waiting().await,
            None => false,
        }
    }

    /// The instrumentation events since the last call. Taken on the JavaScript thread, before
    /// each batch and whenever `eventsWaiting` resolves, they reach listeners in the order they
    /// happened, ahead of the batches fetched after them.
    #[napi]
    pub fn drain_events(&self) -> Vec<JsEvent> {
        self.running().map_or_else(Vec::new, |consumer| {
            consumer
                .drain_events()
                .into_iter()
                .map(event_to_js)
                .collect()
        })
    }

    /// Hands a batch back: `resolved` is the next offset to commit, `rewindTo` where to go on
    /// when the batch was not consumed to its end.
    #[napi]
    pub fn batch_done(
        &self,
        topic: String,
        partition: i32,
        resolved: Option<String>,
        rewind_to: Option<String>,
    ) -> Result<()> {
        let resolved = resolved.as_deref().map(offset_of).transpose()?;
        let rewind_to = rewind_to.as_deref().map(offset_of).transpose()?;
        if let Some(consumer) = self.running() {
            consumer.batch_done(&(topic, partition), resolved, rewind_to);
        }
        Ok(())
    }

    /// Records resolved offsets (next offsets to commit).
    #[napi]
    pub fn resolve(&self, offsets: Vec<JsOffset>) -> Result<()> {
        let offsets = offsets_of(offsets)?;
        if let Some(consumer) = self.running() {
            consumer.resolve(&offsets);
        }
        Ok(())
    }

    /// Resolved offsets not yet committed.
    #[napi]
    pub fn uncommitted(&self) -> Vec<JsOffset> {
        self.running()
            .map(|c| c.uncommitted())
            .unwrap_or_default()
            .into_iter()
            .map(|((topic, partition), offset)| JsOffset {
                topic,
                partition,
                offset: offset.to_string(),
            })
            .collect()
    }

    /// Commits `offsets`, or all resolved offsets when absent.
    #[napi]
    pub async fn commit(&self, offsets: Option<Vec<JsOffset>>) -> Result<JsOutcome> {
        let offsets = offsets.map(offsets_of).transpose()?;
        let Some(consumer) = self.running() else {
            return Ok(JsOutcome { failure: None });
        };
        Ok(JsOutcome {
            failure: consumer
                .commit(offsets)
                .await
                .err()
                .map(Failure::from_retry),
        })
    }

    #[napi]
    pub fn seek(&self, topic: String, partition: i32, offset: String) -> Result<()> {
        let offset = offset_of(&offset)?;
        if let Some(consumer) = self.running() {
            consumer.seek((topic, partition), offset);
        }
        Ok(())
    }

    #[napi]
    pub fn pause(&self, partitions: Vec<JsTopicPartition>) {
        if let Some(consumer) = self.running() {
            let list: Vec<TopicPartition> = partitions
                .into_iter()
                .map(|p| (p.topic, p.partition))
                .collect();
            consumer.pause(&list);
        }
    }

    #[napi]
    pub fn resume(&self, partitions: Vec<JsTopicPartition>) {
        if let Some(consumer) = self.running() {
            let list: Vec<TopicPartition> = partitions
                .into_iter()
                .map(|p| (p.topic, p.partition))
                .collect();
            consumer.resume(&list);
        }
    }

    #[napi]
    pub fn paused(&self) -> Vec<JsTopicPartition> {
        self.running()
            .map(|c| c.paused())
            .unwrap_or_default()
            .into_iter()
            .map(|(topic, partition)| JsTopicPartition { topic, partition })
            .collect()
    }

    /// Stops consuming: commits what was resolved and leaves the group.
    #[napi]
    pub async fn stop(&self) {
        // The consumer stays reachable while it stops: batches still being handled come back
        // through it, and stopping waits for them.
        let Some(consumer) = self.running() else {
            return;
        };
        consumer.stop().await;
        let mut running = self.running.lock().expect("not poisoned");
        if running.as_ref().is_some_and(|r| Arc::ptr_eq(r, &consumer)) {
            *running = None;
        }
    }

    /// The group as DescribeGroups reports it.
    #[napi]
    pub async fn describe_group(&self) -> JsGroupDescription {
        let coordinator = ferrokafka_client::consumer::Coordinator::new(
            self.cluster.clone(),
            self.options.group.clone(),
            self.connection.clone(),
        );
        match retry(self.options.retry, |_| coordinator.describe()).await {
            Ok(group) => JsGroupDescription {
                error_code: group.error_code.into(),
                group_id: group.group_id.0.to_string(),
                members: group
                    .members
                    .into_iter()
                    .map(|m| JsMemberDescription {
                        member_id: m.member_id.to_string(),
                        client_id: m.client_id.to_string(),
                        client_host: m.client_host.to_string(),
                        member_metadata: Buffer::from(m.member_metadata.to_vec()),
                        member_assignment: Buffer::from(m.member_assignment.to_vec()),
                    })
                    .collect(),
                protocol: group.protocol_data.to_string(),
                protocol_type: group.protocol_type.to_string(),
                state: group.group_state.to_string(),
                failure: None,
            },
            Err(error) => JsGroupDescription {
                error_code: 0,
                group_id: String::new(),
                members: Vec::new(),
                protocol: String::new(),
                protocol_type: String::new(),
                state: String::new(),
                failure: Some(Failure::from_retry(error)),
            },
        }
    }

    /// Closes every connection.
    #[napi]
    pub fn disconnect(&self) {
        self.cluster.disconnect();
    }
}
