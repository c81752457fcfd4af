//! The Redis side of the benchmarks (`scripts/bench-redis.sh`): fastex's Redis backend
//! against a raw redis-rs multiplexed connection sending `EVALSHA` of the same script with
//! the same arguments, at the same concurrency, in interleaved rounds.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6390/0 cargo run --release --example redis_bench
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fastex::limiter::backend::redis::{RedisLimiterBackend, RedisLimiterBackendConnectConfig};
use fastex::limiter::backend::{LimitCheck, LimiterBackend};
use fastex::limiter::{Algorithm, RateLimitConfig};

/// The script fastex runs, byte for byte.
const SCRIPT: &str =
    include_str!("../../fastex/src/limiter/backend/redis/scripts/check_limits.lua");

const TASKS: usize = 64;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `TASKS` tasks calling `check` for `duration`; returns checks per second.
async fn measure<F, Fut>(duration: Duration, check: F) -> f64
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let check = Arc::new(check);
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (check, done) = (check.clone(), done.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while start.elapsed() < duration {
                    check(task, n).await;
                    n += 1;
                }
                done.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a bench task");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let seconds = env_number("SECONDS_PER_RUN", 5);
    let rounds = env_number("ROUNDS", 3);
    let duration = Duration::from_secs(seconds);

    let backend = Arc::new(RedisLimiterBackend::new(RedisLimiterBackendConnectConfig {
        check_timeout: Duration::from_secs(5),
        ..RedisLimiterBackendConnectConfig::new(url.as_str())
    }));
    backend.connect().await?;
    let raw = redis::Client::open(url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    let script = redis::Script::new(SCRIPT);
    script.prepare_invoke().load_async(&mut raw.clone()).await?;
    let sha: Arc<str> = script.get_hash().into();

    // Far above the load: every check is admitted, and the work per check stays the same.
    let limit = RateLimitConfig::new(1_000_000_000, 1_000).with_algorithm(Algorithm::Gcra);
    let keys: Arc<Vec<String>> = Arc::new(
        (0..TASKS)
            .map(|task| format!("bench:route:0:{{client-{task}}}"))
            .collect(),
    );

    println!("{TASKS} concurrent tasks, {rounds} rounds of {seconds} s, GCRA, one limit per check");
    let (mut fastex_rates, mut raw_rates) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let (backend, keys2) = (backend.clone(), keys.clone());
        let fastex_rate = measure(duration, move |task, _| {
            let (backend, keys) = (backend.clone(), keys2.clone());
            async move {
                let checks = [LimitCheck {
                    key: &keys[task],
                    config: &limit,
                }];
                backend.check_limits(&checks).await.expect("a check");
            }
        })
        .await;
        let (raw2, sha2, keys3) = (raw.clone(), sha.clone(), keys.clone());
        let raw_rate = measure(duration, move |task, n| {
            let (mut raw, sha, keys) = (raw2.clone(), sha2.clone(), keys3.clone());
            async move {
                let mut cmd = redis::cmd("EVALSHA");
                cmd.arg(&*sha)
                    .arg(1)
                    .arg(&keys[task])
                    .arg("")
                    .arg(format!("raw.{task}.{n}"));
                cmd.arg("gcra").arg(limit.times()).arg(limit.window_us());
                let _: Vec<i64> = cmd.query_async(&mut raw).await.expect("an EVALSHA");
            }
        })
        .await;
        println!(
            "round {round}: fastex {fastex_rate:.0} checks/s, raw EVALSHA {raw_rate:.0} calls/s"
        );
        fastex_rates.push(fastex_rate);
        raw_rates.push(raw_rate);
    }
    let median = |rates: &mut Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let (fastex_rate, raw_rate) = (median(&mut fastex_rates), median(&mut raw_rates));
    println!();
    println!("| client | median per second | ratio |");
    println!("| --- | ---: | ---: |");
    println!("| raw redis-rs EVALSHA | {raw_rate:.0} | 1.000 |");
    println!(
        "| fastex RedisLimiterBackend | {fastex_rate:.0} | {:.3} |",
        fastex_rate / raw_rate
    );
    Ok(())
}
