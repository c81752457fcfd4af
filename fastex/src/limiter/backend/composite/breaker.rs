//! The circuit breaker's state, in atomics: routing a request costs a few loads.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
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

/// The state and the instant the circuit last opened share one word, so that a transition
/// is one compare-and-swap of both: a request that saw an old opening cannot half-open a
/// circuit that has just opened again, and a late failure cannot move the opening.
#[derive(Debug)]
pub(super) struct Breaker {
    /// `opened_at_us << 2 | state`, `opened_at_us` counted from `origin`.
    status: AtomicU64,
    consecutive_failures: AtomicU32,
    threshold: u32,
    recovery_timeout_us: u64,
    origin: Instant,
    probing: AtomicBool,
}

const fn pack(state: CircuitBreakerState, opened_at_us: u64) -> u64 {
    opened_at_us << 2 | state as u64
}

const fn unpack(status: u64) -> (CircuitBreakerState, u64) {
    (
        CircuitBreakerState::from_u8((status & 3) as u8),
        status >> 2,
    )
}

impl Breaker {
    pub(super) fn new(threshold: u32, recovery_timeout: Duration) -> Self {
        Breaker {
            status: AtomicU64::new(pack(CircuitBreakerState::Closed, 0)),
            consecutive_failures: AtomicU32::new(0),
            threshold,
            recovery_timeout_us: recovery_timeout.as_micros() as u64,
            origin: Instant::now(),
            probing: AtomicBool::new(false),
        }
    }

    pub(super) fn state(&self) -> CircuitBreakerState {
        unpack(self.status.load(Ordering::Acquire)).0
    }

    pub(super) fn failure_count(&self) -> u32 {
        self.consecutive_failures.load(Ordering::Relaxed)
    }

    fn now_us(&self) -> u64 {
        self.origin.elapsed().as_micros() as u64
    }

    fn recovered(&self, opened_at_us: u64) -> bool {
        self.now_us().saturating_sub(opened_at_us) >= self.recovery_timeout_us
    }

    /// Where the next request goes: at most one probe at a time once the timeout passed.
    pub(super) fn route(&self) -> Route {
        let status = self.status.load(Ordering::Acquire);
        match unpack(status) {
            (CircuitBreakerState::Closed, _) => Route::Primary,
            (CircuitBreakerState::ForcedOpen, _) => Route::Fallback,
            (CircuitBreakerState::Open, opened_at) => {
                if !self.recovered(opened_at) {
                    return Route::Fallback;
                }
                let half_open = pack(CircuitBreakerState::HalfOpen, opened_at);
                if self.swap(status, half_open) {
                    tracing::info!(target: "fastex::composite", circuit = "half_open", "recovery timeout passed: probing the primary backend");
                }
                self.take_probe()
            }
            (CircuitBreakerState::HalfOpen, _) => self.take_probe(),
        }
    }

    /// Where the next request would go, without taking the probe or changing the state:
    /// asking must not use up the one probe a request needs to close the circuit.
    pub(super) fn peek(&self) -> Route {
        let probing = self.probing.load(Ordering::Acquire);
        match unpack(self.status.load(Ordering::Acquire)) {
            (CircuitBreakerState::Closed, _) => Route::Primary,
            (CircuitBreakerState::ForcedOpen, _) => Route::Fallback,
            (CircuitBreakerState::Open, opened_at) if self.recovered(opened_at) && !probing => {
                Route::Probe
            }
            (CircuitBreakerState::HalfOpen, _) if !probing => Route::Probe,
            _ => Route::Fallback,
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
            let status = self.status.load(Ordering::Acquire);
            if unpack(status).0 == CircuitBreakerState::HalfOpen
                && self.swap(status, pack(CircuitBreakerState::Closed, 0))
            {
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
        let status = self.status.load(Ordering::Acquire);
        let reopened = pack(CircuitBreakerState::Open, self.now_us());
        match (route, unpack(status).0) {
            (Route::Probe, CircuitBreakerState::HalfOpen) => {
                if self.swap(status, reopened) {
                    tracing::warn!(target: "fastex::composite", circuit = "open", %error, "probe of the primary backend failed: staying on the fallback");
                }
                self.probing.store(false, Ordering::Release);
            }
            (Route::Probe, _) => self.probing.store(false, Ordering::Release),
            (Route::Primary, CircuitBreakerState::Closed)
                if failures >= self.threshold && self.swap(status, reopened) =>
            {
                tracing::warn!(
                    target: "fastex::composite",
                    circuit = "open",
                    failures,
                    %error,
                    "primary backend failed {failures} times in a row: switching to the fallback"
                );
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
        self.status.store(pack(state, 0), Ordering::Release);
        self.probing.store(false, Ordering::Release);
        tracing::info!(target: "fastex::composite", circuit = state.name(), forced = true, "backend switched by hand");
    }

    fn swap(&self, from: u64, to: u64) -> bool {
        self.status
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}
