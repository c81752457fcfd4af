#[fastex::main(log_format = "jsn")]
async fn main() {}
