use fastex::rate_limit;

struct Api;

impl Api {
    #[rate_limit(times = 10, seconds = 60)]
    async fn handler(&self) -> &'static str {
        "ok"
    }
}

fn main() {}
