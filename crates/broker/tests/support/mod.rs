//! Raw-socket helpers for the broker's integration tests: start a broker, frame requests with
//! the kafka-protocol encoders, read framed responses, and check that a connection was closed
//! and that the broker still answers a well-formed request on a fresh connection.

// Each test binary compiles this module and uses a different subset of it.
#![allow(dead_code)]

use std::io::ErrorKind;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use ferrokafka_broker::{Broker, BrokerConfig};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a single read may take before the test reports the broker as hung.
pub const HANG: Duration = Duration::from_secs(30);

/// Starts a broker on 127.0.0.1 and an ephemeral port.
pub async fn start(config: BrokerConfig) -> Broker {
    Broker::start(config).await.expect("broker starts")
}

/// A new raw connection to `broker`.
pub async fn connect(broker: &Broker) -> TcpStream {
    TcpStream::connect(broker.local_addr())
        .await
        .expect("connects")
}

/// A complete request frame: length prefix, request header, body.
pub fn request<R: Encodable + HeaderVersion>(
    key: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &R,
) -> Bytes {
    let header = RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("bad-input-test")));
    let mut payload = BytesMut::new();
    header
        .encode(&mut payload, R::header_version(version))
        .expect("header encodes");
    body.encode(&mut payload, version).expect("body encodes");
    framed(&payload)
}

/// `payload` behind its int32 length prefix.
pub fn framed(payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(4 + payload.len());
    out.put_u32(payload.len() as u32);
    out.put_slice(payload);
    out.freeze()
}

/// Reads one response frame (without its length prefix).
pub async fn read_frame(stream: &mut TcpStream) -> Bytes {
    let read = async {
        let size = stream.read_u32().await.expect("response length");
        let mut body = vec![0; size as usize];
        stream.read_exact(&mut body).await.expect("response body");
        Bytes::from(body)
    };
    tokio::time::timeout(HANG, read)
        .await
        .expect("broker answers")
}

/// Decodes a response frame into its correlation id and body.
pub fn decode<R: Decodable + HeaderVersion>(mut frame: Bytes, version: i16) -> (i32, R) {
    let header =
        ResponseHeader::decode(&mut frame, R::header_version(version)).expect("response header");
    let body = R::decode(&mut frame, version).expect("response body");
    assert!(
        frame.is_empty(),
        "{} bytes after the response body",
        frame.len()
    );
    (header.correlation_id, body)
}

/// Sends one request and returns the decoded response.
pub async fn round_trip<Req, Resp>(
    stream: &mut TcpStream,
    key: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &Req,
) -> Resp
where
    Req: Encodable + HeaderVersion,
    Resp: Decodable + HeaderVersion,
{
    stream
        .write_all(&request(key, version, correlation_id, body))
        .await
        .expect("request written");
    let (correlation, response) = decode(read_frame(stream).await, version);
    assert_eq!(correlation, correlation_id);
    response
}

/// Waits until the broker closes `stream`, asserting that it sent nothing before doing so.
pub async fn assert_closed(mut stream: TcpStream) {
    let mut received = Vec::new();
    let read = tokio::time::timeout(HANG, stream.read_to_end(&mut received))
        .await
        .expect("broker closes the connection");
    match read {
        Ok(_) => assert!(received.is_empty(), "broker answered {received:?}"),
        Err(error) => assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}"),
    }
}

/// Writes `bytes` to a new connection and waits for the broker to close it unanswered.
pub async fn assert_refused(broker: &Broker, bytes: &[u8]) {
    let mut stream = connect(broker).await;
    // The broker may close the socket before all of `bytes` is written; that is the point.
    let _ = stream.write_all(bytes).await;
    assert_closed(stream).await;
}

/// Asserts that `broker` answers ApiVersions v3 on a new connection.
pub async fn assert_serving(broker: &Broker) {
    let mut stream = connect(broker).await;
    let request = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("bad-input-test"))
        .with_client_software_version(StrBytes::from_static_str("1"));
    let response: ApiVersionsResponse =
        round_trip(&mut stream, ApiKey::ApiVersions, 3, 1, &request).await;
    assert_eq!(response.error_code, 0);
    assert!(response
        .api_keys
        .iter()
        .any(|k| k.api_key == ApiKey::Produce as i16));
}
