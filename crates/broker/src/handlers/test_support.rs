//! Helpers for the broker's unit tests: a fresh broker state, a request context at a given
//! version, a check that a response encodes at the version it was built for, and a call
//! through the real dispatcher.

use std::net::SocketAddr;
use std::sync::LazyLock;

use bytes::{Buf, Bytes, BytesMut};
use ferrokafka_wire::versions::message_versions;
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};

use crate::config::BrokerConfig;
use crate::dispatch::{self, Ctx};
use crate::state::State;

static HEADER: LazyLock<RequestHeader> = LazyLock::new(RequestHeader::default);

/// A broker state with default settings (node id 1).
pub fn state() -> State {
    State::new(BrokerConfig::default(), "127.0.0.1".into(), 9092)
}

/// A context for a request at `version`.
pub fn ctx_at(state: &State, version: i16) -> Ctx<'_> {
    Ctx {
        state,
        header: &HEADER,
        version,
        peer: SocketAddr::from(([127, 0, 0, 1], 40000)),
    }
}

/// Panics unless `version` is advertised for `key` and `response` encodes at it.
pub fn encodes_at_every_version<R: Encodable>(key: ApiKey, version: i16, response: &R) {
    let range = message_versions(key).expect("served API");
    assert!(
        range.min <= version && version <= range.max,
        "{key:?} v{version} is not advertised"
    );
    let mut buf = BytesMut::new();
    response
        .encode(&mut buf, version)
        .unwrap_or_else(|e| panic!("{key:?} v{version} does not encode: {e}"));
}

/// Every version advertised for `key`.
pub fn versions(key: ApiKey) -> std::ops::RangeInclusive<i16> {
    let range = message_versions(key).expect("served API");
    range.min..=range.max
}

/// Sends `request` at `version` through the dispatcher, as a client would frame it, and
/// decodes the answer, which must use every byte.
pub async fn call<Req: Encodable, Resp: Decodable + HeaderVersion>(
    state: &State,
    key: ApiKey,
    version: i16,
    request: &Req,
) -> Resp {
    let header = RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(7)
        .with_client_id(Some(StrBytes::from_static_str("wire-test")));
    let mut frame = BytesMut::new();
    header
        .encode(&mut frame, key.request_header_version(version))
        .unwrap();
    request.encode(&mut frame, version).unwrap();
    let peer: SocketAddr = "127.0.0.1:5555".parse().unwrap();
    let response = dispatch::handle(state, peer, frame.freeze())
        .await
        .unwrap_or_else(|e| panic!("{key:?} v{version}: {e}"))
        .expect("a response");
    let mut body: Bytes = response.freeze();
    let length = body.get_u32() as usize;
    assert_eq!(length, body.remaining());
    let header = ResponseHeader::decode(&mut body, Resp::header_version(version)).unwrap();
    assert_eq!(header.correlation_id, 7);
    let decoded =
        Resp::decode(&mut body, version).unwrap_or_else(|e| panic!("{key:?} v{version}: {e}"));
    assert_eq!(body.remaining(), 0, "{key:?} v{version} left bytes unread");
    decoded
}
