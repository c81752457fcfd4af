#[fastex::main(log_level = "info", log_level = "debug")]
async fn main() {}
