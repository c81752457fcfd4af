use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::{CircuitBreakerState, SwitchingStrategy};

/// Counters of [`CompositeLimiterBackend`](super::CompositeLimiterBackend).
///
/// Every check sent to a backend counts once, on the side it went to, so
/// `primary_requests + fallback_requests == total_requests` and likewise for errors.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CompositeStats {
    /// How the backend is picked.
    pub strategy: SwitchingStrategy,
    /// Where the circuit stands (circuit breaker; `closed` for the other strategies unless
    /// switched by hand).
    pub circuit_state: CircuitBreakerState,
    /// Consecutive failures of the primary.
    pub failure_count: u32,
    /// Checks sent to the primary.
    pub primary_requests: u64,
    /// Checks sent to the fallback.
    pub fallback_requests: u64,
    /// Checks the primary failed.
    pub primary_errors: u64,
    /// Checks the fallback failed.
    pub fallback_errors: u64,
    /// `primary_requests + fallback_requests`.
    pub total_requests: u64,
    /// `primary_errors + fallback_errors`.
    pub total_errors: u64,
    /// Seconds since the primary last failed; `None` if it never did.
    pub seconds_since_last_failure: Option<f64>,
    /// Seconds since the primary last answered; `None` if it never did.
    pub seconds_since_last_success: Option<f64>,
    /// Whether the primary says it can answer.
    pub primary_healthy: bool,
    /// Whether the fallback says it can answer.
    pub fallback_healthy: bool,
}

#[derive(Debug)]
pub(super) struct Counters {
    origin: Instant,
    pub(super) primary_requests: AtomicU64,
    pub(super) fallback_requests: AtomicU64,
    pub(super) primary_errors: AtomicU64,
    pub(super) fallback_errors: AtomicU64,
    /// Microseconds after `origin`, `u64::MAX` for never.
    last_failure: AtomicU64,
    last_success: AtomicU64,
}

impl Counters {
    pub(super) fn new() -> Self {
        Counters {
            origin: Instant::now(),
            primary_requests: AtomicU64::new(0),
            fallback_requests: AtomicU64::new(0),
            primary_errors: AtomicU64::new(0),
            fallback_errors: AtomicU64::new(0),
            last_failure: AtomicU64::new(u64::MAX),
            last_success: AtomicU64::new(u64::MAX),
        }
    }

    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn now_us(&self) -> u64 {
        self.origin.elapsed().as_micros() as u64
    }

    pub(super) fn primary_succeeded(&self) {
        self.last_success.store(self.now_us(), Ordering::Relaxed);
    }

    pub(super) fn primary_failed(&self) {
        Self::bump(&self.primary_errors);
        self.last_failure.store(self.now_us(), Ordering::Relaxed);
    }

    fn seconds_since(&self, at: &AtomicU64) -> Option<f64> {
        let at = at.load(Ordering::Relaxed);
        (at != u64::MAX).then(|| self.now_us().saturating_sub(at) as f64 / 1e6)
    }

    pub(super) fn snapshot(
        &self,
        strategy: SwitchingStrategy,
        circuit_state: CircuitBreakerState,
        failure_count: u32,
        health: (bool, bool),
    ) -> CompositeStats {
        let primary_requests = self.primary_requests.load(Ordering::Relaxed);
        let fallback_requests = self.fallback_requests.load(Ordering::Relaxed);
        let primary_errors = self.primary_errors.load(Ordering::Relaxed);
        let fallback_errors = self.fallback_errors.load(Ordering::Relaxed);
        CompositeStats {
            strategy,
            circuit_state,
            failure_count,
            primary_requests,
            fallback_requests,
            primary_errors,
            fallback_errors,
            total_requests: primary_requests + fallback_requests,
            total_errors: primary_errors + fallback_errors,
            seconds_since_last_failure: self.seconds_since(&self.last_failure),
            seconds_since_last_success: self.seconds_since(&self.last_success),
            primary_healthy: health.0,
            fallback_healthy: health.1,
        }
    }
}
