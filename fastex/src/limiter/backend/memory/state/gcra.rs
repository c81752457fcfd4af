use super::{LimitState, Verdict};
use crate::limiter::RateLimitConfig;

/// The theoretical arrival time of the next request; 8 bytes.
///
/// Emission interval `I = ceil(window / times)` µs, tolerance `τ = (times - 1) × I`: a burst
/// of `times`, then one request per `I`. Rounding `I` up keeps the rate at or below
/// `times / window` in whole microseconds, so Redis (doubles) and memory agree exactly.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GcraState {
    tat: u64,
}

impl GcraState {
    /// The state whose theoretical arrival time is `tat`, as kept in an atomic word.
    pub(crate) const fn from_tat(tat: u64) -> Self {
        GcraState { tat }
    }

    /// The theoretical arrival time, what an atomic word keeps of this state.
    pub(crate) const fn tat(self) -> u64 {
        self.tat
    }
}

pub(crate) fn emission_interval(limit: &RateLimitConfig) -> u64 {
    limit.window_us().div_ceil(u64::from(limit.times()))
}

impl LimitState for GcraState {
    #[inline]
    fn check(&mut self, now: u64, limit: &RateLimitConfig, commit: bool) -> Verdict {
        let interval = emission_interval(limit);
        let tolerance = interval * u64::from(limit.times() - 1);
        let start = self.tat.max(now);
        let backlog = start - now;
        if backlog > tolerance {
            return Verdict {
                admitted: false,
                retry_us: backlog - tolerance,
                remaining: 0,
                reset_us: backlog,
            };
        }
        let tat = start + interval;
        if commit {
            self.tat = tat;
        }
        let backlog = tat - now;
        let remaining = if backlog > tolerance {
            0
        } else {
            ((tolerance - backlog) / interval + 1) as u32
        };
        Verdict {
            admitted: true,
            retry_us: 0,
            remaining,
            reset_us: backlog,
        }
    }

    fn undo(&mut self, _admitted_at: u64, limit: &RateLimitConfig) {
        self.tat = self.tat.saturating_sub(emission_interval(limit));
    }

    fn expires_at(&self) -> u64 {
        self.tat
    }

    fn entries(&self) -> usize {
        1
    }
}
