//! Rate limiting: what a limit is, who counts it, and where the counters live.
//!
//! - [`RateLimitConfig`] and [`Algorithm`]: one limit.
//! - [`backend`]: the [`LimiterBackend`](backend::LimiterBackend) trait and the stores.
//! - [`configure_limiter`]: which backend answers.
//! - [`limiter_settings`]: settings from the environment and `fastex.toml`.

pub mod backend;
mod config;
pub(crate) mod http;
mod registry;
mod result;
mod settings;

pub use config::{
    Algorithm, InvalidRateLimit, MAX_WINDOW_MS, RateLimitConfig, UnknownAlgorithm, Window,
};
pub use http::rate_limit_headers;
pub(crate) use registry::resolve_backend;
pub use registry::{
    RateLimiterNotInitialized, configure_limiter, default_backend, named_backend, register_backend,
    registered_backends,
};
pub use result::RateLimitResult;
pub use settings::{
    BackendKind, LimiterSettings, SettingsError, UnknownBackendKind, active_settings,
    configure_settings, limiter_settings,
};
