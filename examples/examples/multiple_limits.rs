//! Stacked limits: `cargo run --example multiple_limits`.
//!
//! A burst limit and a sustained limit on one route, checked in one backend call, all or
//! nothing: a request refused by one limit does not use up the other.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use fastex::rate_limit;
use fastex_examples::{HttpClient, serve_in_background};

#[rate_limit(times = 4, minutes = 1)] // sustained
#[rate_limit(times = 1, milliseconds = 500, algorithm = "gcra")] // burst
async fn sensitive() -> &'static str {
    "sensitive data"
}

#[fastex::main(log_level = "warn")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr = serve_in_background(Router::new().route("/", get(sensitive)), "127.0.0.1:0").await?;
    let client = HttpClient::default();
    for round in 1..=5 {
        for attempt in 1..=2 {
            let reply = client.get(&format!("http://{addr}/"), &[]).await?;
            println!(
                "round {round} attempt {attempt}: {} (limit {}, remaining {})",
                reply.status,
                reply.header("ratelimit-limit"),
                reply.header("ratelimit-remaining")
            );
        }
        tokio::time::sleep(Duration::from_millis(550)).await;
    }
    Ok(())
}
