//! Heap bytes per tracked key: fastex's in-memory backend (each algorithm) against
//! governor's keyed limiter, on 100,000 distinct keys shaped like real ones.
//!
//! Run with `cargo bench -p fastex --bench memory_per_key`. Prints a table; the target of
//! issue 2 is at most 64 bytes per key plus the key's own bytes for fixed window and GCRA.

// A `GlobalAlloc` impl must be an `unsafe impl`, which the workspace lint
// `unsafe_code = "deny"` refuses; the counting allocator below only forwards to `System`
// and counts, and is confined to this bench binary.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fastex::limiter::backend::memory::{InMemoryLimiterBackend, MemoryLimiterBackendConnectConfig};
use fastex::limiter::backend::{LimitCheck, LimiterBackend};
use fastex::limiter::{Algorithm, RateLimitConfig};
use governor::{Quota, RateLimiter};

/// `System`, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const KEYS: usize = 100_000;

/// `limiter:app::handler:0:{127.a.b.c}`: 100,000 distinct client addresses.
fn keys() -> Vec<String> {
    (0..KEYS)
        .map(|i| {
            format!(
                "limiter:app::handler:0:{{127.{}.{}.{}}}",
                i >> 16,
                (i >> 8) & 0xff,
                i & 0xff
            )
        })
        .collect()
}

fn live() -> usize {
    LIVE.load(Ordering::SeqCst)
}

/// Bytes the store holds for `keys` after one admitted request each.
fn fastex_bytes(rt: &tokio::runtime::Runtime, keys: &[String], algorithm: Algorithm) -> usize {
    let limit = RateLimitConfig::new(10, 60_000).with_algorithm(algorithm);
    let backend = InMemoryLimiterBackend::new(MemoryLimiterBackendConnectConfig {
        max_keys: 1 << 20,
        cleanup_interval: Duration::from_secs(3_600),
        ..MemoryLimiterBackendConnectConfig::default()
    })
    .expect("valid config");
    rt.block_on(backend.connect()).expect("connects");
    let before = live();
    for key in keys {
        let check = [LimitCheck {
            key,
            config: &limit,
        }];
        let result = backend.check_now(&check).expect("checked");
        assert!(!result.is_exceeded);
    }
    let after = live();
    assert_eq!(backend.memory_stats().total_keys, keys.len());
    black_box(&backend);
    after - before
}

fn governor_bytes(keys: &[String]) -> usize {
    let quota = Quota::per_minute(NonZeroU32::new(10).expect("non-zero"));
    let limiter = RateLimiter::<String, _, _>::keyed(quota);
    let before = live();
    for key in keys {
        assert!(limiter.check_key(key).is_ok());
    }
    let after = live();
    assert_eq!(limiter.len(), keys.len());
    black_box(&limiter);
    after - before
}

fn main() {
    // The same measurement under `cargo bench` and `cargo test --benches`: a second or two.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let keys = keys();
    let key_bytes = keys.iter().map(String::len).sum::<usize>() as f64 / keys.len() as f64;
    let min_len = keys.iter().map(String::len).min().unwrap_or(0);
    let max_len = keys.iter().map(String::len).max().unwrap_or(0);

    let rows = [
        (
            "fastex fixed window",
            fastex_bytes(&rt, &keys, Algorithm::FixedWindow),
        ),
        ("fastex GCRA", fastex_bytes(&rt, &keys, Algorithm::Gcra)),
        (
            "fastex sliding window log (times=10, 1 request)",
            fastex_bytes(&rt, &keys, Algorithm::SlidingWindowLog),
        ),
        (
            "fastex sliding window counter",
            fastex_bytes(&rt, &keys, Algorithm::SlidingWindowCounter),
        ),
        ("governor keyed (String, DashMap)", governor_bytes(&keys)),
    ];

    println!();
    println!(
        "{KEYS} distinct keys, key length {min_len}..={max_len} bytes (mean {key_bytes:.1}); bytes requested from the allocator"
    );
    println!(
        "| {:<48} | {:>11} | {:>9} | {:>25} |",
        "store", "total bytes", "B / key", "B / key excl. key bytes"
    );
    println!("|{:-<50}|{:->13}|{:->11}|{:->27}|", "", "", "", "");
    for (name, bytes) in rows {
        let per_key = bytes as f64 / KEYS as f64;
        println!(
            "| {:<48} | {:>11} | {:>9.1} | {:>25.1} |",
            name,
            bytes,
            per_key,
            per_key - key_bytes
        );
    }
    println!();
}
