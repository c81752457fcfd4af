//! Per-key state of each algorithm, as plain state machines over a microsecond clock.
//!
//! Each one decides from `(state, now, limit)` alone, so the decisions do not depend on
//! where the state lives; the Redis scripts implement the same arithmetic.

mod fixed_window;
mod gcra;
#[cfg(test)]
mod reference_tests;
mod sliding_log;
mod sliding_window_counter;

pub(crate) use fixed_window::FixedWindowState;
pub(crate) use gcra::GcraState;
pub(crate) use sliding_log::SlidingLogState;
pub(crate) use sliding_window_counter::SlidingWindowCounterState;

use std::time::Duration;

use crate::RateLimitResult;
use crate::limiter::RateLimitConfig;

/// One limit's answer for one request, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) admitted: bool,
    /// Wait until a request would be admitted; 0 when admitted.
    pub(crate) retry_us: u64,
    /// Requests the limit still admits now, after this one if it was admitted.
    pub(crate) remaining: u32,
    /// Time until the state has forgotten every counted request.
    pub(crate) reset_us: u64,
}

impl Verdict {
    pub(crate) fn into_result(self, limit: &RateLimitConfig) -> RateLimitResult {
        let reset = Duration::from_micros(self.reset_us);
        if self.admitted {
            RateLimitResult::allowed(limit.times(), self.remaining, reset)
        } else {
            RateLimitResult::denied(limit.times(), self.retry_us.div_ceil(1_000), reset)
        }
    }
}

/// The state one key keeps for one algorithm.
pub(crate) trait LimitState: Default + Send + Sync + 'static {
    /// Decides on a request at `now`; counts it when admitted and `commit` is set.
    fn check(&mut self, now: u64, limit: &RateLimitConfig, commit: bool) -> Verdict;

    /// Forgets a request admitted at `admitted_at`: the undo of an all-or-nothing check
    /// that a later limit refused.
    fn undo(&mut self, admitted_at: u64, limit: &RateLimitConfig);

    /// The instant from which this state answers like a fresh one, so it can be dropped.
    fn expires_at(&self) -> u64;

    /// Entries held: one per counter, one per timestamp of a log.
    fn entries(&self) -> usize;
}
