//! Rate limiting: what a limit is, who counts it, and where the counters live.
//!
//! - [`RateLimitConfig`] and [`Algorithm`]: one limit.
//! - [`backend`]: the [`LimiterBackend`](backend::LimiterBackend) trait and the stores.
//! - [`configure_limiter`]: which backend answers.
//! - [`limiter_settings`]: settings from the environment and `fastex.toml`.

pub mod backend;
mod config;
mod registry;
mod result;
mod settings;

pub use config::{
    Algorithm, InvalidRateLimit, MAX_WINDOW_MS, RateLimitConfig, UnknownAlgorithm, Window,
};
pub use registry::{
    RateLimiterNotInitialized, backend, configure_limiter, default_backend, named_backend,
    register_backend, registered_backends,
};
pub use result::RateLimitResult;
pub use settings::{LimiterSettings, SettingsError, limiter_settings};
