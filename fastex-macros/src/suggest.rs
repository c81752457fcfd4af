//! "Did you mean ...?" for misspelt argument names and values.

/// Edit distance between `a` and `b` in chars: insertions, deletions, substitutions and
/// swaps of two neighbours (`tiems` → `times` is one edit), each counting 1.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // `d[i][j]`: the distance between `a[..i]` and `b[..j]`. Names are short, so the whole
    // table is cheap.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Whether `short` reads as an abbreviation of `long`: same first letter, and every letter of
/// `short` appears in `long` in order (`secs` → `seconds`, `hrs` → `hours`).
fn is_abbreviation(short: &str, long: &str) -> bool {
    if short.chars().count() < 2 || short.chars().next() != long.chars().next() {
        return false;
    }
    let mut rest = long.chars();
    short.chars().all(|c| rest.any(|l| l == c))
}

/// The candidate `name` was most likely meant to be, if any is close enough.
///
/// `aliases` maps words people write from habit (`ms`, `identifier`) to the accepted name;
/// they win over spelling, which alone would send `ms` to `minutes`. Then, in order: a
/// candidate `name` is the beginning of (`minute` → `minutes`, `algo` → `algorithm`), a
/// candidate within a few typos, an abbreviation (`secs` → `seconds`). Ties go to the
/// smaller edit distance, then to the earlier candidate.
pub(crate) fn nearest<'a>(
    name: &str,
    candidates: &[&'a str],
    aliases: &[(&str, &'a str)],
) -> Option<&'a str> {
    if let Some((_, target)) = aliases.iter().find(|(alias, _)| *alias == name) {
        return Some(target);
    }
    candidates
        .iter()
        .filter(|candidate| **candidate != name)
        .filter_map(|candidate| {
            let distance = edit_distance(name, candidate);
            let typo_budget = (name.chars().count().max(candidate.chars().count()) / 3).max(1);
            let rank = if name.chars().count() >= 2 && candidate.starts_with(name) {
                0
            } else if distance <= typo_budget {
                1
            } else if is_abbreviation(name, candidate) {
                2
            } else {
                return None;
            };
            Some(((rank, distance), *candidate))
        })
        .min_by_key(|(score, _)| *score)
        .map(|(_, candidate)| candidate)
}

/// `` `a`, `b`, `c` `` for a message.
pub(crate) fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNITS: &[&str] = &[
        "times",
        "milliseconds",
        "seconds",
        "minutes",
        "hours",
        "algorithm",
        "backend",
        "key",
        "callback",
    ];

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("secs", "seconds"), 3);
        assert_eq!(edit_distance("times", "times"), 0);
        assert_eq!(edit_distance("tiems", "times"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3);
        assert_eq!(edit_distance("é", "e"), 1);
    }

    #[test]
    fn near_misses_find_the_argument_meant() {
        for (typo, meant) in [
            ("secs", "seconds"),
            ("sec", "seconds"),
            ("second", "seconds"),
            ("minute", "minutes"),
            ("mins", "minutes"),
            ("time", "times"),
            ("tiems", "times"),
            ("algo", "algorithm"),
            ("algorithim", "algorithm"),
            ("hrs", "hours"),
            ("calback", "callback"),
            ("milisecond", "milliseconds"),
        ] {
            assert_eq!(nearest(typo, UNITS, &[]), Some(meant), "{typo}");
        }
    }

    #[test]
    fn aliases_win_over_spelling() {
        assert_eq!(nearest("ms", UNITS, &[]), Some("minutes"));
        assert_eq!(
            nearest("ms", UNITS, &[("ms", "milliseconds")]),
            Some("milliseconds")
        );
    }

    #[test]
    fn unrelated_names_get_no_suggestion() {
        assert_eq!(nearest("window", UNITS, &[]), None);
        assert_eq!(nearest("x", UNITS, &[]), None);
        assert_eq!(nearest("burst", UNITS, &[]), None);
    }

    #[test]
    fn backticked_joins_names() {
        assert_eq!(backticked(&["a", "b"]), "`a`, `b`");
        assert_eq!(backticked(&[]), "");
    }
}
