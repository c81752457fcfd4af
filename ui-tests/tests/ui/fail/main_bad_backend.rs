#[fastex::main(backend = "postgres")]
async fn main() {}
