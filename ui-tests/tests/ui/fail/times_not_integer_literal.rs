use fastex::rate_limit;

const LIMIT: u32 = 10;

#[rate_limit(times = LIMIT, seconds = 60)]
async fn constant() -> &'static str {
    "ok"
}

#[rate_limit(times = "10", seconds = 60)]
async fn quoted() -> &'static str {
    "ok"
}

#[rate_limit(times = 2.5, seconds = 60)]
async fn fraction() -> &'static str {
    "ok"
}

fn main() {}
