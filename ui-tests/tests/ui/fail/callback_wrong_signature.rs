use axum::Router;
use axum::http::request::Parts;
use axum::routing::get;
use fastex::rate_limit;

/// Forgets the `&RateLimitResult` argument.
async fn teapot(_parts: &Parts) -> &'static str {
    "I'm a teapot"
}

#[rate_limit(times = 10, seconds = 60, callback = teapot)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let _app: Router = Router::new().route("/", get(handler));
}
