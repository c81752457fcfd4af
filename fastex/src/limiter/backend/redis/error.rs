//! What a Redis error means for a request: an outage (the fallback mode answers) or a bug.

use crate::limiter::backend::LimiterBackendError;

pub(super) const NAME: &str = "redis";

/// Connection trouble, a server that is loading, failing over or refusing credentials: the
/// store cannot answer right now. Anything else (a script error, a reply of the wrong shape)
/// is a bug that must not be hidden behind the fallback mode.
pub(super) fn classify(error: redis::RedisError) -> LimiterBackendError {
    use redis::{ErrorKind, ServerErrorKind};
    let outage = error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || matches!(
            error.kind(),
            ErrorKind::AuthenticationFailed
                | ErrorKind::ClusterConnectionNotFound
                | ErrorKind::Server(
                    ServerErrorKind::BusyLoading
                        | ServerErrorKind::TryAgain
                        | ServerErrorKind::ClusterDown
                        | ServerErrorKind::MasterDown
                        | ServerErrorKind::ReadOnly
                        | ServerErrorKind::NoPerm
                )
        )
        || matches!(error.code(), Some("NOAUTH" | "WRONGPASS" | "BUSY"));
    if outage {
        LimiterBackendError::Unavailable {
            backend: NAME,
            source: Box::new(error),
        }
    } else {
        LimiterBackendError::Script {
            backend: NAME,
            message: error.to_string(),
        }
    }
}

pub(super) fn is_noscript(error: &redis::RedisError) -> bool {
    error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)
}
