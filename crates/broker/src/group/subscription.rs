//! Reads the topics a consumer-protocol member subscribes to from its JoinGroup metadata, the
//! way Kafka does: the version, then the version-0 prefix every later version shares.

use bytes::{Buf, Bytes};
use kafka_protocol::messages::ConsumerProtocolSubscription;
use kafka_protocol::protocol::Decodable;

/// The protocol type of Kafka consumers.
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// The subscribed topics, or `None` when the metadata is not a consumer-protocol subscription.
pub fn subscribed_topics(metadata: &Bytes) -> Option<Vec<String>> {
    let mut buf = metadata.clone();
    if buf.remaining() < 2 || buf.get_i16() < 0 {
        return None;
    }
    let subscription = ConsumerProtocolSubscription::decode(&mut buf, 0).ok()?;
    Some(subscription.topics.iter().map(|t| t.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{BufMut, BytesMut};
    use kafka_protocol::protocol::{Encodable, StrBytes};

    #[test]
    fn reads_topics_of_any_subscription_version() {
        for version in 0..=3 {
            let subscription = ConsumerProtocolSubscription::default().with_topics(vec![
                StrBytes::from_static_str("a"),
                StrBytes::from_static_str("b"),
            ]);
            let mut out = BytesMut::new();
            out.put_i16(version);
            subscription.encode(&mut out, version).unwrap();
            assert_eq!(
                subscribed_topics(&out.freeze()),
                Some(vec!["a".to_string(), "b".to_string()])
            );
        }
    }

    #[test]
    fn rejects_what_is_not_a_subscription() {
        assert_eq!(subscribed_topics(&Bytes::from_static(b"\x00")), None);
        assert_eq!(
            subscribed_topics(&Bytes::from_static(b"\xff\xff\x00\x00")),
            None
        );
        assert_eq!(
            subscribed_topics(&Bytes::from_static(b"\x00\x00\x00\x00\x00\x05")),
            None
        );
    }
}
