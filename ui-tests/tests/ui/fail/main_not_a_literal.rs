const BACKEND: &str = "memory";

#[fastex::main(backend = BACKEND, worker_threads = "2")]
async fn main() {}
