//! A tour of fastex in one command: `cargo run --example tour`.
//!
//! Starts a server on a free loopback port with four limited routes, sends requests to each
//! and prints what came back, then exits. Needs no Redis and no second terminal.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fastex::{RateLimitResult, rate_limit};
use fastex_examples::{HttpClient, serve_in_background};

/// Three requests a minute per client address.
#[rate_limit(times = 3, minutes = 1)]
async fn single() -> &'static str {
    "single: ok"
}

/// Two limits at once: a burst of at most 2 per second and 5 per minute. A request refused
/// by one limit counts against neither.
#[rate_limit(times = 5, minutes = 1)]
#[rate_limit(times = 2, seconds = 1)]
async fn stacked() -> &'static str {
    "stacked: ok"
}

/// Limits per API key instead of per address.
async fn by_api_key(parts: &Parts) -> String {
    let key = parts
        .headers
        .get("x-api-key")
        .and_then(|value| value.to_str().ok());
    format!("api-key:{}", key.unwrap_or("none"))
}

#[rate_limit(times = 2, minutes = 1, key = by_api_key)]
async fn custom_key() -> &'static str {
    "custom key: ok"
}

/// Answers a refused request with a response of our own.
async fn polite_refusal(_parts: &Parts, result: &RateLimitResult) -> Response {
    let message = format!(
        "Please wait {} s before trying again.",
        result.retry_after_secs()
    );
    (StatusCode::SERVICE_UNAVAILABLE, message).into_response()
}

#[rate_limit(times = 1, minutes = 1, callback = polite_refusal)]
async fn custom_callback() -> &'static str {
    "custom callback: ok"
}

#[fastex::main(log_level = "warn")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let app = Router::new()
        .route("/single", get(single))
        .route("/stacked", get(stacked))
        .route("/custom-key", get(custom_key))
        .route("/custom-callback", get(custom_callback));
    let addr = serve_in_background(app, "127.0.0.1:0").await?;
    let client = HttpClient::default();

    println!("fastex tour: server on http://{addr}\n");
    println!(
        "{:<18} {:<12} {:>6} {:>11} {:>5} {:>9} {:>5}  body",
        "route", "client", "status", "retry-after", "limit", "remaining", "reset"
    );
    let plan: [(&str, &str, usize); 5] = [
        ("/single", "", 4),
        ("/stacked", "", 3),
        ("/custom-key", "alice", 3),
        ("/custom-key", "bob", 1),
        ("/custom-callback", "", 2),
    ];
    for (path, api_key, count) in plan {
        for _ in 0..count {
            let headers: &[(&str, &str)] = if api_key.is_empty() {
                &[]
            } else {
                &[("x-api-key", api_key)]
            };
            let reply = client.get(&format!("http://{addr}{path}"), headers).await?;
            println!(
                "{:<18} {:<12} {:>6} {:>11} {:>5} {:>9} {:>5}  {}",
                path,
                if api_key.is_empty() {
                    "127.0.0.1"
                } else {
                    api_key
                },
                reply.status,
                reply.header("retry-after"),
                reply.header("ratelimit-limit"),
                reply.header("ratelimit-remaining"),
                reply.header("ratelimit-reset"),
                reply.body
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "\n200: admitted; 429: refused by a limit (default answer); 503 on /custom-callback: the custom answer."
    );
    Ok(())
}
