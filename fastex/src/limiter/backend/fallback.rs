use std::time::Duration;

use super::LimiterBackendError;
use crate::RateLimitResult;
use crate::limiter::RateLimitConfig;
use crate::named::named_enum;

/// What a request gets when its backend cannot answer.
///
/// ```
/// use fastex::limiter::backend::FallbackMode;
///
/// assert_eq!("DENY".parse::<FallbackMode>().unwrap(), FallbackMode::Deny);
/// assert_eq!(
///     "banana".parse::<FallbackMode>().unwrap_err().to_string(),
///     "unknown fallback mode `banana`: expected one of allow, deny, raise"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FallbackMode {
    /// Let the request through (the original's default): availability over protection.
    #[default]
    Allow,
    /// Refuse it with HTTP 429 and the configured retry.
    Deny,
    /// Fail it with HTTP 503.
    Raise,
}

impl FallbackMode {
    /// Turns a backend error into the answer this mode gives for `limit`.
    ///
    /// Errors that are not outages ([`LimiterBackendError::is_outage`]) are returned as they
    /// are, whatever the mode: a broken script must not silently admit or refuse.
    pub fn resolve(
        self,
        error: LimiterBackendError,
        limit: &RateLimitConfig,
        deny_retry_after: Duration,
    ) -> Result<RateLimitResult, LimiterBackendError> {
        if !error.is_outage() {
            return Err(error);
        }
        match self {
            FallbackMode::Allow => Ok(RateLimitResult::allowed(
                limit.times(),
                limit.times(),
                Duration::ZERO,
            )),
            FallbackMode::Deny => Ok(RateLimitResult::denied(
                limit.times(),
                deny_retry_after.as_millis() as u64,
                deny_retry_after,
            )),
            FallbackMode::Raise => Err(error),
        }
    }
}

named_enum!(FallbackMode, UnknownFallbackMode, "fallback mode", {
    Allow => "allow",
    Deny => "deny",
    Raise => "raise",
});

#[cfg(test)]
mod tests {
    use super::*;

    fn outage() -> LimiterBackendError {
        LimiterBackendError::CapacityExceeded {
            backend: "memory",
            max_keys: 1,
        }
    }

    #[test]
    fn parses_any_case() {
        assert_eq!("Allow".parse(), Ok(FallbackMode::Allow));
        assert_eq!(" raise ".parse(), Ok(FallbackMode::Raise));
        assert!("".parse::<FallbackMode>().is_err());
    }

    #[test]
    fn each_mode_resolves_an_outage() {
        let limit = RateLimitConfig::new(3, 1_000);
        let retry = Duration::from_secs(60);
        let allowed = FallbackMode::Allow
            .resolve(outage(), &limit, retry)
            .unwrap();
        assert!(!allowed.is_exceeded);
        let denied = FallbackMode::Deny.resolve(outage(), &limit, retry).unwrap();
        assert!(denied.is_exceeded);
        assert_eq!(denied.retry_after_ms, 60_000);
        assert!(matches!(
            FallbackMode::Raise.resolve(outage(), &limit, retry),
            Err(LimiterBackendError::CapacityExceeded { .. })
        ));
    }

    #[test]
    fn a_broken_script_is_never_hidden() {
        let limit = RateLimitConfig::new(3, 1_000);
        for mode in FallbackMode::ALL {
            let error = LimiterBackendError::Script {
                backend: "redis",
                message: "expected two integers".into(),
            };
            assert!(mode.resolve(error, &limit, Duration::ZERO).is_err());
        }
    }
}
