//! Memory for the batches an in-memory log appends. A log keeps every batch it stores, so each
//! append used to land in freshly mapped pages, which the kernel faults in and zeroes while the
//! producer waits for its acknowledgement. Batches are copied instead into large chunks shared by
//! every log in the process; a background thread maps and touches the next chunk ahead of time,
//! so the page faults happen off the request's path. A chunk is freed when the last batch in it
//! is dropped.

use std::sync::{Condvar, LazyLock, Mutex, MutexGuard};

use bytes::BytesMut;

/// Size of a chunk.
const CHUNK: usize = 8 << 20;
/// Batches above this size get an allocation of their own, so no chunk wastes more than this.
const LARGEST: usize = CHUNK / 8;
/// Page size assumed when touching a new chunk (a larger page is touched more than once).
const PAGE: usize = 4096;

#[derive(Default)]
struct Chunks {
    /// The chunk being filled.
    current: BytesMut,
    /// The next chunk, touched ahead of time, once the background thread has made it.
    next: Option<BytesMut>,
}

struct Arena {
    chunks: Mutex<Chunks>,
    /// Wakes the background thread when the next chunk was taken.
    taken: Condvar,
}

static ARENA: LazyLock<Arena> = LazyLock::new(|| {
    let started = std::thread::Builder::new()
        .name("ferrokafka-arena".into())
        .spawn(make_chunks);
    if let Err(error) = started {
        tracing::warn!(%error, "cannot start the thread that prepares log memory");
    }
    Arena {
        chunks: Mutex::new(Chunks::default()),
        taken: Condvar::new(),
    }
});

fn lock() -> MutexGuard<'static, Chunks> {
    ARENA
        .chunks
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A chunk with every page written once, so that filling it faults in nothing.
fn touched_chunk() -> BytesMut {
    let mut chunk = BytesMut::with_capacity(CHUNK);
    for byte in chunk.spare_capacity_mut().iter_mut().step_by(PAGE) {
        byte.write(0);
    }
    chunk
}

/// The background thread: keeps a next chunk ready.
fn make_chunks() {
    loop {
        let chunk = touched_chunk();
        let mut chunks = lock();
        chunks.next = Some(chunk);
        while chunks.next.is_some() {
            chunks = ARENA
                .taken
                .wait(chunks)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

/// A copy of `data` that a log can patch and keep.
pub(crate) fn copy(data: &[u8]) -> BytesMut {
    if data.len() > LARGEST {
        return BytesMut::from(data);
    }
    let mut chunks = lock();
    if chunks.current.capacity() < data.len() {
        let next = chunks.next.take();
        chunks.current = next.unwrap_or_else(|| BytesMut::with_capacity(CHUNK));
        ARENA.taken.notify_one();
    }
    chunks.current.extend_from_slice(data);
    chunks.current.split()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_the_bytes_given_and_stay_apart() {
        let small: Vec<u8> = (0..=255).collect();
        let mut copies: Vec<BytesMut> = (0..100_000).map(|_| copy(&small)).collect();
        copies[7][0] = 42;
        assert_eq!(copies[6][..], small[..]);
        assert_eq!(copies[8][..], small[..]);
        assert_eq!(copies[7][0], 42);
        assert!(copies.iter().skip(8).all(|c| c[..] == small[..]));
        let large = vec![7u8; LARGEST + 1];
        assert_eq!(copy(&large)[..], large[..]);
    }
}
