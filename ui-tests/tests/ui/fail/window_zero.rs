use fastex::rate_limit;

#[rate_limit(times = 10, seconds = 0, milliseconds = 0)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
