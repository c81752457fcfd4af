//! Counters kept in Redis: one limit shared by every instance of a service.
//!
//! Each check is one `EVALSHA` of a script that reads the server's clock, checks every
//! stacked limit and counts the request in all of them or none, whatever their number.

mod config;
mod connection;
mod error;
pub mod scripts;
mod stats;

pub use config::{RedisLimiterBackendConnectConfig, RedisSource, RetryPolicy};
pub use scripts::{FileBasedScript, LuaScript};
pub use stats::RedisStats;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use redis::Value;

use connection::Connection;
use error::{NAME, classify, is_noscript};
use scripts::{CHECK_LIMITS, LoadedScript};
use stats::Counters;

use super::memory::Verdict;
use super::{
    BackendFuture, BackendStats, FallbackMode, LimitCheck, LimiterBackend, LimiterBackendError,
};
use crate::RateLimitResult;

/// A rate-limit backend on Redis, for limits shared across instances.
///
/// ```no_run
/// use std::sync::Arc;
/// use fastex::limiter::{RateLimitConfig, configure_limiter};
/// use fastex::limiter::backend::LimiterBackend;
/// use fastex::limiter::backend::redis::{RedisLimiterBackend, RedisLimiterBackendConnectConfig};
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let backend = Arc::new(RedisLimiterBackend::new(RedisLimiterBackendConnectConfig::new(
///     "redis://127.0.0.1:6379/0",
/// )));
/// backend.connect().await?; // a clear error when Redis cannot be reached
/// let result = backend.check_limit("login:{alice}", &RateLimitConfig::new(3, 60_000)).await?;
/// assert!(!result.is_exceeded);
/// configure_limiter(backend);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisLimiterBackend {
    config: RedisLimiterBackendConnectConfig,
    connection: ArcSwapOption<ConnectionSlot>,
    /// Whether the last round trip reached Redis; shared with the background connector.
    healthy: Arc<AtomicBool>,
    check_script: LoadedScript,
    /// A user's script and its loaded form.
    custom_script: Option<(Arc<dyn LuaScript>, LoadedScript)>,
    /// Makes sliding-log members unique across instances: random per backend, then a count.
    instance: u64,
    sequence: AtomicU64,
    counters: Counters,
    watcher: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The connection behind an `Arc`, swapped in on connect and out on disconnect.
struct ConnectionSlot(Connection);

impl std::fmt::Debug for ConnectionSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connection")
    }
}

impl RedisLimiterBackend {
    /// A backend that will use `config` once connected.
    pub fn new(config: RedisLimiterBackendConnectConfig) -> Self {
        let custom_script = config
            .lua_script
            .as_ref()
            .map(|script| (Arc::clone(script), LoadedScript::new(&script.script())));
        RedisLimiterBackend {
            config,
            connection: ArcSwapOption::empty(),
            healthy: Arc::new(AtomicBool::new(false)),
            check_script: LoadedScript::new(CHECK_LIMITS),
            custom_script,
            instance: rand::random(),
            sequence: AtomicU64::new(0),
            counters: Counters::default(),
            watcher: Mutex::new(None),
        }
    }

    /// Installs a connection that reconnects by itself and watches for Redis: a warning
    /// once while it cannot be reached, a line when it answers.
    async fn start_in_background(&self) -> Result<(), LimiterBackendError> {
        let connection = Connection::new(&self.config)?;
        self.connection
            .store(Some(Arc::new(ConnectionSlot(connection.clone()))));
        let check_script = self.check_script.clone();
        let healthy = Arc::clone(&self.healthy);
        let (retry, url) = (self.config.retry.max_delay, self.redacted_source());
        let watcher = tokio::spawn(async move {
            let mut warned = false;
            loop {
                match load(&connection, &check_script).await {
                    Ok(()) => {
                        healthy.store(true, Ordering::Relaxed);
                        if warned {
                            tracing::info!(target: "fastex::redis", backend = NAME, redis = %url, "Redis answers; limiting resumes");
                        }
                        return;
                    }
                    Err(error) if !warned => {
                        warned = true;
                        tracing::warn!(
                            target: "fastex::redis",
                            backend = NAME,
                            redis = %url,
                            %error,
                            "Redis cannot be reached; requests get the fallback mode until it can"
                        );
                    }
                    Err(_) => {}
                }
                tokio::time::sleep(retry).await;
            }
        });
        if let Some(previous) = self
            .watcher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(watcher)
        {
            previous.abort();
        }
        Ok(())
    }

    /// The backend's counters.
    pub fn redis_stats(&self) -> RedisStats {
        self.counters.snapshot(self.is_connected())
    }

    fn redacted_source(&self) -> String {
        format!("{:?}", self.config.redis)
    }

    async fn check(
        &self,
        checks: &[LimitCheck<'_>],
    ) -> Result<RateLimitResult, LimiterBackendError> {
        if checks.is_empty() {
            return Err(LimiterBackendError::InvalidConfiguration(
                "check_limits needs at least one limit".into(),
            ));
        }
        let Some(slot) = self.connection.load_full() else {
            return Err(LimiterBackendError::NotConnected { backend: NAME });
        };
        let answer = match &self.custom_script {
            None => {
                tokio::time::timeout(self.config.check_timeout, self.run_builtin(&slot.0, checks))
                    .await
            }
            Some((lua, script)) => {
                tokio::time::timeout(
                    self.config.check_timeout,
                    self.run_custom(&slot.0, lua.as_ref(), script, checks),
                )
                .await
            }
        };
        let outcome = match answer {
            Ok(outcome) => outcome,
            Err(_elapsed) => {
                Counters::bump(&self.counters.timeouts);
                Err(LimiterBackendError::Timeout {
                    backend: NAME,
                    after: self.config.check_timeout,
                })
            }
        };
        match &outcome {
            Ok(_) => {
                Counters::bump(&self.counters.checks);
                self.healthy.store(true, Ordering::Relaxed);
            }
            Err(error) => {
                Counters::bump(&self.counters.errors);
                if error.is_outage() {
                    self.healthy.store(false, Ordering::Relaxed);
                }
            }
        }
        outcome
    }

    /// One `EVALSHA` of the built-in script for every limit at once.
    async fn run_builtin(
        &self,
        connection: &Connection,
        checks: &[LimitCheck<'_>],
    ) -> Result<RateLimitResult, LimiterBackendError> {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(self.check_script.sha()).arg(checks.len());
        for check in checks {
            cmd.arg(check.key);
        }
        match &self.config.clock {
            Some(clock) => cmd.arg(clock.now_us()),
            None => cmd.arg(""),
        };
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        cmd.arg(format!("{:x}.{sequence:x}", self.instance));
        for check in checks {
            let limit = check.config;
            cmd.arg(limit.algorithm().name())
                .arg(limit.times())
                .arg(limit.window_us());
        }
        let reply: Vec<i64> = self
            .query_reloading(connection, &self.check_script, &cmd)
            .await?;
        if reply.len() != 4 * checks.len() || reply.iter().any(|&n| n < 0) {
            return Err(LimiterBackendError::Script {
                backend: NAME,
                message: format!(
                    "expected {} non-negative integers, got {reply:?}",
                    4 * checks.len()
                ),
            });
        }
        let results = checks
            .iter()
            .zip(reply.chunks_exact(4))
            .map(|(check, verdict)| {
                Verdict {
                    admitted: verdict[0] == 1,
                    retry_us: verdict[1] as u64,
                    remaining: verdict[2].min(i64::from(u32::MAX)) as u32,
                    reset_us: verdict[3] as u64,
                }
                .into_result(check.config)
            });
        RateLimitResult::decide(results).ok_or_else(|| {
            LimiterBackendError::InvalidConfiguration(
                "check_limits needs at least one limit".into(),
            )
        })
    }

    /// A user's script, once per limit, all in one pipelined round trip. Each limit counts
    /// on its own: all-or-nothing is the built-in script's guarantee, not a custom one's.
    async fn run_custom(
        &self,
        connection: &Connection,
        lua: &dyn LuaScript,
        script: &LoadedScript,
        checks: &[LimitCheck<'_>],
    ) -> Result<RateLimitResult, LimiterBackendError> {
        let extra = lua.extra_params();
        let mut pipeline = redis::pipe();
        for check in checks {
            let call = pipeline
                .cmd("EVALSHA")
                .arg(script.sha())
                .arg(1)
                .arg(check.key);
            call.arg(check.config.times())
                .arg(check.config.window_ms())
                .arg(&extra);
        }
        let replies: Vec<Value> = match connection.query_pipeline(&pipeline).await {
            Err(error) if is_noscript(&error) => {
                self.reload(connection, script).await?;
                connection
                    .query_pipeline(&pipeline)
                    .await
                    .map_err(classify)?
            }
            other => other.map_err(classify)?,
        };
        if replies.len() != checks.len() {
            return Err(LimiterBackendError::Script {
                backend: NAME,
                message: format!("expected {} replies, got {}", checks.len(), replies.len()),
            });
        }
        let mut results = Vec::with_capacity(checks.len());
        for (check, reply) in checks.iter().zip(&replies) {
            let (retry_after_ms, current) =
                lua.parse_result(reply)
                    .map_err(|message| LimiterBackendError::Script {
                        backend: NAME,
                        message,
                    })?;
            let times = check.config.times();
            let remaining = u64::from(times).saturating_sub(current) as u32;
            results.push(if retry_after_ms > 0 {
                RateLimitResult::denied(
                    times,
                    retry_after_ms,
                    Duration::from_millis(retry_after_ms),
                )
            } else {
                RateLimitResult::allowed(times, remaining, check.config.window())
            });
        }
        RateLimitResult::decide(results).ok_or_else(|| {
            LimiterBackendError::InvalidConfiguration(
                "check_limits needs at least one limit".into(),
            )
        })
    }

    /// Runs `cmd`; after `NOSCRIPT` (Redis restarted, failed over or flushed its scripts)
    /// loads `script` again and retries once, so no error reaches the request.
    async fn query_reloading<T: redis::FromRedisValue>(
        &self,
        connection: &Connection,
        script: &LoadedScript,
        cmd: &redis::Cmd,
    ) -> Result<T, LimiterBackendError> {
        match connection.query(cmd).await {
            Err(error) if is_noscript(&error) => {
                self.reload(connection, script).await?;
                connection.query(cmd).await.map_err(classify)
            }
            other => other.map_err(classify),
        }
    }

    async fn reload(
        &self,
        connection: &Connection,
        script: &LoadedScript,
    ) -> Result<(), LimiterBackendError> {
        Counters::bump(&self.counters.script_reloads);
        tracing::info!(target: "fastex::redis", backend = NAME, sha = script.sha(), "reloading a script after NOSCRIPT");
        load(connection, script).await.map_err(classify)
    }
}

/// `SCRIPT LOAD`, which also proves the server answers.
async fn load(connection: &Connection, script: &LoadedScript) -> redis::RedisResult<()> {
    let mut cmd = redis::cmd("SCRIPT");
    cmd.arg("LOAD").arg(script.source());
    let _sha: String = connection.query(&cmd).await?;
    Ok(())
}

impl LimiterBackend for RedisLimiterBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Connects and loads the scripts; a clear error when Redis cannot be reached, refuses
    /// the credentials or the URL is invalid.
    fn connect(&self) -> BackendFuture<'_, Result<(), LimiterBackendError>> {
        BackendFuture::boxed(async move {
            let connection = Connection::new(&self.config)?;
            let source = self.redacted_source();
            let loading = async {
                load(&connection, &self.check_script).await?;
                if let Some((_, custom)) = &self.custom_script {
                    load(&connection, custom).await?;
                }
                Ok::<_, redis::RedisError>(())
            };
            match tokio::time::timeout(self.config.connect_timeout, loading).await {
                Ok(Ok(())) => {}
                Ok(Err(error))
                    if error.kind() == redis::ErrorKind::AuthenticationFailed
                        || matches!(error.code(), Some("NOAUTH" | "WRONGPASS")) =>
                {
                    return Err(LimiterBackendError::InvalidConfiguration(format!(
                        "Redis at {source} refused the credentials: {error}"
                    )));
                }
                Ok(Err(error)) => {
                    return Err(LimiterBackendError::Unavailable {
                        backend: NAME,
                        source: format!("cannot reach Redis at {source}: {error}").into(),
                    });
                }
                Err(_) => {
                    return Err(LimiterBackendError::Timeout {
                        backend: NAME,
                        after: self.config.connect_timeout,
                    });
                }
            }
            self.connection
                .store(Some(Arc::new(ConnectionSlot(connection))));
            self.healthy.store(true, Ordering::Relaxed);
            Ok(())
        })
    }

    /// Comes up while Redis is down: checks answer by the fallback mode until Redis can be
    /// reached, a warning is logged once, and another line when Redis answers.
    fn connect_in_background(&self) -> BackendFuture<'_, Result<(), LimiterBackendError>> {
        BackendFuture::boxed(self.start_in_background())
    }

    fn disconnect(&self) -> BackendFuture<'_, ()> {
        if let Some(watcher) = self
            .watcher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            watcher.abort();
        }
        self.connection.store(None);
        self.healthy.store(false, Ordering::Relaxed);
        BackendFuture::ready(())
    }

    fn is_connected(&self) -> bool {
        self.connection.load().is_some() && self.healthy.load(Ordering::Relaxed)
    }

    fn health_check(&self) -> BackendFuture<'_, bool> {
        BackendFuture::boxed(async move {
            let Some(slot) = self.connection.load_full() else {
                return false;
            };
            let cmd = redis::cmd("PING");
            let ping = slot.0.query::<String>(&cmd);
            let healthy = matches!(
                tokio::time::timeout(self.config.check_timeout, ping).await,
                Ok(Ok(_))
            );
            self.healthy.store(healthy, Ordering::Relaxed);
            healthy
        })
    }

    fn fallback_mode(&self) -> FallbackMode {
        self.config.fallback_mode
    }

    fn check_limits<'a>(
        &'a self,
        checks: &'a [LimitCheck<'a>],
    ) -> BackendFuture<'a, Result<RateLimitResult, LimiterBackendError>> {
        BackendFuture::boxed(self.check(checks))
    }

    fn stats(&self) -> BackendStats {
        BackendStats::Redis(self.redis_stats())
    }
}
