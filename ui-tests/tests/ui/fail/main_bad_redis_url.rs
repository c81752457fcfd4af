#[fastex::main(redis_url = "http://127.0.0.1:6379")]
async fn main() {}
