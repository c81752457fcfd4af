use fastex::rate_limit;

#[rate_limit(times = 5, minutes = 1)]
#[rate_limit = "10/minute"]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
