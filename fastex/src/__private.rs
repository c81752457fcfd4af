//! Support for the code `#[rate_limit]` and `#[fastex::main]` generate. Not a public API:
//! anything here may change in any release.

use std::future::Future;

pub use axum::http::request::Parts;
pub use axum::response::{IntoResponse, Response};
pub use tokio;

pub use crate::RateLimitResult;
pub use crate::limiter::http::Guard;
pub use crate::limiter::{Algorithm, RateLimitConfig};
pub use crate::runtime::{MainOverrides, run_main};

/// One `#[rate_limit(...)]` of a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitSpec {
    /// Written out in the attribute, validated at compile time.
    Fixed(RateLimitConfig),
    /// A bare `#[rate_limit]`: `DEFAULT_TIMES` per `DEFAULT_WINDOW_SECONDS` from the settings.
    FromSettings,
}

/// Everything `#[rate_limit]` knows about one handler, carried by a hidden zero-sized type.
pub trait RouteLimits: Send + Sync + 'static {
    /// The handler's module path and name, e.g. `my_app::routes::login`.
    const ROUTE: &'static str;
    /// The handler's limits, top attribute first.
    const LIMITS: &'static [LimitSpec];
    /// The registered backend's name from `backend = "name"`, or `None` for the default.
    const BACKEND: Option<&'static str> = None;

    /// The identity from `key = some_fn`; `None` keeps the peer address.
    fn identity(parts: &Parts) -> impl Future<Output = Option<String>> + Send {
        let _ = parts;
        std::future::ready(None)
    }

    /// The response from `callback = some_fn`; `None` keeps the default 429.
    fn on_limited(
        parts: &Parts,
        result: &RateLimitResult,
    ) -> impl Future<Output = Option<Response>> + Send {
        let _ = (parts, result);
        std::future::ready(None)
    }
}

/// An `async fn(&Parts) -> String`: what `key = ...` names.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a rate-limit key function",
    label = "expected `async fn(&axum::http::request::Parts) -> String`",
    note = "a key function is written `async fn by_user(parts: &axum::http::request::Parts) -> String`, and its future must be `Send`"
)]
pub trait KeyFn<'a>: Send + Sync + 'static {
    /// The future it returns.
    type Future: Future<Output = String> + Send + 'a;
    /// Calls it.
    fn call(&self, parts: &'a Parts) -> Self::Future;
}

impl<'a, F, Fut> KeyFn<'a> for F
where
    F: Fn(&'a Parts) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = String> + Send + 'a,
{
    type Future = Fut;
    fn call(&self, parts: &'a Parts) -> Fut {
        self(parts)
    }
}

/// An `async fn(&Parts, &RateLimitResult) -> impl IntoResponse`: what `callback = ...` names.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a rate-limit callback",
    label = "expected `async fn(&axum::http::request::Parts, &fastex::RateLimitResult) -> impl IntoResponse`",
    note = "a callback is written `async fn on_limited(parts: &axum::http::request::Parts, result: &fastex::RateLimitResult) -> axum::response::Response`, and its future must be `Send`"
)]
pub trait CallbackFn<'a>: Send + Sync + 'static {
    /// The future it returns.
    type Future: Future<Output = Self::Output> + Send + 'a;
    /// What the future resolves to.
    type Output: IntoResponse;
    /// Calls it.
    fn call(&self, parts: &'a Parts, result: &'a RateLimitResult) -> Self::Future;
}

impl<'a, F, Fut> CallbackFn<'a> for F
where
    F: Fn(&'a Parts, &'a RateLimitResult) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'a,
    Fut::Output: IntoResponse,
{
    type Future = Fut;
    type Output = Fut::Output;
    fn call(&self, parts: &'a Parts, result: &'a RateLimitResult) -> Fut {
        self(parts, result)
    }
}

/// Accepts `f` only when it is a key function; generated at the `key = ...` span so a
/// wrong signature is reported there.
pub const fn assert_key_fn<F: for<'a> KeyFn<'a>>(f: F) -> F {
    f
}

/// Accepts `f` only when it is a callback; generated at the `callback = ...` span.
pub const fn assert_callback_fn<F: for<'a> CallbackFn<'a>>(f: F) -> F {
    f
}

/// Runs a key function for [`RouteLimits::identity`].
pub async fn call_key_fn<F: for<'a> KeyFn<'a>>(f: F, parts: &Parts) -> Option<String> {
    Some(f.call(parts).await)
}

/// Runs a callback for [`RouteLimits::on_limited`].
pub async fn call_callback_fn<F: for<'a> CallbackFn<'a>>(
    f: F,
    parts: &Parts,
    result: &RateLimitResult,
) -> Option<Response> {
    Some(f.call(parts, result).await.into_response())
}
