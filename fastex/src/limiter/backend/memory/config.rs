use std::time::Duration;

use crate::limiter::backend::{FallbackMode, LimiterBackendError};

/// Settings of [`InMemoryLimiterBackend`](super::InMemoryLimiterBackend).
///
/// ```
/// use std::time::Duration;
/// use fastex::limiter::backend::memory::MemoryLimiterBackendConnectConfig;
///
/// let config = MemoryLimiterBackendConnectConfig {
///     max_keys: 100_000,
///     cleanup_interval: Duration::from_secs(30),
///     ..MemoryLimiterBackendConnectConfig::default()
/// };
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryLimiterBackendConnectConfig {
    /// How often expired keys are removed (default 300 s, as the original).
    pub cleanup_interval: Duration,
    /// How many keys may be tracked at once; a new key beyond it gets `fallback_mode`
    /// (default 10,000, as the original).
    pub max_keys: usize,
    /// What a request gets when its key cannot be tracked.
    pub fallback_mode: FallbackMode,
}

impl Default for MemoryLimiterBackendConnectConfig {
    fn default() -> Self {
        MemoryLimiterBackendConnectConfig {
            cleanup_interval: Duration::from_secs(300),
            max_keys: 10_000,
            fallback_mode: FallbackMode::Allow,
        }
    }
}

impl MemoryLimiterBackendConnectConfig {
    /// Checks every field; the error names the bad one.
    pub fn validate(&self) -> Result<(), LimiterBackendError> {
        if self.max_keys == 0 {
            return Err(LimiterBackendError::InvalidConfiguration(
                "max_keys must be at least 1, got 0".into(),
            ));
        }
        if self.cleanup_interval.is_zero() {
            return Err(LimiterBackendError::InvalidConfiguration(
                "cleanup_interval must be longer than 0".into(),
            ));
        }
        Ok(())
    }
}
