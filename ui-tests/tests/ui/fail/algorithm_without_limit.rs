use fastex::rate_limit;

#[rate_limit(algorithm = "gcra")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
