//! Behaviour that depends on the settings: trusted proxies, the default limit of a bare
//! `#[rate_limit]`, and what each fallback mode answers when the backend is down. One test
//! binary, one set of settings.

use std::sync::{Arc, Once};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use fastex::limiter::backend::FallbackMode;
use fastex::limiter::backend::memory::{InMemoryLimiterBackend, MemoryLimiterBackendConnectConfig};
use fastex::limiter::{LimiterSettings, configure_settings, register_backend};
use fastex::rate_limit;
use fastex_tests::{TestClient, TestServer, memory_backend};

#[rate_limit(times = 2, seconds = 60)]
async fn proxied() -> &'static str {
    "ok"
}

#[rate_limit]
async fn defaults() -> &'static str {
    "ok"
}

#[rate_limit(times = 1, seconds = 60, backend = "down-allow")]
async fn down_allow() -> &'static str {
    "ok"
}

#[rate_limit(times = 1, seconds = 60, backend = "down-deny")]
async fn down_deny() -> &'static str {
    "ok"
}

#[rate_limit(times = 1, seconds = 60, backend = "down-raise")]
async fn down_raise() -> &'static str {
    "ok"
}

#[rate_limit(times = 1, seconds = 60, backend = "never-registered")]
async fn unregistered() -> &'static str {
    "ok"
}

async fn server() -> TestServer {
    static SETTINGS: Once = Once::new();
    SETTINGS.call_once(|| {
        configure_settings(LimiterSettings {
            trust_proxy_headers: true,
            default_times: 2,
            default_window_seconds: 60,
            deny_fallback_retry_after_ms: 5_000,
            ..LimiterSettings::default()
        });
        // Never connected: every check is an outage, answered by the fallback mode.
        for mode in FallbackMode::ALL {
            let config = MemoryLimiterBackendConnectConfig {
                fallback_mode: mode,
                ..MemoryLimiterBackendConnectConfig::default()
            };
            let backend = Arc::new(InMemoryLimiterBackend::new(config).unwrap());
            register_backend(format!("down-{mode}"), backend);
        }
    });
    memory_backend().await;
    TestServer::start(
        Router::new()
            .route("/proxied", get(proxied))
            .route("/defaults", get(defaults))
            .route("/down-allow", get(down_allow))
            .route("/down-deny", get(down_deny))
            .route("/down-raise", get(down_raise))
            .route("/unregistered", get(unregistered)),
    )
    .await
}

#[tokio::test]
async fn a_trusted_proxy_identifies_clients_by_the_address_it_appended() {
    let server = server().await;
    let url = server.url("/proxied");
    // All requests come through one proxy at 127.0.0.20.
    let proxy = TestClient::from("127.0.0.20");
    let from = |chain: &'static str| [("x-forwarded-for", chain)];
    for _ in 0..2 {
        assert_eq!(
            proxy.get_with(&url, &from("203.0.113.1")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        proxy.get_with(&url, &from("203.0.113.1")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The client forges a leftmost entry; the proxy appends the real address last.
    let forged = proxy
        .get_with(&url, &from("198.51.100.99, 203.0.113.1"))
        .await;
    assert_eq!(forged.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own budget.
    assert_eq!(
        proxy.get_with(&url, &from("203.0.113.2")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_bare_rate_limit_uses_the_default_times_and_window() {
    let server = server().await;
    let client = TestClient::from("127.0.0.21");
    let url = server.url("/defaults");
    let statuses: Vec<u16> = futures_statuses(&client, &url, 3).await;
    assert_eq!(statuses, [200, 200, 429]);
    let limited = client.get(&url).await;
    assert_eq!(limited.header("ratelimit-limit"), Some("2"));
}

#[tokio::test]
async fn each_fallback_mode_answers_for_a_backend_that_is_down() {
    let server = server().await;
    let client = TestClient::from("127.0.0.22");
    let statuses = futures_statuses(&client, &server.url("/down-allow"), 3).await;
    assert_eq!(statuses, [200, 200, 200], "allow passes everything");

    let denied = client.get(&server.url("/down-deny")).await;
    assert_eq!(denied.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        denied.header("retry-after"),
        Some("5"),
        "LIMITER_DENY_FALLBACK_RETRY_AFTER_MS"
    );

    let raised = client.get(&server.url("/down-raise")).await;
    assert_eq!(raised.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(raised.body, r#"{"detail":"Rate limiter unavailable"}"#);
}

#[tokio::test]
async fn an_unregistered_backend_is_a_500_that_names_the_fix() {
    let server = server().await;
    let reply = TestClient::from("127.0.0.23")
        .get(&server.url("/unregistered"))
        .await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        reply
            .body
            .contains("register_backend(\\\"never-registered\\\""),
        "{}",
        reply.body
    );
}

async fn futures_statuses(client: &TestClient, url: &str, n: usize) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        statuses.push(client.get(url).await.status.as_u16());
    }
    statuses
}
