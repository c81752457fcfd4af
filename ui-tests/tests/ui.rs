//! Compile-time behaviour of `#[rate_limit]` and `#[fastex::main]`: every accepted form
//! builds (and runs), every rule fails with the `.stderr` next to its case.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p fastex-ui-tests`,
//! then read the diff: each error must sit on the culprit and say how to fix it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
