//! What `#[fastex::main]` runs around the user's `main`: settings, logging, the backend.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::limiter::backend::composite::CompositeLimiterBackend;
use crate::limiter::backend::memory::InMemoryLimiterBackend;
use crate::limiter::backend::redis::RedisLimiterBackend;
use crate::limiter::backend::{LimiterBackend, LimiterBackendError};
use crate::limiter::{
    BackendKind, LimiterSettings, configure_limiter, configure_settings, registered_backends,
};
use crate::logging::configure_logging;

/// Literal arguments of `#[fastex::main(...)]`, already validated at compile time; each
/// overrides the setting of the same name.
#[derive(Debug, Clone, Copy, Default)]
pub struct MainOverrides {
    /// `backend = "memory" | "redis" | "composite"`.
    pub backend: Option<&'static str>,
    /// `redis_url = "redis://..."`.
    pub redis_url: Option<&'static str>,
    /// `fallback_mode = "allow" | "deny" | "raise"`.
    pub fallback_mode: Option<&'static str>,
    /// `log_level = "info"`, ...
    pub log_level: Option<&'static str>,
    /// `log_format = "pretty" | "compact" | "json"`.
    pub log_format: Option<&'static str>,
}

impl MainOverrides {
    /// The override for the setting read from the environment variable `name`.
    fn get(&self, name: &str) -> Option<&'static str> {
        match name {
            "LIMITER_BACKEND" => self.backend,
            "LIMITER_REDIS_URL" => self.redis_url,
            "LIMITER_FALLBACK_MODE" => self.fallback_mode,
            "LIMITER_LOG_LEVEL" => self.log_level,
            "LIMITER_LOG_FORMAT" => self.log_format,
            _ => None,
        }
    }
}

/// Loads the settings, sets up logging and the backend, runs `body`, then disconnects every
/// registered backend. A settings error ends the process with one line on stderr and
/// status 2.
pub async fn run_main<F: Future>(overrides: MainOverrides, body: F) -> F::Output {
    let settings = LimiterSettings::from_lookup(|name| {
        overrides
            .get(name)
            .map(str::to_owned)
            .or_else(|| std::env::var(name).ok())
    })
    .unwrap_or_else(|error| exit_with(&error));
    configure_logging(settings.log_level, settings.log_format);
    let backend = start_backend(&settings)
        .await
        .unwrap_or_else(|error| exit_with(&error));
    tracing::info!(
        target: "fastex::runtime",
        backend = backend.name(),
        fallback_mode = %backend.fallback_mode(),
        settings = ?settings,
        "rate limiter ready"
    );
    configure_limiter(backend);
    configure_settings(settings);

    let output = body.await;

    for backend in registered_backends() {
        backend.disconnect().await;
    }
    output
}

/// Builds and connects the backend the settings name. Every backend connects in the
/// background, so the service comes up while Redis is down (answering by the fallback mode,
/// or from memory for a composite).
async fn start_backend(settings: &LimiterSettings) -> Result<Arc<dyn LimiterBackend>, String> {
    let backend = build_backend(settings).map_err(|error| error.to_string())?;
    backend
        .connect_in_background()
        .await
        .map_err(|error| error.to_string())?;
    Ok(backend)
}

fn build_backend(
    settings: &LimiterSettings,
) -> Result<Arc<dyn LimiterBackend>, LimiterBackendError> {
    let memory = || InMemoryLimiterBackend::new(settings.memory_config());
    let redis = || {
        settings
            .redis_config()
            .map(RedisLimiterBackend::new)
            .ok_or_else(|| {
                LimiterBackendError::InvalidConfiguration(format!(
                    "LIMITER_BACKEND={}: this backend needs a Redis URL: set REDIS_URL",
                    settings.backend
                ))
            })
    };
    Ok(match settings.backend {
        BackendKind::Memory => Arc::new(memory()?),
        BackendKind::Redis => Arc::new(redis()?),
        BackendKind::Composite => Arc::new(
            CompositeLimiterBackend::builder(Arc::new(redis()?), Arc::new(memory()?))
                .strategy(settings.composite_strategy)
                .failure_threshold(settings.composite_failure_threshold)
                .recovery_timeout(Duration::from_secs(
                    settings.composite_recovery_timeout_seconds,
                ))
                .health_check_interval(Duration::from_secs(
                    settings.composite_health_check_interval_seconds,
                ))
                .build()?,
        ),
    })
}

fn exit_with(error: &dyn std::fmt::Display) -> ! {
    eprintln!("fastex: {error}");
    std::process::exit(2)
}
