use fastex::rate_limit;

#[rate_limit("10 per minute")]
async fn no_slash() -> &'static str {
    "ok"
}

#[rate_limit("10/minit")]
async fn misspelt_unit() -> &'static str {
    "ok"
}

#[rate_limit("0/minute")]
async fn zero_times() -> &'static str {
    "ok"
}

#[rate_limit("ten/minute")]
async fn words() -> &'static str {
    "ok"
}

#[rate_limit("10/0s")]
async fn empty_window() -> &'static str {
    "ok"
}

fn main() {}
