//! The attribute macros of [fastex](https://docs.rs/fastex): `#[rate_limit]` and
//! `#[fastex::main]`. Depend on `fastex` and use them from there (`fastex::rate_limit`,
//! `fastex::main`): the code they generate names `::fastex::__private`.

mod args;
mod main_fn;
mod rate_limit;
mod suggest;

use proc_macro::TokenStream;

/// Limits how often an axum handler may be called, per client.
///
/// ```rust,ignore
/// use fastex::rate_limit;
///
/// #[rate_limit(times = 10, seconds = 60)]
/// async fn get_data() -> &'static str { "data" }
/// ```
///
/// # Arguments
///
/// | argument | value |
/// | --- | --- |
/// | `times` | requests admitted per window: an integer literal, `1..=4294967295` |
/// | `milliseconds`, `seconds`, `minutes`, `hours` | the window, any mix, summed; integer literals; the sum is above 0 and at most `u64::MAX / 1000` ms |
/// | `algorithm` | `"sliding_window"` (the default; also `"sliding_window_log"`), `"fixed_window"`, `"sliding_window_counter"`, `"gcra"` (also `"token_bucket"`) |
/// | `backend` | the name of a backend in the registry, e.g. `backend = "redis"`; default: the default backend |
/// | `key` | the path of `async fn(&axum::http::request::Parts) -> String`: the client's identity (default: the peer IP) |
/// | `callback` | the path of `async fn(&Parts, &fastex::RateLimitResult) -> impl IntoResponse`: the response to a limited request (default: 429) |
///
/// `times` and a window come together. Instead of them, a shorthand string may come first:
/// `"<times>/<unit>"` or `"<times>/<count><unit>"`, the unit one of `ms`, `s`/`sec`/`second`,
/// `m`/`min`/`minute`, `h`/`hour`, `d`/`day` (plurals too), e.g. `"10/minute"`, `"100/15m"`,
/// `"5/250ms"`; `algorithm`, `backend`, `key` and `callback` may follow it.
///
/// Without a limit (`#[rate_limit]`, or only `backend`, `key`, `callback`) the limit is
/// `DEFAULT_TIMES` per `DEFAULT_WINDOW_SECONDS` from the settings, read at run time.
///
/// ```rust,ignore
/// #[rate_limit("10/minute", algorithm = "gcra")]
/// async fn search() -> &'static str { "results" }
///
/// #[rate_limit(times = 2, seconds = 60, key = by_user, callback = teapot)]
/// async fn user() -> &'static str { "ok" }
///
/// async fn by_user(parts: &axum::http::request::Parts) -> String {
///     parts.headers.get("x-user").and_then(|v| v.to_str().ok()).unwrap_or("anonymous").to_owned()
/// }
///
/// async fn teapot(
///     _parts: &axum::http::request::Parts,
///     _result: &fastex::RateLimitResult,
/// ) -> axum::http::StatusCode {
///     axum::http::StatusCode::IM_A_TEAPOT
/// }
///
/// #[rate_limit]                                   // the settings' default limit
/// async fn default_limit() -> &'static str { "ok" }
/// ```
///
/// # Stacking
///
/// Several attributes on one handler are all enforced, by one guard and one backend call:
/// a request passes only if every limit admits it, and a denied request consumes none of
/// them. The first `#[rate_limit]` reads and removes the later ones (written `rate_limit`,
/// `fastex::rate_limit` or `::fastex::rate_limit`). `key`, `callback` and `backend` hold for
/// the whole handler: set each on any one attribute, or to the same value on several.
///
/// ```rust,ignore
/// #[rate_limit(times = 5, minutes = 1)]
/// #[rate_limit(times = 1, seconds = 1)]
/// async fn sensitive() -> &'static str { "ok" }
/// ```
///
/// # What it generates
///
/// A hidden zero-sized type with the handler's visibility that carries the limits (an impl
/// of `fastex::__private::RouteLimits`, route `module_path!()::handler`), and one extra
/// first parameter, the guard extractor, which checks the limits before any other extractor
/// runs. The handler's other parameters, return type, attributes and body are unchanged, so
/// `return`, `?` and other extractors work. With `#[axum::debug_handler]`, put
/// `#[rate_limit]` above it, so that `debug_handler` sees the guard.
///
/// # Errors at compile time
///
/// Every mistake is reported at once, on the argument at fault, with what to write instead:
/// a missing, zero, negative, too large or non-literal `times`; a missing, zero or too long
/// window; an unknown argument (with "did you mean"); an argument given twice; a `key` or
/// `callback` that is not a function path or has the wrong signature; an unknown algorithm;
/// a malformed shorthand; a handler that is not an `async fn`, or takes `self`; an item
/// that is not a function.
#[proc_macro_attribute]
pub fn rate_limit(args: TokenStream, item: TokenStream) -> TokenStream {
    rate_limit::rate_limit(args.into(), item.into()).into()
}

/// Runs an `async fn main` on a tokio runtime with fastex set up around it: settings
/// loaded, logging initialized, the backend built and registered, and disconnected when
/// the body returns.
///
/// ```rust,ignore
/// #[fastex::main]
/// async fn main() -> Result<(), std::io::Error> {
///     let app = axum::Router::new().route("/", axum::routing::get(handler));
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
///     axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
///         .await
/// }
/// ```
///
/// The function takes no arguments and may return anything `main` can (`()`,
/// `Result<(), E>`, ...); `?` works in its body.
///
/// # Arguments
///
/// All optional, all literals, checked at compile time.
///
/// | argument | value |
/// | --- | --- |
/// | `flavor` | `"multi_thread"` (default) or `"current_thread"`, as in `#[tokio::main]` |
/// | `worker_threads` | worker threads of the multi-thread runtime, `1..=65535` |
/// | `backend` | overrides `LIMITER_BACKEND`: `"memory"`, `"redis"` or `"composite"` |
/// | `redis_url` | overrides `REDIS_URL`: starts with `redis://` or `rediss://` |
/// | `fallback_mode` | overrides `FALLBACK_MODE`: `"allow"`, `"deny"` or `"raise"` |
/// | `log_level` | `"trace"`, `"debug"`, `"info"`, `"warn"` or `"error"` |
/// | `log_format` | `"pretty"`, `"compact"` or `"json"` |
///
/// Values of `backend`, `fallback_mode`, `log_level` and `log_format` may be in any letter
/// case.
///
/// ```rust,ignore
/// #[fastex::main(flavor = "current_thread", backend = "memory", log_format = "json")]
/// async fn main() { /* ... */ }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    main_fn::main(args.into(), item.into()).into()
}
