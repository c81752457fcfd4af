//! The handler is untouched: its extractors, `return`, `?`, `#[axum::debug_handler]`.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fastex::rate_limit;

#[derive(Clone, Default)]
struct AppState {
    greeting: &'static str,
}

#[rate_limit(times = 10, seconds = 60)]
#[axum::debug_handler]
async fn debugged(State(state): State<AppState>) -> String {
    state.greeting.to_owned()
}

/// Stacked limits above `#[axum::debug_handler]`.
#[rate_limit(times = 5, minutes = 1)]
#[axum::debug_handler(state = AppState)]
#[rate_limit(times = 1, seconds = 1)]
async fn debugged_stacked(headers: HeaderMap) -> &'static str {
    if headers.contains_key("x-early") {
        return "early";
    }
    "late"
}

#[rate_limit(times = 3, seconds = 1)]
async fn early_return(Path(id): Path<u32>) -> Result<String, StatusCode> {
    if id == 0 {
        return Err(StatusCode::NOT_FOUND);
    }
    let parsed: u32 = id.to_string().parse().map_err(|_| StatusCode::BAD_REQUEST)?;
    Ok(parsed.to_string())
}

#[rate_limit("10/s")]
async fn many_extractors(
    method: Method,
    headers: HeaderMap,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    body: String,
) -> impl IntoResponse {
    format!("{method} {} {} {params:?} {body}", headers.len(), state.greeting)
}

#[rate_limit(times = 3, seconds = 1)]
async fn question_mark(body: String) -> Result<String, (StatusCode, String)> {
    let number: i64 = body
        .trim()
        .parse()
        .map_err(|error: std::num::ParseIntError| (StatusCode::BAD_REQUEST, error.to_string()))?;
    Ok((number * 2).to_string())
}

/// A generic handler keeps its generics and where clause.
#[rate_limit(times = 3, seconds = 1)]
async fn generic<S>(State(state): State<S>) -> String
where
    S: Clone + Send + Sync + std::fmt::Debug + 'static,
{
    format!("{state:?}")
}

fn main() {
    let _app: Router = Router::new()
        .route("/debugged", get(debugged))
        .route("/debugged_stacked", get(debugged_stacked))
        .route("/items/{id}", get(early_return))
        .route("/many/{a}", post(many_extractors))
        .route("/double", post(question_mark))
        .with_state(AppState { greeting: "hi" });
    let _generic: Router = Router::new()
        .route("/generic", get(generic::<u8>))
        .with_state(7u8);
}
