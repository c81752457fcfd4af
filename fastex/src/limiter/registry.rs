//! Which backend answers: a default one and any number of named ones, swapped atomically.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use arc_swap::ArcSwap;

use super::backend::LimiterBackend;

#[derive(Default)]
struct Registry {
    default: Option<Arc<dyn LimiterBackend>>,
    named: HashMap<String, Arc<dyn LimiterBackend>>,
}

/// Read on every request, written at start-up: a lock-free load, a copy on write.
static REGISTRY: LazyLock<ArcSwap<Registry>> = LazyLock::new(ArcSwap::default);

/// No backend answers for a request yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimiterNotInitialized {
    /// No default backend was configured.
    #[error(
        "no rate-limit backend is configured: call fastex::limiter::configure_limiter(backend) at start-up, or use #[fastex::main]"
    )]
    NoDefault,
    /// No backend of that name was registered.
    #[error(
        "no rate-limit backend named `{0}` is registered: call fastex::limiter::register_backend(\"{0}\", backend) at start-up"
    )]
    UnknownName(String),
}

/// Makes `backend` the one every limit without a `backend = "name"` uses.
///
/// Replaces any backend configured before; connect it first.
///
/// ```
/// use std::sync::Arc;
/// use fastex::limiter::{configure_limiter, default_backend};
/// use fastex::limiter::backend::memory::InMemoryLimiterBackend;
///
/// let memory = Arc::new(InMemoryLimiterBackend::new(Default::default()).unwrap());
/// configure_limiter(memory);
/// assert_eq!(default_backend().unwrap().name(), "memory");
/// ```
pub fn configure_limiter(backend: Arc<dyn LimiterBackend>) {
    REGISTRY.rcu(|registry| {
        Arc::new(Registry {
            default: Some(backend.clone()),
            named: registry.named.clone(),
        })
    });
}

/// Registers `backend` under `name`, for limits written `backend = "name"`.
pub fn register_backend(name: impl Into<String>, backend: Arc<dyn LimiterBackend>) {
    let name = name.into();
    REGISTRY.rcu(|registry| {
        let mut named = registry.named.clone();
        named.insert(name.clone(), backend.clone());
        Arc::new(Registry {
            default: registry.default.clone(),
            named,
        })
    });
}

/// The default backend.
pub fn default_backend() -> Result<Arc<dyn LimiterBackend>, RateLimiterNotInitialized> {
    REGISTRY
        .load()
        .default
        .clone()
        .ok_or(RateLimiterNotInitialized::NoDefault)
}

/// The backend registered as `name`.
pub fn named_backend(name: &str) -> Result<Arc<dyn LimiterBackend>, RateLimiterNotInitialized> {
    REGISTRY
        .load()
        .named
        .get(name)
        .cloned()
        .ok_or_else(|| RateLimiterNotInitialized::UnknownName(name.to_owned()))
}

/// The backend registered as `name`, or the default one for `None`.
pub(crate) fn resolve_backend(
    name: Option<&str>,
) -> Result<Arc<dyn LimiterBackend>, RateLimiterNotInitialized> {
    match name {
        Some(name) => named_backend(name),
        None => default_backend(),
    }
}

/// Every backend registered, the default one first; for shutting them all down.
pub fn registered_backends() -> Vec<Arc<dyn LimiterBackend>> {
    let registry = REGISTRY.load();
    registry
        .default
        .iter()
        .chain(registry.named.values())
        .cloned()
        .collect()
}
