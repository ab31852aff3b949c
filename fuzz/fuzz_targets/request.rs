//! Fuzzes the broker's request path as a connection runs it: the input is the byte stream a
//! client sends; it is cut into frames by the broker's own codec, and each frame goes through
//! header decoding, dispatch, its API's handler and response encoding against one broker state,
//! so later requests see what earlier ones created or produced.
//!
//! Besides panics, hangs and out-of-memory, it fails when the broker answers with a response
//! that kafka-protocol cannot decode at the request's version, whose correlation id is not the
//! request's, or when a handler builds a response its version cannot encode.

#![no_main]

use std::sync::OnceLock;

use bytes::{Buf, Bytes, BytesMut};
use ferrokafka_broker::fuzzing::{handle_frame, DispatchError};
use ferrokafka_broker::state::State;
use ferrokafka_broker::BrokerConfig;
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse, ResponseHeader, ResponseKind};
use kafka_protocol::protocol::Decodable;
use libfuzzer_sys::fuzz_target;

/// The allocator the addon and the CLI run with (see `LazyLargeAllocator`).
#[global_allocator]
static ALLOC: ferrokafka_broker::LazyLargeAllocator = ferrokafka_broker::LazyLargeAllocator;
use tokio::runtime::Runtime;
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;

/// A single-threaded runtime whose clock only moves when every task is waiting on a timer, so a
/// Fetch that long-polls for minutes completes at once and runs are deterministic.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime builds")
    })
}

fuzz_target!(|data: &[u8]| {
    runtime().block_on(run_connection(data));
});

async fn run_connection(data: &[u8]) {
    let config = BrokerConfig {
        cluster_id: "fuzz-cluster-id-000000".to_string(),
        ..BrokerConfig::default()
    };
    let mut codec = ferrokafka_wire::frame::codec(config.max_request_bytes);
    let state = State::new(config, "127.0.0.1".to_string(), 9092);
    let shutdown = CancellationToken::new();
    let timers = tokio::spawn(state.groups.clone().run_timers(shutdown.clone()));
    let mut stream = BytesMut::from(data);
    // Ok(None): the rest of the stream is an incomplete frame; Err: the codec closes.
    while let Ok(Some(frame)) = codec.decode(&mut stream) {
        let frame = frame.freeze();
        match handle_frame(&state, frame.clone()).await {
            Ok(Some(response)) => check_response(&frame, response.freeze()),
            Ok(None) => {}
            Err(DispatchError::Encode(error)) => {
                panic!("a decoded request got a response its version cannot encode: {error}")
            }
            Err(_) => break,
        }
    }
    shutdown.cancel();
    timers.await.expect("group timers end cleanly");
}

/// The response must be framed, carry the request's correlation id and decode at the request's
/// version (ApiVersions at an unknown version is answered at v0, KIP-511).
fn check_response(request: &Bytes, mut response: Bytes) {
    let size = response.get_u32() as usize;
    assert_eq!(
        size,
        response.len(),
        "length prefix does not match the response"
    );
    let key = ApiKey::try_from(i16::from_be_bytes([request[0], request[1]]))
        .expect("only known APIs are answered");
    let mut version = i16::from_be_bytes([request[2], request[3]]);
    let correlation_id = i32::from_be_bytes([request[4], request[5], request[6], request[7]]);
    let mut header_version = key.response_header_version(version);
    let supported = ferrokafka_wire::versions::message_versions(key).expect("a served API");
    if key == ApiKey::ApiVersions && !(supported.min..=supported.max).contains(&version) {
        version = 0;
        header_version = 0;
    }
    let header = ResponseHeader::decode(&mut response, header_version).expect("response header");
    assert_eq!(header.correlation_id, correlation_id);
    if key == ApiKey::ApiVersions && version == 0 {
        ApiVersionsResponse::decode(&mut response, 0).expect("ApiVersions v0 body");
    } else {
        ResponseKind::decode(key, &mut response, version)
            .unwrap_or_else(|e| panic!("{key:?} v{version} response does not decode: {e}"));
    }
    assert!(
        response.is_empty(),
        "{} bytes after the {key:?} response",
        response.len()
    );
}
