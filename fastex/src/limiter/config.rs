//! What one limit means: how many requests, over how long, counted how.

use std::fmt;
use std::time::Duration;

use crate::named::named_enum;

/// How requests are counted against a limit.
///
/// Every backend implements every algorithm with the same decisions for the same sequence of
/// requests, so a fail-over from Redis to memory never changes what a limit means.
///
/// ```
/// use fastex::limiter::Algorithm;
///
/// assert_eq!("gcra".parse::<Algorithm>().unwrap(), Algorithm::Gcra);
/// assert_eq!(Algorithm::default(), Algorithm::SlidingWindowLog);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// Never more than `times` admitted requests in any interval of the window's length,
    /// wherever that interval starts. Exact, as in the Python original.
    ///
    /// State per key: one timestamp per request admitted within the last window (at most
    /// `times` of them).
    #[default]
    SlidingWindowLog,
    /// At most `times` admitted requests per window aligned on multiples of its length (on
    /// the backend's clock). Up to `2 × times` can pass around a window boundary.
    ///
    /// State per key: the current window's end and a counter.
    FixedWindow,
    /// Counts the current aligned window plus the previous one weighted by how much of it
    /// still overlaps the sliding window; admits while that estimate is below `times`.
    /// Approximates the sliding log to within the previous window's weight, at the cost of
    /// two counters.
    ///
    /// State per key: the current window's end and two counters.
    SlidingWindowCounter,
    /// Generic cell rate algorithm (a token bucket without a refill task): a burst of
    /// `times`, refilled smoothly at one request every `window / times`.
    ///
    /// State per key: one timestamp, the theoretical arrival time.
    Gcra,
}

named_enum!(Algorithm, UnknownAlgorithm, "algorithm", {
    SlidingWindowLog => "sliding_window",
    FixedWindow => "fixed_window",
    SlidingWindowCounter => "sliding_window_counter",
    Gcra => "gcra",
} aliases {
    "sliding_window_log" => SlidingWindowLog,
    "token_bucket" => Gcra,
});

/// A window given as a sum of units, as the Python original's `RateLimiter` takes it.
///
/// ```
/// use fastex::limiter::Window;
///
/// let window = Window { minutes: 1, seconds: 30, ..Window::default() };
/// assert_eq!(window.total_ms(), Some(90_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// Milliseconds added to the window.
    pub milliseconds: u64,
    /// Seconds added to the window.
    pub seconds: u64,
    /// Minutes added to the window.
    pub minutes: u64,
    /// Hours added to the window.
    pub hours: u64,
}

impl Window {
    /// The sum of all units in milliseconds, or `None` when it overflows `u64`.
    pub const fn total_ms(&self) -> Option<u64> {
        let Some(seconds) = self.seconds.checked_mul(1_000) else {
            return None;
        };
        let Some(minutes) = self.minutes.checked_mul(60_000) else {
            return None;
        };
        let Some(hours) = self.hours.checked_mul(3_600_000) else {
            return None;
        };
        let Some(sum) = self.milliseconds.checked_add(seconds) else {
            return None;
        };
        let Some(sum) = sum.checked_add(minutes) else {
            return None;
        };
        sum.checked_add(hours)
    }
}

/// The longest window accepted, in milliseconds: about 292 years, so that the window in
/// microseconds (the backends' clock unit) fits a `u64`.
pub const MAX_WINDOW_MS: u64 = u64::MAX / 1_000;

/// Why a [`RateLimitConfig`] could not be built; names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRateLimit {
    /// `times` was 0.
    #[error("`times` must be at least 1, got 0")]
    ZeroTimes,
    /// `times` does not fit `u32`.
    #[error("`times` must be at most {max}, got {got}", max = u32::MAX)]
    TimesTooLarge {
        /// The value given.
        got: u64,
    },
    /// Every unit of the window was 0.
    #[error(
        "the window must be longer than 0: set `milliseconds`, `seconds`, `minutes` or `hours`"
    )]
    EmptyWindow,
    /// The window's units add up to more than [`MAX_WINDOW_MS`].
    #[error("the window is too long: its units must add up to at most {MAX_WINDOW_MS} ms")]
    WindowTooLong,
}

/// One rate limit: at most `times` requests per window, counted by an [`Algorithm`].
///
/// ```
/// use fastex::limiter::{Algorithm, RateLimitConfig, Window};
///
/// // Checked at run time, for limits that come from configuration:
/// let limit = RateLimitConfig::try_new(5, Window { minutes: 1, ..Window::default() })?;
/// assert_eq!(limit.window_ms(), 60_000);
///
/// // Checked at compile time, for limits written in code:
/// const LOGIN: RateLimitConfig = RateLimitConfig::new(3, 10_000).with_algorithm(Algorithm::Gcra);
/// assert_eq!(LOGIN.times(), 3);
/// # Ok::<(), fastex::limiter::InvalidRateLimit>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimitConfig {
    times: u32,
    window_ms: u64,
    algorithm: Algorithm,
}

impl RateLimitConfig {
    /// A limit of `times` requests per `window_ms` milliseconds, with the default algorithm.
    ///
    /// Meant for constants: in a `const` an invalid limit is a compile error.
    ///
    /// # Panics
    ///
    /// When `times` is 0, `window_ms` is 0 or above [`MAX_WINDOW_MS`]. Use
    /// [`RateLimitConfig::try_new`] for values that come from outside the program.
    pub const fn new(times: u32, window_ms: u64) -> Self {
        assert!(times >= 1, "`times` must be at least 1");
        assert!(window_ms >= 1, "the window must be longer than 0 ms");
        assert!(window_ms <= MAX_WINDOW_MS, "the window is too long");
        RateLimitConfig {
            times,
            window_ms,
            algorithm: Algorithm::SlidingWindowLog,
        }
    }

    /// A limit of `times` requests per `window`, validated; the error names the bad field.
    pub fn try_new(times: u64, window: Window) -> Result<Self, InvalidRateLimit> {
        let times = match times {
            0 => return Err(InvalidRateLimit::ZeroTimes),
            t => u32::try_from(t).map_err(|_| InvalidRateLimit::TimesTooLarge { got: t })?,
        };
        match window.total_ms() {
            Some(0) => Err(InvalidRateLimit::EmptyWindow),
            Some(ms) if ms <= MAX_WINDOW_MS => Ok(RateLimitConfig::new(times, ms)),
            _ => Err(InvalidRateLimit::WindowTooLong),
        }
    }

    /// The same limit counted by `algorithm`.
    #[must_use]
    pub const fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How many requests the window admits.
    pub const fn times(&self) -> u32 {
        self.times
    }

    /// The window's length in milliseconds.
    pub const fn window_ms(&self) -> u64 {
        self.window_ms
    }

    /// The window's length.
    pub const fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms)
    }

    /// The window's length in microseconds, the unit the backends count time in.
    pub const fn window_us(&self) -> u64 {
        self.window_ms * 1_000
    }

    /// How requests are counted.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

impl fmt::Display for RateLimitConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} per {} ms ({})",
            self.times, self.window_ms, self.algorithm
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_new_names_the_bad_field() {
        let minute = Window {
            minutes: 1,
            ..Window::default()
        };
        assert_eq!(
            RateLimitConfig::try_new(0, minute),
            Err(InvalidRateLimit::ZeroTimes)
        );
        assert_eq!(
            RateLimitConfig::try_new(u64::from(u32::MAX) + 1, minute),
            Err(InvalidRateLimit::TimesTooLarge {
                got: u64::from(u32::MAX) + 1
            })
        );
        assert_eq!(
            RateLimitConfig::try_new(1, Window::default()),
            Err(InvalidRateLimit::EmptyWindow)
        );
        let huge = Window {
            hours: u64::MAX / 3_600_000,
            ..Window::default()
        };
        assert_eq!(
            RateLimitConfig::try_new(1, huge),
            Err(InvalidRateLimit::WindowTooLong)
        );
        let overflowing = Window {
            hours: u64::MAX,
            ..Window::default()
        };
        assert_eq!(overflowing.total_ms(), None);
        assert_eq!(
            RateLimitConfig::try_new(1, overflowing),
            Err(InvalidRateLimit::WindowTooLong)
        );
    }

    #[test]
    fn units_are_summed() {
        let window = Window {
            milliseconds: 5,
            seconds: 1,
            minutes: 2,
            hours: 1,
        };
        let limit = RateLimitConfig::try_new(3, window).unwrap();
        assert_eq!(limit.window_ms(), 3_600_000 + 120_000 + 1_000 + 5);
        assert_eq!(limit.window_us(), limit.window_ms() * 1_000);
    }

    #[test]
    fn algorithm_names_round_trip() {
        for algorithm in Algorithm::ALL {
            assert_eq!(algorithm.name().parse::<Algorithm>(), Ok(algorithm));
            assert_eq!(
                algorithm.name().to_uppercase().parse::<Algorithm>(),
                Ok(algorithm)
            );
        }
        let err = "leaky".parse::<Algorithm>().unwrap_err();
        assert!(err.to_string().contains("`leaky`"), "{err}");
    }
}
