use std::collections::VecDeque;

use super::{LimitState, Verdict};
use crate::limiter::RateLimitConfig;

/// The instants of the requests admitted within the last window, oldest first; at most
/// `times` of them, so a check costs the expired entries it drops, never a scan.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct SlidingLogState {
    admitted: VecDeque<u64>,
    window_us: u64,
}

impl SlidingLogState {
    /// Drops the requests that left the window `(now - window, now]`.
    fn expire(&mut self, now: u64, window: u64) {
        while self.admitted.front().is_some_and(|&at| at + window <= now) {
            self.admitted.pop_front();
        }
    }
}

impl LimitState for SlidingLogState {
    #[inline]
    fn check(&mut self, now: u64, limit: &RateLimitConfig, commit: bool) -> Verdict {
        // A request that read the clock before one already logged counts as its equal, so
        // the log stays in order and expires from the front.
        let now = now.max(self.admitted.back().copied().unwrap_or(0));
        let window = limit.window_us();
        self.window_us = window;
        self.expire(now, window);
        let live = self.admitted.len() as u64;
        let times = u64::from(limit.times());
        if live >= times {
            // The request `times` places back must leave the window first.
            let blocking = self.admitted[(live - times) as usize];
            let newest = *self.admitted.back().unwrap_or(&now);
            return Verdict {
                admitted: false,
                retry_us: blocking + window - now,
                remaining: 0,
                reset_us: newest + window - now,
            };
        }
        if commit {
            self.admitted.push_back(now);
        }
        Verdict {
            admitted: true,
            retry_us: 0,
            remaining: (times - live - 1) as u32,
            reset_us: window,
        }
    }

    fn undo(&mut self, admitted_at: u64, _limit: &RateLimitConfig) {
        // The admission was logged at `admitted_at` or, clamped, just after it.
        if let Some(position) = self.admitted.iter().rposition(|&at| at >= admitted_at) {
            self.admitted.remove(position);
        }
    }

    fn expires_at(&self) -> u64 {
        self.admitted
            .back()
            .map_or(0, |&newest| newest + self.window_us)
    }

    fn entries(&self) -> usize {
        self.admitted.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_that_read_the_clock_earlier_keeps_the_log_in_order() {
        let limit = RateLimitConfig::new(3, 1);
        let mut state = SlidingLogState::default();
        assert!(state.check(500, &limit, true).admitted);
        assert!(state.check(400, &limit, true).admitted);
        assert_eq!(state.admitted, [500, 500]);
        state.undo(400, &limit);
        assert_eq!(state.admitted, [500]);
    }
}
