#[fastex::main(flavor = "current-thread")]
async fn main() {}
