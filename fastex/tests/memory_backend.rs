//! The in-memory backend through its public API: exactness under concurrency, stacked
//! limits, memory protection, cleanup and statistics.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use fastex::limiter::backend::memory::{
    InMemoryLimiterBackend, ManualClock, MemoryLimiterBackendConnectConfig,
};
use fastex::limiter::backend::{FallbackMode, LimitCheck, LimiterBackend, LimiterBackendError};
use fastex::limiter::{Algorithm, RateLimitConfig};

fn config(max_keys: usize) -> MemoryLimiterBackendConnectConfig {
    MemoryLimiterBackendConnectConfig {
        max_keys,
        ..MemoryLimiterBackendConnectConfig::default()
    }
}

async fn connected(clock: &ManualClock, max_keys: usize) -> InMemoryLimiterBackend {
    let backend = InMemoryLimiterBackend::with_clock(config(max_keys), clock.clone()).unwrap();
    backend.connect().await.unwrap();
    backend
}

#[test]
fn concurrent_requests_on_one_key_admit_exactly_times() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for algorithm in Algorithm::ALL {
        runtime.block_on(async {
            let backend = Arc::new(InMemoryLimiterBackend::new(config(10)).unwrap());
            backend.connect().await.unwrap();
            // An hour-long window: nothing refills while the test runs.
            let limit = RateLimitConfig::new(500, 3_600_000).with_algorithm(algorithm);
            let admitted = Arc::new(AtomicU32::new(0));
            let tasks: Vec<_> = (0..64)
                .map(|_| {
                    let (backend, admitted) = (backend.clone(), admitted.clone());
                    tokio::spawn(async move {
                        for _ in 0..40 {
                            let result = backend.check_limit("hot", &limit).await.unwrap();
                            if !result.is_exceeded {
                                admitted.fetch_add(1, Ordering::Relaxed);
                            }
                            tokio::task::yield_now().await;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(admitted.load(Ordering::Relaxed), 500, "{algorithm}");
        });
    }
}

/// Cleanup removing a key while checkers update it must not lose an update: each phase
/// starts with the key's state expired (the clock moved two windows on), so whether cleanup
/// removed it or not, exactly `times` of the phase's checks are admitted. An update landing
/// in an entry cleanup had already removed would let a fresh entry admit `times` more.
#[test]
fn cleanup_racing_with_checks_loses_no_update() {
    const TIMES: u32 = 3;
    const PHASES: usize = 10_000;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for algorithm in Algorithm::ALL {
        let clock = ManualClock::new();
        let backend =
            Arc::new(InMemoryLimiterBackend::with_clock(config(10), clock.clone()).unwrap());
        runtime.block_on(backend.connect()).unwrap();
        let limit = RateLimitConfig::new(TIMES, 1_000).with_algorithm(algorithm);
        let admitted = Arc::new(AtomicU32::new(0));
        let cleanups = Arc::new(AtomicU32::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let barrier = Arc::new(Barrier::new(3));
        std::thread::scope(|s| {
            s.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                while !done.load(Ordering::Acquire) {
                    let removed = runtime.block_on(backend.cleanup());
                    cleanups.fetch_add(removed as u32, Ordering::Relaxed);
                }
            });
            for _ in 0..2 {
                s.spawn(|| {
                    let check = [LimitCheck {
                        key: "hot",
                        config: &limit,
                    }];
                    for _ in 0..PHASES {
                        barrier.wait();
                        for _ in 0..TIMES + 1 {
                            if !backend.check_now(&check).unwrap().is_exceeded {
                                admitted.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        barrier.wait();
                    }
                });
            }
            // Asserted once every thread is done, so a failure does not leave them waiting.
            let mut wrong = Vec::new();
            for phase in 0..PHASES {
                clock.advance(Duration::from_millis(2_000));
                barrier.wait();
                barrier.wait();
                let admitted = admitted.swap(0, Ordering::Relaxed);
                if admitted != TIMES {
                    wrong.push((phase, admitted));
                }
            }
            done.store(true, Ordering::Release);
            assert!(
                wrong.is_empty(),
                "{algorithm}: (phase, admitted): {wrong:?}"
            );
        });
        assert!(
            cleanups.load(Ordering::Relaxed) > 0,
            "{algorithm}: cleanup never removed the key"
        );
        assert_eq!(backend.memory_stats().total_keys, 1, "{algorithm}");
        clock.advance(Duration::from_millis(2_000));
        assert_eq!(runtime.block_on(backend.cleanup()), 1, "{algorithm}");
        assert_eq!(backend.memory_stats().total_keys, 0, "{algorithm}");
        assert_eq!(backend.memory_stats().total_entries, 0, "{algorithm}");
    }
}

#[tokio::test]
async fn a_request_refused_by_one_stacked_limit_counts_against_none() {
    for first in Algorithm::ALL {
        for second in Algorithm::ALL {
            let clock = ManualClock::new();
            let backend = connected(&clock, 100).await;
            let per_minute = RateLimitConfig::new(5, 60_000).with_algorithm(first);
            let per_second = RateLimitConfig::new(1, 1_000).with_algorithm(second);
            let checks = [
                LimitCheck {
                    key: "minute",
                    config: &per_minute,
                },
                LimitCheck {
                    key: "second",
                    config: &per_second,
                },
            ];
            let case = format!("{first} + {second}");

            assert!(
                !backend.check_limits(&checks).await.unwrap().is_exceeded,
                "{case}"
            );
            for _ in 0..3 {
                let refused = backend.check_limits(&checks).await.unwrap();
                assert!(refused.is_exceeded, "{case}");
                assert_eq!(
                    refused.decided_by, 1,
                    "{case}: the per-second limit refused"
                );
            }
            // Had the refused requests counted against the per-minute limit, it would run out
            // before five requests spaced a little over a second apart (a sliding window
            // counter still weighs the previous second at its very start).
            for _ in 0..4 {
                clock.advance(Duration::from_millis(1_100));
                let result = backend.check_limits(&checks).await.unwrap();
                assert!(!result.is_exceeded, "{case}: {result:?}");
            }
            clock.advance(Duration::from_millis(1_100));
            let refused = backend.check_limits(&checks).await.unwrap();
            assert!(refused.is_exceeded, "{case}");
            assert_eq!(
                refused.decided_by, 0,
                "{case}: the per-minute limit refused"
            );
            assert_eq!(refused.limit_times, 5, "{case}");
        }
    }
}

#[tokio::test]
async fn the_longest_refusal_decides_a_stacked_check() {
    let clock = ManualClock::new();
    let backend = connected(&clock, 100).await;
    let short = RateLimitConfig::new(1, 1_000);
    let long = RateLimitConfig::new(1, 10_000);
    let checks = [
        LimitCheck {
            key: "short",
            config: &short,
        },
        LimitCheck {
            key: "long",
            config: &long,
        },
    ];
    let admitted = backend.check_limits(&checks).await.unwrap();
    assert_eq!(admitted.remaining_requests, 0);
    let refused = backend.check_limits(&checks).await.unwrap();
    assert!(refused.is_exceeded);
    assert_eq!((refused.decided_by, refused.retry_after_ms), (1, 10_000));
}

#[tokio::test]
async fn a_full_backend_gives_new_keys_the_fallback_mode_and_keeps_old_ones() {
    let clock = ManualClock::new();
    let backend = connected(&clock, 2).await;
    let limit = RateLimitConfig::new(1, 1_000);
    assert!(!backend.check_limit("a", &limit).await.unwrap().is_exceeded);
    assert!(!backend.check_limit("b", &limit).await.unwrap().is_exceeded);

    let error = backend.check_limit("c", &limit).await.unwrap_err();
    assert!(
        matches!(
            error,
            LimiterBackendError::CapacityExceeded { max_keys: 2, .. }
        ),
        "{error}"
    );
    assert!(
        backend.check_limit("a", &limit).await.unwrap().is_exceeded,
        "old keys still limited"
    );

    let retry = Duration::from_secs(60);
    let outcomes: Vec<_> = FallbackMode::ALL
        .into_iter()
        .map(|mode| {
            let error = LimiterBackendError::CapacityExceeded {
                backend: "memory",
                max_keys: 2,
            };
            mode.resolve(error, &limit, retry)
                .map(|result| result.is_exceeded)
                .ok()
        })
        .collect();
    assert_eq!(outcomes, [Some(false), Some(true), None]);

    clock.advance(Duration::from_millis(1_000));
    assert_eq!(backend.cleanup().await, 2);
    assert!(
        !backend.check_limit("c", &limit).await.unwrap().is_exceeded,
        "room again"
    );
    assert_eq!(backend.memory_stats().total_keys, 1);
}

#[tokio::test]
async fn a_stacked_check_that_cannot_track_a_key_counts_against_none() {
    let clock = ManualClock::new();
    let backend = connected(&clock, 1).await;
    let limit = RateLimitConfig::new(1, 1_000).with_algorithm(Algorithm::FixedWindow);
    let checks = [
        LimitCheck {
            key: "first",
            config: &limit,
        },
        LimitCheck {
            key: "second",
            config: &limit,
        },
    ];
    assert!(backend.check_limits(&checks).await.is_err());
    assert!(
        !backend
            .check_limit("first", &limit)
            .await
            .unwrap()
            .is_exceeded
    );
}

#[tokio::test]
async fn cleanup_frees_expired_keys_and_keeps_live_ones() {
    let clock = ManualClock::new();
    let backend = connected(&clock, 100).await;
    let second = RateLimitConfig::new(3, 1_000);
    let hour = RateLimitConfig::new(3, 3_600_000);
    for algorithm in Algorithm::ALL {
        let short_key = format!("short-{algorithm}");
        let long_key = format!("long-{algorithm}");
        backend
            .check_limit(&short_key, &second.with_algorithm(algorithm))
            .await
            .unwrap();
        backend
            .check_limit(&long_key, &hour.with_algorithm(algorithm))
            .await
            .unwrap();
        backend
            .check_limit(&long_key, &hour.with_algorithm(algorithm))
            .await
            .unwrap();
    }
    assert_eq!(backend.memory_stats().total_keys, 8);
    // Two log timestamps per long key, one per short key; one or two counters elsewhere.
    assert_eq!(
        backend.memory_stats().total_entries,
        (2 + 1) + (1 + 1) + (2 + 2) + (1 + 1)
    );

    clock.advance(Duration::from_millis(2_001));
    assert_eq!(backend.cleanup().await, 4);
    let stats = backend.memory_stats();
    assert_eq!(stats.total_keys, 4);
    assert!(stats.last_cleanup.is_some());
    for algorithm in Algorithm::ALL {
        let long = hour.with_algorithm(algorithm);
        let third = backend
            .check_limit(&format!("long-{algorithm}"), &long)
            .await
            .unwrap();
        assert!(!third.is_exceeded, "{algorithm}: live state kept");
        let fourth = backend
            .check_limit(&format!("long-{algorithm}"), &long)
            .await
            .unwrap();
        assert!(fourth.is_exceeded, "{algorithm}: live state kept");
    }
}

#[tokio::test(start_paused = true)]
async fn the_background_cleanup_runs_until_disconnect() {
    let clock = ManualClock::new();
    let memory = MemoryLimiterBackendConnectConfig {
        cleanup_interval: Duration::from_secs(5),
        ..MemoryLimiterBackendConnectConfig::default()
    };
    let backend = InMemoryLimiterBackend::with_clock(memory, clock.clone()).unwrap();
    backend.connect().await.unwrap();
    assert!(backend.is_connected());
    backend
        .check_limit("k", &RateLimitConfig::new(1, 1_000))
        .await
        .unwrap();
    assert_eq!(backend.memory_stats().last_cleanup, None);

    clock.advance(Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(5_100)).await;
    let stats = backend.memory_stats();
    assert_eq!(stats.total_keys, 0);
    assert!(stats.last_cleanup.is_some());

    backend.disconnect().await;
    assert!(!backend.is_connected());
    let error = backend
        .check_limit("k", &RateLimitConfig::new(1, 1_000))
        .await
        .unwrap_err();
    assert!(matches!(error, LimiterBackendError::NotConnected { .. }));
}

#[tokio::test]
async fn clear_key_and_clear_all_forget_counts() {
    let clock = ManualClock::new();
    let backend = connected(&clock, 100).await;
    let limit = RateLimitConfig::new(1, 60_000);
    backend.check_limit("a", &limit).await.unwrap();
    backend.check_limit("b", &limit).await.unwrap();
    assert!(backend.check_limit("a", &limit).await.unwrap().is_exceeded);
    assert!(backend.clear_key("a"));
    assert!(!backend.clear_key("a"));
    assert!(!backend.check_limit("a", &limit).await.unwrap().is_exceeded);
    backend.clear_all();
    assert_eq!(backend.memory_stats().total_keys, 0);
    assert!(!backend.check_limit("b", &limit).await.unwrap().is_exceeded);
}

#[test]
fn invalid_configuration_is_refused_with_the_field_named() {
    let error = InMemoryLimiterBackend::new(config(0)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid rate-limit backend configuration: max_keys must be at least 1, got 0"
    );
}
