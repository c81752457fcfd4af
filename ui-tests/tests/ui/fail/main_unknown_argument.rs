#[fastex::main(flavour = "current_thread", threads = 2, burst = 1)]
async fn main() {}
