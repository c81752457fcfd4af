use fastex::rate_limit;

#[rate_limit(seconds = 60)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
