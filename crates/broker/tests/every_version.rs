//! Every version the broker advertises for its data-path APIs is answered: each request below is
//! sent at each advertised version over a real socket and its response decoded at that version.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_wire::records::{encode_batch, BatchOptions, RecordRef};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Client {
    stream: TcpStream,
    correlation_id: i32,
}

impl Client {
    async fn connect(broker: &Broker) -> Client {
        Client {
            stream: TcpStream::connect(broker.local_addr()).await.unwrap(),
            correlation_id: 0,
        }
    }

    async fn send<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        self.correlation_id += 1;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("every-version")));
        let mut body = BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .unwrap();
        request.encode(&mut body, version).unwrap();
        let mut frame = BytesMut::new();
        frame.put_u32(body.len() as u32);
        frame.extend_from_slice(&body);
        self.stream.write_all(&frame).await.unwrap();
        let len = self.stream.read_u32().await.unwrap_or_else(|e| {
            panic!(
                "{} v{version}: connection closed: {e}",
                std::any::type_name::<R>()
            )
        });
        let mut response = vec![0; len as usize];
        self.stream.read_exact(&mut response).await.unwrap();
        let mut response = Bytes::from(response);
        let header =
            ResponseHeader::decode(&mut response, R::Response::header_version(version)).unwrap();
        assert_eq!(header.correlation_id, self.correlation_id);
        let decoded = R::Response::decode(&mut response, version).unwrap();
        assert!(
            !response.has_remaining(),
            "trailing bytes in v{version} response"
        );
        decoded
    }
}

fn versions(key: ApiKey) -> std::ops::RangeInclusive<i16> {
    let range = ferrokafka_wire::versions::message_versions(key).unwrap();
    range.min..=range.max
}

fn records() -> Bytes {
    let record = RecordRef {
        key: Some(b"k"),
        value: Some(b"v"),
        headers: &[],
        timestamp: 1_700_000_000_000,
    };
    let mut buf = BytesMut::new();
    encode_batch(&mut buf, &[record], &BatchOptions::default()).unwrap();
    buf.freeze()
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

#[tokio::test]
async fn data_path_apis_answer_every_advertised_version() {
    let broker = Broker::start(BrokerConfig::default()).await.unwrap();
    let mut client = Client::connect(&broker).await;

    for version in versions(ApiKey::ApiVersions) {
        let response = client.send(&ApiVersionsRequest::default(), version).await;
        assert_eq!(response.error_code, 0);
    }

    let mut topic_id = uuid::Uuid::nil();
    for version in versions(ApiKey::Metadata) {
        let wanted = metadata_request::MetadataRequestTopic::default()
            .with_name(Some(topic_name("versions")));
        let request = MetadataRequest::default()
            .with_topics(Some(vec![wanted]))
            .with_allow_auto_topic_creation(true);
        let response = client.send(&request, version).await;
        assert_eq!(response.topics[0].error_code, 0, "metadata v{version}");
        assert_eq!(response.topics[0].partitions.len(), 1);
        if version >= 10 {
            topic_id = response.topics[0].topic_id;
        }
    }
    assert!(!topic_id.is_nil());

    let produce_versions = versions(ApiKey::Produce);
    let produced = produce_versions.clone().count() as i64;
    for version in produce_versions {
        let partition = produce_request::PartitionProduceData::default()
            .with_index(0)
            .with_records(Some(records()));
        let mut topic =
            produce_request::TopicProduceData::default().with_partition_data(vec![partition]);
        if version >= 13 {
            topic.topic_id = topic_id;
        } else {
            topic.name = topic_name("versions");
        }
        let request = ProduceRequest::default()
            .with_acks(-1)
            .with_timeout_ms(1000)
            .with_topic_data(vec![topic]);
        let response = client.send(&request, version).await;
        let partition = &response.responses[0].partition_responses[0];
        assert_eq!(partition.error_code, 0, "produce v{version}");
    }

    for version in versions(ApiKey::Fetch) {
        let partition = fetch_request::FetchPartition::default()
            .with_partition(0)
            .with_fetch_offset(0)
            .with_partition_max_bytes(1 << 20);
        let mut topic = fetch_request::FetchTopic::default().with_partitions(vec![partition]);
        if version >= 13 {
            topic.topic_id = topic_id;
        } else {
            topic.topic = topic_name("versions");
        }
        let request = FetchRequest::default()
            .with_max_wait_ms(0)
            .with_min_bytes(1)
            .with_max_bytes(1 << 20)
            .with_session_epoch(-1)
            .with_topics(vec![topic]);
        let response = client.send(&request, version).await;
        let partition = &response.responses[0].partitions[0];
        assert_eq!(partition.error_code, 0, "fetch v{version}");
        assert_eq!(partition.high_watermark, produced);
        assert!(!partition.records.as_ref().unwrap().is_empty());
    }

    for version in versions(ApiKey::ListOffsets) {
        let partition = list_offsets_request::ListOffsetsPartition::default()
            .with_partition_index(0)
            .with_timestamp(-1);
        let topic = list_offsets_request::ListOffsetsTopic::default()
            .with_name(topic_name("versions"))
            .with_partitions(vec![partition]);
        let request = ListOffsetsRequest::default().with_topics(vec![topic]);
        let response = client.send(&request, version).await;
        assert_eq!(
            response.topics[0].partitions[0].offset, produced,
            "list offsets v{version}"
        );
    }

    for version in versions(ApiKey::OffsetForLeaderEpoch) {
        let partition = offset_for_leader_epoch_request::OffsetForLeaderPartition::default()
            .with_partition(0)
            .with_leader_epoch(0);
        let topic = offset_for_leader_epoch_request::OffsetForLeaderTopic::default()
            .with_topic(topic_name("versions"))
            .with_partitions(vec![partition]);
        let request = OffsetForLeaderEpochRequest::default().with_topics(vec![topic]);
        let response = client.send(&request, version).await;
        assert_eq!(response.topics[0].partitions[0].end_offset, produced);
    }

    for version in versions(ApiKey::InitProducerId) {
        let request = InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_transaction_timeout_ms(60_000);
        let response = client.send(&request, version).await;
        assert_eq!(response.error_code, 0, "init producer id v{version}");
        assert!(response.producer_id.0 >= 0);
    }

    broker.shutdown().await;
}
