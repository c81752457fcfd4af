//! Every way to write a limit.

use axum::Router;
use axum::routing::get;
use fastex::rate_limit;

#[rate_limit(times = 3, seconds = 60)]
async fn single() -> &'static str {
    "ok"
}

#[rate_limit(times = 5, minutes = 1)]
#[rate_limit(times = 1, seconds = 1)]
async fn stacked() -> &'static str {
    "ok"
}

#[rate_limit(times = 100, hours = 1, minutes = 30, seconds = 15, milliseconds = 500)]
#[rate_limit(times = 10, seconds = 0, milliseconds = 250)]
#[rate_limit(times = 4294967295, milliseconds = 18446744073709551)]
async fn mixed_units() -> &'static str {
    "ok"
}

#[rate_limit(times = 1, seconds = 1, algorithm = "sliding_window")]
#[rate_limit(times = 2, seconds = 1, algorithm = "sliding_window_log")]
#[rate_limit(times = 3, seconds = 1, algorithm = "fixed_window")]
#[rate_limit(times = 4, seconds = 1, algorithm = "sliding_window_counter")]
#[rate_limit(times = 5, seconds = 1, algorithm = "gcra")]
#[rate_limit(times = 6, seconds = 1, algorithm = "token_bucket")]
async fn every_algorithm() -> &'static str {
    "ok"
}

#[rate_limit("10/minute")]
#[rate_limit("100/15m")]
#[rate_limit("5/second")]
#[rate_limit("1000/hour")]
#[rate_limit("10000/day")]
#[rate_limit("2/s")]
#[rate_limit("3/m")]
#[rate_limit("4/h")]
#[rate_limit("5/d")]
#[rate_limit("6/250ms")]
#[rate_limit("7/30 seconds")]
async fn shorthand() -> &'static str {
    "ok"
}

#[rate_limit("10/minute", algorithm = "gcra", backend = "edge")]
async fn shorthand_with_options() -> &'static str {
    "ok"
}

#[rate_limit(times = 3, seconds = 60, backend = "redis")]
async fn named_backend() -> &'static str {
    "ok"
}

/// A bare attribute: `DEFAULT_TIMES` per `DEFAULT_WINDOW_SECONDS` from the settings.
#[rate_limit]
async fn settings_default() -> &'static str {
    "ok"
}

#[rate_limit(backend = "edge")]
#[rate_limit(times = 1, seconds = 1)]
async fn default_stacked_with_fixed() -> &'static str {
    "ok"
}

#[fastex::rate_limit(times = 3, seconds = 60)]
#[fastex::rate_limit(times = 10, minutes = 10)]
#[::fastex::rate_limit("1/s")]
async fn qualified() -> &'static str {
    "ok"
}

#[::fastex::rate_limit(times = 1, seconds = 1,)]
async fn absolute_path_and_trailing_comma() -> &'static str {
    "ok"
}

/// A public handler: its hidden limits type is public too.
#[rate_limit(times = 3, seconds = 60)]
pub async fn public() -> &'static str {
    "ok"
}

pub mod routes {
    use fastex::rate_limit;

    #[rate_limit(times = 3, seconds = 60)]
    pub(crate) async fn in_module() -> &'static str {
        "ok"
    }

    #[rate_limit(times = 3, seconds = 60)]
    pub(super) async fn r#async() -> &'static str {
        "ok"
    }
}

/// Limits written by another macro (`$n:expr` arrives wrapped in an invisible group).
macro_rules! limited {
    ($name:ident, $times:expr, $seconds:expr) => {
        #[rate_limit(times = $times, seconds = $seconds)]
        async fn $name() -> &'static str {
            "ok"
        }
    };
}

limited!(from_macro, 5, 10);

fn main() {
    let _app: Router = Router::new()
        .route("/single", get(single))
        .route("/stacked", get(stacked))
        .route("/mixed", get(mixed_units))
        .route("/algorithms", get(every_algorithm))
        .route("/shorthand", get(shorthand))
        .route("/shorthand_options", get(shorthand_with_options))
        .route("/backend", get(named_backend))
        .route("/default", get(settings_default))
        .route("/default_stacked", get(default_stacked_with_fixed))
        .route("/qualified", get(qualified))
        .route("/absolute", get(absolute_path_and_trailing_comma))
        .route("/public", get(public))
        .route("/module", get(routes::in_module))
        .route("/raw", get(routes::r#async))
        .route("/macro", get(from_macro));
}
