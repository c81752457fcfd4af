//! What one `#[rate_limit(...)]` says, validated, and how the attributes of a stack combine.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Expr, ExprLit, ExprPath, Lit, LitStr};

use super::shorthand;
use crate::args::{Accepted, Arg, Errors, Once, choice, fn_path, int_lit, parse_args, str_lit};

/// The longest window, in milliseconds: the same bound as `fastex::limiter::MAX_WINDOW_MS`,
/// so that the window in microseconds (the backends' clock unit) fits a `u64`.
pub(crate) const MAX_WINDOW_MS: u64 = u64::MAX / 1_000;

pub(crate) const ACCEPTED: Accepted = Accepted {
    attribute: "#[rate_limit]",
    names: &[
        "times",
        "milliseconds",
        "seconds",
        "minutes",
        "hours",
        "algorithm",
        "backend",
        "key",
        "callback",
    ],
    aliases: &[
        ("ms", "milliseconds"),
        ("millis", "milliseconds"),
        ("s", "seconds"),
        ("m", "minutes"),
        ("h", "hours"),
        ("limit", "times"),
        ("count", "times"),
        ("requests", "times"),
        ("identifier", "key"),
        ("key_func", "key"),
        ("on_limited", "callback"),
    ],
};

/// The window units and their length in milliseconds.
const UNITS: [(&str, u64); 4] = [
    ("milliseconds", 1),
    ("seconds", 1_000),
    ("minutes", 60_000),
    ("hours", 3_600_000),
];

const KEY_SIGNATURE: &str = "async fn by_user(parts: &axum::http::request::Parts) -> String";
const CALLBACK_SIGNATURE: &str = "async fn on_limited(parts: &axum::http::request::Parts, \
                                  result: &fastex::RateLimitResult) -> impl IntoResponse";

/// How requests are counted; mirrors `fastex::limiter::Algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    SlidingWindowLog,
    FixedWindow,
    SlidingWindowCounter,
    Gcra,
}

impl Algorithm {
    /// The names `algorithm = "..."` accepts: those of `Algorithm`'s `FromStr`, so an
    /// attribute and a setting read alike.
    const NAMES: [&'static str; 6] = [
        "sliding_window",
        "sliding_window_log",
        "fixed_window",
        "sliding_window_counter",
        "gcra",
        "token_bucket",
    ];

    fn from_name(name: &str) -> Self {
        match name {
            "fixed_window" => Algorithm::FixedWindow,
            "sliding_window_counter" => Algorithm::SlidingWindowCounter,
            "gcra" | "token_bucket" => Algorithm::Gcra,
            _ => Algorithm::SlidingWindowLog,
        }
    }

    /// The variant's name in `fastex::__private::Algorithm`.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Algorithm::SlidingWindowLog => "SlidingWindowLog",
            Algorithm::FixedWindow => "FixedWindow",
            Algorithm::SlidingWindowCounter => "SlidingWindowCounter",
            Algorithm::Gcra => "Gcra",
        }
    }
}

/// One limit of a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Written out: `times` per `window_ms`, already validated.
    Fixed {
        times: u32,
        window_ms: u64,
        algorithm: Option<Algorithm>,
    },
    /// A `#[rate_limit]` without a limit: the settings' defaults at run time.
    FromSettings,
}

/// One `#[rate_limit(...)]`.
pub(crate) struct AttrSpec {
    pub(crate) limit: Limit,
    pub(crate) backend: Option<LitStr>,
    pub(crate) key: Option<ExprPath>,
    pub(crate) callback: Option<ExprPath>,
}

/// Everything the attributes of one handler say together.
#[derive(Default)]
pub(crate) struct Stack {
    /// Top attribute first.
    pub(crate) limits: Vec<Limit>,
    pub(crate) backend: Option<LitStr>,
    pub(crate) key: Option<ExprPath>,
    pub(crate) callback: Option<ExprPath>,
}

impl Stack {
    /// Adds the next attribute; `backend`, `key` and `callback` hold for the whole handler,
    /// so two attributes may not give them different values.
    pub(crate) fn push(&mut self, spec: AttrSpec, errors: &mut Errors) {
        self.limits.push(spec.limit);
        agree(&mut self.key, spec.key, "key", errors, path_text);
        agree(
            &mut self.callback,
            spec.callback,
            "callback",
            errors,
            path_text,
        );
        agree(&mut self.backend, spec.backend, "backend", errors, |lit| {
            format!("{:?}", lit.value())
        });
    }
}

fn path_text(path: &ExprPath) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// Keeps the first value of a handler-wide setting and reports a different later one.
fn agree<T: ToTokens>(
    kept: &mut Option<T>,
    next: Option<T>,
    name: &str,
    errors: &mut Errors,
    text: impl Fn(&T) -> String,
) {
    let Some(next) = next else { return };
    match kept {
        None => *kept = Some(next),
        Some(first) if text(first) == text(&next) => {}
        Some(first) => errors.push(syn::Error::new_spanned(
            &next,
            format!(
                "`{name}` is already set to `{}` by another `#[rate_limit]` on this handler: all \
                 limits of a handler share one `{name}`, so set it on one attribute only",
                text(first)
            ),
        )),
    }
}

/// Reads the arguments of one `#[rate_limit(...)]`, reporting every problem.
pub(crate) fn parse_attr(tokens: TokenStream) -> syn::Result<AttrSpec> {
    let args = parse_args(tokens)?;
    let mut errors = Errors::default();
    // `Some` when a shorthand was written; `Some(None)` when it was malformed (and reported).
    let mut shorthand: Option<Option<(u32, u64)>> = None;
    let mut times = Once::<Option<u64>>::new("times");
    let mut units = UNITS.map(|(name, _)| Once::<Option<u64>>::new(name));
    let mut algorithm = Once::<Option<Algorithm>>::new("algorithm");
    let mut backend = Once::<Option<LitStr>>::new("backend");
    let mut key = Once::<Option<ExprPath>>::new("key");
    let mut callback = Once::<Option<ExprPath>>::new("callback");
    // After an unknown argument (likely a misspelt unit or `times`) or a name without a
    // value, "`times` is missing" would only repeat the same mistake.
    let mut unknown = false;
    // The first window unit as written, where "the window is 0 ms long" is reported.
    let mut first_unit = None;

    for (index, arg) in args.iter().enumerate() {
        let (name, value) = match arg {
            Arg::Positional(value) => {
                positional(index, value, &mut shorthand, &mut errors);
                continue;
            }
            Arg::Flag(name) => {
                let written = name.unraw().to_string();
                unknown = true;
                errors.push(if ACCEPTED.names.contains(&written.as_str()) {
                    syn::Error::new(
                        name.span(),
                        format!(
                            "`{written}` needs a value: write `{written} = {}`",
                            example(&written)
                        ),
                    )
                } else {
                    ACCEPTED.unknown(name)
                });
                continue;
            }
            Arg::Named { name, value } => (name, value),
        };
        let span = name.span();
        let written = name.unraw().to_string();
        match written.as_str() {
            "times" => {
                let parsed =
                    errors.ok(int_lit("times", value, u64::from(u32::MAX)).and_then(|n| {
                        if n == 0 {
                            Err(syn::Error::new_spanned(
                                value,
                                "`times = 0` admits no request at all: `times` must be at least 1",
                            ))
                        } else {
                            Ok(n)
                        }
                    }));
                times.set(span, parsed, &mut errors);
            }
            "algorithm" => {
                let parsed = errors
                    .ok(str_lit("algorithm", value, "gcra")
                        .and_then(|text| choice("algorithm", &text, &Algorithm::NAMES)))
                    .map(Algorithm::from_name);
                algorithm.set(span, parsed, &mut errors);
            }
            "backend" => {
                let parsed = errors.ok(str_lit("backend", value, "redis").and_then(|text| {
                    if text.value().trim().is_empty() {
                        Err(syn::Error::new(
                            text.span(),
                            "`backend` names a registered backend and cannot be empty: write \
                             `backend = \"name\"`, or leave it out for the default backend",
                        ))
                    } else {
                        Ok(text)
                    }
                }));
                backend.set(span, parsed, &mut errors);
            }
            "key" => {
                let parsed = errors.ok(fn_path("key", value, KEY_SIGNATURE));
                key.set(span, parsed, &mut errors);
            }
            "callback" => {
                let parsed = errors.ok(fn_path("callback", value, CALLBACK_SIGNATURE));
                callback.set(span, parsed, &mut errors);
            }
            unit => match UNITS.iter().position(|(name, _)| *name == unit) {
                Some(at) => {
                    first_unit.get_or_insert(span);
                    let parsed = errors.ok(int_lit(unit, value, u64::MAX));
                    units[at].set(span, parsed, &mut errors);
                }
                None => {
                    unknown = true;
                    errors.push(ACCEPTED.unknown(name));
                }
            },
        }
    }

    let limit = if unknown {
        None
    } else {
        limit(
            shorthand,
            &times,
            &units,
            first_unit,
            &algorithm,
            &mut errors,
        )
    };
    errors.into_result()?;
    Ok(AttrSpec {
        // `None` only ever comes with an error, returned just above.
        limit: limit.unwrap_or(Limit::FromSettings),
        backend: backend.into_inner().flatten(),
        key: key.into_inner().flatten(),
        callback: callback.into_inner().flatten(),
    })
}

/// A value without a name: only the shorthand, and only first.
fn positional(
    index: usize,
    value: &Expr,
    shorthand: &mut Option<Option<(u32, u64)>>,
    errors: &mut Errors,
) {
    let Expr::Lit(ExprLit {
        lit: Lit::Str(text),
        ..
    }) = value
    else {
        errors.push(syn::Error::new_spanned(
            value,
            "expected `name = value`: write the limit as `times = 10, seconds = 60` or as a \
             shorthand string like `\"10/minute\"`",
        ));
        return;
    };
    if index != 0 {
        errors.push(syn::Error::new(
            text.span(),
            "the shorthand must be the first argument: write `#[rate_limit(\"10/minute\", ...)]`",
        ));
        return;
    }
    let parsed = shorthand::parse(&text.value())
        .map_err(|message| errors.push(syn::Error::new(text.span(), message)))
        .ok();
    *shorthand = Some(parsed);
}

/// What the limit arguments add up to; `None` when one is invalid (already reported).
fn limit(
    shorthand: Option<Option<(u32, u64)>>,
    times: &Once<Option<u64>>,
    units: &[Once<Option<u64>>; 4],
    first_unit: Option<Span>,
    algorithm: &Once<Option<Algorithm>>,
    errors: &mut Errors,
) -> Option<Limit> {
    let algorithm_value = algorithm.get().copied().flatten();
    if let Some(parsed) = shorthand {
        let written_out = times
            .span()
            .into_iter()
            .chain(units.iter().filter_map(Once::span));
        for span in written_out {
            errors.push(syn::Error::new(
                span,
                "a shorthand already gives the limit: write either the shorthand or `times` \
                 with a window, not both",
            ));
        }
        let (times, window_ms) = parsed?;
        return Some(Limit::Fixed {
            times,
            window_ms,
            algorithm: algorithm_value,
        });
    }
    match (times.span(), first_unit) {
        (None, None) => {
            if let Some(span) = algorithm.span() {
                errors.push(syn::Error::new(
                    span,
                    "`algorithm` needs a limit written out: add `times` and a window, like \
                     `times = 10, seconds = 60`, or a shorthand like `\"10/minute\"` (a \
                     `#[rate_limit]` without a limit takes its limit and algorithm from the \
                     settings)",
                ));
            }
            Some(Limit::FromSettings)
        }
        (None, Some(span)) => {
            errors.push(syn::Error::new(
                span,
                "`times` is missing: add how many requests the window admits, like \
                 `#[rate_limit(times = 10, seconds = 60)]`",
            ));
            None
        }
        (Some(span), None) => {
            errors.push(syn::Error::new(
                span,
                "the window is missing: add one or more of `milliseconds`, `seconds`, \
                 `minutes`, `hours`, like `#[rate_limit(times = 10, seconds = 60)]`",
            ));
            None
        }
        (Some(_), Some(first_unit)) => {
            // The window first, so that its errors are reported even when `times` is invalid.
            let window_ms = window(units, first_unit, errors)?;
            let times = u32::try_from(times.get().copied().flatten()?).ok()?;
            Some(Limit::Fixed {
                times,
                window_ms,
                algorithm: algorithm_value,
            })
        }
    }
}

/// The sum of the window units in milliseconds, reported on the unit that overflows it.
fn window(units: &[Once<Option<u64>>; 4], first_unit: Span, errors: &mut Errors) -> Option<u64> {
    let mut total: u64 = 0;
    for (unit, (name, unit_ms)) in units.iter().zip(UNITS) {
        let Some(span) = unit.span() else { continue };
        let value = unit.get().copied().flatten()?;
        match value
            .checked_mul(unit_ms)
            .and_then(|ms| total.checked_add(ms))
            .filter(|ms| *ms <= MAX_WINDOW_MS)
        {
            Some(sum) => total = sum,
            None => {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "the window is too long: with `{name} = {value}` the units add up to \
                         more than {MAX_WINDOW_MS} ms (about 584,000 years); use a shorter window"
                    ),
                ));
                return None;
            }
        }
    }
    if total == 0 {
        errors.push(syn::Error::new(
            first_unit,
            "the window is 0 ms long: give at least one of `milliseconds`, `seconds`, `minutes`, \
             `hours` a value above 0",
        ));
        return None;
    }
    Some(total)
}

/// An example value for `name = ...` in messages.
fn example(name: &str) -> &'static str {
    match name {
        "algorithm" => "\"gcra\"",
        "backend" => "\"redis\"",
        "key" => "by_user",
        "callback" => "on_limited",
        _ => "10",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn spec(tokens: TokenStream) -> AttrSpec {
        match parse_attr(tokens) {
            Ok(spec) => spec,
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    /// Every message, in order.
    fn errors(tokens: TokenStream) -> Vec<String> {
        match parse_attr(tokens) {
            Ok(_) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    fn fixed(times: u32, window_ms: u64, algorithm: Option<Algorithm>) -> Limit {
        Limit::Fixed {
            times,
            window_ms,
            algorithm,
        }
    }

    #[test]
    fn reads_times_and_summed_units() {
        assert_eq!(
            spec(quote!(times = 10, seconds = 60)).limit,
            fixed(10, 60_000, None)
        );
        assert_eq!(
            spec(quote!(
                times = 1,
                hours = 1,
                minutes = 2,
                seconds = 3,
                milliseconds = 4
            ))
            .limit,
            fixed(1, 3_723_004, None)
        );
        assert_eq!(
            spec(quote!(seconds = 0, times = 2, milliseconds = 5,)).limit,
            fixed(2, 5, None)
        );
        assert_eq!(
            spec(quote!(times = 4294967295, milliseconds = 18446744073709551)).limit,
            fixed(u32::MAX, MAX_WINDOW_MS, None)
        );
    }

    #[test]
    fn reads_every_algorithm_name() {
        for (name, algorithm) in [
            ("sliding_window", Algorithm::SlidingWindowLog),
            ("sliding_window_log", Algorithm::SlidingWindowLog),
            ("fixed_window", Algorithm::FixedWindow),
            ("sliding_window_counter", Algorithm::SlidingWindowCounter),
            ("gcra", Algorithm::Gcra),
            ("token_bucket", Algorithm::Gcra),
            ("GCRA", Algorithm::Gcra),
        ] {
            assert_eq!(
                spec(quote!(times = 1, seconds = 1, algorithm = #name)).limit,
                fixed(1, 1_000, Some(algorithm))
            );
        }
    }

    #[test]
    fn reads_the_shorthand_with_options() {
        let spec = spec(quote!(
            "100/15m",
            algorithm = "fixed_window",
            backend = "edge",
            key = k
        ));
        assert_eq!(
            spec.limit,
            fixed(100, 900_000, Some(Algorithm::FixedWindow))
        );
        assert_eq!(spec.backend.map(|lit| lit.value()).as_deref(), Some("edge"));
        assert!(spec.key.is_some());
    }

    #[test]
    fn no_limit_means_the_settings() {
        assert_eq!(spec(TokenStream::new()).limit, Limit::FromSettings);
        let spec = spec(quote!(
            key = by_user,
            callback = crate::teapot,
            backend = "b"
        ));
        assert_eq!(spec.limit, Limit::FromSettings);
        assert_eq!(path_text(&spec.callback.unwrap()), "crate::teapot");
    }

    #[test]
    fn reports_every_rule() {
        for (input, wanted) in [
            (quote!(seconds = 1), "`times` is missing"),
            (quote!(times = 0, seconds = 1), "`times` must be at least 1"),
            (quote!(times = -1, seconds = 1), "cannot be negative"),
            (quote!(times = "3", seconds = 1), "without quotes"),
            (quote!(times = N, seconds = 1), "integer literal"),
            (
                quote!(times = 4294967296, seconds = 1),
                "at most 4294967295",
            ),
            (quote!(times = 1), "the window is missing"),
            (quote!(times = 1, seconds = 0), "0 ms long"),
            (quote!(times = 1, hours = 18446744073709551615), "too long"),
            (
                quote!(times = 1, seconds = 18446744073709551, milliseconds = 1000),
                "too long",
            ),
            (quote!(times = 1, secs = 1), "did you mean `seconds`?"),
            (
                quote!(times = 1, seconds = 1, seconds = 2),
                "`seconds` is set more than once",
            ),
            (quote!(times = 1, seconds = 1, key = |p| p), "closures"),
            (
                quote!(times = 1, seconds = 1, callback = "f"),
                "without quotes",
            ),
            (
                quote!(times = 1, seconds = 1, algorithm = "leaky"),
                "accepted values are",
            ),
            (
                quote!(times = 1, seconds = 1, algorithm = gcra),
                "string literal",
            ),
            (
                quote!(times = 1, seconds = 1, backend = ""),
                "cannot be empty",
            ),
            (quote!("10/minit"), "did you mean `minute`?"),
            (
                quote!("10/minute", times = 3),
                "a shorthand already gives the limit",
            ),
            (
                quote!(times = 1, seconds = 1, "10/minute"),
                "must be the first argument",
            ),
            (quote!(10), "expected `name = value`"),
            (quote!(times), "`times` needs a value"),
            (
                quote!(algorithm = "gcra"),
                "`algorithm` needs a limit written out",
            ),
        ] {
            let all = errors(input.clone());
            assert!(
                all.iter().any(|message| message.contains(wanted)),
                "{input}: {all:?}"
            );
        }
    }

    #[test]
    fn reports_all_problems_at_once() {
        let all = errors(quote!(times = 0, secs = 1, minute = 2, algo = "x"));
        assert_eq!(all.len(), 4, "{all:?}");
        assert!(all[1].contains("did you mean `seconds`?"));
        assert!(all[2].contains("did you mean `minutes`?"));
        assert!(all[3].contains("did you mean `algorithm`?"));
    }

    #[test]
    fn a_stack_keeps_its_limits_in_order_and_one_key() {
        let mut stack = Stack::default();
        let mut errors = Errors::default();
        stack.push(
            spec(quote!(times = 5, minutes = 1, key = by_user)),
            &mut errors,
        );
        stack.push(
            spec(quote!(times = 1, seconds = 1, key = by_user)),
            &mut errors,
        );
        stack.push(spec(quote!(callback = teapot, backend = "b")), &mut errors);
        assert!(errors.into_result().is_ok());
        let mut errors = Errors::default();
        assert_eq!(
            stack.limits,
            [
                fixed(5, 60_000, None),
                fixed(1, 1_000, None),
                Limit::FromSettings
            ]
        );
        assert!(stack.key.is_some() && stack.callback.is_some() && stack.backend.is_some());

        stack.push(
            spec(quote!(times = 1, seconds = 1, key = other)),
            &mut errors,
        );
        stack.push(
            spec(quote!(times = 1, seconds = 1, backend = "c")),
            &mut errors,
        );
        let all: Vec<String> = errors
            .into_result()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(all.len(), 2);
        assert!(
            all[0].contains("`key` is already set to `by_user`"),
            "{all:?}"
        );
        assert!(
            all[1].contains("`backend` is already set to `\"b\"`"),
            "{all:?}"
        );
    }
}
