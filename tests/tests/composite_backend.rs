//! `CompositeLimiterBackend` at the backend API: each strategy's selection rule, the
//! circuit breaker's states (with exactly one half-open probe under concurrency), forced
//! switches, refused configurations, both sides failing, `connect`, and stats that add up.
//! A scripted primary whose failures the tests switch on and off stands in for Redis where
//! the behaviour is the composite's own; real `redis-server` processes where it is Redis's.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use fastex::limiter::RateLimitConfig;
use fastex::limiter::backend::composite::{
    CircuitBreakerState, CompositeLimiterBackend, CompositeStats, CurrentBackend, SwitchingStrategy,
};
use fastex::limiter::backend::memory::InMemoryLimiterBackend;
use fastex::limiter::backend::redis::{RedisLimiterBackend, RedisLimiterBackendConnectConfig};
use fastex::limiter::backend::{
    BackendFuture, BackendStats, FallbackMode, LimitCheck, LimiterBackend, LimiterBackendError,
};
use fastex::{RateLimitResult, rate_limit};
use fastex_tests::{RedisServer, TestClient, TestServer};
use tokio::sync::watch;

/// How long anything that happens in the background may take before the test gives up:
/// generous, as the machine may be busy; no test asserts how fast anything is.
const DEADLINE: Duration = Duration::from_secs(10);

/// The recovery timeout of the circuit-breaker tests: long enough that a busy machine does
/// not reach it between two checks that must not probe.
const RECOVERY: Duration = Duration::from_millis(500);

/// Waits until [`RECOVERY`] has passed since the circuit opened.
async fn past_recovery() {
    tokio::time::sleep(RECOVERY + Duration::from_millis(100)).await;
}

/// `remaining_requests` of every answer [`Scripted`] gives, so a test can tell which side
/// answered: the memory backend never answers it for the small limits used here.
const SCRIPTED_MARK: u32 = 4_242;

/// A primary (or fallback) whose behaviour the test sets: it fails checks, connects, answers
/// health checks and is connected as told; it can hold every check at a gate until the test
/// opens it; it counts the checks it saw and how many ran at once.
#[derive(Debug)]
struct Scripted {
    name: &'static str,
    mode: FallbackMode,
    failing: AtomicBool,
    healthy: AtomicBool,
    connected: AtomicBool,
    connect_fails: AtomicBool,
    gate: watch::Sender<bool>,
    calls: AtomicU32,
    in_flight: AtomicU32,
    max_in_flight: AtomicU32,
    health_checks: AtomicU32,
}

impl Scripted {
    fn new(name: &'static str) -> Arc<Self> {
        Self::with_mode(name, FallbackMode::Allow)
    }

    fn with_mode(name: &'static str, mode: FallbackMode) -> Arc<Self> {
        Arc::new(Scripted {
            name,
            mode,
            failing: AtomicBool::new(false),
            healthy: AtomicBool::new(true),
            connected: AtomicBool::new(true),
            connect_fails: AtomicBool::new(false),
            gate: watch::Sender::new(true),
            calls: AtomicU32::new(0),
            in_flight: AtomicU32::new(0),
            max_in_flight: AtomicU32::new(0),
            health_checks: AtomicU32::new(0),
        })
    }

    fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Holds every check from now on until [`open_gate`](Self::open_gate).
    fn close_gate(&self) {
        self.gate.send_replace(false);
    }

    fn open_gate(&self) {
        self.gate.send_replace(true);
    }

    async fn check(&self) -> Result<RateLimitResult, LimiterBackendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if !self.is_connected() {
            return Err(LimiterBackendError::NotConnected { backend: self.name });
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let mut gate = self.gate.subscribe();
        gate.wait_for(|open| *open).await.expect("the gate lives");
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            return Err(LimiterBackendError::Unavailable {
                backend: self.name,
                source: format!("{} is scripted to fail", self.name).into(),
            });
        }
        Ok(RateLimitResult::allowed(
            10,
            SCRIPTED_MARK,
            Duration::from_secs(1),
        ))
    }
}

impl LimiterBackend for Scripted {
    fn name(&self) -> &'static str {
        self.name
    }

    fn connect(&self) -> BackendFuture<'_, Result<(), LimiterBackendError>> {
        if self.connect_fails.load(Ordering::SeqCst) {
            return BackendFuture::ready(Err(LimiterBackendError::Unavailable {
                backend: self.name,
                source: format!("{} refuses to connect", self.name).into(),
            }));
        }
        self.connected.store(true, Ordering::SeqCst);
        BackendFuture::ready(Ok(()))
    }

    fn disconnect(&self) -> BackendFuture<'_, ()> {
        self.connected.store(false, Ordering::SeqCst);
        BackendFuture::ready(())
    }

    fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    fn health_check(&self) -> BackendFuture<'_, bool> {
        self.health_checks.fetch_add(1, Ordering::SeqCst);
        BackendFuture::ready(self.healthy.load(Ordering::SeqCst))
    }

    fn fallback_mode(&self) -> FallbackMode {
        self.mode
    }

    fn check_limits<'a>(
        &'a self,
        _checks: &'a [LimitCheck<'a>],
    ) -> BackendFuture<'a, Result<RateLimitResult, LimiterBackendError>> {
        BackendFuture::boxed(self.check())
    }

    fn stats(&self) -> BackendStats {
        BackendStats::None
    }
}

async fn memory() -> Arc<InMemoryLimiterBackend> {
    let memory = Arc::new(InMemoryLimiterBackend::new(Default::default()).expect("defaults"));
    memory.connect().await.expect("memory connects");
    memory
}

fn limit() -> RateLimitConfig {
    RateLimitConfig::new(1_000, 60_000)
}

/// One check of `key`; panics on an error, which the composite must never give while one
/// side answers. Returns whether the scripted primary answered it.
async fn answered_by_primary(composite: &CompositeLimiterBackend, key: &str) -> bool {
    let result = composite
        .check_limit(key, &limit())
        .await
        .unwrap_or_else(|error| panic!("a check of {key} failed: {error}"));
    assert!(!result.is_exceeded, "{key} stays far below its limit");
    result.remaining_requests == SCRIPTED_MARK
}

async fn checks_answered_by_primary(
    composite: &CompositeLimiterBackend,
    key: &str,
    n: usize,
) -> Vec<bool> {
    let mut answers = Vec::with_capacity(n);
    for _ in 0..n {
        answers.push(answered_by_primary(composite, key).await);
    }
    answers
}

/// Polls `attempt` until it gives `Some`, failing the test after [`DEADLINE`].
async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = attempt().await {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn assert_adds_up(stats: &CompositeStats) {
    assert_eq!(
        stats.primary_requests + stats.fallback_requests,
        stats.total_requests,
        "{stats:?}"
    );
    assert_eq!(
        stats.primary_errors + stats.fallback_errors,
        stats.total_errors,
        "{stats:?}"
    );
}

#[tokio::test]
async fn the_circuit_opens_after_threshold_consecutive_failures_and_the_fallback_answers() {
    let primary = Scripted::new("scripted");
    let composite = CompositeLimiterBackend::builder(primary.clone(), memory().await)
        .failure_threshold(3)
        .recovery_timeout(Duration::from_secs(60))
        .build()
        .expect("a valid composite");
    assert_eq!(composite.current_backend(), CurrentBackend::Primary);

    assert_eq!(
        checks_answered_by_primary(&composite, "k", 5).await,
        [true; 5],
        "closed: the primary answers"
    );
    let stats = composite.composite_stats();
    assert_eq!(stats.circuit_state, CircuitBreakerState::Closed);
    assert_eq!((stats.primary_requests, stats.fallback_requests), (5, 0));

    primary.fail(true);
    for failures in 1..=3 {
        assert!(
            !answered_by_primary(&composite, "k").await,
            "a failed check is answered by the fallback, not by an error"
        );
        let stats = composite.composite_stats();
        assert_eq!(stats.failure_count, failures);
        let expected = if failures < 3 {
            CircuitBreakerState::Closed
        } else {
            CircuitBreakerState::Open
        };
        assert_eq!(stats.circuit_state, expected, "after {failures} failures");
    }
    assert_eq!(primary.calls(), 8);
    assert_eq!(composite.current_backend(), CurrentBackend::Fallback);

    assert_eq!(
        checks_answered_by_primary(&composite, "k", 10).await,
        [false; 10]
    );
    assert_eq!(
        primary.calls(),
        8,
        "an open circuit does not ask the primary"
    );
    let stats = composite.composite_stats();
    assert_eq!(stats.circuit_state, CircuitBreakerState::Open);
    assert_eq!(stats.primary_requests, 8);
    assert_eq!(stats.fallback_requests, 13);
    assert_eq!((stats.primary_errors, stats.fallback_errors), (3, 0));
    assert_eq!(stats.total_requests, 21);
    assert_adds_up(&stats);
}

#[tokio::test]
async fn a_success_between_failures_resets_the_count() {
    let primary = Scripted::new("scripted");
    let composite = CompositeLimiterBackend::builder(primary.clone(), memory().await)
        .failure_threshold(3)
        .build()
        .expect("a valid composite");
    for _ in 0..5 {
        primary.fail(true);
        checks_answered_by_primary(&composite, "k", 2).await;
        primary.fail(false);
        assert!(answered_by_primary(&composite, "k").await);
    }
    let stats = composite.composite_stats();
    assert_eq!(
        stats.circuit_state,
        CircuitBreakerState::Closed,
        "{stats:?}"
    );
    assert_eq!(stats.failure_count, 0);
    assert_eq!(stats.primary_errors, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn half_open_lets_exactly_one_probe_through_under_concurrency() {
    let primary = Scripted::new("scripted");
    let composite = Arc::new(
        CompositeLimiterBackend::builder(primary.clone(), memory().await)
            .failure_threshold(1)
            .recovery_timeout(RECOVERY)
            .build()
            .expect("a valid composite"),
    );
    primary.fail(true);
    assert!(!answered_by_primary(&composite, "k").await);
    assert_eq!(
        composite.composite_stats().circuit_state,
        CircuitBreakerState::Open
    );
    assert!(!answered_by_primary(&composite, "k").await);
    assert_eq!(primary.calls(), 1, "no probe before the recovery timeout");

    // The primary recovers, but holds every check until the test lets it go.
    primary.fail(false);
    primary.close_gate();
    past_recovery().await;
    let calls_before = primary.calls();
    let checks: Vec<_> = (0..50)
        .map(|i| {
            let composite = composite.clone();
            tokio::spawn(async move {
                composite
                    .check_limit(&format!("concurrent-{i}"), &limit())
                    .await
            })
        })
        .collect();

    // Everyone but the probe is answered by the fallback while the probe is held.
    eventually("the probe reaches the primary", || async {
        (primary.in_flight.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    eventually("the 49 others are answered by the fallback", || async {
        (checks.iter().filter(|check| check.is_finished()).count() == 49).then_some(())
    })
    .await;
    let stats = composite.composite_stats();
    assert_eq!(stats.circuit_state, CircuitBreakerState::HalfOpen);
    assert_eq!(
        primary.calls() - calls_before,
        1,
        "50 concurrent checks in half-open: exactly one probe"
    );
    assert!(
        !answered_by_primary(&composite, "while-probing").await,
        "a check during the probe goes to the fallback"
    );
    assert_eq!(primary.calls() - calls_before, 1);

    primary.open_gate();
    let mut by_primary = 0;
    for check in checks {
        let result = check
            .await
            .expect("the check task")
            .expect("no error while one side answers");
        by_primary += usize::from(result.remaining_requests == SCRIPTED_MARK);
    }
    assert_eq!(
        by_primary, 1,
        "the probe's own answer came from the primary"
    );
    assert_eq!(primary.max_in_flight.load(Ordering::SeqCst), 1);

    let stats = composite.composite_stats();
    assert_eq!(
        stats.circuit_state,
        CircuitBreakerState::Closed,
        "the probe's success closes the circuit"
    );
    assert_eq!(composite.current_backend(), CurrentBackend::Primary);
    assert!(answered_by_primary(&composite, "k").await);
    assert_adds_up(&composite.composite_stats());
}

#[tokio::test]
async fn a_failed_probe_reopens_the_circuit_for_a_new_recovery_timeout() {
    let primary = Scripted::new("scripted");
    let composite = CompositeLimiterBackend::builder(primary.clone(), memory().await)
        .failure_threshold(1)
        .recovery_timeout(RECOVERY)
        .build()
        .expect("a valid composite");
    primary.fail(true);
    assert!(!answered_by_primary(&composite, "k").await);
    past_recovery().await;

    assert!(
        !answered_by_primary(&composite, "k").await,
        "the failed probe is answered by the fallback"
    );
    assert_eq!(primary.calls(), 2, "the probe asked the primary");
    assert_eq!(
        composite.composite_stats().circuit_state,
        CircuitBreakerState::Open
    );
    // The first timeout has long passed: only a new one lets the next probe through.
    primary.fail(false);
    assert_eq!(
        checks_answered_by_primary(&composite, "k", 20).await,
        [false; 20]
    );
    assert_eq!(
        primary.calls(),
        2,
        "no probe before the new recovery timeout"
    );

    past_recovery().await;
    assert!(answered_by_primary(&composite, "k").await, "the next probe");
    assert_eq!(
        composite.composite_stats().circuit_state,
        CircuitBreakerState::Closed
    );
}

#[tokio::test]
async fn asking_where_requests_go_does_not_use_up_the_probe() {
    let primary = Scripted::new("scripted");
    let composite = CompositeLimiterBackend::builder(primary.clone(), memory().await)
        .failure_threshold(1)
        .recovery_timeout(RECOVERY)
        .build()
        .expect("a valid composite");
    primary.fail(true);
    assert!(!answered_by_primary(&composite, "k").await);
    primary.fail(false);
    past_recovery().await;

    // A monitoring route may ask as often as it likes.
    for _ in 0..3 {
        composite.current_backend();
    }
    assert!(
        answered_by_primary(&composite, "k").await,
        "the next request is still the probe"
    );
    assert_eq!(
        composite.composite_stats().circuit_state,
        CircuitBreakerState::Closed
    );
}

#[tokio::test]
async fn health_check_routes_by_the_last_answer_and_stops_on_disconnect() {
    let primary = Scripted::new("scripted");
    let composite = CompositeLimiterBackend::builder(primary.clone(), memory().await)
        .strategy(SwitchingStrategy::HealthCheck)
        .health_check_interval(Duration::from_millis(100))
        .build()
        .expect("a valid composite");
    composite.connect().await.expect("both sides connect");
    assert!(answered_by_primary(&composite, "k").await);

    primary.healthy.store(false, Ordering::SeqCst);
    eventually(
        "a failed health check moves requests to the fallback",
        || {
            let to_fallback = composite.current_backend() == CurrentBackend::Fallback;
            async move { to_fallback.then_some(()) }
        },
    )
    .await;
    let calls = primary.calls();
    assert_eq!(
        checks_answered_by_primary(&composite, "k", 5).await,
        [false; 5]
    );
    assert_eq!(primary.calls(), calls, "an unhealthy primary is not asked");

    primary.healthy.store(true, Ordering::SeqCst);
    eventually("a passed health check brings requests back", || {
        let to_primary = composite.current_backend() == CurrentBackend::Primary;
        async move { to_primary.then_some(()) }
    })
    .await;
    assert_eq!(
        checks_answered_by_primary(&composite, "k", 5).await,
        [true; 5]
    );

    // A check that fails while the health check still says healthy is answered by the
    // fallback, without moving the route.
    primary.fail(true);
    assert!(!answered_by_primary(&composite, "k").await);
    assert_eq!(composite.current_backend(), CurrentBackend::Primary);
    assert_eq!(
        composite.composite_stats().strategy,
        SwitchingStrategy::HealthCheck
    );

    composite.disconnect().await;
    assert!(!composite.is_connected());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let pings = primary.health_checks.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        primary.health_checks.load(Ordering::SeqCst),
        pings,
        "disconnect stops the health checks"
    );
}

#[tokio::test]
async fn fail_fast_follows_whether_the_primary_is_connected() {
    let primary = Scripted::new("scripted");
    let composite = CompositeLimiterBackend::builder(primary.clone(), memory().await)
        .strategy(SwitchingStrategy::FailFast)
        .build()
        .expect("a valid composite");
    assert!(answered_by_primary(&composite, "k").await);

    primary.connected.store(false, Ordering::SeqCst);
    assert_eq!(composite.current_backend(), CurrentBackend::Fallback);
    assert_eq!(
        checks_answered_by_primary(&composite, "k", 5).await,
        [false; 5]
    );
    assert_eq!(primary.calls(), 1, "a disconnected primary is never asked");

    primary.connected.store(true, Ordering::SeqCst);
    assert_eq!(composite.current_backend(), CurrentBackend::Primary);
    assert!(answered_by_primary(&composite, "k").await);
    let stats = composite.composite_stats();
    assert_eq!((stats.primary_requests, stats.fallback_requests), (2, 5));
}

#[tokio::test]
async fn forced_switches_override_every_strategy() {
    for strategy in SwitchingStrategy::ALL {
        let primary = Scripted::new("scripted");
        let composite = CompositeLimiterBackend::builder(primary.clone(), memory().await)
            .strategy(strategy)
            .failure_threshold(1)
            .recovery_timeout(Duration::from_millis(1))
            .health_check_interval(Duration::from_millis(50))
            .build()
            .expect("a valid composite");
        composite.connect().await.expect("both sides connect");
        assert!(answered_by_primary(&composite, "k").await, "{strategy}");

        composite.force_switch_to_fallback();
        let stats = composite.composite_stats();
        assert_eq!(
            stats.circuit_state,
            CircuitBreakerState::ForcedOpen,
            "{strategy}"
        );
        assert_eq!(composite.current_backend(), CurrentBackend::Fallback);
        // No recovery timeout, health check or probe ends a forced switch.
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(
            checks_answered_by_primary(&composite, "k", 5).await,
            [false; 5],
            "{strategy}: forced to the fallback while the primary is healthy"
        );
        assert_eq!(primary.calls(), 1, "{strategy}");
        assert_eq!(
            composite.composite_stats().circuit_state,
            CircuitBreakerState::ForcedOpen
        );

        composite.force_switch_to_primary();
        assert_eq!(
            composite.composite_stats().circuit_state,
            CircuitBreakerState::Closed,
            "{strategy}"
        );
        assert_eq!(composite.current_backend(), CurrentBackend::Primary);
        assert_eq!(
            checks_answered_by_primary(&composite, "k", 3).await,
            [true; 3],
            "{strategy}"
        );
        composite.disconnect().await;
    }
}

#[tokio::test]
async fn forcing_the_primary_closes_an_open_circuit() {
    let primary = Scripted::new("scripted");
    let composite = CompositeLimiterBackend::builder(primary.clone(), memory().await)
        .failure_threshold(2)
        .recovery_timeout(Duration::from_secs(60))
        .build()
        .expect("a valid composite");
    primary.fail(true);
    checks_answered_by_primary(&composite, "k", 2).await;
    assert_eq!(
        composite.composite_stats().circuit_state,
        CircuitBreakerState::Open
    );
    primary.fail(false);
    composite.force_switch_to_primary();
    let stats = composite.composite_stats();
    assert_eq!(stats.circuit_state, CircuitBreakerState::Closed);
    assert_eq!(stats.failure_count, 0);
    assert!(answered_by_primary(&composite, "k").await);
}

#[tokio::test]
async fn invalid_composites_are_refused_at_build() {
    let inner = || async {
        Arc::new(
            CompositeLimiterBackend::new(Scripted::new("inner"), memory().await)
                .expect("a valid composite"),
        )
    };
    let refusal = |result: Result<CompositeLimiterBackend, LimiterBackendError>| match result {
        Err(LimiterBackendError::InvalidConfiguration(message)) => message,
        other => panic!("expected InvalidConfiguration, got {other:?}"),
    };

    let message = refusal(CompositeLimiterBackend::new(inner().await, memory().await));
    assert!(
        message.contains("primary") && message.contains("composite"),
        "{message}"
    );
    let message = refusal(
        CompositeLimiterBackend::builder(memory().await, inner().await)
            .strategy(SwitchingStrategy::FailFast)
            .build(),
    );
    assert!(
        message.contains("fallback") && message.contains("composite"),
        "{message}"
    );
    let message = refusal(
        CompositeLimiterBackend::builder(Scripted::new("p"), memory().await)
            .failure_threshold(0)
            .build(),
    );
    assert!(message.contains("failure_threshold"), "{message}");
    let message = refusal(
        CompositeLimiterBackend::builder(Scripted::new("p"), memory().await)
            .health_check_interval(Duration::ZERO)
            .build(),
    );
    assert!(message.contains("health_check_interval"), "{message}");
}

#[tokio::test]
async fn both_sides_failing_gives_an_error_the_fallback_mode_resolves() {
    let config = limit();
    let retry = Duration::from_secs(30);
    for chosen in [
        None,
        Some(FallbackMode::Allow),
        Some(FallbackMode::Deny),
        Some(FallbackMode::Raise),
    ] {
        let primary = Scripted::with_mode("primary", FallbackMode::Deny);
        let fallback = Scripted::with_mode("fallback", FallbackMode::Allow);
        primary.fail(true);
        fallback.fail(true);
        let mut builder = CompositeLimiterBackend::builder(primary.clone(), fallback.clone());
        if let Some(mode) = chosen {
            builder = builder.fallback_mode(mode);
        }
        let composite = builder.build().expect("a valid composite");
        let mode = composite.fallback_mode();
        assert_eq!(
            mode,
            chosen.unwrap_or(FallbackMode::Deny),
            "default: the primary's mode"
        );

        let error = composite
            .check_limit("k", &config)
            .await
            .expect_err("both sides fail");
        assert!(error.is_outage(), "{error}");
        assert_eq!((primary.calls(), fallback.calls()), (1, 1));
        let stats = composite.composite_stats();
        assert_eq!((stats.primary_errors, stats.fallback_errors), (1, 1));
        assert_eq!(stats.total_errors, 2);
        assert_adds_up(&stats);

        match (mode, mode.resolve(error, &config, retry)) {
            (FallbackMode::Allow, Ok(result)) => assert!(!result.is_exceeded),
            (FallbackMode::Deny, Ok(result)) => {
                assert!(result.is_exceeded);
                assert_eq!(result.retry_after_ms, 30_000);
            }
            (FallbackMode::Raise, Err(error)) => assert!(error.is_outage()),
            (mode, other) => panic!("{mode}: unexpected {other:?}"),
        }
    }
}

#[rate_limit(times = 100, minutes = 1)]
async fn guarded() -> &'static str {
    "ok"
}

/// The only test of this file that sets the process's default backend.
#[tokio::test]
async fn over_http_both_sides_failing_answer_by_the_composites_mode() {
    let server = TestServer::start(Router::new().route("/guarded", get(guarded))).await;
    let client = TestClient::from("127.0.0.40");
    for (mode, status) in [
        (FallbackMode::Allow, 200),
        (FallbackMode::Deny, 429),
        (FallbackMode::Raise, 503),
    ] {
        let (primary, fallback) = (Scripted::new("primary"), Scripted::new("fallback"));
        let composite = Arc::new(
            CompositeLimiterBackend::builder(primary.clone(), fallback.clone())
                .fallback_mode(mode)
                .build()
                .expect("a valid composite"),
        );
        fastex::limiter::configure_limiter(composite.clone());

        primary.fail(true);
        let reply = client.get(&server.url("/guarded")).await;
        assert_eq!(reply.status, 200, "{mode}: the fallback answers");
        fallback.fail(true);
        let reply = client.get(&server.url("/guarded")).await;
        assert_eq!(reply.status.as_u16(), status, "{mode}: {}", reply.body);
        let stats = composite.composite_stats();
        assert_eq!(stats.fallback_errors, 1, "{mode}");
        assert_adds_up(&stats);
    }
}

#[tokio::test]
async fn connect_needs_one_side_and_names_both_failures() {
    // Primary down, fallback up: connected on the fallback.
    let primary = Scripted::new("scripted-primary");
    primary.connected.store(false, Ordering::SeqCst);
    primary.connect_fails.store(true, Ordering::SeqCst);
    let composite =
        CompositeLimiterBackend::new(primary.clone(), memory().await).expect("a valid composite");
    composite.connect().await.expect("the fallback is enough");
    assert!(composite.is_connected());
    assert!(!answered_by_primary(&composite, "k").await);

    // Primary up, fallback down: connected on the primary.
    let fallback = Scripted::new("scripted-fallback");
    fallback.connected.store(false, Ordering::SeqCst);
    fallback.connect_fails.store(true, Ordering::SeqCst);
    let composite = CompositeLimiterBackend::new(Scripted::new("p"), fallback.clone())
        .expect("a valid composite");
    composite.connect().await.expect("the primary is enough");
    assert!(answered_by_primary(&composite, "k").await);

    // Both down: one error naming both failures. The primary is a Redis nobody listens for.
    let nobody = RedisServer::unstarted(&[]);
    let redis = Arc::new(RedisLimiterBackend::new(
        RedisLimiterBackendConnectConfig::new(nobody.url()),
    ));
    let composite =
        CompositeLimiterBackend::new(redis, fallback.clone()).expect("a valid composite");
    let error = composite
        .connect()
        .await
        .expect_err("neither side connects");
    let message = error.to_string();
    assert!(
        message.contains("primary:") && message.contains("fallback:"),
        "{message}"
    );
    assert!(message.contains("cannot reach Redis"), "{message}");
    assert!(
        message.contains("scripted-fallback refuses to connect"),
        "{message}"
    );
    assert!(!composite.is_connected());
}

#[tokio::test]
async fn stats_add_up_after_a_mixed_run() {
    let primary = Scripted::new("primary");
    let fallback = Scripted::new("fallback");
    let composite = CompositeLimiterBackend::builder(primary.clone(), fallback.clone())
        .failure_threshold(2)
        .recovery_timeout(RECOVERY)
        .build()
        .expect("a valid composite");
    let stats = composite.composite_stats();
    assert_eq!(stats.seconds_since_last_failure, None);
    assert_eq!(stats.seconds_since_last_success, None);
    assert_eq!(stats.total_requests, 0);

    checks_answered_by_primary(&composite, "k", 4).await; // primary 4
    let stats = composite.composite_stats();
    assert!(stats.seconds_since_last_success.is_some());
    assert_eq!(stats.seconds_since_last_failure, None);

    primary.fail(true);
    checks_answered_by_primary(&composite, "k", 2).await; // primary 2 (errors), fallback 2: open
    checks_answered_by_primary(&composite, "k", 3).await; // fallback 3
    fallback.fail(true);
    for _ in 0..2 {
        composite
            .check_limit("k", &limit())
            .await
            .expect_err("both fail"); // fallback 2 (errors)
    }
    fallback.fail(false);
    past_recovery().await;
    checks_answered_by_primary(&composite, "k", 1).await; // failed probe: primary 1 (error), fallback 1
    primary.fail(false);
    past_recovery().await;
    checks_answered_by_primary(&composite, "k", 3).await; // probe, then closed: primary 3

    let stats = composite.composite_stats();
    assert_eq!(stats.circuit_state, CircuitBreakerState::Closed);
    assert_eq!(stats.primary_requests, 4 + 2 + 1 + 3);
    assert_eq!(stats.fallback_requests, 2 + 3 + 2 + 1);
    assert_eq!(stats.primary_errors, 3);
    assert_eq!(stats.fallback_errors, 2);
    assert_eq!(stats.total_requests, 18);
    assert_eq!(stats.total_errors, 5);
    assert_adds_up(&stats);
    assert_eq!(u64::from(primary.calls()), stats.primary_requests);
    assert_eq!(u64::from(fallback.calls()), stats.fallback_requests);
    let since_failure = stats.seconds_since_last_failure.expect("it failed");
    let since_success = stats.seconds_since_last_success.expect("it answered");
    assert!(
        since_success < since_failure,
        "the last success came after the last failure: {stats:?}"
    );
    assert!(stats.primary_healthy && stats.fallback_healthy);

    let json = serde_json::to_value(composite.stats()).expect("stats serialize");
    assert_eq!(json["backend"], "composite");
    assert_eq!(json["strategy"], "circuit_breaker");
    assert_eq!(json["circuit_state"], "closed");
    assert_eq!(json["total_requests"], 18);
    assert_eq!(
        json["primary_requests"].as_u64().unwrap() + json["fallback_requests"].as_u64().unwrap(),
        json["total_requests"].as_u64().unwrap()
    );
}

// Redis-specific behaviour, on real `redis-server` processes.

fn redis_config(server: &RedisServer) -> RedisLimiterBackendConnectConfig {
    RedisLimiterBackendConnectConfig {
        // Long enough that a busy machine never turns a slow answer into a failure.
        check_timeout: Duration::from_secs(2),
        ..RedisLimiterBackendConnectConfig::new(server.url())
    }
}

fn limiter_keys(server: &RedisServer) -> Vec<String> {
    redis::cmd("KEYS")
        .arg("limiter:*")
        .query(&mut server.connection())
        .expect("KEYS")
}

#[tokio::test]
async fn a_killed_redis_opens_the_circuit_and_a_restarted_one_closes_it() {
    let mut server = RedisServer::start();
    let redis = Arc::new(RedisLimiterBackend::new(redis_config(&server)));
    let memory = memory().await;
    let composite = CompositeLimiterBackend::builder(redis, memory.clone())
        .failure_threshold(2)
        .recovery_timeout(Duration::from_secs(1))
        .build()
        .expect("a valid composite");
    composite.connect().await.expect("both sides connect");
    let config = RateLimitConfig::new(2, 60_000);
    let check = |key: &'static str| {
        let (composite, config) = (&composite, &config);
        async move {
            composite
                .check_limit(key, config)
                .await
                .expect("one side answers")
        }
    };
    assert!(!check("limiter:a").await.is_exceeded);
    assert_eq!(limiter_keys(&server), ["limiter:a"]);

    server.kill();
    let mut refused = Vec::new();
    for _ in 0..5 {
        refused.push(check("limiter:b").await.is_exceeded);
    }
    assert_eq!(
        refused,
        [false, false, true, true, true],
        "memory answers during the outage, enforcing 2/min"
    );
    let stats = composite.composite_stats();
    assert_eq!(stats.circuit_state, CircuitBreakerState::Open, "{stats:?}");
    assert_eq!(stats.primary_errors, 2);
    assert_eq!(stats.fallback_requests, 5);
    assert!(!stats.primary_healthy, "{stats:?}");

    server.restart();
    eventually("back on Redis after the restart", || async {
        check("limiter:c").await;
        (composite.composite_stats().circuit_state == CircuitBreakerState::Closed).then_some(())
    })
    .await;
    assert!(!check("limiter:d").await.is_exceeded);
    assert!(
        limiter_keys(&server).contains(&"limiter:d".to_owned()),
        "Redis counts again: {:?}",
        limiter_keys(&server)
    );
    let stats = composite.composite_stats();
    assert!(stats.primary_healthy);
    assert_adds_up(&stats);
}

#[tokio::test]
async fn health_check_pings_redis_and_follows_it_down_and_up() {
    let mut server = RedisServer::start();
    let composite = CompositeLimiterBackend::builder(
        Arc::new(RedisLimiterBackend::new(redis_config(&server))),
        memory().await,
    )
    .strategy(SwitchingStrategy::HealthCheck)
    .health_check_interval(Duration::from_millis(100))
    .build()
    .expect("a valid composite");
    composite.connect().await.expect("both sides connect");
    let pings = server.calls("ping");
    eventually("the health check PINGs Redis", || async {
        (server.calls("ping") > pings).then_some(())
    })
    .await;

    server.kill();
    eventually("a failed PING moves requests to memory", || {
        let to_fallback = composite.current_backend() == CurrentBackend::Fallback;
        async move { to_fallback.then_some(()) }
    })
    .await;
    let primary_requests = composite.composite_stats().primary_requests;
    composite
        .check_limit("limiter:h", &limit())
        .await
        .expect("memory answers");
    assert_eq!(
        composite.composite_stats().primary_requests,
        primary_requests,
        "Redis is not asked while its PING fails"
    );

    server.restart();
    eventually("a PING answered again brings requests back", || {
        let to_primary = composite.current_backend() == CurrentBackend::Primary;
        async move { to_primary.then_some(()) }
    })
    .await;
    composite
        .check_limit("limiter:h", &limit())
        .await
        .expect("Redis answers");
    assert_eq!(limiter_keys(&server), ["limiter:h"]);
    composite.disconnect().await;
}

#[tokio::test]
async fn fail_fast_uses_a_redis_connected_in_the_background_and_recovers_after_a_restart() {
    let mut server = RedisServer::start();
    let composite = CompositeLimiterBackend::builder(
        Arc::new(RedisLimiterBackend::new(redis_config(&server))),
        memory().await,
    )
    .strategy(SwitchingStrategy::FailFast)
    .health_check_interval(Duration::from_millis(100))
    .build()
    .expect("a valid composite");
    composite
        .connect_in_background()
        .await
        .expect("starts in the background");
    let check = || async {
        composite
            .check_limit("limiter:f", &limit())
            .await
            .expect("one side answers");
    };
    eventually("requests reach Redis once it answers", || async {
        check().await;
        (!limiter_keys(&server).is_empty()).then_some(())
    })
    .await;

    server.kill();
    eventually("a dead Redis sends requests to memory", || async {
        check().await;
        (composite.current_backend() == CurrentBackend::Fallback).then_some(())
    })
    .await;
    server.restart();
    eventually("requests reach Redis again after its restart", || async {
        check().await;
        (!limiter_keys(&server).is_empty()).then_some(())
    })
    .await;
    assert_eq!(composite.current_backend(), CurrentBackend::Primary);
    composite.disconnect().await;
}

#[tokio::test]
async fn connect_with_redis_down_returns_to_redis_once_it_is_up() {
    let mut server = RedisServer::unstarted(&[]);
    let redis = Arc::new(RedisLimiterBackend::new(redis_config(&server)));
    let composite = CompositeLimiterBackend::builder(redis, memory().await)
        .failure_threshold(1)
        .recovery_timeout(Duration::from_millis(200))
        .build()
        .expect("a valid composite");
    composite
        .connect()
        .await
        .expect("the fallback connects, so the composite does");
    let config = RateLimitConfig::new(100, 60_000);
    composite
        .check_limit("limiter:down", &config)
        .await
        .expect("memory answers while Redis is down");

    server.restart();
    eventually("back on Redis once it is up", || async {
        composite
            .check_limit("limiter:up", &config)
            .await
            .expect("one side answers");
        limiter_keys(&server)
            .contains(&"limiter:up".to_owned())
            .then_some(())
    })
    .await;
    assert_eq!(
        composite.composite_stats().circuit_state,
        CircuitBreakerState::Closed
    );
}
