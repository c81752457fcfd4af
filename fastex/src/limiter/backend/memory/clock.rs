//! The time the in-memory backend counts with.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A monotonic clock in microseconds.
///
/// The in-memory backend reads it once per check. Inject a [`ManualClock`] to drive time in
/// tests without sleeping.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Microseconds since an arbitrary origin; never decreases.
    fn now_us(&self) -> u64;
}

/// The system's monotonic clock, counted from the clock's creation.
///
/// Read through the CPU's time-stamp counter where it is invariant (a few nanoseconds, where
/// `clock_gettime` costs about twenty on a VM, a third of a check), else the OS's monotonic
/// clock; the same source as governor's default clock.
#[derive(Debug, Clone)]
pub struct MonotonicClock {
    clock: quanta::Clock,
    origin: u64,
}

impl MonotonicClock {
    /// A clock starting at 0 now.
    pub fn new() -> Self {
        let clock = quanta::Clock::new();
        let origin = clock.raw();
        MonotonicClock { clock, origin }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        MonotonicClock::new()
    }
}

impl Clock for MonotonicClock {
    fn now_us(&self) -> u64 {
        self.clock.delta_as_nanos(self.origin, self.clock.raw()) / 1_000
    }
}

/// A clock that only moves when told to; clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use fastex::limiter::backend::memory::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_millis(1_500));
/// assert_eq!(clock.now_us(), 1_500_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now_us: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at 0.
    pub fn new() -> Self {
        ManualClock::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.now_us
            .fetch_add(by.as_micros() as u64, Ordering::SeqCst);
    }

    /// Moves the clock forward by `micros` microseconds.
    pub fn advance_us(&self, micros: u64) {
        self.now_us.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> u64 {
        self.now_us.load(Ordering::SeqCst)
    }
}
