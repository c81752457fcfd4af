use axum::Router;
use axum::routing::get;
use fastex::rate_limit;

/// Takes the wrong argument.
async fn by_user(user: String) -> String {
    user
}

#[rate_limit(times = 10, seconds = 60, key = by_user)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let _app: Router = Router::new().route("/", get(handler));
}
