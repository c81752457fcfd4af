use std::time::Duration;

/// Counters of [`InMemoryLimiterBackend`](super::InMemoryLimiterBackend).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MemoryStats {
    /// Keys tracked now.
    pub total_keys: usize,
    /// Entries across all keys: one per counter, per timestamp of a sliding log.
    pub total_entries: usize,
    /// Time since the last cleanup finished, `None` before the first.
    #[serde(serialize_with = "seconds")]
    pub last_cleanup: Option<Duration>,
    /// The most keys tracked at once.
    pub max_keys: usize,
}

fn seconds<S: serde::Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(elapsed) => s.serialize_some(&elapsed.as_secs_f64()),
        None => s.serialize_none(),
    }
}
