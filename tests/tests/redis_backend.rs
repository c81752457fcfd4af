//! `RedisLimiterBackend` against real `redis-server` processes, one per test: shared limits
//! across instances, one round trip per request, and what happens when Redis dies, hangs,
//! forgets its scripts or refuses the configuration.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastex::RateLimitResult;
use fastex::limiter::backend::redis::{
    FileBasedScript, RedisLimiterBackend, RedisLimiterBackendConnectConfig, RedisSource,
};
use fastex::limiter::backend::{
    BackendStats, FallbackMode, LimitCheck, LimiterBackend, LimiterBackendError,
};
use fastex::limiter::{Algorithm, RateLimitConfig};
use fastex_tests::RedisServer;

/// How long a recovery may take before the test gives up: generous, as the machine may be
/// busy; the tests never assert how fast anything is.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(10);

/// The defaults, with a check timeout long enough that a busy test machine never turns a
/// slow answer into an error: only the hang test is about timeouts.
fn config(redis: impl Into<RedisSource>) -> RedisLimiterBackendConnectConfig {
    RedisLimiterBackendConnectConfig {
        check_timeout: Duration::from_secs(5),
        ..RedisLimiterBackendConnectConfig::new(redis)
    }
}

async fn connected(config: RedisLimiterBackendConnectConfig) -> RedisLimiterBackend {
    let backend = RedisLimiterBackend::new(config);
    backend.connect().await.expect("the test's Redis answers");
    backend
}

/// Polls `attempt` until it gives `Some`, failing the test after [`RECOVERY_DEADLINE`].
async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + RECOVERY_DEADLINE;
    loop {
        if let Some(value) = attempt().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within {RECOVERY_DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `n` checks one after the other; returns whether each was admitted.
async fn admissions(
    backend: &RedisLimiterBackend,
    key: &str,
    limit: &RateLimitConfig,
    n: usize,
) -> Vec<bool> {
    let mut admitted = Vec::with_capacity(n);
    for _ in 0..n {
        let result = backend
            .check_limit(key, limit)
            .await
            .expect("Redis answers");
        admitted.push(!result.is_exceeded);
    }
    admitted
}

fn script_flush(server: &RedisServer) {
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query::<()>(&mut server.connection())
        .expect("SCRIPT FLUSH");
}

fn keys(server: &RedisServer, pattern: &str) -> Vec<String> {
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query(&mut server.connection())
        .expect("KEYS");
    keys.sort();
    keys
}

/// Waits until the current hour, by the Redis server's clock, has at least a minute left,
/// so that no hour-aligned window (fixed window, sliding window counter) turns over while a
/// test counts admissions.
async fn away_from_an_hour_boundary(server: &RedisServer) {
    let (secs, _micros): (u64, u64) = redis::cmd("TIME")
        .query(&mut server.connection())
        .expect("TIME");
    let left = 3_600 - secs % 3_600;
    if left < 60 {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sharing_one_redis_admit_exactly_times_in_total() {
    let server = RedisServer::start();
    // Two backends with their own connections: two instances of one service.
    let instances = [
        Arc::new(connected(config(server.url())).await),
        Arc::new(connected(config(server.url())).await),
    ];
    away_from_an_hour_boundary(&server).await;
    for algorithm in Algorithm::ALL {
        let limit = RateLimitConfig::new(100, 3_600_000).with_algorithm(algorithm);
        let key = format!("limiter:shared:0:{{{}}}", algorithm.name());
        let tasks: Vec<_> = (0..64)
            .map(|task| {
                let backend = Arc::clone(&instances[task % 2]);
                let key = key.clone();
                tokio::spawn(async move {
                    let mut admitted = 0u32;
                    for _ in 0..4 {
                        let result = backend
                            .check_limit(&key, &limit)
                            .await
                            .expect("Redis answers");
                        admitted += u32::from(!result.is_exceeded);
                    }
                    admitted
                })
            })
            .collect();
        let mut admitted = 0;
        for task in tasks {
            admitted += task.await.expect("the task ends");
        }
        assert_eq!(admitted, 100, "{algorithm}: 256 requests, 100 per hour");
        for backend in &instances {
            let after = backend.check_limit(&key, &limit).await.unwrap();
            assert!(
                after.is_exceeded,
                "{algorithm}: both instances see it spent"
            );
        }
    }
    for backend in &instances {
        let stats = backend.redis_stats();
        assert_eq!((stats.errors, stats.timeouts), (0, 0), "{stats:?}");
    }
}

#[tokio::test]
async fn stacked_limits_cost_one_script_call_per_request() {
    let server = RedisServer::start();
    let backend = connected(config(server.url())).await;
    let limits = [
        RateLimitConfig::new(10, 60_000).with_algorithm(Algorithm::Gcra),
        RateLimitConfig::new(1_000, 3_600_000).with_algorithm(Algorithm::SlidingWindowLog),
        RateLimitConfig::new(20, 60_000).with_algorithm(Algorithm::SlidingWindowCounter),
    ];
    let keys_of_limits: Vec<String> = (0..limits.len())
        .map(|index| format!("limiter:app::stacked:{index}:{{127.0.0.1}}"))
        .collect();
    let checks: Vec<LimitCheck<'_>> = keys_of_limits
        .iter()
        .zip(&limits)
        .map(|(key, config)| LimitCheck { key, config })
        .collect();

    let (evalsha, eval, script) = (
        server.calls("evalsha"),
        server.calls("eval"),
        server.calls("script"),
    );
    const REQUESTS: u64 = 50;
    let mut results = Vec::new();
    for _ in 0..REQUESTS {
        results.push(backend.check_limits(&checks).await.expect("Redis answers"));
    }
    assert_eq!(
        server.calls("evalsha") - evalsha,
        REQUESTS,
        "one EVALSHA each"
    );
    assert_eq!(server.calls("eval"), eval, "never EVAL");
    assert_eq!(server.calls("script"), script, "no script reloaded");

    let admitted: Vec<&RateLimitResult> = results.iter().filter(|r| !r.is_exceeded).collect();
    assert_eq!(admitted.len(), 10, "the tightest limit decides");
    assert!(
        results[10..]
            .iter()
            .all(|r| r.is_exceeded && r.decided_by == 0),
        "{results:?}"
    );
    // Refused requests counted in no limit: the sliding log holds the admitted ones only.
    let logged: u64 = redis::cmd("ZCARD")
        .arg(&keys_of_limits[1])
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(logged, 10);
}

#[tokio::test]
async fn a_killed_redis_gets_the_fallback_mode_then_limiting_resumes_after_a_restart() {
    let mut server = RedisServer::start();
    let backend = connected(config(server.url())).await;
    let limit = RateLimitConfig::new(3, 60_000);
    assert!(
        !backend
            .check_limit("limiter:k:0:{a}", &limit)
            .await
            .unwrap()
            .is_exceeded
    );
    assert!(backend.is_connected());

    server.kill();
    let deny_retry = Duration::from_secs(60);
    for mode in FallbackMode::ALL {
        let error = backend
            .check_limit("limiter:k:0:{a}", &limit)
            .await
            .expect_err("Redis is down");
        assert!(error.is_outage(), "an outage, not a bug: {error:?}");
        match (mode, mode.resolve(error, &limit, deny_retry)) {
            (FallbackMode::Allow, Ok(result)) => assert!(!result.is_exceeded),
            (FallbackMode::Deny, Ok(result)) => {
                assert!(result.is_exceeded);
                assert_eq!(result.retry_after_ms, 60_000);
                assert_eq!(result.retry_after_secs(), 60);
            }
            (FallbackMode::Raise, Err(error)) => assert!(error.is_outage(), "{error:?}"),
            (mode, other) => panic!("{mode}: unexpected {other:?}"),
        }
    }
    assert!(!backend.is_connected());
    let stats = backend.redis_stats();
    assert!(!stats.connected);
    assert!(stats.errors >= 3, "{stats:?}");
    assert!(matches!(backend.stats(), BackendStats::Redis(s) if s.errors >= 3));

    // Same port, empty, scripts forgotten: the same backend object limits again.
    server.restart();
    let probe = RateLimitConfig::new(1_000_000, 60_000);
    eventually("a check succeeds after the restart", || async {
        backend
            .check_limit("limiter:probe:0:{p}", &probe)
            .await
            .ok()
    })
    .await;
    assert!(backend.is_connected());
    assert_eq!(
        admissions(&backend, "limiter:fresh:0:{b}", &limit, 5).await,
        [true, true, true, false, false]
    );
    assert!(backend.redis_stats().connected);
}

#[tokio::test]
async fn a_script_flush_between_checks_is_invisible() {
    let server = RedisServer::start();
    let backend = connected(config(server.url())).await;
    let limit = RateLimitConfig::new(3, 60_000);
    let first = backend
        .check_limit("limiter:f:0:{a}", &limit)
        .await
        .unwrap();
    assert_eq!(first.remaining_requests, 2);
    script_flush(&server);
    let second = backend
        .check_limit("limiter:f:0:{a}", &limit)
        .await
        .expect("NOSCRIPT is handled inside the backend");
    assert_eq!(
        second.remaining_requests, 1,
        "counted once, after the reload"
    );
    let stats = backend.redis_stats();
    assert_eq!(stats.script_reloads, 1, "{stats:?}");
    assert_eq!(stats.errors, 0, "{stats:?}");
    assert_eq!(stats.checks, 2, "{stats:?}");
}

#[tokio::test]
async fn a_hung_redis_times_out_by_the_check_timeout_then_answers_again() {
    let server = RedisServer::start();
    let check_timeout = Duration::from_millis(100);
    let backend = connected(RedisLimiterBackendConnectConfig {
        check_timeout,
        ..RedisLimiterBackendConnectConfig::new(server.url())
    })
    .await;
    let limit = RateLimitConfig::new(10, 60_000);
    backend
        .check_limit("limiter:h:0:{a}", &limit)
        .await
        .expect("Redis answers before the pause");

    let paused: String = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(2_000)
        .arg("ALL")
        .query(&mut server.connection())
        .expect("CLIENT PAUSE");
    assert_eq!(paused, "OK");
    let error = backend
        .check_limit("limiter:h:0:{a}", &limit)
        .await
        .expect_err("Redis is paused");
    assert!(
        matches!(error, LimiterBackendError::Timeout { after, .. } if after == check_timeout),
        "{error:?}"
    );
    assert!(error.is_outage());
    let stats = backend.redis_stats();
    assert_eq!((stats.timeouts, stats.errors), (1, 1), "{stats:?}");
    let answer = FallbackMode::Allow
        .resolve(error, &limit, Duration::from_secs(60))
        .unwrap();
    assert!(!answer.is_exceeded);

    eventually("Redis answers after the pause", || async {
        backend.check_limit("limiter:h:0:{a}", &limit).await.ok()
    })
    .await;
}

#[tokio::test]
async fn an_invalid_url_is_a_configuration_error_naming_it() {
    for url in [
        "not-a-url",
        "redis://",
        "http://127.0.0.1:1/0",
        "redis://:topsecret@0.0.0.0:1/0",
    ] {
        let backend = RedisLimiterBackend::new(RedisLimiterBackendConnectConfig::new(url));
        let error = backend.connect().await.expect_err(url);
        let LimiterBackendError::InvalidConfiguration(message) = &error else {
            panic!("{url}: {error:?}");
        };
        assert!(!error.is_outage());
        let shown = url.replace("topsecret", "***");
        assert!(message.contains(&format!("`{shown}`")), "{message}");
        assert!(!message.contains("topsecret"), "{message}");
        // Starting in the background refuses it too: no point in retrying a bad URL.
        assert!(matches!(
            backend.connect_in_background().await,
            Err(LimiterBackendError::InvalidConfiguration(_))
        ));
    }
}

#[tokio::test]
async fn an_unreachable_redis_is_an_outage_naming_the_redacted_address() {
    // A free port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://:hunter2@127.0.0.1:{port}/0");
    let backend = RedisLimiterBackend::new(RedisLimiterBackendConnectConfig::new(url.as_str()));
    let error = backend.connect().await.expect_err("nothing listens");
    assert!(error.is_outage(), "{error:?}");
    assert!(
        matches!(error, LimiterBackendError::Unavailable { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&format!("redis://:***@127.0.0.1:{port}/0")),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!backend.is_connected());
    assert!(matches!(
        backend
            .check_limit("limiter:u:0:{a}", &RateLimitConfig::new(1, 1_000))
            .await,
        Err(LimiterBackendError::NotConnected { .. })
    ));
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_never_shown() {
    let server = RedisServer::start_with(&["--requirepass", "right-horse"]);
    let secret = "wr0ng-battery";
    let url = format!("redis://:{secret}@127.0.0.1:{}/0", server.port());
    let wrong = RedisLimiterBackendConnectConfig::new(url.as_str());
    let debug = format!("{wrong:?}");
    assert!(!debug.contains(secret), "{debug}");
    assert!(debug.contains(":***@127.0.0.1"), "{debug}");

    let backend = RedisLimiterBackend::new(wrong);
    assert!(!format!("{backend:?}").contains(secret));
    let error = backend.connect().await.expect_err("the password is wrong");
    let LimiterBackendError::InvalidConfiguration(message) = &error else {
        panic!("{error:?}");
    };
    assert!(message.contains("refused the credentials"), "{message}");
    assert!(message.contains(":***@127.0.0.1"), "{message}");
    assert!(!message.contains(secret), "{message}");
    assert!(!format!("{error:?}").contains(secret));

    // The right one is accepted.
    let url = format!("redis://:right-horse@127.0.0.1:{}/0", server.port());
    let backend = connected(config(url.as_str())).await;
    assert!(
        !backend
            .check_limit("limiter:p:0:{a}", &RateLimitConfig::new(1, 60_000))
            .await
            .unwrap()
            .is_exceeded
    );
}

#[test]
fn an_unreadable_script_file_is_a_clear_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.lua");
    let error = FileBasedScript::new(&missing).unwrap_err();
    assert!(
        matches!(error, LimiterBackendError::InvalidConfiguration(_)),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
    assert!(message.contains("cannot read"), "{message}");

    // A directory cannot be read as a script.
    let error = FileBasedScript::new(dir.path()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&dir.path().display().to_string()),
        "{message}"
    );

    let empty = dir.path().join("empty.lua");
    std::fs::write(&empty, "  \n").unwrap();
    let message = FileBasedScript::new(&empty).unwrap_err().to_string();
    assert!(message.contains("is empty"), "{message}");
}

/// A fixed window counted with INCR, answering `{retry_ms, current}`.
const INCR_SCRIPT: &str = r#"
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if current > tonumber(ARGV[1]) then
  return {redis.call('PTTL', KEYS[1]), current}
end
return {0, current}
"#;

fn script_file(dir: &tempfile::TempDir, name: &str, source: &str) -> FileBasedScript {
    let path = dir.path().join(name);
    std::fs::write(&path, source).unwrap();
    let script = FileBasedScript::new(&path).expect("a readable script");
    assert_eq!(script.path(), path);
    script
}

#[tokio::test]
async fn a_custom_file_based_script_limits_and_survives_a_script_flush() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let backend = connected(RedisLimiterBackendConnectConfig {
        lua_script: Some(Arc::new(script_file(&dir, "incr.lua", INCR_SCRIPT))),
        ..config(server.url())
    })
    .await;
    let limit = RateLimitConfig::new(3, 60_000);
    let key = "limiter:custom:0:{a}";
    let results = [
        backend.check_limit(key, &limit).await.unwrap(),
        backend.check_limit(key, &limit).await.unwrap(),
        backend.check_limit(key, &limit).await.unwrap(),
        backend.check_limit(key, &limit).await.unwrap(),
    ];
    let admitted: Vec<bool> = results.iter().map(|r| !r.is_exceeded).collect();
    assert_eq!(admitted, [true, true, true, false]);
    assert_eq!(results[0].remaining_requests, 2);
    assert!(
        (1..=60_000).contains(&results[3].retry_after_ms),
        "{results:?}"
    );
    let count: String = redis::cmd("GET")
        .arg(key)
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(count, "4", "the custom script's own counter");

    script_flush(&server);
    let after = backend
        .check_limit(key, &limit)
        .await
        .expect("NOSCRIPT is handled for custom scripts too");
    assert!(after.is_exceeded);
    assert_eq!(backend.redis_stats().script_reloads, 1);

    // Stacked custom limits: the script runs once per limit.
    let limits = [
        RateLimitConfig::new(5, 60_000),
        RateLimitConfig::new(1, 60_000),
    ];
    let stacked_keys = ["limiter:s:0:{b}", "limiter:s:1:{b}"];
    let checks: Vec<LimitCheck<'_>> = stacked_keys
        .iter()
        .zip(&limits)
        .map(|(key, config)| LimitCheck { key, config })
        .collect();
    let before = server.calls("evalsha");
    assert!(!backend.check_limits(&checks).await.unwrap().is_exceeded);
    let refused = backend.check_limits(&checks).await.unwrap();
    assert!(refused.is_exceeded);
    assert_eq!(refused.decided_by, 1);
    assert_eq!(server.calls("evalsha") - before, 4);
    assert_eq!(backend.redis_stats().errors, 0);
}

#[tokio::test]
async fn a_custom_script_of_the_wrong_shape_is_a_bug_for_every_fallback_mode() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let limit = RateLimitConfig::new(3, 60_000);
    for (name, source) in [
        ("string.lua", "return 'oops'"),
        ("one.lua", "return {1}"),
        ("negative.lua", "return {-1, 1}"),
        ("raises.lua", "error('boom')"),
    ] {
        let backend = connected(RedisLimiterBackendConnectConfig {
            lua_script: Some(Arc::new(script_file(&dir, name, source))),
            ..config(server.url())
        })
        .await;
        for mode in FallbackMode::ALL {
            let error = backend
                .check_limit("limiter:bad:0:{a}", &limit)
                .await
                .expect_err(name);
            assert!(
                matches!(error, LimiterBackendError::Script { .. }),
                "{name}: {error:?}"
            );
            assert!(!error.is_outage(), "{name}: a bug, not an outage");
            assert!(
                matches!(
                    mode.resolve(error, &limit, Duration::from_secs(60)),
                    Err(LimiterBackendError::Script { .. })
                ),
                "{name}: {mode} must not hide a broken script"
            );
        }
        assert!(backend.is_connected(), "{name}: Redis itself answered");
        assert_eq!(backend.redis_stats().errors, 3);
    }
}

async fn limits_through(source: RedisSource, server: &RedisServer, key: &str) {
    let name = format!("{source:?}");
    let backend = connected(config(source)).await;
    let limit = RateLimitConfig::new(2, 60_000);
    assert_eq!(
        admissions(&backend, key, &limit, 3).await,
        [true, true, false],
        "{name}"
    );
    assert_eq!(keys(server, key), [key], "{name}");
    // Still answering after a script flush.
    script_flush(server);
    assert!(
        backend.check_limit(key, &limit).await.unwrap().is_exceeded,
        "{name}"
    );
}

#[tokio::test]
async fn a_users_pool_multiplexed_connection_or_manager_can_be_used() {
    let server = RedisServer::start();

    let pool = deadpool_redis::Config::from_url(server.url())
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .expect("a pool");
    let source = RedisSource::Pool(pool);
    assert_eq!(format!("{source:?}"), "Pool(..)");
    limits_through(source, &server, "limiter:pool:0:{a}").await;

    let client = redis::Client::open(server.url()).unwrap();
    let multiplexed = client
        .get_multiplexed_async_connection()
        .await
        .expect("a multiplexed connection");
    limits_through(
        RedisSource::Multiplexed(multiplexed),
        &server,
        "limiter:multiplexed:0:{a}",
    )
    .await;

    let manager = redis::aio::ConnectionManager::new(client)
        .await
        .expect("a connection manager");
    limits_through(
        RedisSource::Manager(manager),
        &server,
        "limiter:manager:0:{a}",
    )
    .await;
}

#[tokio::test]
async fn an_empty_check_is_an_error_not_a_panic() {
    let server = RedisServer::start();
    let backend = connected(config(server.url())).await;
    let error = backend.check_limits(&[]).await.unwrap_err();
    assert!(
        matches!(error, LimiterBackendError::InvalidConfiguration(_)),
        "{error}"
    );
}
