use axum::Router;
use axum::http::request::Parts;
use axum::routing::get;
use fastex::{RateLimitResult, rate_limit};

struct NotAResponse;

/// Returns something that is not a response.
async fn teapot(_parts: &Parts, _result: &RateLimitResult) -> NotAResponse {
    NotAResponse
}

#[rate_limit(times = 10, seconds = 60, callback = teapot)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let _app: Router = Router::new().route("/", get(handler));
}
