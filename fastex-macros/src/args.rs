//! `name = value` argument lists, shared by `#[rate_limit]` and `#[fastex::main]`: parsing,
//! collecting every error before giving up, the set-once rule, unknown names with a
//! suggestion, and readers for the literal values both macros take.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ExprPath, Ident, Lit, LitStr, Token, UnOp};

use crate::suggest::{backticked, nearest};

/// One argument of an attribute.
pub(crate) enum Arg {
    /// `name = value`.
    Named { name: Ident, value: Expr },
    /// `name` alone; every argument of both macros needs a value, so this is reported.
    Flag(Ident),
    /// A value without a name, e.g. the shorthand in `#[rate_limit("10/minute")]`.
    Positional(Expr),
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `true` and `false` are literals that also peek as identifiers: literals first.
        if input.peek(Lit) || !input.peek(Ident::peek_any) {
            return input.parse().map(Arg::Positional);
        }
        let name = Ident::parse_any(input)?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let value = input.parse()?;
            Ok(Arg::Named { name, value })
        } else if input.is_empty() || input.peek(Token![,]) {
            Ok(Arg::Flag(name))
        } else {
            Err(input.error(format!(
                "expected `=` after `{name}`: arguments are written `name = value`"
            )))
        }
    }
}

/// Parses `a = 1, b = "x", ...` (a trailing comma is fine).
pub(crate) fn parse_args(tokens: TokenStream) -> syn::Result<Vec<Arg>> {
    Punctuated::<Arg, Token![,]>::parse_terminated
        .parse2(tokens)
        .map(|args| args.into_iter().collect())
}

/// Every problem found so far, merged so that the user sees them all in one build
/// (serde_derive's `Ctxt` does the same).
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// The value of `result`, or `None` after recording its error.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    pub(crate) fn into_result(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// An argument that may be given at most once. The one check for "set more than once", so
/// that no argument forgets it (tracing-attributes once copy-pasted such a check and tested
/// the wrong field).
pub(crate) struct Once<T> {
    name: &'static str,
    value: Option<(Span, T)>,
}

impl<T> Once<T> {
    pub(crate) const fn new(name: &'static str) -> Self {
        Once { name, value: None }
    }

    /// Keeps `value` or, when one is already set, reports `span` (the second occurrence).
    pub(crate) fn set(&mut self, span: Span, value: T, errors: &mut Errors) {
        if self.value.is_some() {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`{}` is set more than once: keep one `{}` and remove the other",
                    self.name, self.name
                ),
            ));
        } else {
            self.value = Some((span, value));
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn span(&self) -> Option<Span> {
        self.value.as_ref().map(|(span, _)| *span)
    }

    pub(crate) fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, value)| value)
    }

    pub(crate) fn into_inner(self) -> Option<T> {
        self.value.map(|(_, value)| value)
    }
}

/// What a macro accepts, to explain an unknown argument.
pub(crate) struct Accepted {
    /// How the attribute is written in messages, e.g. `#[rate_limit]`.
    pub(crate) attribute: &'static str,
    pub(crate) names: &'static [&'static str],
    /// Names people write from habit, mapped to the accepted one.
    pub(crate) aliases: &'static [(&'static str, &'static str)],
}

impl Accepted {
    /// "unknown argument `secs`: did you mean `seconds`? ..." on `name`.
    pub(crate) fn unknown(&self, name: &Ident) -> syn::Error {
        let written = name.unraw().to_string();
        let hint = nearest(&written, self.names, self.aliases)
            .map(|meant| format!(" did you mean `{meant}`?"))
            .unwrap_or_default();
        syn::Error::new(
            name.span(),
            format!(
                "unknown argument `{written}` of `{}`:{hint} accepted arguments are {}",
                self.attribute,
                backticked(self.names)
            ),
        )
    }
}

/// `value` without the invisible groups `macro_rules!` wraps around `$x:expr` and without
/// parentheses, so `times = $n` in a user's macro works like `times = 10`.
fn peel(value: &Expr) -> &Expr {
    match value {
        Expr::Group(group) => peel(&group.expr),
        Expr::Paren(paren) => peel(&paren.expr),
        other => other,
    }
}

/// An integer literal in `0..=max`, e.g. `times = 10`.
pub(crate) fn int_lit(name: &str, value: &Expr, max: u64) -> syn::Result<u64> {
    let value = peel(value);
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => match int.base10_parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(syn::Error::new(
                int.span(),
                format!(
                    "`{name} = {}` is too large: `{name}` must be at most {max}",
                    int.base10_digits()
                ),
            )),
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => Err(syn::Error::new_spanned(
            value,
            format!("`{name}` cannot be negative: write a whole number like `{name} = 10`"),
        )),
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) if text.value().parse::<u64>().is_ok() => Err(syn::Error::new(
            text.span(),
            format!(
                "`{name}` takes a number, not a string: write `{name} = {}` without quotes",
                text.value()
            ),
        )),
        Expr::Lit(ExprLit {
            lit: Lit::Float(float),
            ..
        }) => Err(syn::Error::new(
            float.span(),
            format!(
                "`{name}` must be a whole number, got `{float}`{}",
                if matches!(name, "seconds" | "minutes" | "hours") {
                    ": for a fraction of a unit, use a smaller unit such as `milliseconds`"
                } else {
                    ""
                }
            ),
        )),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "`{name}` must be an integer literal, like `{name} = 10`: it is checked at compile \
                 time, so constants and expressions are not accepted"
            ),
        )),
    }
}

/// A string literal, e.g. `backend = "redis"`; `example` shows the fix.
pub(crate) fn str_lit(name: &str, value: &Expr, example: &str) -> syn::Result<LitStr> {
    match peel(value) {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => Ok(text.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{name}` must be a string literal, like `{name} = \"{example}\"`"),
        )),
    }
}

/// `text`, one of `accepted` (any letter case), as written in `accepted`.
pub(crate) fn choice(
    name: &str,
    text: &LitStr,
    accepted: &[&'static str],
) -> syn::Result<&'static str> {
    let value = text.value();
    let lowercase = value.to_ascii_lowercase();
    if let Some(found) = accepted.iter().find(|candidate| **candidate == lowercase) {
        return Ok(found);
    }
    let hint = nearest(&lowercase, accepted, &[])
        .map(|meant| format!(" did you mean `{meant}`?"))
        .unwrap_or_default();
    Err(syn::Error::new(
        text.span(),
        format!(
            "unknown `{name}` value `{value}`:{hint} accepted values are {}",
            backticked(accepted)
        ),
    ))
}

/// The path of a function, e.g. `key = by_user` or `key = crate::auth::by_user`.
pub(crate) fn fn_path(name: &str, value: &Expr, signature: &str) -> syn::Result<ExprPath> {
    let value = peel(value);
    match value {
        Expr::Path(path) => Ok(path.clone()),
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => Err(syn::Error::new(
            text.span(),
            format!(
                "`{name}` takes the path of a function, not a string: write `{name} = {}` \
                 without quotes",
                text.value()
            ),
        )),
        _ => Err(syn::Error::new_spanned(
            value,
            format!(
                "`{name}` must be the path of a function, like `{name} = my_fn`: closures and \
                 calls are not accepted; define `{signature}` and name it here"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn expr(tokens: TokenStream) -> Expr {
        syn::parse2(tokens).expect("test input is an expression")
    }

    #[test]
    fn parses_named_flag_and_positional_arguments() {
        let args = parse_args(quote!("10/minute", times = 3, key = a::b, flag,)).unwrap();
        assert_eq!(args.len(), 4);
        assert!(matches!(&args[0], Arg::Positional(_)));
        assert!(matches!(&args[1], Arg::Named { name, .. } if name == "times"));
        assert!(matches!(&args[2], Arg::Named { name, .. } if name == "key"));
        assert!(matches!(&args[3], Arg::Flag(name) if name == "flag"));
        assert!(parse_args(TokenStream::new()).unwrap().is_empty());
    }

    #[test]
    fn a_missing_equals_sign_is_a_parse_error() {
        let error = parse_args(quote!(times 3)).err().unwrap();
        assert!(error.to_string().contains("expected `=` after `times`"));
    }

    #[test]
    fn errors_are_all_kept() {
        let mut errors = Errors::default();
        errors.push(syn::Error::new(Span::call_site(), "one"));
        assert_eq!(
            errors.ok(Err::<(), _>(syn::Error::new(Span::call_site(), "two"))),
            None
        );
        assert_eq!(errors.ok(Ok::<_, syn::Error>(5)), Some(5));
        let all: Vec<String> = errors
            .into_result()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(all, ["one", "two"]);
    }

    #[test]
    fn once_reports_the_second_occurrence() {
        let mut errors = Errors::default();
        let mut seconds = Once::new("seconds");
        assert!(seconds.span().is_none());
        seconds.set(Span::call_site(), 1, &mut errors);
        assert!(errors.0.is_none());
        seconds.set(Span::call_site(), 2, &mut errors);
        assert_eq!(seconds.get(), Some(&1));
        assert!(seconds.span().is_some());
        let message = errors.into_result().unwrap_err().to_string();
        assert!(
            message.contains("`seconds` is set more than once"),
            "{message}"
        );
    }

    #[test]
    fn unknown_names_suggest_the_nearest() {
        let accepted = Accepted {
            attribute: "#[rate_limit]",
            names: &["times", "seconds"],
            aliases: &[("s", "seconds")],
        };
        let message = accepted
            .unknown(&Ident::new("secs", Span::call_site()))
            .to_string();
        assert!(message.contains("unknown argument `secs`"), "{message}");
        assert!(message.contains("did you mean `seconds`?"), "{message}");
        assert!(message.contains("`times`, `seconds`"), "{message}");
        let message = accepted
            .unknown(&Ident::new("s", Span::call_site()))
            .to_string();
        assert!(message.contains("did you mean `seconds`?"), "{message}");
        let message = accepted
            .unknown(&Ident::new("burst", Span::call_site()))
            .to_string();
        assert!(!message.contains("did you mean"), "{message}");
    }

    #[test]
    fn int_lit_accepts_integers_in_range_only() {
        assert_eq!(int_lit("times", &expr(quote!(10)), 100).unwrap(), 10);
        assert_eq!(
            int_lit("times", &expr(quote!(1_000u64)), 1_000).unwrap(),
            1_000
        );
        assert_eq!(int_lit("times", &expr(quote!((7))), 100).unwrap(), 7);
        for (input, wanted) in [
            (quote!(101), "is too large"),
            (quote!(99999999999999999999999), "is too large"),
            (quote!(-1), "cannot be negative"),
            (quote!("10"), "without quotes"),
            (quote!(1.5), "whole number"),
            (quote!(LIMIT), "integer literal"),
            (quote!(5 + 5), "integer literal"),
        ] {
            let message = int_lit("times", &expr(input), 100).unwrap_err().to_string();
            assert!(message.contains(wanted), "{message}");
        }
    }

    #[test]
    fn choice_accepts_any_case_and_suggests() {
        let text = LitStr::new("DENY", Span::call_site());
        assert_eq!(
            choice("fallback_mode", &text, &["allow", "deny"]).unwrap(),
            "deny"
        );
        let text = LitStr::new("alow", Span::call_site());
        let message = choice("fallback_mode", &text, &["allow", "deny"])
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("unknown `fallback_mode` value `alow`"),
            "{message}"
        );
        assert!(message.contains("did you mean `allow`?"), "{message}");
        assert!(message.contains("`allow`, `deny`"), "{message}");
    }

    #[test]
    fn str_lit_and_fn_path_check_their_kind() {
        assert_eq!(
            str_lit("backend", &expr(quote!("x")), "redis")
                .unwrap()
                .value(),
            "x"
        );
        let message = str_lit("backend", &expr(quote!(x)), "redis")
            .unwrap_err()
            .to_string();
        assert!(message.contains("`backend = \"redis\"`"), "{message}");

        assert!(fn_path("key", &expr(quote!(crate::by_user)), "f").is_ok());
        let message = fn_path("key", &expr(quote!("by_user")), "f")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("write `key = by_user` without quotes"),
            "{message}"
        );
        let message = fn_path("key", &expr(quote!(|p| p)), "f")
            .unwrap_err()
            .to_string();
        assert!(message.contains("closures"), "{message}");
    }
}
