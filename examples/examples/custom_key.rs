//! Limits per user instead of per address: `cargo run --example custom_key`.

use axum::Router;
use axum::http::request::Parts;
use axum::routing::get;
use fastex::rate_limit;
use fastex_examples::{HttpClient, serve_in_background};

/// The identity a limit counts by. fastex bounds its length and hashes odd characters, so
/// a client cannot grow keys or pick another client's Redis slot through it.
async fn by_user(parts: &Parts) -> String {
    let user = parts
        .headers
        .get("x-user-id")
        .and_then(|value| value.to_str().ok());
    format!("user:{}", user.unwrap_or("anonymous"))
}

#[rate_limit(times = 2, minutes = 1, key = by_user)]
async fn user_data() -> &'static str {
    "your data"
}

#[fastex::main(log_level = "warn")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr = serve_in_background(Router::new().route("/", get(user_data)), "127.0.0.1:0").await?;
    let client = HttpClient::default();
    for user in ["alice", "alice", "alice", "bob"] {
        let reply = client
            .get(&format!("http://{addr}/"), &[("x-user-id", user)])
            .await?;
        println!("{user:<6} -> {}", reply.status);
    }
    Ok(())
}
