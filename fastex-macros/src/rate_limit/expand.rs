//! The code one stack of `#[rate_limit]`s becomes: a hidden zero-sized type carrying the
//! limits, an impl of `RouteLimits` for it (whose `key` and `callback` calls are type-checked
//! at the user's argument), and the handler with one guard parameter in front.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Type, parse_quote};

use super::spec::{Limit, Stack};

pub(crate) fn expand(mut func: ItemFn, stack: Stack) -> TokenStream {
    let fn_name = func.sig.ident.unraw().to_string();
    let nested = nested_guards(&func);
    let (limits_type, route): (Ident, String) = if nested == 0 {
        (format_ident!("__fastex_limits_{}", fn_name), fn_name)
    } else {
        (
            format_ident!("__fastex_limits_{}_{}", fn_name, nested),
            format!("{fn_name}#{nested}"),
        )
    };
    let vis = &func.vis;

    let limits = stack.limits.iter().map(limit_tokens);
    let backend = stack.backend.as_ref().map(|name| {
        quote! {
            const BACKEND: ::core::option::Option<&'static str> = ::core::option::Option::Some(#name);
        }
    });
    // `key` and `callback` are passed through `assert_*_fn`, and their whole method is
    // spanned at the user's argument: a function of the wrong signature is reported there
    // (as axum-macros' debug_handler does), and only once, because rustc reports an unmet
    // bound once per span and body (the return type's opaque future would otherwise repeat
    // it on the attribute).
    let identity = stack.key.as_ref().map(|key| {
        quote_spanned! {key.span()=>
            fn identity(
                __fastex_parts: &::fastex::__private::Parts,
            ) -> impl ::core::future::Future<
                Output = ::core::option::Option<::std::string::String>,
            > + ::core::marker::Send {
                ::fastex::__private::call_key_fn(
                    ::fastex::__private::assert_key_fn(#key),
                    __fastex_parts,
                )
            }
        }
    });
    let on_limited = stack.callback.as_ref().map(|callback| {
        quote_spanned! {callback.span()=>
            fn on_limited(
                __fastex_parts: &::fastex::__private::Parts,
                __fastex_result: &::fastex::__private::RateLimitResult,
            ) -> impl ::core::future::Future<
                Output = ::core::option::Option<::fastex::__private::Response>,
            > + ::core::marker::Send {
                ::fastex::__private::call_callback_fn(
                    ::fastex::__private::assert_callback_fn(#callback),
                    __fastex_parts,
                    __fastex_result,
                )
            }
        }
    });

    func.sig
        .inputs
        .insert(0, parse_quote!(_: ::fastex::__private::Guard<#limits_type>));

    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy)]
        #vis struct #limits_type;

        impl ::fastex::__private::RouteLimits for #limits_type {
            const ROUTE: &'static str = ::core::concat!(::core::module_path!(), "::", #route);
            const LIMITS: &'static [::fastex::__private::LimitSpec] = &[#(#limits),*];
            #backend
            #identity
            #on_limited
        }

        #func
    }
}

fn limit_tokens(limit: &Limit) -> TokenStream {
    match *limit {
        Limit::Fixed {
            times,
            window_ms,
            algorithm,
        } => {
            let times = Literal::u32_suffixed(times);
            let window_ms = Literal::u64_suffixed(window_ms);
            let algorithm = algorithm.map(|algorithm| {
                let variant = format_ident!("{}", algorithm.variant());
                quote!(.with_algorithm(::fastex::__private::Algorithm::#variant))
            });
            quote! {
                ::fastex::__private::LimitSpec::Fixed(
                    ::fastex::__private::RateLimitConfig::new(#times, #window_ms)#algorithm
                )
            }
        }
        Limit::FromSettings => quote!(::fastex::__private::LimitSpec::FromSettings),
    }
}

/// How many guards an earlier expansion already put on this handler. Only a `#[rate_limit]`
/// under a name the first attribute did not recognise (a renamed import) expands again; it
/// then needs its own type and route, or its keys would collide with the first guard's.
fn nested_guards(func: &ItemFn) -> usize {
    func.sig
        .inputs
        .iter()
        .filter(|arg| match arg {
            FnArg::Typed(arg) => match &*arg.ty {
                Type::Path(ty) => {
                    let names: Vec<String> = ty
                        .path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect();
                    names.ends_with(&["__private".to_owned(), "Guard".to_owned()])
                }
                _ => false,
            },
            FnArg::Receiver(_) => false,
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate_limit::spec::Algorithm;
    use syn::LitStr;

    fn handler() -> ItemFn {
        parse_quote! {
            #[axum::debug_handler]
            pub(crate) async fn r#user(
                axum::extract::Path(id): axum::extract::Path<u32>,
            ) -> Result<String, std::io::Error> {
                if id == 0 { return Ok(String::new()); }
                Ok(id.to_string())
            }
        }
    }

    fn full_stack() -> Stack {
        Stack {
            limits: vec![
                Limit::Fixed {
                    times: 2,
                    window_ms: 60_000,
                    algorithm: Some(Algorithm::SlidingWindowCounter),
                },
                Limit::FromSettings,
            ],
            backend: Some(LitStr::new("edge", proc_macro2::Span::call_site())),
            key: Some(parse_quote!(crate::by_user)),
            callback: Some(parse_quote!(teapot)),
        }
    }

    #[test]
    fn expands_everything_a_stack_says() {
        let out = expand(handler(), full_stack()).to_string();
        for wanted in [
            "pub (crate) struct __fastex_limits_user ;",
            "impl :: fastex :: __private :: RouteLimits for __fastex_limits_user",
            "concat ! (:: core :: module_path ! () , \"::\" , \"user\")",
            "RateLimitConfig :: new (2u32 , 60000u64) . with_algorithm (:: fastex :: __private :: Algorithm :: SlidingWindowCounter)",
            ", :: fastex :: __private :: LimitSpec :: FromSettings]",
            "const BACKEND : :: core :: option :: Option < & 'static str > = :: core :: option :: Option :: Some (\"edge\")",
            "call_key_fn (:: fastex :: __private :: assert_key_fn (crate :: by_user) , __fastex_parts ,)",
            "call_callback_fn (:: fastex :: __private :: assert_callback_fn (teapot) , __fastex_parts , __fastex_result ,)",
            "# [axum :: debug_handler] pub (crate) async fn r#user (_ : :: fastex :: __private :: Guard < __fastex_limits_user > , axum :: extract :: Path (id)",
            "if id == 0 { return Ok (String :: new ()) ; }",
        ] {
            assert!(out.contains(wanted), "missing {wanted}\nin {out}");
        }
    }

    #[test]
    fn leaves_out_what_the_stack_does_not_set() {
        let stack = Stack {
            limits: vec![Limit::FromSettings],
            ..Stack::default()
        };
        let out = expand(handler(), stack).to_string();
        for unwanted in ["BACKEND", "identity", "on_limited", "assert_"] {
            assert!(!out.contains(unwanted), "{unwanted} in {out}");
        }
    }

    #[test]
    fn a_second_expansion_gets_its_own_type_and_route() {
        let once: syn::File = syn::parse2(expand(handler(), full_stack())).unwrap();
        let Some(syn::Item::Fn(func)) = once.items.last().cloned() else {
            panic!("the handler comes last");
        };
        assert_eq!(nested_guards(&func), 1);
        let out = expand(func, full_stack()).to_string();
        assert!(out.contains("struct __fastex_limits_user_1"), "{out}");
        assert!(out.contains("\"user#1\""), "{out}");
        assert!(
            out.contains("(_ : :: fastex :: __private :: Guard < __fastex_limits_user_1 > , _ : :: fastex :: __private :: Guard < __fastex_limits_user >"),
            "{out}"
        );
    }
}
