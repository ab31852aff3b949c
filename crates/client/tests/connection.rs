//! The connection layer against the embedded broker and against misbehaving servers, and its
//! in-flight limit.

use std::sync::Arc;
use std::time::Duration;

use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_client::observer::{Observer, ObserverHandle, RequestEvent};
use ferrokafka_client::{Connection, ConnectionOptions, Error};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{ApiKey, BrokerId, FetchRequest, MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

fn metadata_for(topic: &str) -> MetadataRequest {
    let wanted = MetadataRequestTopic::default()
        .with_name(Some(TopicName(StrBytes::from_string(topic.into()))));
    MetadataRequest::default()
        .with_topics(Some(vec![wanted]))
        .with_allow_auto_topic_creation(true)
}

#[tokio::test]
async fn negotiates_and_pipelines_requests_in_order() {
    let broker = Broker::start(BrokerConfig::default()).await.unwrap();
    let connection = Connection::connect(&broker.bootstrap(), ConnectionOptions::default())
        .await
        .unwrap();
    assert!(connection.versions().version(ApiKey::Metadata).unwrap() >= 9);
    let requests: Vec<_> = (0..50)
        .map(|i| metadata_for(&format!("topic-{i}")))
        .collect();
    let responses = futures::future::join_all(requests.iter().map(|r| connection.send(r))).await;
    for (i, response) in responses.into_iter().enumerate() {
        let response = response.unwrap();
        let name = response.topics[0].name.as_ref().unwrap();
        assert_eq!(name.0.as_str(), format!("topic-{i}"));
    }
    broker.shutdown().await;
    let after = connection.send(&metadata_for("late")).await;
    assert!(matches!(after, Err(Error::Connection { .. })), "{after:?}");
    assert!(connection.is_closed());
}

#[tokio::test]
async fn refused_connection_is_a_connection_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    let error = Connection::connect(&address, ConnectionOptions::default())
        .await
        .unwrap_err();
    match &error {
        Error::Connection {
            broker,
            code,
            message,
            closed,
        } => {
            assert!(!closed);
            assert_eq!(broker, &address);
            assert_eq!(*code, Some("ECONNREFUSED"));
            assert_eq!(
                message,
                &format!("Connection error: connect ECONNREFUSED {address}")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(error.is_retriable());
}

#[tokio::test]
async fn an_unknown_host_is_enotfound_as_node_names_it() {
    let error = Connection::connect("no-such-host.invalid:9092", ConnectionOptions::default())
        .await
        .unwrap_err();
    match &error {
        Error::Connection { code, message, .. } => {
            assert_eq!(*code, Some("ENOTFOUND"));
            assert_eq!(
                message,
                "Connection error: getaddrinfo ENOTFOUND no-such-host.invalid"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn silent_server_times_out_the_request() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut sink = Vec::new();
        let _ = socket.read_to_end(&mut sink).await;
    });
    let options = ConnectionOptions {
        request_timeout: Duration::from_millis(100),
        ..ConnectionOptions::default()
    };
    let error = Connection::connect(&address, options).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::RequestTimeout {
                api: ApiKey::ApiVersions,
                version: 3,
                timeout_ms: 100,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "Request ApiVersions(key: 18, version: 3) timed out"
    );
    server.abort();
}

/// Records what a connection reports.
#[derive(Default)]
struct Recorder {
    requests: parking_lot::Mutex<Vec<RequestEvent>>,
    queue_sizes: parking_lot::Mutex<Vec<usize>>,
}

impl Observer for Recorder {
    fn enabled(&self) -> bool {
        true
    }

    fn request(&self, event: RequestEvent) {
        self.requests.lock().push(event);
    }

    fn request_timeout(&self, _: RequestEvent) {}

    fn queue_size(&self, _: &str, _: &str, size: usize) {
        self.queue_sizes.lock().push(size);
    }
}

/// A Fetch the broker holds for 300 ms (the partition has no data).
fn long_poll(topic: &str) -> FetchRequest {
    let partition = FetchPartition::default()
        .with_partition(0)
        .with_fetch_offset(0)
        .with_partition_max_bytes(1024);
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(300)
        .with_min_bytes(1)
        .with_max_bytes(1024)
        .with_topics(vec![FetchTopic::default()
            .with_topic(TopicName(StrBytes::from_string(topic.into())))
            .with_partitions(vec![partition])])
}

/// Sends a long-polling Fetch and, right after it, a Metadata request on one connection;
/// returns what the observer saw: the two requests' events and the queue sizes reported.
async fn fetch_then_metadata(
    max_in_flight: Option<usize>,
) -> (RequestEvent, RequestEvent, Vec<usize>) {
    let broker = Broker::start(BrokerConfig::default()).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let options = ConnectionOptions {
        observer: Some(ObserverHandle(recorder.clone())),
        max_in_flight,
        ..ConnectionOptions::default()
    };
    let connection = Connection::connect(&broker.bootstrap(), options)
        .await
        .unwrap();
    connection.send(&metadata_for("held")).await.unwrap();
    let fetch = connection.start(&long_poll("held"), 12).unwrap();
    let metadata = connection
        .start(
            &metadata_for("held"),
            connection.version_of::<MetadataRequest>().unwrap(),
        )
        .unwrap();
    let (fetched, described) = futures::join!(fetch, metadata);
    fetched.unwrap();
    described.unwrap();
    let requests = recorder.requests.lock().clone();
    let find = |api: ApiKey| {
        requests
            .iter()
            .rev()
            .find(|e| e.api == api)
            .unwrap()
            .clone()
    };
    let sizes = recorder.queue_sizes.lock().clone();
    (find(ApiKey::Fetch), find(ApiKey::Metadata), sizes)
}

#[tokio::test]
async fn max_in_flight_holds_requests_in_the_connection_queue_until_a_slot_frees() {
    let (fetch, metadata, sizes) = fetch_then_metadata(Some(1)).await;
    assert_eq!(sizes, vec![1]);
    // The Metadata request was written only once the Fetch was answered (within the millisecond
    // the event times are rounded to).
    assert!(
        metadata.sent_at + 1 >= fetch.sent_at + fetch.duration,
        "{fetch:?} {metadata:?}"
    );
    assert!(
        metadata.created_at < fetch.sent_at + fetch.duration,
        "{fetch:?} {metadata:?}"
    );

    let (fetch, metadata, sizes) = fetch_then_metadata(None).await;
    assert!(sizes.is_empty());
    assert!(
        metadata.sent_at < fetch.sent_at + fetch.duration,
        "{fetch:?} {metadata:?}"
    );
}
