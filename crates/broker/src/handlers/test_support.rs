//! Helpers for the handlers' unit tests: a fresh broker state, a request context at a given
//! version, and a check that a response encodes at the version it was built for.

use std::net::SocketAddr;
use std::sync::LazyLock;

use bytes::BytesMut;
use ferrokafka_wire::versions::message_versions;
use kafka_protocol::messages::{ApiKey, RequestHeader};
use kafka_protocol::protocol::Encodable;

use crate::config::BrokerConfig;
use crate::dispatch::Ctx;
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
