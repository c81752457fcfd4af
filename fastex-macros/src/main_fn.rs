//! `#[fastex::main]`: tokio's `#[tokio::main]` plus fastex's start-up (settings, logging,
//! backend) around the body, with literal overrides of the settings checked at compile time.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, ItemFn, LitStr, ReturnType, Type};

use crate::args::{Accepted, Arg, Errors, Once, choice, int_lit, parse_args, str_lit};

const ACCEPTED: Accepted = Accepted {
    attribute: "#[fastex::main]",
    names: &[
        "flavor",
        "worker_threads",
        "backend",
        "redis_url",
        "fallback_mode",
        "log_level",
        "log_format",
    ],
    aliases: &[
        ("threads", "worker_threads"),
        ("workers", "worker_threads"),
        ("runtime", "flavor"),
        ("redis", "redis_url"),
        ("url", "redis_url"),
        ("fallback", "fallback_mode"),
        ("level", "log_level"),
        ("format", "log_format"),
    ],
};

const FLAVORS: &[&str] = &["multi_thread", "current_thread"];
const BACKENDS: &[&str] = &["memory", "redis", "composite"];
const FALLBACK_MODES: &[&str] = &["allow", "deny", "raise"];
const LOG_LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error"];
const LOG_FORMATS: &[&str] = &["pretty", "compact", "json"];
const REDIS_SCHEMES: &[&str] = &["redis://", "rediss://"];

/// More threads than this is a typo, not a configuration.
const MAX_WORKER_THREADS: u64 = u16::MAX as u64;

/// The arguments of one `#[fastex::main(...)]`, validated.
#[derive(Default)]
struct Config {
    current_thread: bool,
    worker_threads: Option<u64>,
    /// `(field of MainOverrides, value)`, in argument order.
    overrides: Vec<(&'static str, String)>,
}

pub(crate) fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(error) => return with_error(item, error),
    };
    let mut errors = Errors::default();
    if func.sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            func.sig.fn_token.span,
            format!(
                "`#[fastex::main]` goes on an async function: write `async fn {}()`",
                func.sig.ident
            ),
        ));
    }
    if let Some(first) = func.sig.inputs.first() {
        errors.push(syn::Error::new(
            first.span(),
            format!(
                "`{}` cannot take arguments under `#[fastex::main]`: remove them, and read \
                 settings from the environment instead",
                func.sig.ident
            ),
        ));
    }
    let config = config(args, &mut errors);
    match errors.into_result() {
        Ok(()) => expand(func, &config),
        // An async fn still expands (with the default runtime), as tokio does, so that the
        // only errors are the user's: `async fn main` alone would add "`main` function is
        // not allowed to be `async`".
        Err(error) if func.sig.asyncness.is_some() => {
            with_error(expand(func, &Config::default()), error)
        }
        Err(error) => with_error(item, error),
    }
}

fn with_error(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}

fn config(args: TokenStream, errors: &mut Errors) -> Config {
    let Some(args) = errors.ok(parse_args(args)) else {
        return Config::default();
    };
    let mut flavor = Once::<Option<&'static str>>::new("flavor");
    let mut worker_threads = Once::<Option<u64>>::new("worker_threads");
    let mut overrides = [
        Once::<Option<String>>::new("backend"),
        Once::new("redis_url"),
        Once::new("fallback_mode"),
        Once::new("log_level"),
        Once::new("log_format"),
    ];
    for arg in &args {
        let (name, value) = match arg {
            Arg::Named { name, value } => (name, value),
            Arg::Flag(name) => {
                let written = name.unraw().to_string();
                errors.push(if ACCEPTED.names.contains(&written.as_str()) {
                    syn::Error::new(
                        name.span(),
                        format!("`{written}` needs a value: write `{written} = ...`"),
                    )
                } else {
                    ACCEPTED.unknown(name)
                });
                continue;
            }
            Arg::Positional(value) => {
                errors.push(syn::Error::new(
                    value.span(),
                    "expected `name = value`, like `#[fastex::main(flavor = \"current_thread\")]`",
                ));
                continue;
            }
        };
        let span = name.span();
        match name.unraw().to_string().as_str() {
            "flavor" => {
                let parsed = errors.ok(str_lit("flavor", value, "current_thread")
                    .and_then(|text| choice("flavor", &text, FLAVORS)));
                flavor.set(span, parsed, errors);
            }
            "worker_threads" => {
                let parsed = errors.ok(worker_threads_value(value));
                worker_threads.set(span, parsed, errors);
            }
            "backend" => set_override(&mut overrides[0], span, value, "memory", errors, |text| {
                choice("backend", text, BACKENDS).map(str::to_owned)
            }),
            "redis_url" => set_override(
                &mut overrides[1],
                span,
                value,
                "redis://127.0.0.1:6379",
                errors,
                redis_url,
            ),
            "fallback_mode" => {
                set_override(&mut overrides[2], span, value, "allow", errors, |text| {
                    choice("fallback_mode", text, FALLBACK_MODES).map(str::to_owned)
                })
            }
            "log_level" => set_override(&mut overrides[3], span, value, "info", errors, |text| {
                choice("log_level", text, LOG_LEVELS).map(str::to_owned)
            }),
            "log_format" => set_override(&mut overrides[4], span, value, "json", errors, |text| {
                choice("log_format", text, LOG_FORMATS).map(str::to_owned)
            }),
            _ => errors.push(ACCEPTED.unknown(name)),
        }
    }
    let current_thread = flavor.get().copied().flatten() == Some("current_thread");
    if let Some(span) = worker_threads.span().filter(|_| current_thread) {
        errors.push(syn::Error::new(
            span,
            "`worker_threads` only applies to the multi-thread runtime: remove it, or use \
             `flavor = \"multi_thread\"`",
        ));
    }
    Config {
        current_thread,
        worker_threads: worker_threads.into_inner().flatten(),
        overrides: overrides
            .into_iter()
            .filter_map(|once| {
                let name = once.name();
                once.into_inner().flatten().map(|value| (name, value))
            })
            .collect(),
    }
}

fn set_override(
    once: &mut Once<Option<String>>,
    span: Span,
    value: &Expr,
    example: &str,
    errors: &mut Errors,
    check: impl FnOnce(&LitStr) -> syn::Result<String>,
) {
    let parsed = errors.ok(str_lit(once.name(), value, example).and_then(|text| check(&text)));
    once.set(span, parsed, errors);
}

fn worker_threads_value(value: &Expr) -> syn::Result<u64> {
    match int_lit("worker_threads", value, MAX_WORKER_THREADS)? {
        0 => Err(syn::Error::new(
            value.span(),
            "`worker_threads = 0` leaves the runtime without a thread: it must be at least 1",
        )),
        n => Ok(n),
    }
}

fn redis_url(text: &LitStr) -> syn::Result<String> {
    let url = text.value();
    let lowercase = url.to_ascii_lowercase();
    if REDIS_SCHEMES
        .iter()
        .any(|scheme| lowercase.starts_with(scheme) && lowercase.len() > scheme.len())
    {
        Ok(url)
    } else {
        Err(syn::Error::new(
            text.span(),
            format!(
                "`redis_url` must start with `redis://` or `rediss://` (TLS) and name a host, \
                 like `redis_url = \"redis://127.0.0.1:6379\"`; got {url:?}"
            ),
        ))
    }
}

/// The non-async `fn` that builds the runtime and blocks on `run_main(overrides, body)`.
fn expand(mut func: ItemFn, config: &Config) -> TokenStream {
    func.sig.asyncness = None;
    let body = &func.block;

    // As tokio does: type errors about the body's value point at its last statement.
    let (last_start, last_end) = {
        let mut last = func
            .block
            .stmts
            .last()
            .map(quote::ToTokens::to_token_stream)
            .unwrap_or_default()
            .into_iter();
        let start = last
            .next()
            .map_or_else(Span::call_site, |token| token.span());
        let end = last.last().map_or(start, |token| token.span());
        (start, end)
    };

    // Forces the async block's output to the declared return type, so that `?` inside it
    // knows which error to convert into. Not possible for `impl Trait` or `!`.
    let output_check = match &func.sig.output {
        ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) || contains_impl_trait(ty) => {
            None
        }
        ReturnType::Type(_, ty) => Some(quote! {
            if false {
                let _: &dyn ::core::future::Future<Output = #ty> = &body;
            }
        }),
        ReturnType::Default => Some(quote! {
            if false {
                let _: &dyn ::core::future::Future<Output = ()> = &body;
            }
        }),
    };

    let builder = if config.current_thread {
        quote_spanned!(last_start=> ::fastex::__private::tokio::runtime::Builder::new_current_thread())
    } else {
        quote_spanned!(last_start=> ::fastex::__private::tokio::runtime::Builder::new_multi_thread())
    };
    let worker_threads = config.worker_threads.map(|n| {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        quote!(.worker_threads(#n))
    });
    let overrides = config.overrides.iter().map(|(field, value)| {
        let field = format_ident!("{}", field);
        quote!(#field: ::core::option::Option::Some(#value),)
    });

    let new_body = quote_spanned! {last_end=>
        {
            let body = async #body;
            let body = {
                #output_check
                body
            };
            // The explicit `return` keeps the last statement's span on type errors
            // (tokio-rs/tokio#4636).
            #[allow(
                clippy::expect_used,
                clippy::diverging_sub_expression,
                clippy::needless_return,
                clippy::unwrap_in_result
            )]
            {
                return #builder
                    #worker_threads
                    .enable_all()
                    .build()
                    .expect("fastex: failed to build the tokio runtime")
                    .block_on(::fastex::__private::run_main(
                        ::fastex::__private::MainOverrides {
                            #(#overrides)*
                            ..::core::default::Default::default()
                        },
                        body,
                    ));
            }
        }
    };
    let attrs = &func.attrs;
    let vis = &func.vis;
    let sig = &func.sig;
    quote! {
        #(#attrs)*
        #vis #sig #new_body
    }
}

/// Whether `ty` mentions `impl Trait`, which a `dyn Future<Output = ...>` cannot name.
fn contains_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Array(ty) => contains_impl_trait(&ty.elem),
        Type::Group(ty) => contains_impl_trait(&ty.elem),
        Type::Paren(ty) => contains_impl_trait(&ty.elem),
        Type::Ptr(ty) => contains_impl_trait(&ty.elem),
        Type::Reference(ty) => contains_impl_trait(&ty.elem),
        Type::Slice(ty) => contains_impl_trait(&ty.elem),
        Type::Tuple(ty) => ty.elems.iter().any(contains_impl_trait),
        Type::Path(ty) => ty.path.segments.iter().any(|segment| match &segment.arguments {
            syn::PathArguments::AngleBracketed(args) => args.args.iter().any(|arg| match arg {
                syn::GenericArgument::Type(ty) => contains_impl_trait(ty),
                syn::GenericArgument::AssocType(assoc) => contains_impl_trait(&assoc.ty),
                _ => false,
            }),
            syn::PathArguments::Parenthesized(args) => {
                args.inputs.iter().any(contains_impl_trait)
                    || matches!(&args.output, ReturnType::Type(_, ty) if contains_impl_trait(ty))
            }
            syn::PathArguments::None => false,
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_main(args: TokenStream, item: TokenStream) -> String {
        main(args, item).to_string()
    }

    #[test]
    fn expands_to_a_runtime_around_run_main() {
        let out = expand_main(
            TokenStream::new(),
            quote!(
                async fn main() {
                    serve().await;
                }
            ),
        );
        assert!(out.starts_with("fn main ()"), "{out}");
        assert!(out.contains("Builder :: new_multi_thread ()"), "{out}");
        assert!(out.contains(". enable_all ()"), "{out}");
        assert!(out.contains("run_main (:: fastex :: __private :: MainOverrides { .. :: core :: default :: Default :: default () } , body ,)"), "{out}");
        assert!(
            out.contains("let body = async { serve () . await ; }"),
            "{out}"
        );
        assert!(out.contains("Future < Output = () >"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn passes_every_argument_through() {
        let out = expand_main(
            quote!(
                flavor = "multi_thread",
                worker_threads = 2,
                backend = "Memory",
                redis_url = "rediss://cache:6380",
                fallback_mode = "DENY",
                log_level = "debug",
                log_format = "json",
            ),
            quote!(
                pub async fn main() -> Result<(), std::io::Error> {
                    Ok(())
                }
            ),
        );
        for wanted in [
            "pub fn main () -> Result < () , std :: io :: Error >",
            ". worker_threads (2usize)",
            "backend : :: core :: option :: Option :: Some (\"memory\")",
            "redis_url : :: core :: option :: Option :: Some (\"rediss://cache:6380\")",
            "fallback_mode : :: core :: option :: Option :: Some (\"deny\")",
            "log_level : :: core :: option :: Option :: Some (\"debug\")",
            "log_format : :: core :: option :: Option :: Some (\"json\")",
            "Future < Output = Result < () , std :: io :: Error > >",
        ] {
            assert!(out.contains(wanted), "missing {wanted}\nin {out}");
        }
        let out = expand_main(
            quote!(flavor = "current_thread"),
            quote!(
                async fn main() {}
            ),
        );
        assert!(out.contains("Builder :: new_current_thread ()"), "{out}");
    }

    #[test]
    fn impl_trait_returns_skip_the_output_check() {
        let out = expand_main(
            TokenStream::new(),
            quote!(
                async fn main() -> impl std::process::Termination {}
            ),
        );
        assert!(!out.contains("if false"), "{out}");
    }

    #[test]
    fn reports_every_rule() {
        for (args, item, wanted) in [
            (
                quote!(),
                quote!(
                    fn main() {}
                ),
                "write `async fn main()`",
            ),
            (
                quote!(),
                quote!(
                    async fn main(x: u8) {}
                ),
                "cannot take arguments",
            ),
            (
                quote!(flavour = "x"),
                quote!(
                    async fn main() {}
                ),
                "did you mean `flavor`?",
            ),
            (
                quote!(threads = 2),
                quote!(
                    async fn main() {}
                ),
                "did you mean `worker_threads`?",
            ),
            (
                quote!(backend = "memory", backend = "redis"),
                quote!(
                    async fn main() {}
                ),
                "`backend` is set more than once",
            ),
            (
                quote!(flavor = "single"),
                quote!(
                    async fn main() {}
                ),
                "accepted values are `multi_thread`, `current_thread`",
            ),
            (
                quote!(flavor = "current_thread", worker_threads = 2),
                quote!(
                    async fn main() {}
                ),
                "only applies to the multi-thread runtime",
            ),
            (
                quote!(worker_threads = 0),
                quote!(
                    async fn main() {}
                ),
                "at least 1",
            ),
            (
                quote!(worker_threads = "2"),
                quote!(
                    async fn main() {}
                ),
                "without quotes",
            ),
            (
                quote!(backend = "postgres"),
                quote!(
                    async fn main() {}
                ),
                "`memory`, `redis`, `composite`",
            ),
            (
                quote!(redis_url = "http://x"),
                quote!(
                    async fn main() {}
                ),
                "must start with `redis://`",
            ),
            (
                quote!(redis_url = "redis://"),
                quote!(
                    async fn main() {}
                ),
                "must start with `redis://`",
            ),
            (
                quote!(fallback_mode = "alow"),
                quote!(
                    async fn main() {}
                ),
                "did you mean `allow`?",
            ),
            (
                quote!(log_level = "verbose"),
                quote!(
                    async fn main() {}
                ),
                "`trace`, `debug`",
            ),
            (
                quote!(log_format = "jsn"),
                quote!(
                    async fn main() {}
                ),
                "did you mean `json`?",
            ),
            (
                quote!(log_format = json),
                quote!(
                    async fn main() {}
                ),
                "string literal",
            ),
            (
                quote!("x"),
                quote!(
                    async fn main() {}
                ),
                "expected `name = value`",
            ),
            (
                quote!(flavor),
                quote!(
                    async fn main() {}
                ),
                "`flavor` needs a value",
            ),
        ] {
            let out = expand_main(args.clone(), item.clone());
            assert!(out.contains(wanted), "{args} {item}: {out}");
        }
    }

    #[test]
    fn errors_keep_an_item_the_ide_can_read() {
        let out = expand_main(
            quote!(flavor = "x"),
            quote!(
                async fn main() {
                    body();
                }
            ),
        );
        assert!(out.starts_with("fn main ()"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
        let out = expand_main(
            quote!(),
            quote!(
                fn main() {
                    body();
                }
            ),
        );
        assert!(out.starts_with("fn main () { body () ; }"), "{out}");
    }
}
