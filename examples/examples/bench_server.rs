//! The server side of `scripts/bench-http.sh`: the same trivial handler, bare and under each
//! rate limiter, each on its own port, so one load generator measures them in one run.
//!
//! ```text
//! BENCH_PORT=8100 cargo run --release --example bench_server
//! ```
//!
//! Ports: base = bare, +1 = `#[rate_limit]` GCRA on memory, +2 = tower_governor's GCRA with
//! the same quota, +3 = `#[rate_limit]` sliding window (the default algorithm) on memory,
//! +4 = `#[rate_limit]` GCRA on Redis when `REDIS_URL` is set. Every limit is far above the
//! load, so every request is admitted and what is measured is the cost of checking.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use fastex::limiter::backend::LimiterBackend;
use fastex::limiter::backend::redis::{RedisLimiterBackend, RedisLimiterBackendConnectConfig};
use fastex::limiter::register_backend;
use fastex::rate_limit;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

async fn bare() -> &'static str {
    "ok"
}

#[rate_limit(times = 1_000_000_000, seconds = 1, algorithm = "gcra")]
async fn fastex_gcra() -> &'static str {
    "ok"
}

#[rate_limit(times = 1_000_000, seconds = 1)]
async fn fastex_sliding_window() -> &'static str {
    "ok"
}

#[rate_limit(
    times = 1_000_000_000,
    seconds = 1,
    algorithm = "gcra",
    backend = "redis"
)]
async fn fastex_redis() -> &'static str {
    "ok"
}

async fn serve(app: Router, port: u16) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

// Memory as the default backend even when REDIS_URL is set: Redis is the named one.
#[fastex::main(backend = "memory", log_level = "warn")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let base: u16 = std::env::var("BENCH_PORT").map_or(Ok(8100), |port| port.parse())?;
    // One token per nanosecond with a burst of u32::MAX: the same "never refuse" quota.
    let governor = GovernorConfigBuilder::default()
        .per_nanosecond(1)
        .burst_size(u32::MAX)
        .finish()
        .ok_or("invalid tower_governor quota")?;

    let mut servers = vec![
        tokio::spawn(serve(Router::new().route("/", get(bare)), base)),
        tokio::spawn(serve(Router::new().route("/", get(fastex_gcra)), base + 1)),
        tokio::spawn(serve(
            Router::new()
                .route("/", get(bare))
                .layer(GovernorLayer::new(Arc::new(governor))),
            base + 2,
        )),
        tokio::spawn(serve(
            Router::new().route("/", get(fastex_sliding_window)),
            base + 3,
        )),
    ];
    if let Ok(url) = std::env::var("REDIS_URL") {
        let redis = Arc::new(RedisLimiterBackend::new(
            RedisLimiterBackendConnectConfig::new(url),
        ));
        redis.connect().await?;
        register_backend("redis", redis);
        servers.push(tokio::spawn(serve(
            Router::new().route("/", get(fastex_redis)),
            base + 4,
        )));
    }
    println!(
        "bench servers on 127.0.0.1:{base}..{}",
        base + servers.len() as u16 - 1
    );
    for server in servers {
        server.await??;
    }
    Ok(())
}
