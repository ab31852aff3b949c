//! A request declaring billions of array elements in a few bytes closes its connection instead
//! of aborting the process: the protocol decoder reserves capacity from the declared count, and
//! the broker's allocator serves such reservations lazily (see `LazyLargeAllocator`). Without
//! the allocator this test binary aborts.

mod support;

use bytes::{BufMut, BytesMut};
use ferrokafka_broker::{BrokerConfig, LazyLargeAllocator};
use support::*;

#[global_allocator]
static ALLOC: LazyLargeAllocator = LazyLargeAllocator;

/// A frame: length prefix, then the header fields and body bytes given.
fn frame(api_key: i16, version: i16, rest: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    out.put_u32(8 + rest.len() as u32);
    out.put_i16(api_key);
    out.put_i16(version);
    out.put_i32(1);
    out.put_slice(rest);
    out
}

#[tokio::test]
async fn billions_of_declared_elements_close_only_that_connection() {
    let broker = start(BrokerConfig::default()).await;
    let requests = [
        // Metadata v0: null client id, then a topic array of i32::MAX entries.
        frame(3, 0, &[0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]),
        // Metadata v12 (flexible): null client id, no tagged fields, then a compact topic array
        // claiming u32::MAX - 1 entries.
        frame(3, 12, &[0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        // Produce v7: null transactional id, acks, timeout, then i32::MAX topics.
        frame(
            0,
            7,
            &[
                0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x75, 0x30, 0x7f, 0xff, 0xff, 0xff,
            ],
        ),
    ];
    for request in requests {
        assert_refused(&broker, &request).await;
        assert_serving(&broker).await;
    }
    broker.shutdown().await;
}
