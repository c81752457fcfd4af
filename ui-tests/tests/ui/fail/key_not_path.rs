use fastex::rate_limit;

#[rate_limit(times = 10, seconds = 60, key = |parts| parts.uri.to_string())]
async fn closure() -> &'static str {
    "ok"
}

#[rate_limit(times = 10, seconds = 60, key = "by_user")]
async fn quoted() -> &'static str {
    "ok"
}

fn main() {}
