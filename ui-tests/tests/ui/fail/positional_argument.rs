use fastex::rate_limit;

#[rate_limit(times = 10, seconds = 60, "10/minute")]
async fn shorthand_not_first() -> &'static str {
    "ok"
}

#[rate_limit(10, 60)]
async fn bare_numbers() -> &'static str {
    "ok"
}

fn main() {}
