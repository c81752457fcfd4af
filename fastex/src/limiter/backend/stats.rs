use super::memory::MemoryStats;

/// A backend's counters, for monitoring; serializes to JSON for a `/stats` route.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BackendStats {
    /// [`InMemoryLimiterBackend`](super::memory::InMemoryLimiterBackend)'s counters.
    Memory(MemoryStats),
    /// A backend that keeps no counters.
    None,
}
