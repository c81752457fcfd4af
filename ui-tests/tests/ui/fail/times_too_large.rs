use fastex::rate_limit;

#[rate_limit(times = 4294967296, seconds = 60)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
