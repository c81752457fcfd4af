use fastex::rate_limit;

#[rate_limit(times = 10, hours = 5124095576030431)]
async fn unit_overflows() -> &'static str {
    "ok"
}

#[rate_limit(times = 10, seconds = 18446744073709551, milliseconds = 1000)]
async fn sum_overflows() -> &'static str {
    "ok"
}

fn main() {}
