//! `#[fastex::main]` without arguments, on `async fn main()`.

use axum::Router;
use axum::routing::get;
use fastex::rate_limit;

#[rate_limit(times = 3, seconds = 60)]
async fn handler() -> &'static str {
    "ok"
}

#[fastex::main]
async fn main() {
    let _app: Router = Router::new().route("/", get(handler));
    tokio::task::yield_now().await;
    if std::env::args().count() > 100 {
        return;
    }
}
