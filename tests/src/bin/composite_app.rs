//! A service under `#[fastex::main]`, run by `tests/composite_chaos.rs` with
//! `LIMITER_BACKEND=composite`: a limited route and a `/stats` route returning the default
//! backend's stats as JSON, on `127.0.0.1:$APP_PORT` (a free port when `APP_PORT` is unset
//! or 0). It prints `listening on http://<address>` once it accepts connections.

use std::net::SocketAddr;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, response::IntoResponse};
use fastex::limiter::default_backend;
use fastex::rate_limit;

/// Five requests a second per client address: a client that keeps asking gets both.
#[rate_limit(times = 5, seconds = 1)]
async fn limited() -> &'static str {
    "ok"
}

async fn stats() -> impl IntoResponse {
    match default_backend() {
        Ok(backend) => Ok(Json(backend.stats())),
        Err(error) => Err((StatusCode::INTERNAL_SERVER_ERROR, error.to_string())),
    }
}

#[fastex::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("APP_PORT").unwrap_or_else(|_| "0".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let app = Router::new()
        .route("/limited", get(limited))
        .route("/stats", get(stats));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
