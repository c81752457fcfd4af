//! Each algorithm against a small, naive reference model of the same guarantee, over random
//! request sequences on a manual clock: the state machine to the microsecond, and the
//! backend around it to the millisecond it reports.

use std::time::Duration;

use proptest::prelude::*;

use super::{
    FixedWindowState, GcraState, LimitState, SlidingLogState, SlidingWindowCounterState, Verdict,
};
use crate::limiter::backend::memory::{
    Clock, InMemoryLimiterBackend, ManualClock, MemoryLimiterBackendConnectConfig,
};
use crate::limiter::backend::{LimitCheck, LimiterBackend};
use crate::limiter::{Algorithm, RateLimitConfig};

/// A model that remembers every admitted request and decides from the whole history.
trait Reference {
    fn admits(&self, now: u64) -> bool;
    fn admit(&mut self, now: u64);
}

#[derive(Clone)]
struct Log {
    times: u64,
    window: u64,
    admitted: Vec<u64>,
}

impl Reference for Log {
    fn admits(&self, now: u64) -> bool {
        let live = self
            .admitted
            .iter()
            .filter(|&&at| at + self.window > now)
            .count();
        (live as u64) < self.times
    }
    fn admit(&mut self, now: u64) {
        self.admitted.push(now);
    }
}

#[derive(Clone)]
struct Fixed {
    times: u64,
    window: u64,
    admitted: Vec<u64>,
}

impl Reference for Fixed {
    fn admits(&self, now: u64) -> bool {
        let same = self
            .admitted
            .iter()
            .filter(|&&at| at / self.window == now / self.window);
        (same.count() as u64) < self.times
    }
    fn admit(&mut self, now: u64) {
        self.admitted.push(now);
    }
}

#[derive(Clone)]
struct Counter {
    times: u64,
    window: u64,
    admitted: Vec<u64>,
}

impl Reference for Counter {
    fn admits(&self, now: u64) -> bool {
        let current_window = now / self.window;
        let count_in = |window: u64| {
            self.admitted
                .iter()
                .filter(|&&at| at / self.window == window)
                .count() as u64
        };
        let current = count_in(current_window);
        let previous = if current_window == 0 {
            0
        } else {
            count_in(current_window - 1)
        };
        let elapsed = now % self.window;
        let estimate = previous * (self.window - elapsed) / self.window + current;
        estimate < self.times
    }
    fn admit(&mut self, now: u64) {
        self.admitted.push(now);
    }
}

/// The continuous-state leaky bucket: ITU-T I.371's second, independent formulation of GCRA.
#[derive(Clone)]
struct LeakyBucket {
    increment: u64,
    limit: u64,
    level: u64,
    last: u64,
}

impl Reference for LeakyBucket {
    fn admits(&self, now: u64) -> bool {
        self.level.saturating_sub(now - self.last) <= self.limit
    }
    fn admit(&mut self, now: u64) {
        self.level = self.level.saturating_sub(now - self.last) + self.increment;
        self.last = now;
    }
}

fn reference(limit: &RateLimitConfig) -> Box<dyn RefModel> {
    let (times, window) = (u64::from(limit.times()), limit.window_us());
    match limit.algorithm() {
        Algorithm::SlidingWindowLog => Box::new(Log {
            times,
            window,
            admitted: vec![],
        }),
        Algorithm::FixedWindow => Box::new(Fixed {
            times,
            window,
            admitted: vec![],
        }),
        Algorithm::SlidingWindowCounter => Box::new(Counter {
            times,
            window,
            admitted: vec![],
        }),
        Algorithm::Gcra => {
            let increment = window.div_ceil(times);
            Box::new(LeakyBucket {
                increment,
                limit: (times - 1) * increment,
                level: 0,
                last: 0,
            })
        }
    }
}

/// What the backend must answer, derived from a reference by brute force.
trait RefModel {
    fn admits(&self, now: u64) -> bool;
    fn admit(&mut self, now: u64);
    fn boxed_clone(&self) -> Box<dyn RefModel>;
}

impl<T: Reference + Clone + 'static> RefModel for T {
    fn admits(&self, now: u64) -> bool {
        Reference::admits(self, now)
    }
    fn admit(&mut self, now: u64) {
        Reference::admit(self, now);
    }
    fn boxed_clone(&self) -> Box<dyn RefModel> {
        Box::new(self.clone())
    }
}

/// Requests that would still be admitted at `now` after an admitted one.
fn remaining(model: &dyn RefModel, now: u64, cap: u32) -> u32 {
    let mut probe = model.boxed_clone();
    let mut more = 0;
    while more < cap && probe.admits(now) {
        probe.admit(now);
        more += 1;
    }
    more
}

/// The shortest wait after which a request would be admitted; waiting never hurts in any
/// of the four algorithms, so a binary search over the wait is exact.
fn retry_after_us(model: &dyn RefModel, now: u64, window: u64) -> u64 {
    let (mut low, mut high) = (1, 2 * window + 1);
    assert!(model.admits(now + high), "no admission within two windows");
    while low < high {
        let mid = (low + high) / 2;
        if model.admits(now + mid) {
            high = mid
        } else {
            low = mid + 1
        }
    }
    low
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

/// How long the client waits before its next request.
#[derive(Debug, Clone, Copy)]
enum Gap {
    Micros(u64),
    /// Exactly the wait the previous refusal asked for: lands on the boundary.
    RetryAfter,
    /// One microsecond short of it.
    JustBeforeRetry,
}

fn gap() -> impl Strategy<Value = Gap> {
    prop_oneof![
        3 => Just(Gap::Micros(0)),
        3 => (0u64..=40).prop_map(|n| Gap::Micros(n * 100)),
        3 => (0u64..=4_000).prop_map(Gap::Micros),
        2 => Just(Gap::RetryAfter),
        2 => Just(Gap::JustBeforeRetry),
    ]
}

fn run(
    algorithm: Algorithm,
    times: u32,
    window_ms: u64,
    gaps: &[Gap],
) -> Result<(), TestCaseError> {
    match algorithm {
        Algorithm::SlidingWindowLog => {
            run_with::<SlidingLogState>(algorithm, times, window_ms, gaps)
        }
        Algorithm::FixedWindow => run_with::<FixedWindowState>(algorithm, times, window_ms, gaps),
        Algorithm::SlidingWindowCounter => {
            run_with::<SlidingWindowCounterState>(algorithm, times, window_ms, gaps)
        }
        Algorithm::Gcra => run_with::<GcraState>(algorithm, times, window_ms, gaps),
    }
}

fn run_with<S: LimitState>(
    algorithm: Algorithm,
    times: u32,
    window_ms: u64,
    gaps: &[Gap],
) -> Result<(), TestCaseError> {
    let limit = RateLimitConfig::new(times, window_ms).with_algorithm(algorithm);
    let clock = ManualClock::new();
    let backend = InMemoryLimiterBackend::with_clock(
        MemoryLimiterBackendConnectConfig::default(),
        clock.clone(),
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(backend.connect()).unwrap();
    let mut state = S::default();
    let mut model = reference(&limit);
    let mut expected_retry_us = 0;
    for (step, &gap) in gaps.iter().enumerate() {
        clock.advance_us(match gap {
            Gap::Micros(micros) => micros,
            Gap::RetryAfter => expected_retry_us,
            Gap::JustBeforeRetry => expected_retry_us.saturating_sub(1),
        });
        let now = clock.now_us();
        let admitted = model.admits(now);
        let expected = if admitted {
            model.admit(now);
            Verdict {
                admitted,
                retry_us: 0,
                remaining: remaining(&*model, now, times),
                reset_us: 0,
            }
        } else {
            let retry_us = retry_after_us(&*model, now, limit.window_us());
            Verdict {
                admitted,
                retry_us,
                remaining: 0,
                reset_us: 0,
            }
        };
        expected_retry_us = expected.retry_us;

        let verdict = state.check(now, &limit, true);
        let verdict = Verdict {
            reset_us: 0,
            ..verdict
        };
        prop_assert_eq!(verdict, expected, "state at step {} ({} µs)", step, now);

        let key = "limiter:test:0:{a}";
        let result = backend
            .check_now(&[LimitCheck {
                key,
                config: &limit,
            }])
            .unwrap();
        prop_assert_eq!(
            result,
            expected.into_result(&limit).with_reset(result.reset_time)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_algorithm_matches_its_reference_model(
        algorithm in algorithm(),
        times in 1u32..=5,
        window_ms in 1u64..=3,
        gaps in prop::collection::vec(gap(), 1..60),
    ) {
        run(algorithm, times, window_ms, &gaps)?;
    }
}

#[test]
fn counter_retry_waits_for_the_previous_window_to_decay() {
    // 4 per 1 ms: four at the end of window 0, then the estimate at 0.5 ms into window 1 is
    // floor(4 × 0.5) = 2, so two more pass and the next must wait for the weight to drop.
    let gaps = [999, 0, 0, 0, 501, 0, 0, 0].map(Gap::Micros);
    run(Algorithm::SlidingWindowCounter, 4, 1, &gaps).unwrap();
}

#[test]
fn every_algorithm_admits_a_fresh_burst_of_times() {
    for algorithm in Algorithm::ALL {
        let limit = RateLimitConfig::new(3, 1_000).with_algorithm(algorithm);
        let backend = InMemoryLimiterBackend::with_clock(
            MemoryLimiterBackendConnectConfig::default(),
            ManualClock::new(),
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(backend.connect()).unwrap();
        let check = || {
            backend
                .check_now(&[LimitCheck {
                    key: "k",
                    config: &limit,
                }])
                .unwrap()
        };
        let remaining: Vec<u32> = (0..3).map(|_| check().remaining_requests).collect();
        assert_eq!(remaining, [2, 1, 0], "{algorithm}");
        let denied = check();
        assert!(denied.is_exceeded, "{algorithm}");
        assert!(
            denied.retry_after_ms > 0 && denied.retry_after_ms <= 2_000,
            "{algorithm}: {denied:?}"
        );
        assert!(
            denied.reset_time <= Duration::from_secs(2),
            "{algorithm}: {denied:?}"
        );
    }
}
