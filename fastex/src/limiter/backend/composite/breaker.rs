//! The circuit breaker's state, in atomics: routing a request costs a few loads.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where the circuit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitBreakerState {
    /// The primary answers.
    Closed,
    /// The primary failed; the fallback answers until the recovery timeout.
    Open,
    /// One probe request is trying the primary; the others use the fallback.
    HalfOpen,
    /// Switched to the fallback by hand, until switched back.
    ForcedOpen,
}

impl CircuitBreakerState {
    const fn from_u8(value: u8) -> Self {
        match value {
            0 => CircuitBreakerState::Closed,
            1 => CircuitBreakerState::Open,
            2 => CircuitBreakerState::HalfOpen,
            _ => CircuitBreakerState::ForcedOpen,
        }
    }

    /// The name used in logs and stats.
    pub const fn name(self) -> &'static str {
        match self {
            CircuitBreakerState::Closed => "closed",
            CircuitBreakerState::Open => "open",
            CircuitBreakerState::HalfOpen => "half_open",
            CircuitBreakerState::ForcedOpen => "forced_open",
        }
    }
}

impl fmt::Display for CircuitBreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which backend a request goes to, and whether it is the half-open probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    Primary,
    Probe,
    Fallback,
}

#[derive(Debug)]
pub(super) struct Breaker {
    state: AtomicU8,
    consecutive_failures: AtomicU32,
    threshold: u32,
    recovery_timeout: Duration,
    origin: Instant,
    /// Microseconds after `origin`; `u64::MAX` for never.
    opened_at: AtomicU64,
    probing: AtomicBool,
}

impl Breaker {
    pub(super) fn new(threshold: u32, recovery_timeout: Duration) -> Self {
        Breaker {
            state: AtomicU8::new(CircuitBreakerState::Closed as u8),
            consecutive_failures: AtomicU32::new(0),
            threshold,
            recovery_timeout,
            origin: Instant::now(),
            opened_at: AtomicU64::new(u64::MAX),
            probing: AtomicBool::new(false),
        }
    }

    pub(super) fn state(&self) -> CircuitBreakerState {
        CircuitBreakerState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub(super) fn failure_count(&self) -> u32 {
        self.consecutive_failures.load(Ordering::Relaxed)
    }

    fn now_us(&self) -> u64 {
        self.origin.elapsed().as_micros() as u64
    }

    /// Where the next request goes: at most one probe at a time once the timeout passed.
    pub(super) fn route(&self) -> Route {
        match self.state() {
            CircuitBreakerState::Closed => Route::Primary,
            CircuitBreakerState::ForcedOpen => Route::Fallback,
            CircuitBreakerState::Open => {
                let opened_at = self.opened_at.load(Ordering::Acquire);
                let waited = self.now_us().saturating_sub(opened_at);
                if waited < self.recovery_timeout.as_micros() as u64 {
                    return Route::Fallback;
                }
                if self.transition(CircuitBreakerState::Open, CircuitBreakerState::HalfOpen) {
                    tracing::info!(target: "fastex::composite", circuit = "half_open", "recovery timeout passed: probing the primary backend");
                }
                self.take_probe()
            }
            CircuitBreakerState::HalfOpen => self.take_probe(),
        }
    }

    fn take_probe(&self) -> Route {
        let free = self
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if free && self.state() == CircuitBreakerState::HalfOpen {
            return Route::Probe;
        }
        if free {
            self.probing.store(false, Ordering::Release);
        }
        Route::Fallback
    }

    /// The primary answered.
    pub(super) fn on_success(&self, route: Route) {
        self.consecutive_failures.store(0, Ordering::Relaxed);
        if route == Route::Probe {
            if self.transition(CircuitBreakerState::HalfOpen, CircuitBreakerState::Closed) {
                tracing::info!(target: "fastex::composite", circuit = "closed", "primary backend answered the probe: back on the primary");
            }
            self.probing.store(false, Ordering::Release);
        }
    }

    /// The primary failed.
    pub(super) fn on_failure(&self, route: Route, error: &dyn fmt::Display) {
        let failures = self
            .consecutive_failures
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        match route {
            Route::Probe => {
                self.opened_at.store(self.now_us(), Ordering::Release);
                if self.transition(CircuitBreakerState::HalfOpen, CircuitBreakerState::Open) {
                    tracing::warn!(target: "fastex::composite", circuit = "open", %error, "probe of the primary backend failed: staying on the fallback");
                }
                self.probing.store(false, Ordering::Release);
            }
            Route::Primary if failures >= self.threshold => {
                self.opened_at.store(self.now_us(), Ordering::Release);
                if self.transition(CircuitBreakerState::Closed, CircuitBreakerState::Open) {
                    tracing::warn!(
                        target: "fastex::composite",
                        circuit = "open",
                        failures,
                        %error,
                        "primary backend failed {failures} times in a row: switching to the fallback"
                    );
                }
            }
            _ => {}
        }
    }

    /// Switches by hand: `true` to the fallback until switched back, `false` to the primary.
    pub(super) fn force(&self, fallback: bool) {
        let state = if fallback {
            CircuitBreakerState::ForcedOpen
        } else {
            self.consecutive_failures.store(0, Ordering::Relaxed);
            CircuitBreakerState::Closed
        };
        self.state.store(state as u8, Ordering::Release);
        self.probing.store(false, Ordering::Release);
        tracing::info!(target: "fastex::composite", circuit = state.name(), forced = true, "backend switched by hand");
    }

    fn transition(&self, from: CircuitBreakerState, to: CircuitBreakerState) -> bool {
        self.state
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}
