//! The quickstart on Redis: limits shared by every instance of a service.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379/0 cargo run --example redis
//! ```
//!
//! `REDIS_URL` defaults to `redis://127.0.0.1:6379/0`; a password and a database number may
//! be part of it (`redis://:secret@cache:6379/2`), and no log or error ever shows the
//! password. Without a reachable Redis the example says so and exits.
//!
//! In a service, `#[fastex::main]` builds this backend by itself when `REDIS_URL` is set,
//! and starts even while Redis is down (answering by the fallback mode until it is back).
//! This example connects by hand instead, to show the backend's API and its errors.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use fastex::limiter::backend::redis::{RedisLimiterBackend, RedisLimiterBackendConnectConfig};
use fastex::limiter::backend::{FallbackMode, LimitCheck, LimiterBackend};
use fastex::limiter::{Algorithm, RateLimitConfig, configure_limiter};
use fastex::{RateLimitResult, rate_limit};
use fastex_examples::{HttpClient, serve_in_background};

#[rate_limit(times = 3, minutes = 1)]
async fn hello() -> &'static str {
    "Hello from a route limited in Redis\n"
}

fn describe(result: &RateLimitResult) -> String {
    if result.is_exceeded {
        format!("refused, retry after {} s", result.retry_after_secs())
    } else {
        format!(
            "admitted, {} left of {}",
            result.remaining_requests, result.limit_times
        )
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error + Send + Sync>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let backend = Arc::new(RedisLimiterBackend::new(RedisLimiterBackendConnectConfig {
        // What requests get while Redis cannot answer: allow (the default), deny or raise.
        fallback_mode: FallbackMode::Allow,
        // A hung Redis must not stall requests: after this the fallback mode answers.
        check_timeout: Duration::from_millis(150),
        ..RedisLimiterBackendConnectConfig::new(url.as_str())
    }));
    match backend.connect().await {
        Ok(()) => println!("connected to Redis"),
        Err(error) if error.is_outage() => {
            println!("Redis cannot be reached, so there is nothing to show: {error}");
            println!(
                "start one (redis-server --port 6380) and run: REDIS_URL=redis://127.0.0.1:6380/0 cargo run --example redis"
            );
            return Ok(ExitCode::SUCCESS);
        }
        Err(error) => {
            eprintln!("{error}");
            return Ok(ExitCode::from(2));
        }
    }

    // 1. Checks through the backend's API. Keys put the identity in braces, a Redis hash
    //    tag; this run's own identity keeps earlier runs' counts out of the way.
    let key = format!("example:login:0:{{demo-{}}}", std::process::id());
    let limit = RateLimitConfig::new(3, 60_000);
    for request in 1..=4 {
        let result = backend.check_limit(&key, &limit).await?;
        println!("request {request}: {}", describe(&result));
    }

    // 2. Stacked limits, one per algorithm, cost one round trip: a single script checks
    //    them all and counts the request in all of them or none.
    let limits =
        Algorithm::ALL.map(|algorithm| RateLimitConfig::new(2, 10_000).with_algorithm(algorithm));
    let keys: Vec<String> = (0..limits.len())
        .map(|index| format!("example:stacked:{index}:{{demo-{}}}", std::process::id()))
        .collect();
    let checks: Vec<LimitCheck<'_>> = keys
        .iter()
        .zip(&limits)
        .map(|(key, config)| LimitCheck { key, config })
        .collect();
    for request in 1..=3 {
        let result = backend.check_limits(&checks).await?;
        println!(
            "stacked request {request}: {} (decided by {})",
            describe(&result),
            limits[result.decided_by].algorithm()
        );
    }

    // 3. A `#[rate_limit]` route counted in Redis: make the backend the default one.
    configure_limiter(backend.clone());
    let app = Router::new().route("/", get(hello));
    let addr: SocketAddr = serve_in_background(app, "127.0.0.1:0").await?;
    let client = HttpClient::default();
    for request in 1..=4 {
        let reply = client.get(&format!("http://{addr}/"), &[]).await?;
        match reply.status {
            429 => println!(
                "GET / {request}: 429, Retry-After {} s",
                reply.header("retry-after")
            ),
            status => println!("GET / {request}: {status} {}", reply.body.trim_end()),
        }
    }
    println!("(run it again within a minute: the route's counts live in Redis, not here)");

    // 4. What the backend saw.
    println!("{:?}", backend.redis_stats());
    backend.disconnect().await;
    Ok(ExitCode::SUCCESS)
}
