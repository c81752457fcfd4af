//! Counters kept in the process: for one instance, for tests, and as the fail-over side of
//! a composite backend.

mod clock;
mod config;
mod state;
mod stats;
mod store;

pub use clock::{Clock, ManualClock, MonotonicClock};
pub use config::MemoryLimiterBackendConnectConfig;
pub use stats::MemoryStats;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

pub(crate) use state::Verdict;
use state::{FixedWindowState, SlidingLogState, SlidingWindowCounterState};
use store::{GcraStore, KeyBudget, Store};

use super::{
    BackendFuture, BackendStats, FallbackMode, LimitCheck, LimiterBackend, LimiterBackendError,
};
use crate::RateLimitResult;
use crate::limiter::Algorithm;

const NAME: &str = "memory";

/// A rate-limit backend that keeps its counters in this process.
///
/// Every check is exact under concurrency: each key's state is updated under its bucket's
/// lock (GCRA's, one atomic word, by a compare-and-swap), so `times` concurrent requests on
/// one key admit exactly `times`. A background task
/// (started by [`connect`](LimiterBackend::connect), stopped by
/// [`disconnect`](LimiterBackend::disconnect)) removes expired keys every
/// `cleanup_interval`.
///
/// ```
/// use std::sync::Arc;
/// use fastex::limiter::RateLimitConfig;
/// use fastex::limiter::backend::LimiterBackend;
/// use fastex::limiter::backend::memory::{InMemoryLimiterBackend, MemoryLimiterBackendConnectConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let backend = Arc::new(InMemoryLimiterBackend::new(MemoryLimiterBackendConnectConfig::default())?);
/// backend.connect().await?;
///
/// let limit = RateLimitConfig::new(2, 60_000); // 2 per minute
/// assert!(!backend.check_limit("login:{10.0.0.7}", &limit).await?.is_exceeded);
/// assert!(!backend.check_limit("login:{10.0.0.7}", &limit).await?.is_exceeded);
/// let third = backend.check_limit("login:{10.0.0.7}", &limit).await?;
/// assert!(third.is_exceeded);
/// assert!(third.retry_after_ms > 59_000);
///
/// backend.disconnect().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct InMemoryLimiterBackend {
    shared: Arc<Shared>,
    cleanup: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[derive(Debug)]
struct Shared {
    config: MemoryLimiterBackendConnectConfig,
    clock: Box<dyn Clock>,
    connected: AtomicBool,
    budget: KeyBudget,
    logs: Store<SlidingLogState>,
    fixed: Store<FixedWindowState>,
    counters: Store<SlidingWindowCounterState>,
    gcra: GcraStore,
    created: Instant,
    /// Microseconds after `created` at which the last cleanup finished; `u64::MAX` before.
    last_cleanup_us: AtomicU64,
}

impl InMemoryLimiterBackend {
    /// A backend on the system's monotonic clock; fails when `config` is invalid.
    pub fn new(config: MemoryLimiterBackendConnectConfig) -> Result<Self, LimiterBackendError> {
        Self::with_clock(config, MonotonicClock::new())
    }

    /// A backend reading time from `clock`, e.g. a [`ManualClock`] in tests.
    pub fn with_clock(
        config: MemoryLimiterBackendConnectConfig,
        clock: impl Clock,
    ) -> Result<Self, LimiterBackendError> {
        config.validate()?;
        Ok(InMemoryLimiterBackend {
            shared: Arc::new(Shared {
                budget: KeyBudget::new(config.max_keys),
                config,
                clock: Box::new(clock),
                connected: AtomicBool::new(false),
                logs: Store::default(),
                fixed: Store::default(),
                counters: Store::default(),
                gcra: GcraStore::default(),
                created: Instant::now(),
                last_cleanup_us: AtomicU64::new(u64::MAX),
            }),
            cleanup: Mutex::new(None),
        })
    }

    /// Checks `checks` at once, all or nothing; what
    /// [`check_limits`](LimiterBackend::check_limits) answers, without a future.
    pub fn check_now(
        &self,
        checks: &[LimitCheck<'_>],
    ) -> Result<RateLimitResult, LimiterBackendError> {
        if !self.shared.connected.load(Ordering::Acquire) {
            return Err(LimiterBackendError::NotConnected { backend: NAME });
        }
        self.shared.check(checks, self.shared.clock.now_us())
    }

    /// Removes the expired keys now, as the background task does every `cleanup_interval`;
    /// returns how many were removed.
    pub async fn cleanup(&self) -> usize {
        self.shared.cleanup().await
    }

    /// Forgets everything counted for `key`; returns whether it was tracked.
    pub fn clear_key(&self, key: &str) -> bool {
        self.shared.clear_key(key)
    }

    /// Forgets every key.
    pub fn clear_all(&self) {
        let shared = &self.shared;
        let removed = shared.logs.clear()
            + shared.fixed.clear()
            + shared.counters.clear()
            + shared.gcra.clear();
        shared.budget.release(removed);
    }

    /// The backend's counters.
    pub fn memory_stats(&self) -> MemoryStats {
        let shared = &self.shared;
        let last = shared.last_cleanup_us.load(Ordering::Acquire);
        MemoryStats {
            total_keys: shared.budget.used(),
            total_entries: shared.logs.entries()
                + shared.fixed.entries()
                + shared.counters.entries()
                + shared.gcra.entries(),
            last_cleanup: (last != u64::MAX).then(|| {
                shared
                    .created
                    .elapsed()
                    .saturating_sub(Duration::from_micros(last))
            }),
            max_keys: shared.budget.max(),
        }
    }

    fn stop_cleanup(&self) {
        let task = self
            .cleanup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = task {
            task.abort();
        }
    }
}

impl Drop for InMemoryLimiterBackend {
    fn drop(&mut self) {
        self.stop_cleanup();
    }
}

impl Shared {
    fn check(
        &self,
        checks: &[LimitCheck<'_>],
        now: u64,
    ) -> Result<RateLimitResult, LimiterBackendError> {
        // One limit, the common case: nothing to undo, nothing to rank (what the loop below
        // answers for one check, without the loop's bookkeeping on the hot path).
        if let [check] = checks {
            return Ok(self.check_one(check, now, true)?.into_result(check.config));
        }
        let mut decided: Option<RateLimitResult> = None;
        let mut refused = false;
        for (index, check) in checks.iter().enumerate() {
            let verdict = match self.check_one(check, now, !refused) {
                Ok(verdict) => verdict,
                Err(error) => {
                    if !refused {
                        self.undo(&checks[..index], now);
                    }
                    return Err(error);
                }
            };
            if !verdict.admitted && !refused {
                refused = true;
                self.undo(&checks[..index], now);
            }
            let result = verdict.into_result(check.config).decided_by(index);
            decided = Some(match decided {
                Some(best) => best.most_decisive(result),
                None => result,
            });
        }
        decided.ok_or_else(|| {
            LimiterBackendError::InvalidConfiguration(
                "check_limits needs at least one limit".into(),
            )
        })
    }

    fn check_one(
        &self,
        check: &LimitCheck<'_>,
        now: u64,
        commit: bool,
    ) -> Result<Verdict, LimiterBackendError> {
        let (key, limit, budget) = (check.key, check.config, &self.budget);
        match limit.algorithm() {
            Algorithm::SlidingWindowLog => self.logs.check(key, now, limit, commit, budget),
            Algorithm::FixedWindow => self.fixed.check(key, now, limit, commit, budget),
            Algorithm::SlidingWindowCounter => self.counters.check(key, now, limit, commit, budget),
            Algorithm::Gcra => self.gcra.check(key, now, limit, commit, budget),
        }
    }

    /// Takes back the admissions of `checks`, made at `now`, after a later limit refused.
    fn undo(&self, checks: &[LimitCheck<'_>], now: u64) {
        for check in checks {
            let (key, limit) = (check.key, check.config);
            match limit.algorithm() {
                Algorithm::SlidingWindowLog => self.logs.undo(key, now, limit),
                Algorithm::FixedWindow => self.fixed.undo(key, now, limit),
                Algorithm::SlidingWindowCounter => self.counters.undo(key, now, limit),
                Algorithm::Gcra => self.gcra.undo(key, now, limit),
            }
        }
    }

    async fn cleanup(&self) -> usize {
        let now = self.clock.now_us();
        let removed = self.logs.remove_expired(now).await
            + self.fixed.remove_expired(now).await
            + self.counters.remove_expired(now).await
            + self.gcra.remove_expired(now).await;
        self.budget.release(removed);
        self.last_cleanup_us
            .store(self.created.elapsed().as_micros() as u64, Ordering::Release);
        tracing::debug!(target: "fastex::memory", backend = NAME, removed, "removed expired rate-limit keys");
        removed
    }

    fn clear_key(&self, key: &str) -> bool {
        let removed = usize::from(self.logs.remove(key))
            + usize::from(self.fixed.remove(key))
            + usize::from(self.counters.remove(key))
            + usize::from(self.gcra.remove(key));
        self.budget.release(removed);
        removed > 0
    }
}

/// Runs the cleanup every `interval` for as long as the backend lives.
async fn cleanup_loop(shared: Weak<Shared>, interval: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        shared.cleanup().await;
    }
}

impl LimiterBackend for InMemoryLimiterBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn connect(&self) -> BackendFuture<'_, Result<(), LimiterBackendError>> {
        // Spawned when polled, so that `connect()` may be built outside the runtime.
        BackendFuture::boxed(async move {
            let mut cleanup = self.cleanup.lock().unwrap_or_else(|e| e.into_inner());
            if cleanup.is_none() {
                let shared = Arc::downgrade(&self.shared);
                let task = cleanup_loop(shared, self.shared.config.cleanup_interval);
                *cleanup = Some(tokio::spawn(task));
            }
            self.shared.connected.store(true, Ordering::Release);
            Ok(())
        })
    }

    fn disconnect(&self) -> BackendFuture<'_, ()> {
        self.shared.connected.store(false, Ordering::Release);
        self.stop_cleanup();
        BackendFuture::ready(())
    }

    fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Acquire)
    }

    fn fallback_mode(&self) -> FallbackMode {
        self.shared.config.fallback_mode
    }

    fn check_limits<'a>(
        &'a self,
        checks: &'a [LimitCheck<'a>],
    ) -> BackendFuture<'a, Result<RateLimitResult, LimiterBackendError>> {
        BackendFuture::ready(self.check_now(checks))
    }

    fn stats(&self) -> BackendStats {
        BackendStats::Memory(self.memory_stats())
    }
}
