//! The generated code stays quiet under strict lints a user may deny.
#![deny(
    missing_docs,
    missing_debug_implementations,
    missing_copy_implementations,
    unused,
    unused_qualifications,
    unused_results,
    non_camel_case_types,
    rust_2018_idioms,
    unsafe_code
)]

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;
use fastex::{RateLimitResult, rate_limit};

/// The user, from a header.
pub async fn by_user(parts: &Parts) -> String {
    parts.uri.path().to_owned()
}

/// A teapot instead of 429.
pub async fn teapot(_parts: &Parts, _result: &RateLimitResult) -> StatusCode {
    StatusCode::IM_A_TEAPOT
}

/// Everything at once.
#[rate_limit(times = 2, seconds = 60, key = by_user, callback = teapot, backend = "edge")]
#[rate_limit("1/s", algorithm = "gcra")]
#[rate_limit]
pub async fn everything() -> &'static str {
    "ok"
}

mod renamed {
    use fastex::rate_limit as limit;

    /// A renamed import is not recognised by the first attribute, so it expands on its own
    /// into a second guard of the same handler; both limit it.
    #[fastex::rate_limit(times = 5, minutes = 1)]
    #[limit(times = 1, seconds = 1)]
    pub(crate) async fn twice_guarded() -> &'static str {
        "ok"
    }
}

#[fastex::main(flavor = "current_thread", backend = "memory")]
async fn main() {
    let _app: Router = Router::new()
        .route("/", get(everything))
        .route("/renamed", get(renamed::twice_guarded));
}
