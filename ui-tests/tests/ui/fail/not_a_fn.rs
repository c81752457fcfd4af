use fastex::rate_limit;

#[rate_limit(times = 10, seconds = 60)]
struct Handler;

#[rate_limit(times = 10, seconds = 60)]
const LIMIT: u32 = 10;

fn main() {}
