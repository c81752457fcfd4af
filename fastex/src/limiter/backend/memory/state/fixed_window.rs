use super::{LimitState, Verdict};
use crate::limiter::RateLimitConfig;

/// Windows aligned on multiples of their length; 16 bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FixedWindowState {
    window_end: u64,
    count: u32,
}

impl LimitState for FixedWindowState {
    #[inline]
    fn check(&mut self, now: u64, limit: &RateLimitConfig, commit: bool) -> Verdict {
        let window = limit.window_us();
        let (window_end, count) = if now >= self.window_end {
            (now - now % window + window, 0)
        } else {
            (self.window_end, self.count)
        };
        let reset_us = window_end - now;
        if count >= limit.times() {
            return Verdict {
                admitted: false,
                retry_us: reset_us,
                remaining: 0,
                reset_us,
            };
        }
        if commit {
            self.window_end = window_end;
            self.count = count + 1;
        }
        Verdict {
            admitted: true,
            retry_us: 0,
            remaining: limit.times() - count - 1,
            reset_us,
        }
    }

    fn undo(&mut self, admitted_at: u64, limit: &RateLimitConfig) {
        let same_window = admitted_at + limit.window_us() >= self.window_end;
        if same_window {
            self.count = self.count.saturating_sub(1);
        }
    }

    fn expires_at(&self) -> u64 {
        self.window_end
    }

    fn entries(&self) -> usize {
        1
    }
}
