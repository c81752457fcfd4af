//! What a check answers.

use std::time::Duration;

/// The outcome of checking one limit, or a stack of limits, for one request.
///
/// For a stacked check it describes the limit that decided: when denied, the denying limit
/// with the longest wait; when admitted, the limit with the fewest requests left.
///
/// ```
/// use fastex::RateLimitResult;
///
/// let result = RateLimitResult::denied(5, 1_500, std::time::Duration::from_secs(60));
/// assert!(result.is_exceeded);
/// assert_eq!(result.retry_after_secs(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitResult {
    /// Whether the request was refused.
    pub is_exceeded: bool,
    /// How long to wait before a request can pass, in milliseconds; 0 when admitted.
    pub retry_after_ms: u64,
    /// The `times` of the deciding limit.
    pub limit_times: u32,
    /// How many more requests the deciding limit admits right now.
    pub remaining_requests: u32,
    /// How long until the deciding limit has forgotten every request it counted.
    pub reset_time: Duration,
    /// Which limit of a stacked check decided, by position (0 for a single limit).
    pub decided_by: usize,
}

impl RateLimitResult {
    /// An admitted request.
    pub const fn allowed(limit_times: u32, remaining_requests: u32, reset_time: Duration) -> Self {
        RateLimitResult {
            is_exceeded: false,
            retry_after_ms: 0,
            limit_times,
            remaining_requests,
            reset_time,
            decided_by: 0,
        }
    }

    /// A refused request that may retry after `retry_after_ms`.
    pub const fn denied(limit_times: u32, retry_after_ms: u64, reset_time: Duration) -> Self {
        RateLimitResult {
            is_exceeded: true,
            retry_after_ms,
            limit_times,
            remaining_requests: 0,
            reset_time,
            decided_by: 0,
        }
    }

    /// The same result, attributed to the limit at `index` of a stacked check.
    #[must_use]
    pub const fn decided_by(mut self, index: usize) -> Self {
        self.decided_by = index;
        self
    }

    /// The same result with `reset_time` set to `reset_time`.
    #[must_use]
    pub const fn with_reset(mut self, reset_time: Duration) -> Self {
        self.reset_time = reset_time;
        self
    }

    /// `retry_after_ms` in whole seconds rounded up, at least 1 when refused: the value of
    /// a `Retry-After` header.
    pub const fn retry_after_secs(&self) -> u64 {
        if !self.is_exceeded {
            return 0;
        }
        let secs = self.retry_after_ms.div_ceil(1_000);
        if secs == 0 { 1 } else { secs }
    }

    /// `reset_time` in whole seconds rounded up: the value of a `RateLimit-Reset` header.
    pub const fn reset_secs(&self) -> u64 {
        let ms = self.reset_time.as_millis() as u64;
        ms.div_ceil(1_000)
    }

    /// Folds the results of a stacked check, in limit order, into the one that decides.
    ///
    /// Returns `None` for no results.
    pub fn decide(results: impl IntoIterator<Item = RateLimitResult>) -> Option<Self> {
        let mut decided: Option<RateLimitResult> = None;
        for (index, result) in results.into_iter().enumerate() {
            let result = result.decided_by(index);
            decided = Some(match decided {
                None => result,
                Some(best) => best.most_decisive(result),
            });
        }
        decided
    }

    /// Whichever of `self` and `other` decides a stacked check; `self` on a tie, so the
    /// earlier limit wins.
    #[must_use]
    pub(crate) fn most_decisive(self, other: RateLimitResult) -> RateLimitResult {
        if other.outranks(&self) { other } else { self }
    }

    /// Whether `self` says more about the request than `other`: a refusal beats an
    /// admission, a longer wait a shorter one, fewer requests left more.
    fn outranks(&self, other: &RateLimitResult) -> bool {
        match (self.is_exceeded, other.is_exceeded) {
            (true, false) => true,
            (false, true) => false,
            (true, true) => self.retry_after_ms > other.retry_after_ms,
            (false, false) => self.remaining_requests < other.remaining_requests,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_never_zero_when_denied() {
        let reset = Duration::from_secs(1);
        assert_eq!(RateLimitResult::denied(1, 1, reset).retry_after_secs(), 1);
        assert_eq!(RateLimitResult::denied(1, 0, reset).retry_after_secs(), 1);
        assert_eq!(
            RateLimitResult::denied(1, 1_000, reset).retry_after_secs(),
            1
        );
        assert_eq!(
            RateLimitResult::denied(1, 1_001, reset).retry_after_secs(),
            2
        );
        assert_eq!(RateLimitResult::allowed(1, 0, reset).retry_after_secs(), 0);
    }

    #[test]
    fn decide_prefers_the_longest_refusal_then_the_fewest_remaining() {
        let reset = Duration::from_secs(1);
        let decided = RateLimitResult::decide([
            RateLimitResult::allowed(5, 4, reset),
            RateLimitResult::denied(1, 300, reset),
            RateLimitResult::denied(2, 900, reset),
        ])
        .unwrap();
        assert_eq!(decided.decided_by, 2);
        assert_eq!(decided.retry_after_ms, 900);

        let decided = RateLimitResult::decide([
            RateLimitResult::allowed(5, 4, reset),
            RateLimitResult::allowed(1, 0, reset),
        ])
        .unwrap();
        assert_eq!(decided.decided_by, 1);
        assert_eq!(RateLimitResult::decide([]), None);
    }
}
