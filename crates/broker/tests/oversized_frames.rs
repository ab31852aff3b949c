//! A length prefix the broker will not accept (2 GiB, negative, or just over
//! `socket.request.max.bytes`) closes the connection before anything is allocated for the frame:
//! many such prefixes at once leave the process's heap where it was.
//!
//! This test binary counts every allocation the process makes, so it holds this one test only.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ferrokafka_broker::BrokerConfig;
use support::*;
use tokio::io::AsyncWriteExt;

/// The system allocator, keeping track of the bytes in use and their high-water mark.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = IN_USE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Connections per kind of prefix; all are open at the same time.
const CONNECTIONS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_prefixes_allocate_nothing_for_the_frame() {
    let config = BrokerConfig::default();
    let just_over = config.max_request_bytes as u32 + 1;
    let broker = start(config).await;
    assert_serving(&broker).await;

    let mut streams = Vec::new();
    for _ in 0..CONNECTIONS {
        streams.push(connect(&broker).await);
    }
    let baseline = IN_USE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);

    let prefixes = [i32::MAX as u32, i32::MIN as u32, u32::MAX, just_over];
    let mut refused = Vec::new();
    for prefix in prefixes {
        for mut stream in streams.drain(..) {
            stream.write_all(&prefix.to_be_bytes()).await.unwrap();
            refused.push(stream);
        }
        for _ in 0..CONNECTIONS {
            streams.push(connect(&broker).await);
        }
    }
    for stream in refused {
        assert_closed(stream).await;
    }

    // Any one of those frames, had it been reserved, is over 100 MiB; all of them together
    // would be over 100 GiB. What the connections themselves cost is far below 16 MiB.
    let growth = PEAK.load(Ordering::Relaxed) - baseline;
    assert!(growth < 16 << 20, "heap grew by {growth} bytes");
    assert_serving(&broker).await;
    broker.shutdown().await;
}
