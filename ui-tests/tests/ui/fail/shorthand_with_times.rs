use fastex::rate_limit;

#[rate_limit("10/minute", times = 5, seconds = 1)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
