use axum::http::request::Parts;
use fastex::rate_limit;

async fn by_user(_parts: &Parts) -> String {
    String::new()
}

async fn by_team(_parts: &Parts) -> String {
    String::new()
}

#[rate_limit(times = 5, minutes = 1, key = by_user, backend = "redis")]
#[rate_limit(times = 1, seconds = 1, key = by_team, backend = "memory")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
