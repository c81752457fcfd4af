//! `RateLimit-*` headers on admitted responses too, for clients that pace themselves.

use std::sync::{Arc, OnceLock};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::response::insert_rate_limit_headers;
use crate::RateLimitResult;

/// Where the guard leaves its result for [`rate_limit_headers`] to read.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResultSlot(Arc<OnceLock<RateLimitResult>>);

impl ResultSlot {
    pub(crate) fn fill(&self, result: RateLimitResult) {
        let _ = self.0.set(result);
    }
}

/// Middleware that adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` to
/// the responses of `#[rate_limit]` handlers that admitted the request (refusals carry them
/// already), so clients can slow down before they are refused.
///
/// ```
/// use axum::{Router, middleware, routing::get};
/// use fastex::limiter::rate_limit_headers;
///
/// #[fastex::rate_limit(times = 10, minutes = 1)]
/// async fn data() -> &'static str { "data" }
///
/// let app: Router = Router::new()
///     .route("/data", get(data))
///     .layer(middleware::from_fn(rate_limit_headers));
/// ```
pub async fn rate_limit_headers(mut request: Request, next: Next) -> Response {
    let slot = ResultSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if let Some(result) = slot.0.get()
        && !response.headers().contains_key("ratelimit-limit")
    {
        insert_rate_limit_headers(response.headers_mut(), result);
    }
    response
}
