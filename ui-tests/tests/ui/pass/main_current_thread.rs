//! `#[fastex::main]` on a current-thread runtime, with a boxed error and a TLS Redis URL
//! (kept unused by the memory backend, so that the case runs without Redis).

use fastex::main;

#[main(
    flavor = "current_thread",
    backend = "memory",
    redis_url = "rediss://cache.internal:6380",
    log_format = "json"
)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let value: u8 = "7".parse()?;
    if value == 0 {
        return Err("zero".into());
    }
    tokio::task::yield_now().await;
    Ok(())
}
