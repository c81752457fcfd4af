use fastex::rate_limit;

#[rate_limit(times = 10, secs = 60)]
async fn secs() -> &'static str {
    "ok"
}

#[rate_limit(time = 10, minute = 1)]
async fn time_minute() -> &'static str {
    "ok"
}

#[rate_limit(times = 10, seconds = 60, algo = "gcra")]
async fn algo() -> &'static str {
    "ok"
}

#[rate_limit(times = 10, seconds = 60, ms = 5, burst = 3)]
async fn alias_and_unrelated() -> &'static str {
    "ok"
}

fn main() {}
