//! `#[fastex::main]` end to end: a real program started with real environments.

use std::process::{Command, Output};

fn probe(env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_main_probe"));
    // Only what the test sets: the developer's own REDIS_URL or LOG_LEVEL must not leak in.
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the probe runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn main_builds_and_connects_the_backend_the_settings_name() {
    let output = probe(&[
        ("FALLBACK_MODE", "deny"),
        ("DEFAULT_TIMES", "7"),
        ("LIMITER_PREFIX", "svc"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = stdout(&output);
    assert!(
        stdout.contains("rate limiter ready"),
        "start-up is logged: {stdout}"
    );
    assert_eq!(
        stdout.lines().last().unwrap_or_default(),
        "backend=memory connected=true fallback_mode=deny default_times=7 prefix=svc"
    );
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_and_status_2() {
    let output = probe(&[("FALLBACK_MODE", "banana")]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "fastex: FALLBACK_MODE=banana: expected one of allow, deny, raise\n"
    );
    assert_eq!(stdout(&output), "", "the body never ran");

    let output = probe(&[("LIMITER_MEMORY_MAX_KEYS", "0")]);
    assert_eq!(output.status.code(), Some(2));
    let line = stderr(&output);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("fastex: LIMITER_MEMORY_MAX_KEYS=0: expected "),
        "{line}"
    );
}

#[test]
fn an_error_returned_from_main_is_reported_as_main_does() {
    let output = probe(&[("PROBE_EXIT", "error")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("ProbeFailure"),
        "{}",
        stderr(&output)
    );
}
