//! Production-grade rate limiting for axum, through attributes.
//!
//! fastex is the Rust successor of the Python FastEx toolkit: limits written as attributes
//! on handlers, counted in memory, in Redis or in a composite of both that survives a Redis
//! outage, with settings from the environment and structured logs.
//!
//! Start with [`limiter`]: [`RateLimitConfig`](limiter::RateLimitConfig) describes a limit,
//! a [`LimiterBackend`](limiter::backend::LimiterBackend) counts it.

pub mod limiter;
pub mod logging;
mod named;
mod runtime;

#[doc(hidden)]
pub mod __private;

pub use limiter::RateLimitResult;

// The attribute macros; their docs are on the items in fastex-macros and show here.
pub use fastex_macros::{main, rate_limit};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
