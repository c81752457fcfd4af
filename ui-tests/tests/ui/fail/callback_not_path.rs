use fastex::rate_limit;

#[rate_limit(times = 10, seconds = 60, callback = make_callback())]
async fn call() -> &'static str {
    "ok"
}

#[rate_limit(times = 10, seconds = 60, callback = "teapot")]
async fn quoted() -> &'static str {
    "ok"
}

fn main() {}
