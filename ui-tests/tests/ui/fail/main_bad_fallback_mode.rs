#[fastex::main(fallback_mode = "alow")]
async fn main() {}
