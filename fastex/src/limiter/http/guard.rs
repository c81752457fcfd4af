use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use smallvec::SmallVec;

use super::headers::ResultSlot;
use super::identity::{client_ip, sanitize_identity};
use super::incident::Incident;
use super::keys::RequestKeys;
use super::response::{MISSING_CONNECT_INFO, error, too_many_requests};
use crate::__private::{LimitSpec, RouteLimits};
use crate::RateLimitResult;
use crate::limiter::backend::{LimitCheck, LimiterBackend, LimiterBackendError};
use crate::limiter::{LimiterSettings, RateLimitConfig, active_settings, resolve_backend};

static MISSING_CONNECT_INFO_INCIDENT: Incident = Incident::new();
static NOT_INITIALIZED_INCIDENT: Incident = Incident::new();
static OUTAGE_INCIDENT: Incident = Incident::new();

/// The extractor `#[rate_limit]` puts in front of a handler's own: it checks the handler's
/// limits before anything else runs, and answers for the handler when they refuse.
pub struct Guard<L>(PhantomData<fn() -> L>);

impl<L> std::fmt::Debug for Guard<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guard")
    }
}

impl<L: RouteLimits, S: Send + Sync> FromRequestParts<S> for Guard<L> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        enforce::<L>(parts).await.map(|()| Guard(PhantomData))
    }
}

/// Checks the route's limits for this request; `Err` is the answer to send instead.
async fn enforce<L: RouteLimits>(parts: &Parts) -> Result<(), Response> {
    let settings: Arc<LimiterSettings> = Arc::clone(&active_settings());
    let identity = match L::identity(parts).await {
        Some(custom) => sanitize_identity(&custom).into_owned(),
        None => match client_ip(parts, settings.trust_proxy_headers) {
            Ok(ip) => ip.to_string(),
            Err(_) => {
                if MISSING_CONNECT_INFO_INCIDENT.open() {
                    tracing::error!(target: "fastex::http", route = L::ROUTE, "{MISSING_CONNECT_INFO}");
                }
                return Err(error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    MISSING_CONNECT_INFO,
                ));
            }
        },
    };
    let backend = match resolve_backend(L::BACKEND) {
        Ok(backend) => backend,
        Err(not_initialized) => {
            if NOT_INITIALIZED_INCIDENT.open() {
                tracing::error!(target: "fastex::http", route = L::ROUTE, "{not_initialized}");
            }
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &not_initialized.to_string(),
            ));
        }
    };

    // Inline for up to four stacked limits: no allocation beyond the keys' one buffer.
    let configs: SmallVec<[RateLimitConfig; 4]> = L::LIMITS
        .iter()
        .map(|spec| match spec {
            LimitSpec::Fixed(config) => *config,
            LimitSpec::FromSettings => settings.default_limit(),
        })
        .collect();
    let keys = RequestKeys::new(&settings.prefix, L::ROUTE, &identity, configs.len());
    let checks: SmallVec<[LimitCheck<'_>; 4]> = configs
        .iter()
        .enumerate()
        .map(|(index, config)| LimitCheck {
            key: keys.get(index),
            config,
        })
        .collect();

    let result = match backend.check_limits(&checks).await {
        Ok(result) => {
            if OUTAGE_INCIDENT.close() {
                tracing::info!(target: "fastex::http", backend = backend.name(), "rate-limit backend answers again");
            }
            result
        }
        Err(failure) => fallback(&*backend, failure, &checks, &settings)
            .map_err(|detail| error(StatusCode::SERVICE_UNAVAILABLE, detail))?,
    };
    if !result.is_exceeded {
        if let Some(slot) = parts.extensions.get::<ResultSlot>() {
            slot.fill(result);
        }
        return Ok(());
    }
    let decided = checks[result.decided_by.min(checks.len() - 1)];
    tracing::debug!(
        target: "fastex::http",
        key = decided.key,
        limit = %decided.config,
        retry_after_ms = result.retry_after_ms,
        backend = backend.name(),
        "request rate limited"
    );
    match L::on_limited(parts, &result).await {
        Some(custom) => Err(custom),
        None => Err(too_many_requests(&result)),
    }
}

/// The answer when the backend could not give one: its fallback mode's, or the detail of a
/// 503 for `Raise` and for a failure that is a bug rather than an outage.
fn fallback(
    backend: &dyn LimiterBackend,
    failure: LimiterBackendError,
    checks: &[LimitCheck<'_>],
    settings: &LimiterSettings,
) -> Result<RateLimitResult, &'static str> {
    let mode = backend.fallback_mode();
    if !failure.is_outage() {
        tracing::error!(target: "fastex::http", backend = backend.name(), error = %failure, "rate-limit backend failed");
        return Err("Rate limiter failed");
    }
    if OUTAGE_INCIDENT.open() {
        tracing::warn!(
            target: "fastex::http",
            backend = backend.name(),
            fallback_mode = %mode,
            error = %failure,
            "rate-limit backend unavailable; answering by the fallback mode until it recovers"
        );
    }
    mode.resolve(
        failure,
        checks[0].config,
        settings.deny_fallback_retry_after(),
    )
    .map_err(|_| "Rate limiter unavailable")
}
