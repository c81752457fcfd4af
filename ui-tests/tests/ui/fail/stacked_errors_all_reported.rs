use fastex::rate_limit;

#[rate_limit(times = 0, minutes = 1)]
#[rate_limit(times = 1, secs = 1)]
#[fastex::rate_limit("10/fortnight")]
#[::fastex::rate_limit(times = 1, seconds = 1, seconds = 2)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
