//! Counter keys: `<prefix>:<route>:<index>:{<identity>}`.

use std::ops::Range;

use smallvec::SmallVec;

/// The keys of one request's limits, built into one buffer: one allocation per request
/// whatever the number of stacked limits.
#[derive(Debug)]
pub(crate) struct RequestKeys {
    buffer: String,
    ranges: SmallVec<[Range<usize>; 4]>,
}

impl RequestKeys {
    /// The identity goes in braces, a Redis hash tag, so that every key of the request
    /// lands in one cluster slot and a single script can check them all.
    pub(crate) fn new(prefix: &str, route: &str, identity: &str, limits: usize) -> Self {
        let one = prefix.len() + route.len() + identity.len() + 8;
        let mut keys = RequestKeys {
            buffer: String::with_capacity(one * limits),
            ranges: SmallVec::with_capacity(limits),
        };
        for index in 0..limits {
            let start = keys.buffer.len();
            for part in [prefix, ":", route, ":"] {
                keys.buffer.push_str(part);
            }
            push_decimal(&mut keys.buffer, index);
            for part in [":{", identity, "}"] {
                keys.buffer.push_str(part);
            }
            keys.ranges.push(start..keys.buffer.len());
        }
        keys
    }

    pub(crate) fn get(&self, index: usize) -> &str {
        &self.buffer[self.ranges[index].clone()]
    }
}

fn push_decimal(buffer: &mut String, value: usize) {
    if value >= 10 {
        push_decimal(buffer, value / 10);
    }
    buffer.push(char::from(b'0' + (value % 10) as u8));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_documented_shape() {
        let keys = RequestKeys::new("limiter", "app::login", "127.0.0.1", 12);
        assert_eq!(keys.get(0), "limiter:app::login:0:{127.0.0.1}");
        assert_eq!(keys.get(11), "limiter:app::login:11:{127.0.0.1}");
    }
}
