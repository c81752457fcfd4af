//! A Lua script of your own in place of fastex's built-in algorithms.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379/0 cargo run --example custom_lua
//! ```
//!
//! The script, `examples/lua/incr_fixed_window.lua`, is a fixed window counted with
//! `INCRBY`. It gets the counter's key, `times` and the window in milliseconds, then the
//! script's extra parameters (here what one request costs), and answers
//! `{retry_after_ms, current}`. It is used twice: compiled into a [`LuaScript`] type, and
//! read at start-up with [`FileBasedScript`].
//!
//! Without a reachable Redis the example says so and exits.

use std::borrow::Cow;
use std::process::ExitCode;
use std::sync::Arc;

use fastex::RateLimitResult;
use fastex::limiter::RateLimitConfig;
use fastex::limiter::backend::redis::{
    FileBasedScript, LuaScript, RedisLimiterBackend, RedisLimiterBackendConnectConfig,
};
use fastex::limiter::backend::{LimitCheck, LimiterBackend, LimiterBackendError};

/// A fixed window in which each request costs `cost` units.
#[derive(Debug)]
struct IncrFixedWindow {
    cost: u32,
}

impl LuaScript for IncrFixedWindow {
    fn script(&self) -> Cow<'_, str> {
        Cow::Borrowed(include_str!("../lua/incr_fixed_window.lua"))
    }

    /// Passed after `times` and the window: `ARGV[3]`.
    fn extra_params(&self) -> Vec<String> {
        vec![self.cost.to_string()]
    }

    // `parse_result` keeps its default: an array of two non-negative integers. A script
    // answering anything else is a bug, reported as an error (HTTP 503), never hidden by
    // the fallback mode.
}

fn describe(result: &RateLimitResult) -> String {
    if result.is_exceeded {
        format!("refused, retry after {} ms", result.retry_after_ms)
    } else {
        format!(
            "admitted, {} of {} units left",
            result.remaining_requests, result.limit_times
        )
    }
}

/// A connected backend running `script`; `None` (after saying why) when Redis cannot be
/// reached.
async fn backend(
    url: &str,
    script: Arc<dyn LuaScript>,
) -> Result<Option<RedisLimiterBackend>, LimiterBackendError> {
    let backend = RedisLimiterBackend::new(RedisLimiterBackendConnectConfig {
        lua_script: Some(script),
        ..RedisLimiterBackendConnectConfig::new(url)
    });
    match backend.connect().await {
        Ok(()) => Ok(Some(backend)),
        Err(error) if error.is_outage() => {
            println!("Redis cannot be reached, so there is nothing to show: {error}");
            println!(
                "start one (redis-server --port 6380) and run: REDIS_URL=redis://127.0.0.1:6380/0 cargo run --example custom_lua"
            );
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let run = std::process::id();

    // 1. The script as a type: each request costs 2 units of 5 per minute.
    let Some(costly) = backend(&url, Arc::new(IncrFixedWindow { cost: 2 })).await? else {
        return Ok(ExitCode::SUCCESS);
    };
    let limit = RateLimitConfig::new(5, 60_000);
    let key = format!("example:custom:0:{{demo-{run}}}");
    for request in 1..=4 {
        let result = costly.check_limit(&key, &limit).await?;
        println!("costly request {request}: {}", describe(&result));
    }

    // 2. The same script read from its file, without extra parameters: cost 1. Stacked
    //    limits run the script once per limit, all in one pipelined round trip.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/lua/incr_fixed_window.lua");
    let from_file = FileBasedScript::new(path)?;
    println!("script read from {}", from_file.path().display());
    let Some(plain) = backend(&url, Arc::new(from_file)).await? else {
        return Ok(ExitCode::SUCCESS);
    };
    let limits = [
        RateLimitConfig::new(3, 60_000),
        RateLimitConfig::new(2, 1_000),
    ];
    let keys: Vec<String> = (0..limits.len())
        .map(|index| format!("example:custom-stacked:{index}:{{demo-{run}}}"))
        .collect();
    let checks: Vec<LimitCheck<'_>> = keys
        .iter()
        .zip(&limits)
        .map(|(key, config)| LimitCheck { key, config })
        .collect();
    for request in 1..=3 {
        let result = plain.check_limits(&checks).await?;
        println!(
            "stacked request {request}: {} (decided by limit {})",
            describe(&result),
            result.decided_by
        );
    }

    // A missing script file is a clear error naming it.
    if let Err(error) = FileBasedScript::new("/no/such/script.lua") {
        println!("as expected: {error}");
    }

    println!("{:?}", costly.redis_stats());
    println!("{:?}", plain.redis_stats());
    costly.disconnect().await;
    plain.disconnect().await;
    Ok(ExitCode::SUCCESS)
}
