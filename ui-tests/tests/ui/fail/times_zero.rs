use fastex::rate_limit;

#[rate_limit(times = 0, seconds = 60)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
