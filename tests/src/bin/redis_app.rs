//! A service under `#[fastex::main]`, run by `tests/redis_http.rs` with `REDIS_URL` set:
//! one limited route on `127.0.0.1:$APP_PORT` (a free port when `APP_PORT` is unset or 0).
//! It prints `listening on http://<address>` once it accepts connections.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use fastex::rate_limit;

#[rate_limit(times = 2, seconds = 60)]
async fn limited() -> &'static str {
    "ok"
}

#[fastex::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("APP_PORT").unwrap_or_else(|_| "0".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let app = Router::new().route("/limited", get(limited));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
