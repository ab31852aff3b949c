//! A global allocator that keeps wire-declared sizes from aborting the process.
//!
//! Protocol decoders reserve a collection's capacity from the element count a request declares
//! before reading any element (kafka-protocol 0.18 does this for every array). A few bytes
//! claiming two billion elements then ask the allocator for hundreds of gigabytes; the system
//! allocator refuses and Rust aborts the whole process — the Node process too, for
//! `createBroker()`. [`LazyLargeAllocator`] serves any allocation of 1 GiB or more with address
//! space the kernel commits only when touched (`MAP_NORESERVE`). The decoder then fails at the
//! end of the request's real bytes, having touched only what it wrote, and the reservation is
//! returned.
//!
//! Smaller allocations go to mimalloc. A produce or fetch moves buffers of a megabyte or so every
//! few milliseconds; glibc's malloc hands such buffers back to the kernel between uses, and the
//! page faults that refill them cost more than the copies into them. mimalloc keeps them for
//! reuse. It is built without transparent huge pages: zeroing 2 MiB at a time for a log that
//! grows by a batch at a time evicts the cache the next write needs.
//!
//! Install it in every binary that serves untrusted bytes:
//! `#[global_allocator] static ALLOC: LazyLargeAllocator = LazyLargeAllocator;`

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;

/// Allocations from this size up are reserved lazily.
pub const LARGE_ALLOCATION: usize = 1 << 30;

/// mimalloc, except that allocations of [`LARGE_ALLOCATION`] bytes or more are lazily committed
/// mappings (on Unix).
#[derive(Debug, Default, Clone, Copy)]
pub struct LazyLargeAllocator;

#[cfg(unix)]
fn is_large(layout: &Layout) -> bool {
    layout.size() >= LARGE_ALLOCATION && layout.align() <= 4096
}

#[cfg(not(unix))]
fn is_large(_layout: &Layout) -> bool {
    false
}

#[cfg(unix)]
unsafe fn map(size: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping with no address hint has no preconditions.
    let mapped = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if mapped == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        mapped.cast()
    }
}

#[cfg(unix)]
unsafe fn unmap(ptr: *mut u8, size: usize) {
    // SAFETY: `ptr` and `size` are exactly a mapping made by `map`.
    unsafe {
        libc::munmap(ptr.cast(), size);
    }
}

/// Grows or shrinks a mapping by moving its pages, never copying (or committing) them.
#[cfg(target_os = "linux")]
unsafe fn remap(ptr: *mut u8, old_size: usize, new_size: usize) -> *mut u8 {
    // SAFETY: `ptr`/`old_size` are a mapping made by `map`; MREMAP_MAYMOVE lets the kernel move it.
    let moved = unsafe { libc::mremap(ptr.cast(), old_size, new_size, libc::MREMAP_MAYMOVE) };
    if moved == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        moved.cast()
    }
}

#[cfg(not(unix))]
unsafe fn map(_size: usize) -> *mut u8 {
    unreachable!("large allocations are only mapped on Unix")
}

#[cfg(not(unix))]
unsafe fn unmap(_ptr: *mut u8, _size: usize) {
    unreachable!("large allocations are only mapped on Unix")
}

// SAFETY: every block comes either from mimalloc or from an anonymous mapping of at least the
// requested size with page alignment (which satisfies any alignment `is_large` admits); each is
// released by the same path that made it, decided by the same layout.
unsafe impl GlobalAlloc for LazyLargeAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(&layout) {
            unsafe { map(layout.size()) }
        } else {
            unsafe { MiMalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(&layout) {
            // Fresh anonymous mappings read as zeros.
            unsafe { map(layout.size()) }
        } else {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_large(&layout) {
            unsafe { unmap(ptr, layout.size()) }
        } else {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if !is_large(&layout) && !is_large(&new_layout) {
            return unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        }
        #[cfg(target_os = "linux")]
        if is_large(&layout) && is_large(&new_layout) {
            return unsafe { remap(ptr, layout.size(), new_size) };
        }
        let moved = unsafe { self.alloc(new_layout) };
        if !moved.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_reservation_succeeds_and_is_usable_where_touched() {
        let allocator = LazyLargeAllocator;
        let layout = Layout::from_size_align(200 << 30, 8).unwrap();
        unsafe {
            let ptr = allocator.alloc(layout);
            assert!(!ptr.is_null(), "200 GiB of address space");
            ptr.write_bytes(7, 4096);
            assert_eq!(*ptr.add(4095), 7);
            let grown = allocator.realloc(ptr, layout, 201 << 30);
            assert_eq!(*grown.add(10), 7);
            let shrunk =
                allocator.realloc(grown, Layout::from_size_align(201 << 30, 8).unwrap(), 64);
            assert_eq!(*shrunk.add(63), 7);
            allocator.dealloc(shrunk, Layout::from_size_align(64, 8).unwrap());
        }
    }

    #[test]
    fn small_allocations_are_served_and_grow() {
        let allocator = LazyLargeAllocator;
        let layout = Layout::from_size_align(64, 8).unwrap();
        unsafe {
            let ptr = allocator.alloc_zeroed(layout);
            assert_eq!(*ptr.add(63), 0);
            let grown = allocator.realloc(ptr, layout, 128);
            allocator.dealloc(grown, Layout::from_size_align(128, 8).unwrap());
        }
    }
}
