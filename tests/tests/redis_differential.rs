//! The Redis scripts against the in-memory backend: the same request sequences on the same
//! manual clock must get the same answers, to the microsecond of `reset_time`, for every
//! algorithm and for stacked limits of mixed algorithms.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fastex::limiter::backend::LimitCheck;
use fastex::limiter::backend::LimiterBackend;
use fastex::limiter::backend::memory::{
    InMemoryLimiterBackend, ManualClock, MemoryLimiterBackendConnectConfig,
};
use fastex::limiter::backend::redis::{RedisLimiterBackend, RedisLimiterBackendConnectConfig};
use fastex::limiter::{Algorithm, RateLimitConfig};
use fastex_tests::RedisServer;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

/// A key prefix no earlier case used, so cases share the server without flushing it.
fn fresh_prefix() -> String {
    static CASE: AtomicU64 = AtomicU64::new(0);
    format!("diff{}", CASE.fetch_add(1, Ordering::Relaxed))
}

fn limit() -> impl Strategy<Value = RateLimitConfig> {
    let algorithm = prop::sample::select(Algorithm::ALL.to_vec());
    (algorithm, 1u32..=4, 1u64..=3).prop_map(|(algorithm, times, window_ms)| {
        RateLimitConfig::new(times, window_ms).with_algorithm(algorithm)
    })
}

fn compare(
    redis: &RedisServer,
    limits: &[RateLimitConfig],
    gaps: &[u64],
) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let clock = ManualClock::new();
        // Both clocks start far from 0 so Redis sees realistic magnitudes (µs since 1970).
        clock.advance_us(1_796_000_000_000_000);
        let memory = InMemoryLimiterBackend::with_clock(
            MemoryLimiterBackendConnectConfig::default(),
            clock.clone(),
        )
        .unwrap();
        memory.connect().await.unwrap();
        let redis = RedisLimiterBackend::new(RedisLimiterBackendConnectConfig {
            clock: Some(Arc::new(clock.clone())),
            ..RedisLimiterBackendConnectConfig::new(redis.url())
        });
        redis.connect().await.unwrap();

        let prefix = fresh_prefix();
        let keys: Vec<String> = (0..limits.len())
            .map(|index| format!("{prefix}:route:{index}:{{client}}"))
            .collect();
        let checks: Vec<LimitCheck<'_>> = keys
            .iter()
            .zip(limits)
            .map(|(key, config)| LimitCheck { key, config })
            .collect();
        for (step, &gap) in gaps.iter().enumerate() {
            clock.advance_us(gap);
            let from_memory = memory.check_limits(&checks).await.unwrap();
            let from_redis = redis.check_limits(&checks).await.unwrap();
            prop_assert_eq!(from_redis, from_memory, "step {}", step);
        }
        Ok(())
    })
}

fn gaps() -> impl Strategy<Value = Vec<u64>> {
    let gap =
        prop_oneof![3 => Just(0u64), 3 => (0u64..=40).prop_map(|n| n * 100), 3 => 0u64..=4_000];
    prop::collection::vec(gap, 1..40)
}

/// Runs `cases` random cases against one server owned by the test, so it is stopped when
/// the test ends (a server in a static would outlive the test binary).
fn run_cases<S: Strategy>(
    strategy: S,
    test: impl Fn(&RedisServer, S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let server = RedisServer::start();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    });
    if let Err(failure) = runner.run(&strategy, |value| test(&server, value)) {
        panic!("{failure}");
    }
}

#[test]
fn one_limit_decides_alike_in_redis_and_memory() {
    run_cases((limit(), gaps()), |server, (limit, gaps)| {
        compare(server, &[limit], &gaps)
    });
}

#[test]
fn stacked_limits_decide_alike_in_redis_and_memory() {
    let limits = prop::collection::vec(limit(), 2..=3);
    run_cases((limits, gaps()), |server, (limits, gaps)| {
        compare(server, &limits, &gaps)
    });
}

#[test]
fn long_windows_and_large_counts_decide_alike() {
    // Magnitudes of real limits: 1,000 an hour, 50 a minute.
    let hourly = RateLimitConfig::new(1_000, 3_600_000);
    let minutely = RateLimitConfig::new(50, 60_000);
    let mut gaps = vec![0; 60];
    gaps.extend([
        17_000_000,
        1,
        999_999,
        59_999_999,
        60_000_001,
        3_000_000_000,
    ]);
    gaps.extend(vec![250_000; 40]);
    let server = RedisServer::start();
    for algorithm in Algorithm::ALL {
        compare(
            &server,
            &[
                hourly.with_algorithm(algorithm),
                minutely.with_algorithm(algorithm),
            ],
            &gaps,
        )
        .unwrap();
    }
}
