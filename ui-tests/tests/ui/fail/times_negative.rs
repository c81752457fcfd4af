use fastex::rate_limit;

#[rate_limit(times = -5, seconds = 60)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
