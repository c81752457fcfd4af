use std::fmt;
use std::str::FromStr;

/// How [`CompositeLimiterBackend`](super::CompositeLimiterBackend) picks a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SwitchingStrategy {
    /// The primary until `failure_threshold` consecutive failures open the circuit; the
    /// fallback while open; after `recovery_timeout` one probe request tries the primary and
    /// closes the circuit on success.
    #[default]
    CircuitBreaker,
    /// A background task asks the primary every `health_check_interval`; requests go where
    /// the last answer points.
    HealthCheck,
    /// The fallback whenever the primary says it is not connected; a background health
    /// check every `health_check_interval` lets a primary that only learns from round trips
    /// (Redis) find out that it answers again.
    FailFast,
}

impl SwitchingStrategy {
    /// Every strategy, in declaration order.
    pub const ALL: [SwitchingStrategy; 3] = [
        SwitchingStrategy::CircuitBreaker,
        SwitchingStrategy::HealthCheck,
        SwitchingStrategy::FailFast,
    ];

    /// The name accepted by [`FromStr`] and `LIMITER_COMPOSITE_STRATEGY`.
    pub const fn name(self) -> &'static str {
        match self {
            SwitchingStrategy::CircuitBreaker => "circuit_breaker",
            SwitchingStrategy::HealthCheck => "health_check",
            SwitchingStrategy::FailFast => "fail_fast",
        }
    }
}

impl fmt::Display for SwitchingStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`SwitchingStrategy`] from an unknown name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown switching strategy `{0}`: expected one of circuit_breaker, health_check, fail_fast"
)]
pub struct UnknownSwitchingStrategy(pub String);

impl FromStr for SwitchingStrategy {
    type Err = UnknownSwitchingStrategy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SwitchingStrategy::ALL
            .into_iter()
            .find(|strategy| strategy.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownSwitchingStrategy(s.to_owned()))
    }
}
