use fastex::rate_limit;

#[rate_limit(times = 10, seconds = 60, seconds = 30)]
async fn twice() -> &'static str {
    "ok"
}

#[rate_limit(times = 10, seconds = 60, algorithm = "gcra", algorithm = "fixed_window")]
async fn algorithm_twice() -> &'static str {
    "ok"
}

fn main() {}
