//! `#[fastex::main]` with every argument, returning a `Result` and using `?`.

use axum::Router;
use axum::routing::get;

async fn handler() -> &'static str {
    "ok"
}

#[fastex::main(
    flavor = "multi_thread",
    worker_threads = 2,
    backend = "memory",
    redis_url = "redis://127.0.0.1:6379/0",
    fallback_mode = "Allow",
    log_level = "warn",
    log_format = "compact",
)]
async fn main() -> Result<(), std::num::ParseIntError> {
    let _app: Router = Router::new().route("/", get(handler));
    let workers: u32 = "2".parse()?;
    assert_eq!(workers, 2);
    tokio::spawn(async {}).await.ok();
    Ok(())
}
