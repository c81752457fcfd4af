//! `#[rate_limit]`: reads every `#[rate_limit]` of a handler (the first one consumes the
//! rest), validates them together, and gives the handler one guard extractor.

mod expand;
mod shorthand;
mod spec;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Item, ItemFn, Meta};

use crate::args::Errors;
use spec::Stack;

/// The expansion of `#[rate_limit(args)]` on `item`; on any error, `item` without its
/// `#[rate_limit]`s plus every error, so that the IDE still sees the function (tokio-macros'
/// `token_stream_with_error`).
pub(crate) fn rate_limit(args: TokenStream, item: TokenStream) -> TokenStream {
    let (attrs, rest) = match outer_attributes.parse2(item.clone()) {
        Ok(split) => split,
        Err(error) => return with_error(item, error),
    };
    // rustc hands the first attribute macro the item with every later attribute still on
    // it: the stacked `#[rate_limit]`s are read here, in order, and removed.
    let (stacked, kept): (Vec<Attribute>, Vec<Attribute>) =
        attrs.into_iter().partition(is_rate_limit);
    let stripped = quote!(#(#kept)* #rest);

    let mut errors = Errors::default();
    let mut specs = vec![errors.ok(spec::parse_attr(args))];
    for attr in &stacked {
        specs.push(errors.ok(attribute_arguments(attr).and_then(spec::parse_attr)));
    }
    let func = match syn::parse2::<Item>(stripped.clone()) {
        Ok(Item::Fn(func)) => {
            check_signature(&func, &mut errors);
            Some(func)
        }
        Ok(other) => {
            errors.push(not_a_fn(&other));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let mut stack = Stack::default();
    for spec in specs.into_iter().flatten() {
        stack.push(spec, &mut errors);
    }
    match (func, errors.into_result()) {
        (Some(func), Ok(())) => expand::expand(func, stack),
        (_, Err(error)) => with_error(stripped, error),
        // Not a function is always an error; kept for completeness.
        (None, Ok(())) => stripped,
    }
}

fn with_error(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}

/// The item's outer attributes and the rest of its tokens.
fn outer_attributes(input: ParseStream<'_>) -> syn::Result<(Vec<Attribute>, TokenStream)> {
    Ok((input.call(Attribute::parse_outer)?, input.parse()?))
}

/// `rate_limit`, `fastex::rate_limit` or `::fastex::rate_limit`. A renamed import
/// (`use fastex::rate_limit as limit;`) is not recognised; it then expands on its own into a
/// second guard of the same handler (see `expand::nested_guards`), which still limits.
fn is_rate_limit(attr: &Attribute) -> bool {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    path.segments.iter().all(|s| s.arguments.is_none())
        && match segments.as_slice() {
            [name] => name == "rate_limit" && path.leading_colon.is_none(),
            [krate, name] => krate == "fastex" && name == "rate_limit",
            _ => false,
        }
}

/// What is inside the parentheses of a stacked `#[rate_limit(...)]`.
fn attribute_arguments(attr: &Attribute) -> syn::Result<TokenStream> {
    match &attr.meta {
        Meta::Path(_) => Ok(TokenStream::new()),
        Meta::List(list) => Ok(list.tokens.clone()),
        Meta::NameValue(meta) => Err(syn::Error::new(
            meta.eq_token.span,
            "write the arguments in parentheses: `#[rate_limit(times = 10, seconds = 60)]` or \
             `#[rate_limit(\"10/minute\")]`",
        )),
    }
}

fn check_signature(func: &ItemFn, errors: &mut Errors) {
    if func.sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            func.sig.fn_token.span,
            format!(
                "`#[rate_limit]` goes on an async handler: write `async fn {}`",
                func.sig.ident
            ),
        ));
    }
    if let Some(FnArg::Receiver(receiver)) = func.sig.inputs.first() {
        errors.push(syn::Error::new_spanned(
            receiver,
            "`#[rate_limit]` cannot limit a method: an axum handler takes extractors, not \
             `self`; make it a free `async fn` outside the `impl` block",
        ));
    }
}

fn not_a_fn(item: &Item) -> syn::Error {
    let (kind, span): (&str, Span) = match item {
        Item::Struct(item) => ("a struct", item.struct_token.span),
        Item::Enum(item) => ("an enum", item.enum_token.span),
        Item::Union(item) => ("a union", item.union_token.span),
        Item::Const(item) => ("a const", item.const_token.span),
        Item::Static(item) => ("a static", item.static_token.span),
        Item::Impl(item) => ("an impl block", item.impl_token.span),
        Item::Trait(item) => ("a trait", item.trait_token.span),
        Item::Mod(item) => ("a module", item.mod_token.span),
        Item::Type(item) => ("a type alias", item.type_token.span),
        Item::Use(item) => ("a use declaration", item.use_token.span),
        other => ("this item", other.span()),
    };
    syn::Error::new(
        span,
        format!(
            "`#[rate_limit]` only applies to `async fn` handlers, not to {kind}: put it on the \
             handler function"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(args: TokenStream, item: TokenStream) -> String {
        rate_limit(args, item).to_string()
    }

    #[test]
    fn expands_one_limit_into_a_guard() {
        let out = expand(
            quote!(times = 10, seconds = 60),
            quote!(
                async fn get_data() -> &'static str {
                    "ok"
                }
            ),
        );
        assert!(out.contains("struct __fastex_limits_get_data"), "{out}");
        assert!(
            out.contains("RateLimitConfig :: new (10u32 , 60000u64)"),
            "{out}"
        );
        assert!(
            out.contains("async fn get_data (_ : :: fastex :: __private :: Guard < __fastex_limits_get_data >)"),
            "{out}"
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(!out.contains("fn identity"), "{out}");
    }

    #[test]
    fn consumes_stacked_attributes_in_order() {
        let out = expand(
            quote!(times = 5, minutes = 1),
            quote! {
                /// Docs stay.
                #[rate_limit(times = 1, seconds = 1)]
                #[other]
                #[fastex::rate_limit]
                #[::fastex::rate_limit("3/h", algorithm = "gcra")]
                pub async fn sensitive(x: u8) -> u8 { x }
            },
        );
        let first = out.find("new (5u32 , 60000u64)").unwrap();
        let second = out.find("new (1u32 , 1000u64)").unwrap();
        let third = out.find("LimitSpec :: FromSettings").unwrap();
        let fourth = out
            .find("new (3u32 , 3600000u64) . with_algorithm")
            .unwrap();
        assert!(first < second && second < third && third < fourth, "{out}");
        assert!(!out.contains("# [rate_limit"), "{out}");
        assert!(!out.contains("# [fastex"), "{out}");
        assert!(!out.contains("# [:: fastex"), "{out}");
        assert!(out.contains("# [other]"), "{out}");
        assert!(out.contains("Docs stay."), "{out}");
        assert!(
            out.contains("pub struct __fastex_limits_sensitive"),
            "{out}"
        );
    }

    #[test]
    fn errors_keep_the_function_without_its_attributes() {
        let out = expand(
            quote!(times = 0, seconds = 1),
            quote! {
                #[rate_limit(times = 1, secs = 1)]
                async fn h() {}
            },
        );
        assert!(out.contains("async fn h () { }"), "{out}");
        assert!(!out.contains("Guard"), "{out}");
        assert!(!out.contains("# [rate_limit"), "{out}");
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    }

    #[test]
    fn rejects_what_is_not_an_async_handler() {
        for (item, wanted) in [
            (
                quote!(
                    fn h() {}
                ),
                "write `async fn h`",
            ),
            (
                quote!(
                    struct S;
                ),
                "not to a struct",
            ),
            (
                quote!(
                    mod m {}
                ),
                "not to a module",
            ),
            (
                quote!(
                    async fn h(&self) {}
                ),
                "cannot limit a method",
            ),
        ] {
            let out = expand(quote!(times = 1, seconds = 1), item.clone());
            assert!(out.contains(wanted), "{item}: {out}");
        }
    }

    #[test]
    fn rejects_name_value_stacked_attributes() {
        let out = expand(
            TokenStream::new(),
            quote! {
                #[rate_limit = "10/minute"]
                async fn h() {}
            },
        );
        assert!(out.contains("write the arguments in parentheses"), "{out}");
    }

    #[test]
    fn recognises_only_rate_limit_paths() {
        let attrs: Vec<Attribute> = Attribute::parse_outer
            .parse2(quote! {
                #[rate_limit] #[fastex::rate_limit] #[::fastex::rate_limit(times = 1)]
                #[::rate_limit] #[other::rate_limit] #[fastex::main] #[rate_limits]
            })
            .unwrap();
        let matched: Vec<bool> = attrs.iter().map(is_rate_limit).collect();
        assert_eq!(matched, [true, true, true, false, false, false, false]);
    }
}
