//! The group consumer's core against the embedded broker: consuming and committing, members
//! sharing partitions, custom assignors (protocols, assignments, failures), assignments naming
//! unsubscribed topics, and rejoining when the subscription or the group's partitions change.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_client::admin::{Admin, CreatePartitionsRequest, TopicPartitionsCount};
use ferrokafka_client::consumer::assignors::{self, decode_subscription, encode_assignment};
use ferrokafka_client::consumer::{
    AssignmentRequest, Assignor, AssignorKind, Consumer, ConsumerOptions, CustomAssignors,
    CustomAssignorsHandle, EncodedAssignment, Event, Generation, GroupSettings,
};
use ferrokafka_client::partitioner::{Partitioner, PartitionerKind};
use ferrokafka_client::producer::{Message, Producer, ProducerOptions, SendOptions, TopicMessages};
use ferrokafka_client::retry::{RetryError, RetryOptions};
use ferrokafka_client::{Cluster, ClusterOptions, ConnectionOptions, Error};
use futures::future::BoxFuture;
use kafka_protocol::records::Compression;
use parking_lot::Mutex;

const RETRY: RetryOptions = RetryOptions {
    retries: 3,
    ..RetryOptions::TEST_DEFAULT
};

async fn broker(partitions: i32) -> Broker {
    Broker::start(BrokerConfig {
        num_partitions: partitions,
        ..BrokerConfig::default()
    })
    .await
    .unwrap()
}

fn cluster(broker: &Broker) -> Arc<Cluster> {
    Arc::new(Cluster::new(ClusterOptions {
        brokers: vec![broker.bootstrap()],
        connection: ConnectionOptions::default(),
        metadata_max_age: Duration::from_secs(300),
    }))
}

/// Sends `count` messages valued `from..from+count` round the partitions of `topic`.
async fn produce(broker: &Broker, topic: &str, partitions: i32, from: usize, count: usize) {
    let producer = Producer::new(
        cluster(broker),
        ProducerOptions {
            retry: RETRY,
            allow_auto_topic_creation: true,
            partitioner: Arc::new(Partitioner::new(PartitionerKind::Default)),
            max_in_flight: 5,
            linger: Duration::ZERO,
            idempotence: None,
        },
    );
    let messages = (from..from + count)
        .map(|i| Message {
            key: None,
            value: Some(Bytes::from(i.to_string())),
            headers: vec![],
            timestamp: 1_700_000_000_000,
            partition: Some(i as i32 % partitions),
        })
        .collect();
    let options = SendOptions {
        acks: -1,
        timeout_ms: 30_000,
        compression: Compression::None,
    };
    let topic_messages = vec![TopicMessages {
        topic: topic.to_string(),
        messages,
    }];
    producer.send(topic_messages, options).await.unwrap();
}

fn options(
    group: &str,
    assignors: Vec<Assignor>,
    custom: Option<Arc<dyn CustomAssignors>>,
) -> ConsumerOptions {
    ConsumerOptions {
        group: GroupSettings {
            group_id: group.to_string(),
            session_timeout: Duration::from_secs(10),
            rebalance_timeout: Duration::from_secs(10),
            group_instance_id: None,
            assignors,
            custom_assignors: custom.map(CustomAssignorsHandle),
            allow_auto_topic_creation: true,
        },
        heartbeat_interval: Duration::from_millis(200),
        retry: RETRY,
        max_bytes_per_partition: 1 << 20,
        min_bytes: 1,
        max_bytes: 10 << 20,
        max_wait: Duration::from_millis(100),
        read_uncommitted: false,
        rack_id: String::new(),
        metadata_max_age: Duration::from_secs(300),
        watch_topics: false,
    }
}

fn round_robin() -> Vec<Assignor> {
    vec![Assignor::BuiltIn(AssignorKind::RoundRobin)]
}

/// A running member: what it consumed (value per topic and partition, in order) and its events.
struct Member {
    consumer: Arc<Consumer>,
    consumed: Arc<Mutex<Vec<(String, i32, String)>>>,
    events: Arc<Mutex<Vec<Event>>>,
    failure: Arc<Mutex<Option<RetryError>>>,
}

impl Member {
    fn start(broker: &Broker, options: ConsumerOptions, topics: &[&str]) -> Member {
        let consumer = Arc::new(Consumer::start(
            cluster(broker),
            ConnectionOptions::default(),
            options,
            topics.iter().map(|t| (t.to_string(), true)).collect(),
            true,
        ));
        let member = Member {
            consumer: consumer.clone(),
            consumed: Arc::default(),
            events: Arc::default(),
            failure: Arc::default(),
        };
        let (consumed, failure) = (member.consumed.clone(), member.failure.clone());
        let handler = consumer.clone();
        tokio::spawn(async move {
            loop {
                let poll = handler.next().await;
                if let Some(error) = poll.failure {
                    *failure.lock() = Some(error);
                    return;
                }
                if poll.stopped {
                    return;
                }
                let Some(batch) = poll.batch else { continue };
                consumed.lock().extend(batch.records.iter().map(|r| {
                    let value = String::from_utf8(r.value.unwrap().to_vec()).unwrap();
                    (batch.topic.clone(), batch.partition, value)
                }));
                let tp = (batch.topic.clone(), batch.partition);
                handler.batch_done(&tp, Some(batch.next_offset), None);
                let _ = handler.commit(None).await;
            }
        });
        let (events, listener) = (member.events.clone(), consumer.clone());
        tokio::spawn(async move {
            loop {
                let more = listener.events().await;
                if more.is_empty() {
                    return;
                }
                events.lock().extend(more);
            }
        });
        member
    }

    /// The generations this member joined.
    fn joins(&self) -> Vec<Generation> {
        self.events
            .lock()
            .iter()
            .filter_map(|e| match e {
                Event::GroupJoin { generation, .. } => Some(generation.clone()),
                _ => None,
            })
            .collect()
    }

    fn values(&self) -> BTreeSet<String> {
        self.consumed
            .lock()
            .iter()
            .map(|(_, _, v)| v.clone())
            .collect()
    }
}

/// Waits until `check` holds, polling; panics after 30 s.
async fn wait_until(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn values(range: std::ops::Range<usize>) -> BTreeSet<String> {
    range.map(|i| i.to_string()).collect()
}

/// Waits until both members joined one generation; their generations.
async fn one_generation(a: &Member, b: &Member) -> (Generation, Generation) {
    wait_until("both in one generation", || {
        matches!((a.joins().last(), b.joins().last()), (Some(x), Some(y)) if x.generation_id == y.generation_id)
    })
    .await;
    (a.joins().pop().unwrap(), b.joins().pop().unwrap())
}

/// Waits until the two members together consumed the messages valued `range`.
async fn consumed_together(a: &Member, b: &Member, range: std::ops::Range<usize>) {
    let expected = values(range);
    wait_until("every message", || {
        a.values()
            .union(&b.values())
            .cloned()
            .collect::<BTreeSet<_>>()
            == expected
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_consumes_every_message_commits_and_the_next_run_resumes_there() {
    let broker = broker(3).await;
    produce(&broker, "orders", 3, 0, 30).await;
    let first = Member::start(&broker, options("resume", round_robin(), None), &["orders"]);
    wait_until("30 messages", || first.values() == values(0..30)).await;
    assert_eq!(first.consumed.lock().len(), 30);
    first.consumer.stop().await;

    produce(&broker, "orders", 3, 30, 6).await;
    let second = Member::start(&broker, options("resume", round_robin(), None), &["orders"]);
    wait_until("the 6 new messages", || second.values() == values(30..36)).await;
    second.consumer.stop().await;
    assert_eq!(second.consumed.lock().len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_split_the_partitions_and_the_last_one_takes_them_all() {
    let broker = broker(4).await;
    produce(&broker, "shared", 4, 0, 8).await;
    let a = Member::start(&broker, options("split", round_robin(), None), &["shared"]);
    wait_until("a to join", || !a.joins().is_empty()).await;
    let b = Member::start(&broker, options("split", round_robin(), None), &["shared"]);
    let (ga, gb) = one_generation(&a, &b).await;
    let mut all: Vec<i32> = ga.assignment["shared"].clone();
    all.extend(&gb.assignment["shared"]);
    all.sort();
    assert_eq!(all, vec![0, 1, 2, 3]);
    assert_eq!(ga.assignment["shared"].len(), 2);
    consumed_together(&a, &b, 0..8).await;

    b.consumer.stop().await;
    wait_until("a to take every partition", || {
        a.joins()
            .last()
            .is_some_and(|g| g.assignment.get("shared").map(Vec::len) == Some(4))
    })
    .await;
    produce(&broker, "shared", 4, 8, 8).await;
    wait_until("the new messages on a", || {
        a.values().is_superset(&values(8..16))
    })
    .await;
    a.consumer.stop().await;
}

/// A custom assignor that gives every partition of the leader's topics (and `extra`, a topic
/// nobody subscribes to) to the member with the smallest id, recording what it was asked. With
/// a `gate`, its first assignment is held until the gate opens.
#[derive(Default)]
struct Greedy {
    extra: Option<(String, i32)>,
    fail: bool,
    gate: Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
    protocols_asked: Mutex<Vec<Vec<String>>>,
    assigned: Mutex<Vec<AssignmentRequest>>,
}

impl CustomAssignors for Greedy {
    fn protocols(
        &self,
        topics: Vec<String>,
    ) -> BoxFuture<'static, Result<Vec<(String, Bytes)>, Error>> {
        self.protocols_asked.lock().push(topics.clone());
        let metadata = assignors::encode_subscription(&topics);
        Box::pin(async move { Ok(vec![("Greedy".to_string(), metadata)]) })
    }

    fn assign(
        &self,
        request: AssignmentRequest,
    ) -> BoxFuture<'static, Result<Vec<EncodedAssignment>, Error>> {
        self.assigned.lock().push(request.clone());
        if self.fail {
            return Box::pin(async {
                Err(Error::Assignor {
                    message: "greedy assignor failed".to_string(),
                    thrown: true,
                    retriable: false,
                })
            });
        }
        let mut ids: Vec<String> = request
            .members
            .iter()
            .map(|m| m.member_id.clone())
            .collect();
        ids.sort();
        let mut assignment: BTreeMap<String, Vec<i32>> = request
            .metadata
            .iter()
            .filter(|t| request.topics.contains(&t.name))
            .map(|t| {
                (
                    t.name.clone(),
                    t.partitions.iter().map(|p| p.partition).collect(),
                )
            })
            .collect();
        if let Some((topic, partition)) = &self.extra {
            assignment.insert(topic.clone(), vec![*partition]);
        }
        let plan = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mine = if i == 0 {
                    assignment.clone()
                } else {
                    BTreeMap::new()
                };
                (id.clone(), encode_assignment(&mine))
            })
            .collect();
        let gate = self.gate.lock().take();
        Box::pin(async move {
            if let Some(gate) = gate {
                let _ = gate.await;
            }
            Ok(plan)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_assignor_names_the_protocol_and_assigns_for_the_group() {
    let broker = broker(3).await;
    produce(&broker, "custom", 3, 0, 9).await;
    let greedy = Arc::new(Greedy::default());
    let preferred = vec![
        Assignor::Custom("Greedy".to_string()),
        Assignor::BuiltIn(AssignorKind::RoundRobin),
    ];
    let a = Member::start(
        &broker,
        options("custom", preferred.clone(), Some(greedy.clone())),
        &["custom"],
    );
    wait_until("a to join", || !a.joins().is_empty()).await;
    let b = Member::start(
        &broker,
        options("custom", preferred, Some(greedy.clone())),
        &["custom"],
    );
    let (ga, gb) = one_generation(&a, &b).await;
    assert_eq!(ga.protocol, "Greedy");
    let (first, second) = if ga.member_id < gb.member_id {
        (&ga, &gb)
    } else {
        (&gb, &ga)
    };
    assert_eq!(first.assignment["custom"], vec![0, 1, 2]);
    assert!(second.assignment.is_empty());
    consumed_together(&a, &b, 0..9).await;

    assert!(greedy
        .protocols_asked
        .lock()
        .iter()
        .all(|t| t == &vec!["custom".to_string()]));
    let request = greedy.assigned.lock().last().cloned().unwrap();
    assert_eq!(request.assignor, "Greedy");
    assert_eq!(request.topics, vec!["custom".to_string()]);
    assert_eq!(request.members.len(), 2);
    for member in &request.members {
        assert_eq!(
            decode_subscription(&member.metadata).unwrap(),
            vec!["custom".to_string()]
        );
        assert_eq!(member.group_instance_id, None);
    }
    assert_eq!(
        request
            .metadata
            .iter()
            .map(|t| t.partitions.len())
            .collect::<Vec<_>>(),
        vec![3]
    );
    a.consumer.stop().await;
    b.consumer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_whose_sync_meets_a_new_rebalance_joins_again() {
    let broker = broker(2).await;
    produce(&broker, "resync", 2, 0, 4).await;
    let (open, gate) = tokio::sync::oneshot::channel();
    let held = Arc::new(Greedy {
        gate: Mutex::new(Some(gate)),
        ..Greedy::default()
    });
    let greedy = || vec![Assignor::Custom("Greedy".to_string())];
    let a = Member::start(
        &broker,
        options("resync", greedy(), Some(held.clone())),
        &["resync"],
    );
    wait_until("a to assign", || !held.assigned.lock().is_empty()).await;
    // While the leader assigns, a second member's join starts a new rebalance: the leader's
    // SyncGroup is answered REBALANCE_IN_PROGRESS.
    let b = Member::start(
        &broker,
        options("resync", greedy(), Some(held.clone())),
        &["resync"],
    );
    let admin = Admin::new(cluster(&broker), RETRY);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let state = || async {
        admin
            .describe_groups(vec!["resync".to_string()])
            .await
            .unwrap()[0]
            .state
            .clone()
    };
    while state().await != "PreparingRebalance" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for the rebalance"
        );
    }
    open.send(()).unwrap();
    one_generation(&a, &b).await;
    assert!(a.failure.lock().is_none() && b.failure.lock().is_none());
    consumed_together(&a, &b, 0..4).await;
    a.consumer.stop().await;
    b.consumer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_assignor_that_fails_fails_the_first_join_without_retries() {
    let broker = broker(1).await;
    let failing = Arc::new(Greedy {
        fail: true,
        ..Greedy::default()
    });
    let member = Member::start(
        &broker,
        options(
            "failing",
            vec![Assignor::Custom("Greedy".to_string())],
            Some(failing.clone()),
        ),
        &["failing"],
    );
    wait_until("the failure", || member.failure.lock().is_some()).await;
    let failure = member.failure.lock().clone().unwrap();
    assert!(
        matches!(
            &failure,
            RetryError::NonRetriable(Error::Assignor { message, thrown: true, .. }) if message == "greedy assignor failed"
        ),
        "{failure:?}"
    );
    assert_eq!(failing.assigned.lock().len(), 1);
    member.consumer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_protocol_without_an_assignor_here_fails_as_kafkajs_words_it() {
    let broker = broker(1).await;
    let greedy = Arc::new(Greedy::default());
    // The leader offers only a custom protocol it has no implementation of.
    let member = Member::start(
        &broker,
        options(
            "unknown",
            vec![Assignor::Custom("Absent".to_string())],
            Some(greedy),
        ),
        &["unknown"],
    );
    wait_until("the failure", || member.failure.lock().is_some()).await;
    let failure = member.failure.lock().clone().unwrap();
    assert_eq!(
        failure.to_string(),
        "Unsupported partition assigner \"Greedy\", the assigner wasn't found in the assigners list"
    );
    assert!(matches!(
        failure,
        RetryError::NonRetriable(Error::Assignor { thrown: false, .. })
    ));
    member.consumer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_with_unsubscribed_topics_is_reported_and_those_topics_left_out() {
    let broker = broker(1).await;
    produce(&broker, "wanted", 1, 0, 2).await;
    produce(&broker, "unwanted", 1, 0, 2).await;
    let greedy = Arc::new(Greedy {
        extra: Some(("unwanted".to_string(), 0)),
        ..Greedy::default()
    });
    let member = Member::start(
        &broker,
        options(
            "unsubscribed",
            vec![Assignor::Custom("Greedy".to_string())],
            Some(greedy),
        ),
        &["wanted"],
    );
    wait_until("the two wanted messages", || {
        member.consumed.lock().len() == 2
    })
    .await;
    let reported: Vec<Event> = member
        .events
        .lock()
        .iter()
        .filter(|e| matches!(e, Event::UnsubscribedTopics { .. }))
        .cloned()
        .collect();
    let joined = member.joins()[0].clone();
    member.consumer.stop().await;
    let Event::UnsubscribedTopics {
        generation_id,
        member_id,
        assigned_topics,
        topics_subscribed,
        topics_not_subscribed,
    } = reported[0].clone()
    else {
        unreachable!()
    };
    assert_eq!(generation_id, joined.generation_id);
    assert_eq!(member_id, joined.member_id);
    assert_eq!(
        assigned_topics,
        vec!["unwanted".to_string(), "wanted".to_string()]
    );
    assert_eq!(topics_subscribed, vec!["wanted".to_string()]);
    assert_eq!(topics_not_subscribed, vec!["unwanted".to_string()]);
    assert_eq!(joined.assignment.keys().collect::<Vec<_>>(), vec!["wanted"]);
    assert!(member
        .consumed
        .lock()
        .iter()
        .all(|(topic, _, _)| topic == "wanted"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_rejoins_when_a_topic_gains_partitions() {
    let broker = broker(2).await;
    produce(&broker, "growing", 2, 0, 2).await;
    let mut watched = options("growing", round_robin(), None);
    watched.metadata_max_age = Duration::from_millis(200);
    let member = Member::start(&broker, watched, &["growing"]);
    wait_until("the first messages", || member.values() == values(0..2)).await;
    assert_eq!(
        member.joins()[0].assigned_from.as_ref().unwrap()["growing"],
        vec![0, 1]
    );

    let admin = Admin::new(cluster(&broker), RETRY);
    admin
        .create_partitions(CreatePartitionsRequest {
            topic_partitions: vec![TopicPartitionsCount {
                topic: "growing".to_string(),
                count: 4,
                assignments: None,
            }],
            validate_only: false,
            timeout: None,
        })
        .await
        .unwrap();
    wait_until("a generation with 4 partitions", || {
        member
            .joins()
            .last()
            .is_some_and(|g| g.assignment["growing"] == vec![0, 1, 2, 3])
    })
    .await;
    produce(&broker, "growing", 4, 2, 4).await;
    wait_until("messages in the new partitions", || {
        member.values() == values(0..6)
    })
    .await;
    member.consumer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_to_more_topics_rejoins_with_them() {
    let broker = broker(1).await;
    produce(&broker, "first", 1, 0, 1).await;
    produce(&broker, "second", 1, 1, 1).await;
    let member = Member::start(&broker, options("more", round_robin(), None), &["first"]);
    wait_until("the first topic's message", || {
        member.values() == values(0..1)
    })
    .await;
    member
        .consumer
        .subscribe(vec![("second".to_string(), true)]);
    wait_until("the second topic's message", || {
        member.values() == values(0..2)
    })
    .await;
    assert_eq!(
        member.consumer.topics(),
        vec!["first".to_string(), "second".to_string()]
    );
    let last = member.joins().last().cloned().unwrap();
    assert_eq!(
        last.assignment.keys().collect::<Vec<_>>(),
        vec!["first", "second"]
    );
    member.consumer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_topics_reports_the_names_of_topics_created_later() {
    let broker = broker(1).await;
    produce(&broker, "existing", 1, 0, 1).await;
    let mut watched = options("names", round_robin(), None);
    watched.metadata_max_age = Duration::from_millis(100);
    watched.watch_topics = true;
    let member = Member::start(&broker, watched, &["existing"]);
    let reported = |name: &str| {
        member
            .events
            .lock()
            .iter()
            .any(|e| matches!(e, Event::Topics { names } if names.iter().any(|n| n == name)))
    };
    wait_until("the existing topic's name", || reported("existing")).await;
    assert!(!reported("later"));
    produce(&broker, "later", 1, 0, 1).await;
    wait_until("the new topic's name", || reported("later")).await;
    member.consumer.stop().await;
}
