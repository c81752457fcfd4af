//! `key` and `callback`: functions by path, returning any `IntoResponse`.

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fastex::{RateLimitResult, rate_limit};

async fn by_user(parts: &Parts) -> String {
    parts
        .headers
        .get("x-user")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("anonymous")
        .to_owned()
}

async fn teapot(_parts: &Parts, _result: &RateLimitResult) -> Response {
    StatusCode::IM_A_TEAPOT.into_response()
}

async fn plain_status(_parts: &Parts, _result: &RateLimitResult) -> StatusCode {
    StatusCode::SERVICE_UNAVAILABLE
}

async fn with_body(_parts: &Parts, _result: &RateLimitResult) -> (StatusCode, String) {
    (StatusCode::TOO_MANY_REQUESTS, "slow down".to_owned())
}

mod auth {
    use axum::http::request::Parts;

    pub(crate) async fn by_api_key(parts: &Parts) -> String {
        parts.uri.path().to_owned()
    }
}

#[rate_limit(times = 2, seconds = 60, key = by_user, callback = teapot)]
async fn user() -> &'static str {
    "ok"
}

#[rate_limit(times = 2, seconds = 60, key = by_user)]
async fn key_only() -> &'static str {
    "ok"
}

#[rate_limit(times = 2, seconds = 60, callback = plain_status)]
async fn status_callback() -> &'static str {
    "ok"
}

#[rate_limit("2/minute", callback = with_body, key = crate::auth::by_api_key)]
async fn tuple_callback_and_module_key() -> &'static str {
    "ok"
}

/// `key` and `callback` on different attributes of a stack, and the same `key` twice.
#[rate_limit(times = 5, minutes = 1, key = by_user)]
#[rate_limit(times = 1, seconds = 1, callback = teapot, key = by_user)]
async fn stacked() -> &'static str {
    "ok"
}

/// A bare limit with a key: the settings' default limit, per user.
#[rate_limit(key = by_user)]
async fn default_per_user() -> &'static str {
    "ok"
}

fn main() {
    let _app: Router = Router::new()
        .route("/user", get(user))
        .route("/key", get(key_only))
        .route("/status", get(status_callback))
        .route("/tuple", get(tuple_callback_and_module_key))
        .route("/stacked", get(stacked))
        .route("/default", get(default_per_user));
}
