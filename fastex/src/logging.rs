//! Logging set-up: one global [`tracing`] subscriber, human-readable or JSON.
//!
//! fastex itself only emits [`tracing`] events; it never prints. Its events are structured:
//! their targets start with `fastex::` (for example `fastex::limiter::backend::memory`), and
//! they carry fields rather than formatted text, so they can be filtered and indexed:
//!
//! | field | meaning |
//! | --- | --- |
//! | `key` | the counter's key, e.g. `limiter:app::login:0:{127.0.0.1}` |
//! | `limit` | the limit that decided, e.g. `10 per 60000 ms (sliding_window)` |
//! | `retry_after_ms` | how long a refused client has to wait |
//! | `backend` | the backend that answered or failed, e.g. `memory`, `redis` |
//!
//! Any subscriber sees them. [`configure_logging`] installs a ready-made one (which
//! `#[fastex::main]` calls with the level and format from the
//! [settings](crate::limiter::LimiterSettings)); an application that sets up its own
//! subscriber first keeps it.
//!
//! ```
//! use fastex::logging::{LogFormat, LogLevel, configure_logging};
//!
//! let level: LogLevel = "DEBUG".parse()?;
//! configure_logging(level, LogFormat::Json);
//! tracing::info!(target: "fastex::example", backend = "memory", "ready");
//! # Ok::<(), fastex::logging::UnknownLogLevel>(())
//! ```

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::named::named_enum;

/// The least severe events that are logged when `RUST_LOG` is not set.
///
/// ```
/// use fastex::logging::LogLevel;
///
/// assert_eq!("Warn".parse::<LogLevel>().unwrap(), LogLevel::Warn);
/// assert_eq!(LogLevel::default().as_level(), tracing::Level::INFO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogLevel {
    /// Everything, including per-request detail.
    Trace,
    /// Diagnostics for development.
    Debug,
    /// Start-up, shutdown and state changes (the default).
    #[default]
    Info,
    /// Degraded service, e.g. a backend outage answered by its fallback mode.
    Warn,
    /// Failures only.
    Error,
}

impl LogLevel {
    /// The matching [`tracing::Level`].
    pub const fn as_level(self) -> tracing::Level {
        match self {
            LogLevel::Trace => tracing::Level::TRACE,
            LogLevel::Debug => tracing::Level::DEBUG,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Warn => tracing::Level::WARN,
            LogLevel::Error => tracing::Level::ERROR,
        }
    }
}

named_enum!(LogLevel, UnknownLogLevel, "log level", {
    Trace => "trace",
    Debug => "debug",
    Info => "info",
    Warn => "warn",
    Error => "error",
} aliases {
    // As Python's `logging` spells it.
    "warning" => Warn,
});

/// How log lines look.
///
/// ```
/// use fastex::logging::LogFormat;
///
/// assert_eq!("JSON".parse::<LogFormat>().unwrap(), LogFormat::Json);
/// assert_eq!(LogFormat::default(), LogFormat::Pretty);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogFormat {
    /// Multi-line and readable, for a terminal (the default).
    #[default]
    Pretty,
    /// One line per event, for a terminal or a plain log file.
    Compact,
    /// One JSON object per line, for a log collector.
    Json,
}

named_enum!(LogFormat, UnknownLogFormat, "log format", {
    Pretty => "pretty",
    Compact => "compact",
    Json => "json",
});

/// Installs a global [`tracing`] subscriber writing to standard output.
///
/// The filter is `RUST_LOG` when it is set and valid (see
/// [`EnvFilter`]), else `level` for every target. Colours are used only when
/// standard output is a terminal.
///
/// Safe to call more than once: when a global subscriber is already set (by an earlier
/// call or by the application) it returns `false` and changes nothing; it returns `true`
/// when it installed its subscriber.
pub fn configure_logging(level: LogLevel, format: LogFormat) -> bool {
    if tracing::dispatcher::has_been_set() {
        // Cheap early exit; set_global_default below still settles any race.
        return false;
    }
    let (filter, bad_rust_log) = match std::env::var_os(EnvFilter::DEFAULT_ENV) {
        None => (level_filter(level), None),
        Some(_) => match EnvFilter::try_from_default_env() {
            Ok(filter) => (filter, None),
            Err(error) => (level_filter(level), Some(error)),
        },
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    // `set_global_default` rather than `try_init`: `try_init` also installs a `log`
    // bridge and fails when another `log` logger exists, after the subscriber is already
    // in place, which would make "false" mean two different things.
    let installed = match format {
        LogFormat::Pretty => tracing::subscriber::set_global_default(builder.pretty().finish()),
        LogFormat::Compact => tracing::subscriber::set_global_default(builder.compact().finish()),
        LogFormat::Json => tracing::subscriber::set_global_default(builder.json().finish()),
    }
    .is_ok();
    if installed && let Some(error) = bad_rust_log {
        tracing::warn!(
            target: "fastex::logging",
            %error,
            fallback = level.name(),
            "RUST_LOG is not a valid filter; logging at the configured level instead"
        );
    }
    installed
}

fn level_filter(level: LogLevel) -> EnvFilter {
    EnvFilter::default().add_directive(LevelFilter::from_level(level.as_level()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_in_any_case() {
        for level in LogLevel::ALL {
            assert_eq!(level.name().parse(), Ok(level));
            assert_eq!(level.name().to_uppercase().parse(), Ok(level));
            assert_eq!(level.to_string(), level.name());
        }
        assert_eq!(" Warning ".parse(), Ok(LogLevel::Warn));
        assert_eq!(LogLevel::Trace.as_level(), tracing::Level::TRACE);
        assert_eq!(LogLevel::Error.as_level(), tracing::Level::ERROR);
        assert_eq!(
            "loud".parse::<LogLevel>().unwrap_err().to_string(),
            "unknown log level `loud`: expected one of trace, debug, info, warn, error"
        );
        assert!("".parse::<LogLevel>().is_err());
    }

    #[test]
    fn formats_parse_in_any_case() {
        for format in LogFormat::ALL {
            assert_eq!(format.name().parse(), Ok(format));
            assert_eq!(format.name().to_uppercase().parse(), Ok(format));
            assert_eq!(format.to_string(), format.name());
        }
        assert_eq!(
            "xml".parse::<LogFormat>().unwrap_err().to_string(),
            "unknown log format `xml`: expected one of pretty, compact, json"
        );
    }

    #[test]
    fn configure_logging_installs_once() {
        // Process-global: the only test in this crate that installs a global subscriber.
        assert!(configure_logging(LogLevel::Debug, LogFormat::Compact));
        assert!(!configure_logging(LogLevel::Trace, LogFormat::Json));
        tracing::debug!(target: "fastex::logging", "logged once");
    }
}
