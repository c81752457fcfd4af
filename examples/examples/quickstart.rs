//! The quickstart: `cargo run --example quickstart`, then in another terminal:
//!
//! ```text
//! for i in 1 2 3 4; do curl -i http://127.0.0.1:3000/; done
//! ```
//!
//! The fourth request within a minute gets HTTP 429 with `Retry-After`.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use fastex::rate_limit;

#[rate_limit(times = 3, minutes = 1)]
async fn hello() -> &'static str {
    "Hello from a rate-limited route\n"
}

#[fastex::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new().route("/", get(hello));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://127.0.0.1:3000");
    println!("try: for i in 1 2 3 4; do curl -i http://127.0.0.1:3000/; done");
    // The peer address is what the default limits count by: serve with ConnectInfo.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
