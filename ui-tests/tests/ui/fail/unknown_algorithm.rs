use fastex::rate_limit;

#[rate_limit(times = 10, seconds = 60, algorithm = "leaky_bucket")]
async fn unknown() -> &'static str {
    "ok"
}

#[rate_limit(times = 10, seconds = 60, algorithm = "fixed_windw")]
async fn misspelt() -> &'static str {
    "ok"
}

#[rate_limit(times = 10, seconds = 60, algorithm = gcra)]
async fn not_a_string() -> &'static str {
    "ok"
}

fn main() {}
