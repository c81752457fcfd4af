use super::composite::CompositeStats;
use super::memory::MemoryStats;
use super::redis::RedisStats;

/// A backend's counters, for monitoring; serializes to JSON for a `/stats` route.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BackendStats {
    /// [`InMemoryLimiterBackend`](super::memory::InMemoryLimiterBackend)'s counters.
    Memory(MemoryStats),
    /// [`RedisLimiterBackend`](super::redis::RedisLimiterBackend)'s counters.
    Redis(RedisStats),
    /// [`CompositeLimiterBackend`](super::composite::CompositeLimiterBackend)'s counters.
    Composite(CompositeStats),
    /// A backend that keeps no counters.
    None,
}
