//! The answers the guard gives instead of the handler.

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::RateLimitResult;

/// The fix a missing `ConnectInfo` needs, in the 500's body.
pub(crate) const MISSING_CONNECT_INFO: &str = "fastex cannot tell clients apart: serve the app with \
    `axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())`, \
    or give the limit a `key = ...` function";

/// HTTP 429 with `{"detail":"Too Many Requests"}`, `Retry-After` and the `RateLimit-*`
/// headers: the default answer to a refused request.
pub(crate) fn too_many_requests(result: &RateLimitResult) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(serde_json::json!({ "detail": "Too Many Requests" })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from(result.retry_after_secs()),
    );
    insert_rate_limit_headers(headers, result);
    response
}

/// `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) for `result`.
pub(crate) fn insert_rate_limit_headers(headers: &mut HeaderMap, result: &RateLimitResult) {
    for (name, value) in [
        ("ratelimit-limit", u64::from(result.limit_times)),
        ("ratelimit-remaining", u64::from(result.remaining_requests)),
        ("ratelimit-reset", result.reset_secs()),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

/// A JSON error with `detail`.
pub(crate) fn error(status: StatusCode, detail: &str) -> Response {
    (status, Json(serde_json::json!({ "detail": detail }))).into_response()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_429_carries_the_rate_limit_headers() {
        let result = RateLimitResult::denied(5, 1_001, Duration::from_millis(59_500));
        let response = too_many_requests(&result);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("retry-after"), "2");
        assert_eq!(header("ratelimit-limit"), "5");
        assert_eq!(header("ratelimit-remaining"), "0");
        assert_eq!(header("ratelimit-reset"), "60");
        assert_eq!(header("content-type"), "application/json");
    }
}
