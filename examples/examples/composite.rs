//! The composite backend built by hand: Redis first, memory behind it.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379/0 cargo run --example composite
//! ```
//!
//! (`REDIS_URL` defaults to `redis://127.0.0.1:6379/0`.) Starts a server on a free loopback
//! port with a limited route and a `/stats` JSON route, sends requests to it, switches to
//! the fallback by hand and back (maintenance), and prints the composite's stats, then exits.
//! Pass `--serve` to keep serving afterwards (`curl http://<address>/stats`).
//!
//! Without a reachable Redis the demo still runs and exits 0: the composite answers from
//! memory, still limiting, and the stats show it.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use fastex::limiter::backend::LimiterBackend;
use fastex::limiter::backend::composite::{CompositeLimiterBackend, SwitchingStrategy};
use fastex::limiter::backend::memory::InMemoryLimiterBackend;
use fastex::limiter::backend::redis::{RedisLimiterBackend, RedisLimiterBackendConnectConfig};
use fastex::limiter::configure_limiter;
use fastex::rate_limit;
use fastex_examples::{HttpClient, serve_in_background};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Three requests every ten seconds per client address.
#[rate_limit(times = 3, seconds = 10)]
async fn limited() -> &'static str {
    "limited: ok"
}

async fn send(client: &HttpClient, url: &str, n: usize) -> Result<Vec<u16>, Error> {
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        statuses.push(client.get(url, &[]).await?.status);
    }
    Ok(statuses)
}

// `backend = "memory"` keeps the attribute from building a backend of its own from the
// environment: this example configures its composite by hand.
#[fastex::main(backend = "memory", log_level = "warn")]
async fn main() -> Result<(), Error> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned());
    let redis = Arc::new(RedisLimiterBackend::new(
        RedisLimiterBackendConnectConfig::new(url.as_str()),
    ));
    let memory = Arc::new(InMemoryLimiterBackend::new(Default::default())?);
    let composite = Arc::new(
        CompositeLimiterBackend::builder(redis, memory)
            .strategy(SwitchingStrategy::CircuitBreaker)
            .failure_threshold(3)
            .recovery_timeout(Duration::from_secs(5))
            .build()?,
    );
    // Fails only when neither side connects; memory always does.
    composite.connect().await?;
    let redis_up = composite.primary().is_connected();
    if redis_up {
        println!("Redis at {url} answers: requests go to Redis, memory stands by.");
    } else {
        println!(
            "Redis at {url} is unreachable (start it, or set REDIS_URL): the composite answers from memory, still limiting."
        );
    }
    configure_limiter(composite.clone());

    let stats_of = composite.clone();
    let app = Router::new().route("/limited", get(limited)).route(
        "/stats",
        get(move || async move { Json(stats_of.composite_stats()) }),
    );
    let addr = serve_in_background(app, "127.0.0.1:0").await?;
    let client = HttpClient::default();
    let limited_url = format!("http://{addr}/limited");
    println!("server on http://{addr} (routes /limited and /stats)\n");

    println!(
        "5 requests to /limited (3 per 10 s): {:?}",
        send(&client, &limited_url, 5).await?
    );
    println!(
        "now answering: {:?}, circuit {}",
        composite.current_backend(),
        composite.composite_stats().circuit_state
    );

    if redis_up {
        // Maintenance of Redis: everything to memory (which keeps counts of its own), then back.
        composite.force_switch_to_fallback();
        println!(
            "\nforce_switch_to_fallback (maintenance): now answering {:?}; 2 requests: {:?}",
            composite.current_backend(),
            send(&client, &limited_url, 2).await?
        );
        composite.force_switch_to_primary();
        println!(
            "force_switch_to_primary: now answering {:?}",
            composite.current_backend()
        );
    }

    let stats = client.get(&format!("http://{addr}/stats"), &[]).await?;
    let stats: serde_json::Value = serde_json::from_str(&stats.body)?;
    println!("\nGET /stats\n{}", serde_json::to_string_pretty(&stats)?);
    let (primary, fallback) = (
        stats["primary_requests"].as_u64().unwrap_or_default(),
        stats["fallback_requests"].as_u64().unwrap_or_default(),
    );
    println!(
        "\n{primary} checks went to Redis and {fallback} to memory ({} in all).",
        stats["total_requests"]
    );
    if !redis_up {
        println!(
            "Redis was unreachable: memory answered the 3 checks Redis failed, then the circuit opened and memory answered the rest."
        );
    }

    if std::env::args().any(|arg| arg == "--serve") {
        println!("\nserving on http://{addr} until Ctrl-C");
        std::future::pending::<()>().await;
    }
    Ok(())
}
