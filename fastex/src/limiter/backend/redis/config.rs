use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::scripts::LuaScript;
use crate::limiter::backend::FallbackMode;
use crate::limiter::backend::memory::Clock;
use crate::limiter::settings::redact_url;

/// Where [`RedisLimiterBackend`](super::RedisLimiterBackend) finds Redis.
#[derive(Clone)]
#[non_exhaustive]
pub enum RedisSource {
    /// A `redis://` URL (`rediss://` with the `tls` feature); user, password and database
    /// number may be part of it: `redis://:secret@cache:6379/2`. The backend keeps one
    /// multiplexed connection that reconnects by itself.
    Url(String),
    /// A multiplexed connection manager you already have.
    Manager(redis::aio::ConnectionManager),
    /// A multiplexed connection you already have.
    Multiplexed(redis::aio::MultiplexedConnection),
    /// A deadpool-redis pool you already have. Each check takes a connection from it, and
    /// deadpool recycles each one with a round trip: prefer a URL when the pool exists only
    /// for fastex.
    Pool(deadpool_redis::Pool),
}

impl fmt::Debug for RedisSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisSource::Url(url) => f.debug_tuple("Url").field(&redact_url(url)).finish(),
            RedisSource::Manager(_) => f.write_str("Manager(..)"),
            RedisSource::Multiplexed(_) => f.write_str("Multiplexed(..)"),
            RedisSource::Pool(_) => f.write_str("Pool(..)"),
        }
    }
}

impl From<&str> for RedisSource {
    fn from(url: &str) -> Self {
        RedisSource::Url(url.to_owned())
    }
}

impl From<String> for RedisSource {
    fn from(url: String) -> Self {
        RedisSource::Url(url)
    }
}

/// How the backend gets its connection back after Redis went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per reconnection before the next failing check starts another round.
    pub attempts: usize,
    /// Delay before the first retry; doubles on each attempt.
    pub min_delay: Duration,
    /// Longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Two quick attempts, at most 250 ms apart, so limiting resumes within about a second
    /// of Redis coming back.
    fn default() -> Self {
        RetryPolicy {
            attempts: 2,
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(250),
        }
    }
}

/// Settings of [`RedisLimiterBackend`](super::RedisLimiterBackend).
///
/// ```
/// use std::time::Duration;
/// use fastex::limiter::backend::FallbackMode;
/// use fastex::limiter::backend::redis::RedisLimiterBackendConnectConfig;
///
/// let config = RedisLimiterBackendConnectConfig {
///     fallback_mode: FallbackMode::Deny,
///     check_timeout: Duration::from_millis(100),
///     ..RedisLimiterBackendConnectConfig::new("redis://:secret@127.0.0.1:6379/0")
/// };
/// assert!(format!("{config:?}").contains("redis://:***@127.0.0.1:6379/0"));
/// ```
#[derive(Clone)]
pub struct RedisLimiterBackendConnectConfig {
    /// Where Redis is.
    pub redis: RedisSource,
    /// What a request gets while Redis cannot answer.
    pub fallback_mode: FallbackMode,
    /// A script of your own in place of the built-in ones (see [`LuaScript`]).
    pub lua_script: Option<Arc<dyn LuaScript>>,
    /// How long connecting may take (default 1 s).
    pub connect_timeout: Duration,
    /// How long one check may take before the fallback mode answers (default 150 ms): a
    /// hung Redis must not stall requests.
    pub check_timeout: Duration,
    /// Reconnection after a failure.
    pub retry: RetryPolicy,
    /// Reads time from this clock instead of the Redis server's `TIME`: only for tests that
    /// compare backends on a manual clock.
    #[doc(hidden)]
    pub clock: Option<Arc<dyn Clock>>,
}

impl RedisLimiterBackendConnectConfig {
    /// The defaults, with Redis at `redis`.
    pub fn new(redis: impl Into<RedisSource>) -> Self {
        RedisLimiterBackendConnectConfig {
            redis: redis.into(),
            fallback_mode: FallbackMode::Allow,
            lua_script: None,
            connect_timeout: Duration::from_secs(1),
            check_timeout: Duration::from_millis(150),
            retry: RetryPolicy::default(),
            clock: None,
        }
    }
}

impl fmt::Debug for RedisLimiterBackendConnectConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimiterBackendConnectConfig")
            .field("redis", &self.redis)
            .field("fallback_mode", &self.fallback_mode)
            .field("lua_script", &self.lua_script)
            .field("connect_timeout", &self.connect_timeout)
            .field("check_timeout", &self.check_timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}
