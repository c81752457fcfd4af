use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of [`RedisLimiterBackend`](super::RedisLimiterBackend).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RedisStats {
    /// Whether the last round trip succeeded.
    pub connected: bool,
    /// Checks answered by Redis.
    pub checks: u64,
    /// Checks Redis could not answer (connection errors, timeouts, script errors).
    pub errors: u64,
    /// Of those, the ones that ran out of time.
    pub timeouts: u64,
    /// Times a script was loaded again after `NOSCRIPT` (a restart, a fail-over, a flush).
    pub script_reloads: u64,
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) checks: AtomicU64,
    pub(super) errors: AtomicU64,
    pub(super) timeouts: AtomicU64,
    pub(super) script_reloads: AtomicU64,
}

impl Counters {
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self, connected: bool) -> RedisStats {
        RedisStats {
            connected,
            checks: self.checks.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            script_reloads: self.script_reloads.load(Ordering::Relaxed),
        }
    }
}
