use std::time::Duration;

/// Why a backend could not answer a check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LimiterBackendError {
    /// The backend was never connected, or has been disconnected.
    #[error("the {backend} rate-limit backend is not connected: call connect() first")]
    NotConnected {
        /// The backend's name.
        backend: &'static str,
    },
    /// The store behind the backend cannot be reached.
    #[error("the {backend} rate-limit backend is unavailable: {source}")]
    Unavailable {
        /// The backend's name.
        backend: &'static str,
        /// What went wrong underneath.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store did not answer in time.
    #[error("the {backend} rate-limit backend did not answer within {after:?}")]
    Timeout {
        /// The backend's name.
        backend: &'static str,
        /// How long it was given.
        after: Duration,
    },
    /// The backend tracks as many keys as it may; a new key cannot be counted.
    #[error("the {backend} rate-limit backend tracks {max_keys} keys, its maximum")]
    CapacityExceeded {
        /// The backend's name.
        backend: &'static str,
        /// The configured maximum.
        max_keys: usize,
    },
    /// The backend's configuration is invalid; the message names the setting.
    #[error("invalid rate-limit backend configuration: {0}")]
    InvalidConfiguration(String),
    /// A script ran but its answer made no sense: a bug, not an outage.
    #[error("the {backend} rate-limit script failed: {message}")]
    Script {
        /// The backend's name.
        backend: &'static str,
        /// What was wrong with the answer.
        message: String,
    },
}

impl LimiterBackendError {
    /// Whether the error means the backend cannot answer right now, so that the
    /// backend's [`FallbackMode`](super::FallbackMode) decides instead. Configuration and
    /// script errors are bugs and are not outages.
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            LimiterBackendError::NotConnected { .. }
                | LimiterBackendError::Unavailable { .. }
                | LimiterBackendError::Timeout { .. }
                | LimiterBackendError::CapacityExceeded { .. }
        )
    }
}
