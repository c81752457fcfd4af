//! The shorthand `#[rate_limit("10/minute")]`: `<times>/<unit>` or `<times>/<count><unit>`.

use super::spec::MAX_WINDOW_MS;
use crate::suggest::{backticked, nearest};

/// Units of the shorthand and their length in milliseconds; the long forms are listed first
/// because messages show them.
const UNITS: &[(&str, u64)] = &[
    ("millisecond", 1),
    ("second", 1_000),
    ("minute", 60_000),
    ("hour", 3_600_000),
    ("day", 86_400_000),
    ("milliseconds", 1),
    ("seconds", 1_000),
    ("minutes", 60_000),
    ("hours", 3_600_000),
    ("days", 86_400_000),
    ("ms", 1),
    ("s", 1_000),
    ("sec", 1_000),
    ("secs", 1_000),
    ("m", 60_000),
    ("min", 60_000),
    ("mins", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

const SHOWN_UNITS: &[&str] = &["second", "minute", "hour", "day", "ms", "s", "m", "h", "d"];

const FORMS: &str = "expected `\"<times>/<unit>\"` or `\"<times>/<count><unit>\"`, like \
                     `\"10/minute\"` or `\"100/15m\"`";

/// `times` and the window in milliseconds, or a message saying what is wrong and how to
/// write it.
pub(crate) fn parse(text: &str) -> Result<(u32, u64), String> {
    let Some((times, period)) = text.split_once('/') else {
        return Err(format!("malformed rate limit `{text:?}`: {FORMS}"));
    };
    let times = times.trim();
    let period = period.trim();
    let times = match whole_number(times) {
        Some(0) => {
            return Err(format!(
                "`{text:?}` allows 0 requests: the number before `/` must be at least 1"
            ));
        }
        Some(n) if n <= u64::from(u32::MAX) => n as u32,
        Some(_) => {
            return Err(format!(
                "`{text:?}` allows too many requests: the number before `/` must be at most {}",
                u32::MAX
            ));
        }
        None => {
            return Err(format!(
                "malformed rate limit `{text:?}`: `{times}` is not a whole number of requests; {FORMS}"
            ));
        }
    };
    let digits = period.len()
        - period
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .len();
    let (count, unit) = period.split_at(digits);
    let unit = unit.trim();
    let count = if count.is_empty() {
        1
    } else {
        match whole_number(count) {
            Some(0) => {
                return Err(format!(
                    "`{text:?}` has an empty window: the number after `/` must be at least 1"
                ));
            }
            Some(n) => n,
            None => return Err(format!("`{text:?}` has too long a window")),
        }
    };
    let lowercase = unit.to_ascii_lowercase();
    let Some(&(_, unit_ms)) = UNITS.iter().find(|(name, _)| *name == lowercase) else {
        let names: Vec<&str> = UNITS.iter().map(|(name, _)| *name).collect();
        let hint = nearest(&lowercase, &names, &[])
            .map(|meant| format!(" did you mean `{meant}`?"))
            .unwrap_or_default();
        return Err(if unit.is_empty() {
            format!("malformed rate limit `{text:?}`: the unit is missing; {FORMS}")
        } else {
            format!(
                "unknown unit `{unit}` in `{text:?}`:{hint} accepted units are {}",
                backticked(SHOWN_UNITS)
            )
        });
    };
    match count.checked_mul(unit_ms) {
        Some(window_ms) if window_ms <= MAX_WINDOW_MS => Ok((times, window_ms)),
        _ => Err(format!(
            "`{text:?}` has too long a window: it must be at most {MAX_WINDOW_MS} ms"
        )),
    }
}

/// ASCII digits only: no sign, no `_`, no spaces inside.
fn whole_number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_unit_spelling() {
        for (text, times, window_ms) in [
            ("10/second", 10, 1_000),
            ("10/minute", 10, 60_000),
            ("10/hour", 10, 3_600_000),
            ("10/day", 10, 86_400_000),
            ("10/s", 10, 1_000),
            ("10/m", 10, 60_000),
            ("10/h", 10, 3_600_000),
            ("10/d", 10, 86_400_000),
            ("10/ms", 10, 1),
            ("100/15m", 100, 900_000),
            ("5/30s", 5, 30_000),
            ("5/250ms", 5, 250),
            ("3/2 hours", 3, 7_200_000),
            (" 7 / Minute ", 7, 60_000),
            ("1/secs", 1, 1_000),
            ("4294967295/1d", u32::MAX, 86_400_000),
        ] {
            assert_eq!(parse(text), Ok((times, window_ms)), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_input_with_a_reason() {
        for (text, wanted) in [
            ("10 per minute", "malformed rate limit"),
            ("", "malformed rate limit"),
            ("ten/minute", "is not a whole number"),
            ("-1/minute", "is not a whole number"),
            ("/minute", "is not a whole number"),
            ("0/minute", "allows 0 requests"),
            ("4294967296/minute", "at most 4294967295"),
            ("10/0s", "empty window"),
            ("10/", "the unit is missing"),
            ("10/15", "the unit is missing"),
            ("10/minit", "did you mean `minute`?"),
            ("10/fortnight", "accepted units are"),
            ("10/99999999999999999999999s", "too long a window"),
            ("10/18446744073709552d", "too long a window"),
            ("1/1/1", "unknown unit"),
        ] {
            let message = parse(text).unwrap_err();
            assert!(message.contains(wanted), "{text}: {message}");
        }
    }
}
