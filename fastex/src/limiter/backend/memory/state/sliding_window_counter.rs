use super::{LimitState, Verdict};
use crate::limiter::RateLimitConfig;

/// The current aligned window's count and the previous one's.
///
/// Estimate at `now`, `elapsed` into the current window:
/// `floor(previous × (window − elapsed) / window) + current`; admitted while below `times`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SlidingWindowCounterState {
    window_end: u64,
    window_us: u64,
    previous: u32,
    current: u32,
}

impl SlidingWindowCounterState {
    /// The state as seen at `now`: windows that ended have moved `current` to `previous`.
    fn at(&self, now: u64, window: u64) -> SlidingWindowCounterState {
        let mut state = *self;
        state.window_us = window;
        if now < state.window_end {
            return state;
        }
        let next_end = now - now % window + window;
        state.previous = if next_end == self.window_end + window {
            self.current
        } else {
            0
        };
        state.current = 0;
        state.window_end = next_end;
        state
    }

    fn weighted_previous(&self, elapsed: u64) -> u64 {
        let overlap = self.window_us - elapsed;
        // The same quotient in 64 bits whenever the product fits (any count with a window up
        // to 71 minutes, counts below 2^20 up to 200 days), sparing the 128-bit division's
        // library call on every check.
        match u64::from(self.previous).checked_mul(overlap) {
            Some(product) => product / self.window_us,
            None => {
                (u128::from(self.previous) * u128::from(overlap) / u128::from(self.window_us))
                    as u64
            }
        }
    }

    /// Smallest `elapsed` into a window whose previous count is `previous` at which
    /// `floor(previous × (window − elapsed) / window) < allowance`.
    fn first_elapsed_below(previous: u32, allowance: u64, window: u64) -> u64 {
        if u64::from(previous) < allowance {
            return 0;
        }
        // previous × (window − e) < allowance × window  ⟺  window − e ≤ ceil(a·w / p) − 1
        let bound = (u128::from(allowance) * u128::from(window)).div_ceil(u128::from(previous));
        window + 1 - bound as u64
    }
}

impl LimitState for SlidingWindowCounterState {
    #[inline]
    fn check(&mut self, now: u64, limit: &RateLimitConfig, commit: bool) -> Verdict {
        let window = limit.window_us();
        let times = u64::from(limit.times());
        let state = self.at(now, window);
        let window_start = state.window_end - window;
        // `now` may trail the state by a little: another request read the clock later but
        // took the lock first and moved the window on.
        let elapsed = now.saturating_sub(window_start);
        let estimate = state.weighted_previous(elapsed) + u64::from(state.current);
        if estimate >= times {
            let retry_us = if u64::from(state.current) >= times {
                // Only the next window can admit, once this one's weight has decayed.
                let next = Self::first_elapsed_below(state.current, times, window);
                state.window_end - now + next
            } else {
                let allowance = times - u64::from(state.current);
                window_start + Self::first_elapsed_below(state.previous, allowance, window) - now
            };
            return Verdict {
                admitted: false,
                retry_us,
                remaining: 0,
                reset_us: state.window_end + window - now,
            };
        }
        if commit {
            *self = state;
            self.current += 1;
        }
        Verdict {
            admitted: true,
            retry_us: 0,
            remaining: (times - estimate - 1) as u32,
            reset_us: state.window_end + window - now,
        }
    }

    fn undo(&mut self, admitted_at: u64, limit: &RateLimitConfig) {
        let window = limit.window_us();
        if admitted_at + window >= self.window_end {
            self.current = self.current.saturating_sub(1);
        } else if admitted_at + 2 * window >= self.window_end {
            self.previous = self.previous.saturating_sub(1);
        }
    }

    fn expires_at(&self) -> u64 {
        self.window_end.saturating_add(self.window_us)
    }

    fn entries(&self) -> usize {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_that_read_the_clock_before_the_window_moved_on_does_not_underflow() {
        let limit = RateLimitConfig::new(2, 1);
        let mut state = SlidingWindowCounterState::default();
        // A later request rolled the state into the window starting at 1000 µs...
        assert!(state.check(1_500, &limit, true).admitted);
        // ...before one that read the clock at 999 µs took the lock.
        let late = state.check(999, &limit, true);
        assert!(late.admitted);
        assert_eq!(state.current, 2);
    }
}
