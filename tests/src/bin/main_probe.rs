//! A program under `#[fastex::main]`, run by `tests/main_attribute.rs` with different
//! environments: it reports what the attribute set up, then ends as `PROBE_EXIT` says.

use fastex::limiter::{active_settings, default_backend};

#[derive(Debug)]
struct ProbeFailure;

impl std::fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the probe was asked to fail")
    }
}

impl std::error::Error for ProbeFailure {}

#[fastex::main(flavor = "current_thread")]
async fn main() -> Result<(), ProbeFailure> {
    let backend = default_backend().expect("#[fastex::main] configures a default backend");
    let settings = active_settings();
    println!(
        "backend={} connected={} fallback_mode={} default_times={} prefix={}",
        backend.name(),
        backend.is_connected(),
        backend.fallback_mode(),
        settings.default_times,
        settings.prefix
    );
    match std::env::var("PROBE_EXIT").as_deref() {
        Ok("error") => Err(ProbeFailure),
        _ => Ok(()),
    }
}
