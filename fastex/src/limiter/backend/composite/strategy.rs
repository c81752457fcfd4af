use crate::named::named_enum;

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

named_enum!(SwitchingStrategy, UnknownSwitchingStrategy, "switching strategy", {
    CircuitBreaker => "circuit_breaker",
    HealthCheck => "health_check",
    FailFast => "fail_fast",
});
