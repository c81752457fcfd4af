#[fastex::main]
fn main() {}
