#[fastex::main(log_level = "verbose")]
async fn main() {}
