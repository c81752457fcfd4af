//! `rediss://`: the Redis backend over TLS, against a redis-server that speaks only TLS.

use fastex::limiter::RateLimitConfig;
use fastex::limiter::backend::redis::{RedisLimiterBackend, RedisLimiterBackendConnectConfig};
use fastex::limiter::backend::{LimiterBackend, LimiterBackendError};
use fastex_tests::RedisServer;

#[tokio::test]
async fn a_rediss_url_limits_over_tls() {
    let server = RedisServer::start_tls();
    assert!(server.url().starts_with("rediss://"));
    let backend = RedisLimiterBackend::new(RedisLimiterBackendConnectConfig::new(server.url()));
    backend.connect().await.expect("a TLS connection");
    let limit = RateLimitConfig::new(2, 60_000);
    let mut refused = Vec::new();
    for _ in 0..3 {
        let result = backend
            .check_limit("limiter:tls:0:{client}", &limit)
            .await
            .expect("a check over TLS");
        refused.push(result.is_exceeded);
    }
    assert_eq!(refused, [false, false, true]);
}

#[tokio::test]
async fn plain_redis_to_a_tls_port_is_a_clear_outage_not_a_hang() {
    let server = RedisServer::start_tls();
    let plain = server
        .url()
        .replace("rediss://", "redis://")
        .replace("#insecure", "");
    let backend = RedisLimiterBackend::new(RedisLimiterBackendConnectConfig::new(plain));
    let error = backend.connect().await.unwrap_err();
    assert!(
        matches!(
            error,
            LimiterBackendError::Unavailable { .. } | LimiterBackendError::Timeout { .. }
        ),
        "{error}"
    );
}
