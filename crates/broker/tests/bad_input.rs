//! Whatever a client sends, the broker answers with an error code or closes that one
//! connection, and keeps serving everyone else: garbage, impossible length prefixes, unknown APIs
//! and versions, truncated and undecodable requests, pipelined requests, corrupt and oversized
//! record batches, all over raw TCP.

mod support;

use std::collections::BTreeMap;

use bytes::{BufMut, Bytes, BytesMut};
use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_wire::versions::message_versions;
use indexmap::IndexMap;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, ListOffsetsRequest, ListOffsetsResponse,
    MetadataRequest, MetadataResponse, ProduceRequest, ProduceResponse, RequestHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use support::*;
use tokio::io::AsyncWriteExt;

const CORRUPT_MESSAGE: i16 = 2;
const MESSAGE_TOO_LARGE: i16 = 10;
const INVALID_RECORD: i16 = 87;
const UNSUPPORTED_VERSION: i16 = 35;
const PRODUCE_VERSION: i16 = 9;

async fn broker() -> Broker {
    start(BrokerConfig::default()).await
}

/// A request header alone, for requests whose body is beside the point.
fn header_bytes(api_key: i16, version: i16, header_version: i16) -> BytesMut {
    let mut out = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(api_key)
        .with_request_api_version(version)
        .with_correlation_id(1)
        .with_client_id(Some(StrBytes::from_static_str("bad-input-test")))
        .encode(&mut out, header_version)
        .expect("header encodes");
    out
}

fn body_bytes<R: Encodable>(body: &R, version: i16) -> BytesMut {
    let mut out = BytesMut::new();
    body.encode(&mut out, version).expect("body encodes");
    out
}

/// A v2 record batch holding `values`, as a producer would send it.
fn batch(values: &[&[u8]]) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, value)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder starts a new batch unless offset - sequence stays constant.
            sequence: i as i32,
            timestamp: 1_700_000_000_000,
            key: None,
            value: Some(Bytes::copy_from_slice(value)),
            headers: IndexMap::new(),
        })
        .collect();
    let mut out = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut out, &records, &options).expect("batch encodes");
    out.freeze()
}

fn produce(acks: i16, topic: &str, partitions: Vec<(i32, Bytes)>) -> ProduceRequest {
    let partition_data = partitions
        .into_iter()
        .map(|(index, records)| {
            PartitionProduceData::default()
                .with_index(index)
                .with_records(Some(records))
        })
        .collect();
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partition_data(partition_data)])
}

/// The (partition, error code, base offset) of each partition in a produce response.
fn outcomes(response: &ProduceResponse) -> Vec<(i32, i16, i64)> {
    response
        .responses
        .iter()
        .flat_map(|t| t.partition_responses.iter())
        .map(|p| (p.index, p.error_code, p.base_offset))
        .collect()
}

fn high_watermark(broker: &Broker, topic: &str, partition: i32) -> i64 {
    let topic = broker.state().topic(topic).expect("topic exists");
    let partition = topic.partition(partition).expect("partition exists");
    let watermark = partition.log.lock().high_watermark();
    watermark
}

#[tokio::test]
async fn garbage_closes_only_that_connection() {
    let broker = broker().await;
    let zeros = [0u8; 64];
    let ones = [0xffu8; 64];
    let mut short_frame = BytesMut::new();
    short_frame.put_u32(5);
    short_frame.put_slice(b"\x00\x03\x00\x0c\x00");
    let garbage: [&[u8]; 6] = [
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        &zeros,
        &ones,
        &short_frame,
        &framed(&ones),
    ];
    for bytes in garbage {
        assert_refused(&broker, bytes).await;
        assert_serving(&broker).await;
    }
    broker.shutdown().await;
}

#[tokio::test]
async fn impossible_length_prefixes_close_the_connection() {
    let max = 64 * 1024;
    let broker = start(BrokerConfig {
        max_request_bytes: max,
        ..BrokerConfig::default()
    })
    .await;
    let just_over = (max as u32 + 1).to_be_bytes();
    for prefix in [
        i32::MAX.to_be_bytes(),
        i32::MIN.to_be_bytes(),
        (-1i32).to_be_bytes(),
        just_over,
    ] {
        assert_refused(&broker, &prefix).await;
        assert_serving(&broker).await;
    }
    // The limit is on the frame, not on what follows the prefix: an oversized prefix is refused
    // even when the bytes it announces are on their way.
    let mut oversized = BytesMut::from(&just_over[..]);
    oversized.put_bytes(0, max + 1);
    assert_refused(&broker, &oversized).await;
    assert_serving(&broker).await;
    broker.shutdown().await;
}

#[tokio::test]
async fn unknown_api_keys_close_the_connection() {
    let broker = broker().await;
    // 9999 and -1 are no API at all; 52 (Vote) exists in Kafka but not on a broker listener.
    for api_key in [9999, -1, ApiKey::Vote as i16] {
        assert_refused(&broker, &framed(&header_bytes(api_key, 0, 1))).await;
        assert_serving(&broker).await;
    }
    broker.shutdown().await;
}

#[tokio::test]
async fn unsupported_versions_of_known_apis_close_the_connection() {
    let broker = broker().await;
    let metadata = message_versions(ApiKey::Metadata).unwrap();
    let produce = message_versions(ApiKey::Produce).unwrap();
    let cases = [
        (ApiKey::Metadata, metadata.max + 1),
        (ApiKey::Metadata, -1),
        (ApiKey::Produce, produce.min - 1),
        (ApiKey::Produce, produce.max + 1),
    ];
    for (key, version) in cases {
        let mut frame = header_bytes(key as i16, version, 2);
        frame.extend_from_slice(&body_bytes(&MetadataRequest::default(), metadata.max));
        assert_refused(&broker, &framed(&frame)).await;
        assert_serving(&broker).await;
    }
    broker.shutdown().await;
}

#[tokio::test]
async fn truncated_requests_are_dropped_with_their_connection() {
    let broker = broker().await;
    let whole = request(ApiKey::ApiVersions, 3, 1, &ApiVersionsRequest::default());
    for cut in [1, 4, 6, whole.len() / 2, whole.len() - 1] {
        let mut stream = connect(&broker).await;
        stream.write_all(&whole[..cut]).await.unwrap();
        stream.shutdown().await.unwrap();
        assert_closed(stream).await;
        assert_serving(&broker).await;
    }
    broker.shutdown().await;
}

#[tokio::test]
async fn undecodable_requests_close_the_connection() {
    let broker = broker().await;
    let mut cases = Vec::new();
    // A flexible Metadata header followed by an unterminated varint.
    let mut unterminated = header_bytes(ApiKey::Metadata as i16, 12, 2);
    unterminated.put_slice(&[0xff, 0xff, 0xff]);
    cases.push(unterminated);
    // A Produce whose topic array claims more entries than the frame holds.
    let mut short_array = header_bytes(ApiKey::Produce as i16, 3, 1);
    short_array.put_i16(-1);
    short_array.put_i16(1);
    short_array.put_i32(1000);
    short_array.put_i32(3);
    cases.push(short_array);
    // A header whose client id is longer than the frame.
    let mut long_client_id = BytesMut::new();
    long_client_id.put_i16(ApiKey::Metadata as i16);
    long_client_id.put_i16(1);
    long_client_id.put_i32(1);
    long_client_id.put_i16(200);
    long_client_id.put_slice(b"short");
    cases.push(long_client_id);
    // A complete Metadata v1 body with its last byte missing.
    let mut cut_body = header_bytes(ApiKey::Metadata as i16, 1, 1);
    let topics = vec![Default::default()];
    let body = body_bytes(&MetadataRequest::default().with_topics(Some(topics)), 1);
    cut_body.put_slice(&body[..body.len() - 1]);
    cases.push(cut_body);
    for payload in cases {
        assert_refused(&broker, &framed(&payload)).await;
        assert_serving(&broker).await;
    }
    broker.shutdown().await;
}

#[tokio::test]
async fn api_versions_above_the_supported_range_get_a_v0_error_with_the_api_list() {
    let broker = broker().await;
    let supported = message_versions(ApiKey::ApiVersions).unwrap();
    let mut stream = connect(&broker).await;
    for (correlation_id, version) in [(41, supported.max + 1), (42, i16::MAX)] {
        let mut payload = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(ApiKey::ApiVersions as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("bad-input-test")))
            .encode(&mut payload, 2)
            .unwrap();
        payload.extend_from_slice(&body_bytes(&ApiVersionsRequest::default(), supported.max));
        stream.write_all(&framed(&payload)).await.unwrap();
        let mut frame = read_frame(&mut stream).await;
        // Response header v0: the correlation id alone, then a v0 body.
        let (correlation, body) = frame.split_at(4);
        assert_eq!(
            i32::from_be_bytes(correlation.try_into().unwrap()),
            correlation_id
        );
        frame = Bytes::copy_from_slice(body);
        let response = ApiVersionsResponse::decode(&mut frame, 0).unwrap();
        assert!(frame.is_empty());
        assert_eq!(response.error_code, UNSUPPORTED_VERSION);
        let api_versions = response
            .api_keys
            .iter()
            .find(|k| k.api_key == ApiKey::ApiVersions as i16)
            .expect("ApiVersions is listed");
        assert_eq!(api_versions.max_version, supported.max);
        assert!(response
            .api_keys
            .iter()
            .any(|k| k.api_key == ApiKey::Fetch as i16));
    }
    // The connection stays usable: the client retries at a version it now knows.
    let retried: ApiVersionsResponse = round_trip(
        &mut stream,
        ApiKey::ApiVersions,
        supported.max,
        43,
        &ApiVersionsRequest::default(),
    )
    .await;
    assert_eq!(retried.error_code, 0);
    broker.shutdown().await;
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let broker = broker().await;
    broker
        .state()
        .create_topic("pipelined", 1, BTreeMap::new())
        .unwrap();
    let mut stream = connect(&broker).await;
    let requests = [
        request(ApiKey::ApiVersions, 3, 10, &ApiVersionsRequest::default()),
        request(
            ApiKey::Metadata,
            12,
            11,
            &MetadataRequest::default().with_topics(None),
        ),
        request(
            ApiKey::Produce,
            PRODUCE_VERSION,
            12,
            &produce(0, "pipelined", vec![(0, batch(&[b"silent"]))]),
        ),
        request(
            ApiKey::Produce,
            PRODUCE_VERSION,
            13,
            &produce(1, "pipelined", vec![(0, batch(&[b"acked", b"twice"]))]),
        ),
        request(ApiKey::ApiVersions, 0, 14, &ApiVersionsRequest::default()),
        request(
            ApiKey::Metadata,
            1,
            15,
            &MetadataRequest::default().with_topics(None),
        ),
    ];
    stream.write_all(&requests.concat()).await.unwrap();

    let (correlation, versions) = decode::<ApiVersionsResponse>(read_frame(&mut stream).await, 3);
    assert_eq!((correlation, versions.error_code), (10, 0));
    let (correlation, metadata) = decode::<MetadataResponse>(read_frame(&mut stream).await, 12);
    assert_eq!(correlation, 11);
    assert_eq!(metadata.topics.len(), 1);
    // The acks=0 produce (12) is answered by nothing, but it was handled before 13.
    let (correlation, produced) =
        decode::<ProduceResponse>(read_frame(&mut stream).await, PRODUCE_VERSION);
    assert_eq!(correlation, 13);
    assert_eq!(outcomes(&produced), vec![(0, 0, 1)]);
    let (correlation, _) = decode::<ApiVersionsResponse>(read_frame(&mut stream).await, 0);
    assert_eq!(correlation, 14);
    let (correlation, _) = decode::<MetadataResponse>(read_frame(&mut stream).await, 1);
    assert_eq!(correlation, 15);
    assert_eq!(high_watermark(&broker, "pipelined", 0), 3);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_crc_is_refused_and_nothing_is_appended() {
    let broker = broker().await;
    broker
        .state()
        .create_topic("crc", 2, BTreeMap::new())
        .unwrap();
    let good = batch(&[b"kept"]);
    let mut corrupt = BytesMut::from(&batch(&[b"flipped"])[..]);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x01;
    let mut stream = connect(&broker).await;
    let request = produce(-1, "crc", vec![(0, corrupt.freeze()), (1, good)]);
    let response: ProduceResponse =
        round_trip(&mut stream, ApiKey::Produce, PRODUCE_VERSION, 1, &request).await;
    assert_eq!(
        outcomes(&response),
        vec![(0, CORRUPT_MESSAGE, -1), (1, 0, 0)]
    );
    assert_eq!(high_watermark(&broker, "crc", 0), 0);
    assert_eq!(high_watermark(&broker, "crc", 1), 1);

    // The same connection keeps working, and the corrupt batch took no offsets.
    let retry = produce(-1, "crc", vec![(0, batch(&[b"fixed"]))]);
    let response: ProduceResponse =
        round_trip(&mut stream, ApiKey::Produce, PRODUCE_VERSION, 2, &retry).await;
    assert_eq!(outcomes(&response), vec![(0, 0, 0)]);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_batch_over_max_message_bytes_is_refused() {
    let broker = broker().await;
    let configs = [("max.message.bytes".to_string(), "1024".to_string())].into();
    broker.state().create_topic("small", 1, configs).unwrap();
    let big = vec![b'x'; 2000];
    let mut stream = connect(&broker).await;
    let request = produce(1, "small", vec![(0, batch(&[&big]))]);
    let response: ProduceResponse =
        round_trip(&mut stream, ApiKey::Produce, PRODUCE_VERSION, 1, &request).await;
    assert_eq!(outcomes(&response), vec![(0, MESSAGE_TOO_LARGE, -1)]);
    let message = response.responses[0].partition_responses[0]
        .error_message
        .as_deref();
    assert!(message.is_some_and(|m| m.contains("1024")), "{message:?}");
    assert_eq!(high_watermark(&broker, "small", 0), 0);

    let fits = produce(1, "small", vec![(0, batch(&[b"small enough"]))]);
    let response: ProduceResponse =
        round_trip(&mut stream, ApiKey::Produce, PRODUCE_VERSION, 2, &fits).await;
    assert_eq!(outcomes(&response), vec![(0, 0, 0)]);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_batch_claiming_more_records_than_it_holds_is_refused() {
    let broker = broker().await;
    broker
        .state()
        .create_topic("liar", 1, BTreeMap::new())
        .unwrap();
    // One record, but a header (CRC included) claiming i32::MAX of them.
    let mut liar = BytesMut::from(&batch(&[b"one"])[..]);
    liar[23..27].copy_from_slice(&(i32::MAX - 1).to_be_bytes());
    liar[57..61].copy_from_slice(&i32::MAX.to_be_bytes());
    let crc = crc32c::crc32c(&liar[21..]);
    liar[17..21].copy_from_slice(&crc.to_be_bytes());
    let mut stream = connect(&broker).await;
    let request = produce(1, "liar", vec![(0, liar.freeze())]);
    let response: ProduceResponse =
        round_trip(&mut stream, ApiKey::Produce, PRODUCE_VERSION, 1, &request).await;
    assert_eq!(outcomes(&response), vec![(0, INVALID_RECORD, -1)]);
    assert_eq!(high_watermark(&broker, "liar", 0), 0);

    // Had it been stored, looking records up by timestamp would read its header's count.
    let request = ListOffsetsRequest::default().with_topics(vec![ListOffsetsTopic::default()
        .with_name(TopicName(StrBytes::from_static_str("liar")))
        .with_partitions(vec![ListOffsetsPartition::default().with_timestamp(0)])]);
    let response: ListOffsetsResponse =
        round_trip(&mut stream, ApiKey::ListOffsets, 7, 2, &request).await;
    assert_eq!(response.topics[0].partitions[0].offset, -1);
    broker.shutdown().await;
}
