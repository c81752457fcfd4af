//! Chaos: a real `#[fastex::main]` service with `LIMITER_BACKEND=composite` under eight
//! concurrent clients while the test kills its `redis-server` and restarts it on the same
//! port. Every request gets the limit's own answer (200 or 429), in bounded time; the
//! circuit opens during the outage, and after the restart traffic is back on Redis (stats and
//! keys in Redis show it), with stats that add up.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use fastex::limiter::backend::redis::RedisLimiterBackendConnectConfig;
use fastex_tests::{RedisServer, TestClient};
use serde_json::Value;

/// How long the clients run; Redis dies at [`KILL_AT`] and comes back at [`RESTART_AT`].
const RUN_FOR: Duration = Duration::from_secs(6);
const KILL_AT: Duration = Duration::from_secs(2);
const RESTART_AT: Duration = Duration::from_secs(4);
/// Between two requests of one client: about 40 a second each, against a limit of 5.
const PACE: Duration = Duration::from_millis(25);
/// How long the app may take to start or to get back on Redis: generous, to catch hangs and
/// never to measure speed.
const DEADLINE: Duration = Duration::from_secs(10);

/// No request may wait longer than the per-check timeout the service runs with (the
/// settings' Redis defaults) plus a generous margin.
fn latency_bound() -> Duration {
    RedisLimiterBackendConnectConfig::new("redis://unused").check_timeout + Duration::from_secs(2)
}

/// The service, killed when the test ends; its output is kept for the failure messages.
struct App {
    child: Child,
    base: String,
    output: Arc<Mutex<Vec<String>>>,
}

impl App {
    fn start(redis: &RedisServer) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_composite_app"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LIMITER_BACKEND", "composite")
            .env("REDIS_URL", redis.url())
            .env("LIMITER_COMPOSITE_RECOVERY_TIMEOUT_SECONDS", "1")
            .env("LIMITER_COMPOSITE_FAILURE_THRESHOLD", "3")
            .env("LOG_FORMAT", "json")
            .env("LOG_LEVEL", "info")
            .env("APP_PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("composite_app starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (listening, address) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = output.clone();
        // Drains stdout for the whole run, so that logging never blocks the service.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(base) = line.strip_prefix("listening on ") {
                    let _ = listening.send(base.to_owned());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let mut stderr = child.stderr.take().expect("piped stderr");
        let lines = output.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            lines
                .lock()
                .unwrap()
                .extend(text.lines().map(str::to_owned));
        });
        let mut app = App {
            child,
            base: String::new(),
            output,
        };
        match address.recv_timeout(DEADLINE) {
            Ok(base) => app.base = base,
            Err(_) => panic!(
                "composite_app did not print `listening` within {DEADLINE:?}:\n{}",
                app.output()
            ),
        }
        app
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    /// The composite's stats from `/stats`.
    async fn stats(&self, client: &TestClient) -> Value {
        let reply = tokio::time::timeout(DEADLINE, client.get(&self.url("/stats")))
            .await
            .expect("/stats answers");
        assert_eq!(reply.status, 200, "{}", reply.body);
        let stats: Value = serde_json::from_str(&reply.body).expect("JSON stats");
        assert_eq!(stats["backend"], "composite", "{stats}");
        stats
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn count(stats: &Value, field: &str) -> u64 {
    stats[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {stats}"))
}

fn limiter_keys(redis: &RedisServer) -> Vec<String> {
    redis::cmd("KEYS")
        .arg("limiter:*")
        .query(&mut redis.connection())
        .expect("KEYS")
}

/// Which part of the run a request was sent in.
const BEFORE: u8 = 0;
const OUTAGE: u8 = 1;
const AFTER: u8 = 2;
const PHASES: [&str; 3] = ["before the kill", "during the outage", "after the restart"];

/// What one request got: its phase, its status (or why there was none) and how long it took.
type Outcome = (u8, Result<u16, String>, Duration);

async fn client_loop(
    source: String,
    url: String,
    phase: Arc<AtomicU8>,
    until: Instant,
) -> Vec<Outcome> {
    let client = TestClient::from(&source);
    let mut outcomes = Vec::new();
    while Instant::now() < until {
        let sent_in = phase.load(Ordering::SeqCst);
        let began = Instant::now();
        // A hang is recorded, not waited for: the bound is asserted below.
        let status = match tokio::time::timeout(DEADLINE, client.get(&url)).await {
            Ok(reply) => Ok(reply.status.as_u16()),
            Err(_) => Err(format!("{source}: no answer within {DEADLINE:?}")),
        };
        outcomes.push((sent_in, status, began.elapsed()));
        tokio::time::sleep(PACE).await;
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_keeps_limiting_through_a_redis_outage_and_returns_to_redis() {
    let mut redis = RedisServer::start();
    let app = App::start(&redis);
    let observer = TestClient::from("127.0.0.39");
    let stats = app.stats(&observer).await;
    assert_eq!(stats["circuit_state"], "closed", "{stats}");

    let phase = Arc::new(AtomicU8::new(BEFORE));
    let start = Instant::now();
    let clients: Vec<_> = (30..38)
        .map(|host| {
            tokio::spawn(client_loop(
                format!("127.0.0.{host}"),
                app.url("/limited"),
                phase.clone(),
                start + RUN_FOR,
            ))
        })
        .collect();

    tokio::time::sleep_until((start + KILL_AT).into()).await;
    let before_kill = app.stats(&observer).await;
    assert_eq!(before_kill["circuit_state"], "closed", "{before_kill}");
    assert!(count(&before_kill, "primary_requests") > 0, "{before_kill}");
    assert!(
        !limiter_keys(&redis).is_empty(),
        "Redis counts before the outage"
    );
    tokio::task::block_in_place(|| redis.kill());
    phase.store(OUTAGE, Ordering::SeqCst);

    // The circuit opens while Redis is dead.
    let mut states_seen = BTreeMap::new();
    while Instant::now() < start + RESTART_AT {
        let stats = app.stats(&observer).await;
        let state = stats["circuit_state"].as_str().unwrap_or("?").to_owned();
        *states_seen.entry(state).or_insert(0) += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        states_seen.contains_key("open"),
        "the circuit opened during the outage; /stats saw {states_seen:?}"
    );
    let during_outage = app.stats(&observer).await;
    assert!(
        count(&during_outage, "primary_errors") >= 3,
        "{during_outage}"
    );
    assert_eq!(during_outage["primary_healthy"], false, "{during_outage}");

    tokio::task::block_in_place(|| redis.restart());
    phase.store(AFTER, Ordering::SeqCst);

    let mut outcomes = Vec::new();
    for client in clients {
        outcomes.extend(client.await.expect("a client never panics"));
    }

    // Every request got the limit's own answer, in bounded time, in every phase.
    let bound = latency_bound();
    let mut statuses: [BTreeMap<u16, usize>; 3] = Default::default();
    for (phase, status, took) in &outcomes {
        let status = status.as_ref().unwrap_or_else(|why| panic!("{why}"));
        assert!(
            *status == 200 || *status == 429,
            "{}: status {status}\n{}",
            PHASES[usize::from(*phase)],
            app.output()
        );
        assert!(
            *took <= bound,
            "{}: a request took {took:?}, more than {bound:?}",
            PHASES[usize::from(*phase)]
        );
        *statuses[usize::from(*phase)].entry(*status).or_insert(0) += 1;
    }
    let slowest = outcomes.iter().map(|outcome| outcome.2).max();
    eprintln!(
        "statuses by phase {statuses:?}; slowest {slowest:?}; /stats during the outage saw {states_seen:?}"
    );
    for (phase, seen) in statuses.iter().enumerate().take(2) {
        assert!(
            seen.contains_key(&200) && seen.contains_key(&429),
            "{}: the limit admits and refuses: {seen:?}",
            PHASES[phase]
        );
    }

    // Back on Redis: the circuit closes, then requests go to the primary again.
    let deadline = Instant::now() + DEADLINE;
    let prober = TestClient::from("127.0.0.38");
    let mut probed = 0;
    let closed = loop {
        let reply = prober.get(&app.url("/limited")).await;
        probed += 1;
        assert!(
            reply.status == 200 || reply.status == 429,
            "{}",
            reply.status
        );
        let stats = app.stats(&observer).await;
        if stats["circuit_state"] == "closed" {
            break stats;
        }
        assert!(
            Instant::now() < deadline,
            "the circuit did not close within {DEADLINE:?} of the restart: {stats}\n{}",
            app.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for _ in 0..5 {
        let reply = prober.get(&app.url("/limited")).await;
        assert!(reply.status == 200 || reply.status == 429);
    }
    let after = app.stats(&observer).await;
    assert_eq!(after["circuit_state"], "closed", "{after}");
    assert!(
        count(&after, "primary_requests") >= count(&closed, "primary_requests") + 5,
        "requests go to Redis again: {closed} then {after}"
    );
    assert_eq!(
        count(&after, "fallback_requests"),
        count(&closed, "fallback_requests"),
        "and no longer to memory"
    );
    assert_eq!(
        count(&after, "primary_errors"),
        count(&closed, "primary_errors")
    );
    assert_eq!(after["primary_healthy"], true, "{after}");
    let keys = limiter_keys(&redis);
    assert!(!keys.is_empty(), "the restarted (empty) Redis counts again");

    // The stats add up, and account for every request.
    let answered = outcomes.len() as u64 + probed + 5;
    assert_eq!(
        count(&after, "primary_requests") + count(&after, "fallback_requests"),
        count(&after, "total_requests"),
        "{after}"
    );
    assert_eq!(
        count(&after, "primary_errors") + count(&after, "fallback_errors"),
        count(&after, "total_errors"),
        "{after}"
    );
    assert!(
        count(&after, "total_requests") >= answered,
        "every check counts: {answered} requests, {after}"
    );
    assert!(count(&after, "fallback_requests") > 0, "{after}");
    assert_eq!(count(&after, "fallback_errors"), 0, "memory never failed");

    // Each change of the circuit was logged as one structured event.
    let output = app.output();
    let circuit_events: Vec<Value> = output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["fields"]["circuit"].is_string())
        .collect();
    for state in ["open", "half_open", "closed"] {
        assert!(
            circuit_events
                .iter()
                .any(|event| event["fields"]["circuit"] == state),
            "a `{state}` event in the log:\n{output}"
        );
    }
}
