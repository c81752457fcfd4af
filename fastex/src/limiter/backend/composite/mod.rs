//! High availability: a primary backend (Redis) and a fallback (memory), with automatic
//! fail-over and recovery.

mod breaker;
mod stats;
mod strategy;

pub use breaker::CircuitBreakerState;
pub use stats::CompositeStats;
pub use strategy::{SwitchingStrategy, UnknownSwitchingStrategy};

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use breaker::{Breaker, Route};
use stats::Counters;

use super::{
    BackendFuture, BackendStats, FallbackMode, LimitCheck, LimiterBackend, LimiterBackendError,
};
use crate::RateLimitResult;

const NAME: &str = "composite";

/// Which side answers requests now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CurrentBackend {
    /// The primary.
    Primary,
    /// The fallback.
    Fallback,
}

/// A primary backend with a fallback: requests go to the primary while it is healthy and to
/// the fallback while it is not, per the [`SwitchingStrategy`].
///
/// A request whose backend fails is answered by the other one, never by an error, while the
/// other one is healthy; only when both fail does the fallback mode decide.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use fastex::limiter::backend::composite::{CompositeLimiterBackend, SwitchingStrategy};
/// use fastex::limiter::backend::memory::InMemoryLimiterBackend;
/// use fastex::limiter::backend::redis::{RedisLimiterBackend, RedisLimiterBackendConnectConfig};
///
/// let primary = Arc::new(RedisLimiterBackend::new(RedisLimiterBackendConnectConfig::new("redis://127.0.0.1:6379")));
/// let fallback = Arc::new(InMemoryLimiterBackend::new(Default::default())?);
/// let composite = CompositeLimiterBackend::builder(primary, fallback)
///     .strategy(SwitchingStrategy::CircuitBreaker)
///     .failure_threshold(5)
///     .recovery_timeout(Duration::from_secs(60))
///     .build()?;
/// # Ok::<(), fastex::limiter::backend::LimiterBackendError>(())
/// ```
#[derive(Debug)]
pub struct CompositeLimiterBackend {
    shared: Arc<Shared>,
    health_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[derive(Debug)]
struct Shared {
    primary: Arc<dyn LimiterBackend>,
    fallback: Arc<dyn LimiterBackend>,
    strategy: SwitchingStrategy,
    health_check_interval: Duration,
    fallback_mode: FallbackMode,
    breaker: Breaker,
    /// The last health check's answer (health-check strategy).
    primary_healthy: AtomicBool,
    counters: Counters,
}

/// Builds a [`CompositeLimiterBackend`]; see [`CompositeLimiterBackend::builder`].
#[derive(Debug)]
#[must_use]
pub struct CompositeBuilder {
    primary: Arc<dyn LimiterBackend>,
    fallback: Arc<dyn LimiterBackend>,
    strategy: SwitchingStrategy,
    failure_threshold: u32,
    recovery_timeout: Duration,
    health_check_interval: Duration,
    fallback_mode: Option<FallbackMode>,
}

impl CompositeBuilder {
    /// How the backend is picked (default: circuit breaker).
    pub fn strategy(mut self, strategy: SwitchingStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Consecutive primary failures that open the circuit (default 5).
    pub fn failure_threshold(mut self, failures: u32) -> Self {
        self.failure_threshold = failures;
        self
    }

    /// How long the circuit stays open before a probe (default 60 s).
    pub fn recovery_timeout(mut self, timeout: Duration) -> Self {
        self.recovery_timeout = timeout;
        self
    }

    /// How often the health-check and fail-fast strategies ask the primary (default 30 s).
    pub fn health_check_interval(mut self, interval: Duration) -> Self {
        self.health_check_interval = interval;
        self
    }

    /// What requests get when both backends fail (default: the primary's mode).
    pub fn fallback_mode(mut self, mode: FallbackMode) -> Self {
        self.fallback_mode = Some(mode);
        self
    }

    /// The backend; refuses a composite inside a composite and invalid values.
    pub fn build(self) -> Result<CompositeLimiterBackend, LimiterBackendError> {
        for (side, backend) in [("primary", &self.primary), ("fallback", &self.fallback)] {
            let backend: &dyn Any = &**backend;
            if backend.is::<CompositeLimiterBackend>() {
                return Err(LimiterBackendError::InvalidConfiguration(format!(
                    "the {side} of a composite backend cannot be a composite backend: nest the backends' sides instead"
                )));
            }
        }
        if self.failure_threshold == 0 {
            return Err(LimiterBackendError::InvalidConfiguration(
                "failure_threshold must be at least 1, got 0".into(),
            ));
        }
        if self.health_check_interval.is_zero() {
            return Err(LimiterBackendError::InvalidConfiguration(
                "health_check_interval must be longer than 0".into(),
            ));
        }
        let fallback_mode = self
            .fallback_mode
            .unwrap_or_else(|| self.primary.fallback_mode());
        Ok(CompositeLimiterBackend {
            shared: Arc::new(Shared {
                breaker: Breaker::new(self.failure_threshold, self.recovery_timeout),
                primary: self.primary,
                fallback: self.fallback,
                strategy: self.strategy,
                health_check_interval: self.health_check_interval,
                fallback_mode,
                primary_healthy: AtomicBool::new(true),
                counters: Counters::new(),
            }),
            health_task: Mutex::new(None),
        })
    }
}

impl CompositeLimiterBackend {
    /// A composite with the default settings; see [`builder`](Self::builder).
    pub fn new(
        primary: Arc<dyn LimiterBackend>,
        fallback: Arc<dyn LimiterBackend>,
    ) -> Result<Self, LimiterBackendError> {
        Self::builder(primary, fallback).build()
    }

    /// A builder for `strategy`, `failure_threshold` (5), `recovery_timeout` (60 s) and
    /// `health_check_interval` (30 s).
    pub fn builder(
        primary: Arc<dyn LimiterBackend>,
        fallback: Arc<dyn LimiterBackend>,
    ) -> CompositeBuilder {
        CompositeBuilder {
            primary,
            fallback,
            strategy: SwitchingStrategy::CircuitBreaker,
            failure_threshold: 5,
            recovery_timeout: Duration::from_secs(60),
            health_check_interval: Duration::from_secs(30),
            fallback_mode: None,
        }
    }

    /// The primary backend.
    pub fn primary(&self) -> &Arc<dyn LimiterBackend> {
        &self.shared.primary
    }

    /// The fallback backend.
    pub fn fallback(&self) -> &Arc<dyn LimiterBackend> {
        &self.shared.fallback
    }

    /// Sends every request to the primary again and resets the failure count.
    pub fn force_switch_to_primary(&self) {
        self.shared.breaker.force(false);
        self.shared.primary_healthy.store(true, Ordering::Release);
    }

    /// Sends every request to the fallback until [`force_switch_to_primary`](Self::force_switch_to_primary):
    /// for maintenance of the primary.
    pub fn force_switch_to_fallback(&self) {
        self.shared.breaker.force(true);
    }

    /// Which side a request would go to now. Only looks: it never takes the half-open probe.
    pub fn current_backend(&self) -> CurrentBackend {
        match self.shared.peek_route() {
            Route::Primary | Route::Probe => CurrentBackend::Primary,
            Route::Fallback => CurrentBackend::Fallback,
        }
    }

    /// The composite's counters.
    pub fn composite_stats(&self) -> CompositeStats {
        let shared = &self.shared;
        shared.counters.snapshot(
            shared.strategy,
            shared.breaker.state(),
            shared.breaker.failure_count(),
            (
                shared.primary.is_connected(),
                shared.fallback.is_connected(),
            ),
        )
    }

    /// The health-check strategy routes by the checks' answers; fail fast routes by
    /// `is_connected`, which a primary such as Redis only learns again from a round trip, so
    /// without the checks a disconnected primary would never be used again.
    fn start_health_checks(&self) {
        if self.shared.strategy == SwitchingStrategy::CircuitBreaker {
            return;
        }
        let mut task = self.health_task.lock().unwrap_or_else(|e| e.into_inner());
        if task.is_none() {
            let shared = Arc::downgrade(&self.shared);
            *task = Some(tokio::spawn(health_check_loop(
                shared,
                self.shared.health_check_interval,
            )));
        }
    }
}

async fn health_check_loop(shared: Weak<Shared>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let healthy = shared.primary.health_check().await;
        let was = shared.primary_healthy.swap(healthy, Ordering::AcqRel);
        if was != healthy {
            if healthy {
                tracing::info!(target: "fastex::composite", "health check: primary backend healthy, switching back to it");
            } else {
                tracing::warn!(target: "fastex::composite", "health check: primary backend unhealthy, switching to the fallback");
            }
        }
    }
}

impl Shared {
    /// Where this request goes; may take the half-open probe.
    fn route(&self) -> Route {
        self.select(Breaker::route)
    }

    /// Where a request would go, changing nothing.
    fn peek_route(&self) -> Route {
        self.select(Breaker::peek)
    }

    fn select(&self, breaker_route: fn(&Breaker) -> Route) -> Route {
        if self.breaker.state() == CircuitBreakerState::ForcedOpen {
            return Route::Fallback;
        }
        match self.strategy {
            SwitchingStrategy::CircuitBreaker => breaker_route(&self.breaker),
            SwitchingStrategy::HealthCheck if self.primary_healthy.load(Ordering::Acquire) => {
                Route::Primary
            }
            SwitchingStrategy::FailFast if self.primary.is_connected() => Route::Primary,
            _ => Route::Fallback,
        }
    }

    async fn check(
        &self,
        checks: &[LimitCheck<'_>],
    ) -> Result<RateLimitResult, LimiterBackendError> {
        let route = self.route();
        if route != Route::Fallback {
            Counters::bump(&self.counters.primary_requests);
            match self.primary.check_limits(checks).await {
                Ok(result) => {
                    self.counters.primary_succeeded();
                    self.breaker.on_success(route);
                    return Ok(result);
                }
                Err(error) => {
                    self.counters.primary_failed();
                    self.breaker.on_failure(route, &error);
                    tracing::debug!(target: "fastex::composite", %error, "primary backend failed a check; the fallback answers it");
                }
            }
        }
        Counters::bump(&self.counters.fallback_requests);
        let answer = self.fallback.check_limits(checks).await;
        if answer.is_err() {
            Counters::bump(&self.counters.fallback_errors);
        }
        answer
    }
}

impl LimiterBackend for CompositeLimiterBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Connects both sides; fails only when neither connects, naming both failures.
    fn connect(&self) -> BackendFuture<'_, Result<(), LimiterBackendError>> {
        BackendFuture::boxed(async move {
            let mut primary = self.shared.primary.connect().await;
            if primary.is_err() {
                // Keeps trying in the background, so the composite returns to the primary
                // once it is up instead of staying on the fallback for good.
                if let Err(error) = self.shared.primary.connect_in_background().await {
                    primary = Err(error);
                }
            }
            let fallback = self.shared.fallback.connect().await;
            match (primary, fallback) {
                (Err(primary), Err(fallback)) => Err(LimiterBackendError::Unavailable {
                    backend: NAME,
                    source: format!("primary: {primary}; fallback: {fallback}").into(),
                }),
                (Err(error), Ok(())) => {
                    tracing::warn!(target: "fastex::composite", %error, "primary backend did not connect; the fallback answers");
                    self.start_health_checks();
                    Ok(())
                }
                (Ok(()), Err(error)) => {
                    tracing::warn!(target: "fastex::composite", %error, "fallback backend did not connect");
                    self.start_health_checks();
                    Ok(())
                }
                (Ok(()), Ok(())) => {
                    self.start_health_checks();
                    Ok(())
                }
            }
        })
    }

    /// Connects the primary in the background (an app starts while Redis is down, on the
    /// fallback) and the fallback at once.
    fn connect_in_background(&self) -> BackendFuture<'_, Result<(), LimiterBackendError>> {
        BackendFuture::boxed(async move {
            match self.shared.primary.connect_in_background().await {
                Err(error) if !error.is_outage() => return Err(error),
                Err(error) => {
                    tracing::warn!(target: "fastex::composite", %error, "primary backend did not connect; the fallback answers");
                }
                Ok(()) => {}
            }
            self.shared.fallback.connect().await?;
            self.start_health_checks();
            Ok(())
        })
    }

    fn disconnect(&self) -> BackendFuture<'_, ()> {
        BackendFuture::boxed(async move {
            if let Some(task) = self
                .health_task
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
            {
                task.abort();
            }
            self.shared.primary.disconnect().await;
            self.shared.fallback.disconnect().await;
        })
    }

    fn is_connected(&self) -> bool {
        self.shared.primary.is_connected() || self.shared.fallback.is_connected()
    }

    fn health_check(&self) -> BackendFuture<'_, bool> {
        BackendFuture::boxed(async move {
            self.shared.primary.health_check().await || self.shared.fallback.health_check().await
        })
    }

    fn fallback_mode(&self) -> FallbackMode {
        self.shared.fallback_mode
    }

    fn check_limits<'a>(
        &'a self,
        checks: &'a [LimitCheck<'a>],
    ) -> BackendFuture<'a, Result<RateLimitResult, LimiterBackendError>> {
        BackendFuture::boxed(self.shared.check(checks))
    }

    fn stats(&self) -> BackendStats {
        BackendStats::Composite(self.composite_stats())
    }
}
