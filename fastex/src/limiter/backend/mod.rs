//! The storage side of rate limiting: one trait, several stores.
//!
//! A backend answers "may this request pass?" for a list of keys and limits, atomically
//! for the whole list. [`InMemoryLimiterBackend`](memory::InMemoryLimiterBackend) keeps
//! the counts in the process; more backends arrive behind the same trait.

pub mod composite;
mod error;
mod fallback;
mod future;
pub mod memory;
pub mod redis;
mod stats;

pub use error::LimiterBackendError;
pub use fallback::{FallbackMode, UnknownFallbackMode};
pub use future::BackendFuture;
pub use stats::BackendStats;

use crate::RateLimitResult;
use crate::limiter::RateLimitConfig;

/// One limit to check for one request: which counter, and what it allows.
#[derive(Debug, Clone, Copy)]
pub struct LimitCheck<'a> {
    /// The counter's key, e.g. `limiter:app::login:0:{127.0.0.1}`.
    pub key: &'a str,
    /// The limit that counter enforces.
    pub config: &'a RateLimitConfig,
}

/// A store of rate-limit counters.
///
/// Implement it to keep counters elsewhere; register the backend with
/// [`configure_limiter`](crate::limiter::configure_limiter). Methods return a
/// [`BackendFuture`], which costs no allocation for a backend that answers at once
/// ([`BackendFuture::ready`]) and boxes anything else ([`BackendFuture::boxed`]).
///
/// Errors that mean the store cannot answer ([`LimiterBackendError::is_outage`]) are turned
/// into a decision by the backend's [`FallbackMode`]; any other error is a bug and answered
/// with HTTP 503.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use fastex::limiter::backend::{BackendFuture, BackendStats, FallbackMode, LimitCheck, LimiterBackend, LimiterBackendError};
/// use fastex::RateLimitResult;
///
/// /// Admits the first `times` requests of each check's limit, forever: a toy.
/// #[derive(Debug, Default)]
/// struct Forever { seen: AtomicU32 }
///
/// impl LimiterBackend for Forever {
///     fn name(&self) -> &'static str { "forever" }
///     fn connect(&self) -> BackendFuture<'_, Result<(), LimiterBackendError>> { BackendFuture::ready(Ok(())) }
///     fn disconnect(&self) -> BackendFuture<'_, ()> { BackendFuture::ready(()) }
///     fn is_connected(&self) -> bool { true }
///     fn fallback_mode(&self) -> FallbackMode { FallbackMode::Allow }
///     fn check_limits<'a>(&'a self, checks: &'a [LimitCheck<'a>])
///         -> BackendFuture<'a, Result<RateLimitResult, LimiterBackendError>>
///     {
///         let times = checks[0].config.times();
///         let seen = self.seen.fetch_add(1, Ordering::Relaxed);
///         let result = if seen < times {
///             RateLimitResult::allowed(times, times - seen - 1, Duration::MAX)
///         } else {
///             RateLimitResult::denied(times, u64::MAX, Duration::MAX)
///         };
///         BackendFuture::ready(Ok(result))
///     }
///     fn stats(&self) -> BackendStats { BackendStats::None }
/// }
/// ```
pub trait LimiterBackend: std::any::Any + Send + Sync + std::fmt::Debug {
    /// A short name for logs and errors, e.g. `"memory"`.
    fn name(&self) -> &'static str;

    /// Gets the backend ready to answer checks (opens connections, starts background tasks).
    fn connect(&self) -> BackendFuture<'_, Result<(), LimiterBackendError>>;

    /// Gets the backend ready without waiting for its store: for an application that must
    /// start while, say, Redis is down. Checks answer by the fallback mode until the store
    /// can be reached, and the backend keeps trying in the background. Fails only for an
    /// invalid configuration. The default is [`connect`](LimiterBackend::connect), for
    /// stores that are always there.
    fn connect_in_background(&self) -> BackendFuture<'_, Result<(), LimiterBackendError>> {
        self.connect()
    }

    /// Stops background tasks and releases connections; checks fail with
    /// [`LimiterBackendError::NotConnected`] afterwards.
    fn disconnect(&self) -> BackendFuture<'_, ()>;

    /// Whether the backend can answer checks now, as far as it knows without asking.
    fn is_connected(&self) -> bool;

    /// Asks the store whether it answers (for Redis a `PING`); what health checks call.
    /// The default trusts [`is_connected`](LimiterBackend::is_connected).
    fn health_check(&self) -> BackendFuture<'_, bool> {
        BackendFuture::ready(self.is_connected())
    }

    /// What to answer when this backend cannot answer.
    fn fallback_mode(&self) -> FallbackMode;

    /// Checks and counts one request against every limit of `checks`, all or nothing: the
    /// request is admitted only when every limit admits it, and a refused request counts
    /// against none of them. The result is the deciding limit's (see [`RateLimitResult`]).
    ///
    /// `checks` is never empty.
    fn check_limits<'a>(
        &'a self,
        checks: &'a [LimitCheck<'a>],
    ) -> BackendFuture<'a, Result<RateLimitResult, LimiterBackendError>>;

    /// Checks and counts one request against one limit.
    fn check_limit<'a>(
        &'a self,
        key: &'a str,
        config: &'a RateLimitConfig,
    ) -> BackendFuture<'a, Result<RateLimitResult, LimiterBackendError>> {
        BackendFuture::boxed(async move {
            let checks = [LimitCheck { key, config }];
            self.check_limits(&checks).await
        })
    }

    /// The backend's counters, for monitoring.
    fn stats(&self) -> BackendStats;
}
