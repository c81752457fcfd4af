//! The axum side: the guard extractor `#[rate_limit]` adds to a handler, client identity,
//! keys and the default responses.

mod guard;
mod headers;
mod identity;
mod incident;
mod keys;
mod response;

pub use guard::Guard;
pub use headers::rate_limit_headers;
