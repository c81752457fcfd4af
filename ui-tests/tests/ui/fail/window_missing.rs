use fastex::rate_limit;

#[rate_limit(times = 10)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
