use fastex::rate_limit;

#[rate_limit(times = 10, seconds = 60, backend = "")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
