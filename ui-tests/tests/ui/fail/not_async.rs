use fastex::rate_limit;

#[rate_limit(times = 10, seconds = 60)]
fn handler() -> &'static str {
    "ok"
}

fn main() {}
