use axum::Router;
use axum::http::request::Parts;
use axum::routing::get;
use fastex::rate_limit;

/// Not async, and returns the wrong type.
fn by_user(parts: &Parts) -> usize {
    parts.headers.len()
}

#[rate_limit(times = 10, seconds = 60, key = by_user)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let _app: Router = Router::new().route("/", get(handler));
}
