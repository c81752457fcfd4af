//! A custom answer for refused requests: `cargo run --example custom_callback`.

use axum::Router;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fastex::{RateLimitResult, rate_limit};
use fastex_examples::{HttpClient, serve_in_background};

/// Runs instead of the default 429; it may log, count, or answer anything.
async fn on_limited(parts: &Parts, result: &RateLimitResult) -> Response {
    tracing::warn!(path = %parts.uri.path(), retry_after_ms = result.retry_after_ms, "rate limited");
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(serde_json::json!({
            "error": "rate_limited",
            "retry_after_ms": result.retry_after_ms,
            "limit": result.limit_times,
        })),
    )
        .into_response();
    response.headers_mut().insert(
        "x-ratelimit-retry-after-ms",
        HeaderValue::from(result.retry_after_ms),
    );
    response
}

#[rate_limit(times = 1, minutes = 1, callback = on_limited)]
async fn limited() -> &'static str {
    "limited data"
}

#[fastex::main(log_level = "warn")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr = serve_in_background(Router::new().route("/", get(limited)), "127.0.0.1:0").await?;
    let client = HttpClient::default();
    for _ in 0..2 {
        let reply = client.get(&format!("http://{addr}/"), &[]).await?;
        println!(
            "{} {} {}",
            reply.status,
            reply.header("x-ratelimit-retry-after-ms"),
            reply.body
        );
    }
    Ok(())
}
