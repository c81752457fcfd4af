//! Settings from the environment and an optional `fastex.toml`: see [`LimiterSettings`].

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use arc_swap::ArcSwap;
use config::{Config, ConfigError, FileFormat, Value, ValueKind};

use crate::limiter::backend::FallbackMode;
use crate::limiter::backend::composite::SwitchingStrategy;
use crate::limiter::backend::memory::MemoryLimiterBackendConnectConfig;
use crate::limiter::backend::redis::RedisLimiterBackendConnectConfig;
use crate::limiter::{MAX_WINDOW_MS, RateLimitConfig};
use crate::logging::{LogFormat, LogLevel};
use crate::named::named_enum;

/// The environment variable naming the settings file.
const CONFIG_VAR: &str = "FASTEX_CONFIG";
/// The settings file looked for in the current directory when `FASTEX_CONFIG` is unset.
const DEFAULT_FILE: &str = "fastex.toml";
/// The longest window, and cleanup interval, in whole seconds.
const MAX_SECONDS: u64 = MAX_WINDOW_MS / 1_000;

/// One setting: its key in the file and its environment variables, strongest first.
struct Spec {
    key: &'static str,
    env: &'static [&'static str],
}

const REDIS_URL: Spec = Spec {
    key: "redis_url",
    env: &["LIMITER_REDIS_URL", "REDIS_URL"],
};
const FALLBACK_MODE: Spec = Spec {
    key: "fallback_mode",
    env: &["LIMITER_FALLBACK_MODE", "FALLBACK_MODE"],
};
const DEFAULT_TIMES: Spec = Spec {
    key: "default_times",
    env: &["LIMITER_DEFAULT_TIMES", "DEFAULT_TIMES"],
};
const DEFAULT_WINDOW_SECONDS: Spec = Spec {
    key: "default_window_seconds",
    env: &["LIMITER_DEFAULT_WINDOW_SECONDS", "DEFAULT_WINDOW_SECONDS"],
};
const PREFIX: Spec = Spec {
    key: "prefix",
    env: &["LIMITER_PREFIX", "LIMITER_DEFAULT_PREFIX"],
};
const TRUST_PROXY_HEADERS: Spec = Spec {
    key: "trust_proxy_headers",
    env: &["LIMITER_TRUST_PROXY_HEADERS"],
};
const DENY_FALLBACK_RETRY_AFTER_MS: Spec = Spec {
    key: "deny_fallback_retry_after_ms",
    env: &["LIMITER_DENY_FALLBACK_RETRY_AFTER_MS"],
};
const BACKEND: Spec = Spec {
    key: "backend",
    env: &["LIMITER_BACKEND"],
};
const MEMORY_MAX_KEYS: Spec = Spec {
    key: "memory_max_keys",
    env: &["LIMITER_MEMORY_MAX_KEYS"],
};
const MEMORY_CLEANUP_INTERVAL_SECONDS: Spec = Spec {
    key: "memory_cleanup_interval_seconds",
    env: &["LIMITER_MEMORY_CLEANUP_INTERVAL_SECONDS"],
};
const COMPOSITE_STRATEGY: Spec = Spec {
    key: "composite_strategy",
    env: &["LIMITER_COMPOSITE_STRATEGY"],
};
const COMPOSITE_FAILURE_THRESHOLD: Spec = Spec {
    key: "composite_failure_threshold",
    env: &["LIMITER_COMPOSITE_FAILURE_THRESHOLD"],
};
const COMPOSITE_RECOVERY_TIMEOUT_SECONDS: Spec = Spec {
    key: "composite_recovery_timeout_seconds",
    env: &["LIMITER_COMPOSITE_RECOVERY_TIMEOUT_SECONDS"],
};
const COMPOSITE_HEALTH_CHECK_INTERVAL_SECONDS: Spec = Spec {
    key: "composite_health_check_interval_seconds",
    env: &["LIMITER_COMPOSITE_HEALTH_CHECK_INTERVAL_SECONDS"],
};
const LOG_LEVEL: Spec = Spec {
    key: "log_level",
    env: &["LIMITER_LOG_LEVEL", "LOG_LEVEL"],
};
const LOG_FORMAT: Spec = Spec {
    key: "log_format",
    env: &["LIMITER_LOG_FORMAT", "LOG_FORMAT"],
};

/// Every setting, in the order they are listed to the user.
const SPECS: [&Spec; 16] = [
    &REDIS_URL,
    &FALLBACK_MODE,
    &DEFAULT_TIMES,
    &DEFAULT_WINDOW_SECONDS,
    &PREFIX,
    &TRUST_PROXY_HEADERS,
    &DENY_FALLBACK_RETRY_AFTER_MS,
    &BACKEND,
    &MEMORY_MAX_KEYS,
    &MEMORY_CLEANUP_INTERVAL_SECONDS,
    &COMPOSITE_STRATEGY,
    &COMPOSITE_FAILURE_THRESHOLD,
    &COMPOSITE_RECOVERY_TIMEOUT_SECONDS,
    &COMPOSITE_HEALTH_CHECK_INTERVAL_SECONDS,
    &LOG_LEVEL,
    &LOG_FORMAT,
];

/// Which store counts the requests, as chosen by `LIMITER_BACKEND`.
///
/// ```
/// use fastex::limiter::BackendKind;
///
/// assert_eq!("Composite".parse::<BackendKind>().unwrap(), BackendKind::Composite);
/// assert_eq!(BackendKind::Redis.to_string(), "redis");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// In the process: fast, but each instance of the application counts on its own.
    Memory,
    /// In Redis: shared by every instance of the application.
    Redis,
    /// Redis, failing over to memory while Redis is unavailable.
    Composite,
}

impl BackendKind {
    /// Whether this backend needs a Redis URL.
    pub const fn uses_redis(self) -> bool {
        matches!(self, BackendKind::Redis | BackendKind::Composite)
    }
}

named_enum!(BackendKind, UnknownBackendKind, "backend", {
    Memory => "memory",
    Redis => "redis",
    Composite => "composite",
});

/// Everything fastex reads from the environment and `fastex.toml`.
///
/// | setting | environment | file key | default |
/// | --- | --- | --- | --- |
/// | [`redis_url`](LimiterSettings::redis_url) | `REDIS_URL`, `LIMITER_REDIS_URL` | `redis_url` | none |
/// | [`fallback_mode`](LimiterSettings::fallback_mode) | `FALLBACK_MODE`, `LIMITER_FALLBACK_MODE` | `fallback_mode` | `allow` |
/// | [`default_times`](LimiterSettings::default_times) | `DEFAULT_TIMES`, `LIMITER_DEFAULT_TIMES` | `default_times` | `100` |
/// | [`default_window_seconds`](LimiterSettings::default_window_seconds) | `DEFAULT_WINDOW_SECONDS`, `LIMITER_DEFAULT_WINDOW_SECONDS` | `default_window_seconds` | `60` |
/// | [`prefix`](LimiterSettings::prefix) | `LIMITER_PREFIX`, `LIMITER_DEFAULT_PREFIX` | `prefix` | `limiter` |
/// | [`trust_proxy_headers`](LimiterSettings::trust_proxy_headers) | `LIMITER_TRUST_PROXY_HEADERS` | `trust_proxy_headers` | `false` |
/// | [`deny_fallback_retry_after_ms`](LimiterSettings::deny_fallback_retry_after_ms) | `LIMITER_DENY_FALLBACK_RETRY_AFTER_MS` | `deny_fallback_retry_after_ms` | `60000` |
/// | [`backend`](LimiterSettings::backend) | `LIMITER_BACKEND` | `backend` | `redis` with a Redis URL, else `memory` |
/// | [`memory_max_keys`](LimiterSettings::memory_max_keys) | `LIMITER_MEMORY_MAX_KEYS` | `memory_max_keys` | `10000` |
/// | [`memory_cleanup_interval_seconds`](LimiterSettings::memory_cleanup_interval_seconds) | `LIMITER_MEMORY_CLEANUP_INTERVAL_SECONDS` | `memory_cleanup_interval_seconds` | `300` |
/// | [`composite_strategy`](LimiterSettings::composite_strategy) | `LIMITER_COMPOSITE_STRATEGY` | `composite_strategy` | `circuit_breaker` |
/// | [`composite_failure_threshold`](LimiterSettings::composite_failure_threshold) | `LIMITER_COMPOSITE_FAILURE_THRESHOLD` | `composite_failure_threshold` | `5` |
/// | [`composite_recovery_timeout_seconds`](LimiterSettings::composite_recovery_timeout_seconds) | `LIMITER_COMPOSITE_RECOVERY_TIMEOUT_SECONDS` | `composite_recovery_timeout_seconds` | `60` |
/// | [`composite_health_check_interval_seconds`](LimiterSettings::composite_health_check_interval_seconds) | `LIMITER_COMPOSITE_HEALTH_CHECK_INTERVAL_SECONDS` | `composite_health_check_interval_seconds` | `30` |
/// | [`log_level`](LimiterSettings::log_level) | `LOG_LEVEL`, `LIMITER_LOG_LEVEL` | `log_level` | `info` |
/// | [`log_format`](LimiterSettings::log_format) | `LOG_FORMAT`, `LIMITER_LOG_FORMAT` | `log_format` | `pretty` |
///
/// The plain names are the Python original's; when a plain name and its `LIMITER_` form
/// are both set, the `LIMITER_` form wins (`LIMITER_PREFIX` wins over the original's
/// `LIMITER_DEFAULT_PREFIX`). The environment wins over the file. An empty value counts as
/// unset, and values are trimmed.
///
/// The file is TOML with the keys above at the top level; values may be strings, integers
/// or booleans. It is the path in `FASTEX_CONFIG` (which must then exist), else
/// `fastex.toml` in the current directory when there is one. A key the file does not know
/// is an error, so that a typo cannot pass unnoticed:
///
/// ```toml
/// redis_url = "redis://localhost:6379/0"
/// fallback_mode = "deny"
/// default_times = 10
/// trust_proxy_headers = true
/// ```
///
/// `Debug` hides the password of [`redis_url`](Self::redis_url).
///
/// ```
/// use fastex::limiter::{BackendKind, LimiterSettings};
///
/// let settings = LimiterSettings::default();
/// assert_eq!(settings.default_times, 100);
/// assert_eq!(settings.backend, BackendKind::Memory);
/// assert_eq!(settings.default_limit().window_ms(), 60_000);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct LimiterSettings {
    /// Where Redis is, e.g. `redis://localhost:6379/0`; `None` when no Redis is used.
    pub redis_url: Option<String>,
    /// What a request gets when its backend cannot answer (default `allow`).
    pub fallback_mode: FallbackMode,
    /// How many requests a bare `#[rate_limit]` admits per window (default 100, at least 1).
    pub default_times: u32,
    /// The window of a bare `#[rate_limit]`, in seconds (default 60, at least 1).
    pub default_window_seconds: u64,
    /// The first part of every counter's key (default `limiter`): not empty, without
    /// whitespace, `{` or `}` (keys use braces as Redis hash tags).
    pub prefix: String,
    /// Whether the client's address is taken from `X-Forwarded-For` / `Forwarded`
    /// (default `false`: only behind a proxy that sets them).
    pub trust_proxy_headers: bool,
    /// The retry a [`FallbackMode::Deny`] refusal announces, in milliseconds (default
    /// 60000).
    pub deny_fallback_retry_after_ms: u64,
    /// Which store counts the requests (default `redis` when a Redis URL is set, else
    /// `memory`). Asking for `redis` or `composite` without a Redis URL is an error.
    pub backend: BackendKind,
    /// How many keys the in-memory backend tracks at once (default 10000, at least 1).
    pub memory_max_keys: usize,
    /// How often the in-memory backend removes expired keys, in seconds (default 300, at
    /// least 1).
    pub memory_cleanup_interval_seconds: u64,
    /// How the composite backend picks Redis or memory (default `circuit_breaker`).
    pub composite_strategy: SwitchingStrategy,
    /// Consecutive Redis failures that open the composite's circuit (default 5, at least 1).
    pub composite_failure_threshold: u32,
    /// Seconds the circuit stays open before one probe tries Redis again (default 60).
    pub composite_recovery_timeout_seconds: u64,
    /// Seconds between health checks of Redis, for `health_check` (default 30, at least 1).
    pub composite_health_check_interval_seconds: u64,
    /// The least severe events logged when `RUST_LOG` is unset (default `info`).
    pub log_level: LogLevel,
    /// How log lines look (default `pretty`).
    pub log_format: LogFormat,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        LimiterSettings {
            redis_url: None,
            fallback_mode: FallbackMode::Allow,
            default_times: 100,
            default_window_seconds: 60,
            prefix: "limiter".to_owned(),
            trust_proxy_headers: false,
            deny_fallback_retry_after_ms: 60_000,
            backend: BackendKind::Memory,
            memory_max_keys: 10_000,
            memory_cleanup_interval_seconds: 300,
            composite_strategy: SwitchingStrategy::CircuitBreaker,
            composite_failure_threshold: 5,
            composite_recovery_timeout_seconds: 60,
            composite_health_check_interval_seconds: 30,
            log_level: LogLevel::Info,
            log_format: LogFormat::Pretty,
        }
    }
}

impl fmt::Debug for LimiterSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LimiterSettings")
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("fallback_mode", &self.fallback_mode)
            .field("default_times", &self.default_times)
            .field("default_window_seconds", &self.default_window_seconds)
            .field("prefix", &self.prefix)
            .field("trust_proxy_headers", &self.trust_proxy_headers)
            .field(
                "deny_fallback_retry_after_ms",
                &self.deny_fallback_retry_after_ms,
            )
            .field("backend", &self.backend)
            .field("memory_max_keys", &self.memory_max_keys)
            .field(
                "memory_cleanup_interval_seconds",
                &self.memory_cleanup_interval_seconds,
            )
            .field("composite_strategy", &self.composite_strategy)
            .field(
                "composite_failure_threshold",
                &self.composite_failure_threshold,
            )
            .field(
                "composite_recovery_timeout_seconds",
                &self.composite_recovery_timeout_seconds,
            )
            .field(
                "composite_health_check_interval_seconds",
                &self.composite_health_check_interval_seconds,
            )
            .field("log_level", &self.log_level)
            .field("log_format", &self.log_format)
            .finish()
    }
}

impl LimiterSettings {
    /// Reads the process environment and the settings file.
    ///
    /// # Errors
    ///
    /// The first bad value, an unknown key in the file, a file that cannot be read or is not
    /// TOML: see [`SettingsError`].
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), with `lookup` answering in place of the
    /// environment (for every variable, `FASTEX_CONFIG` included).
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use fastex::limiter::{BackendKind, LimiterSettings};
    /// use fastex::limiter::backend::FallbackMode;
    ///
    /// let env = HashMap::from([
    ///     ("REDIS_URL", "redis://localhost:6379/0"),
    ///     ("LIMITER_FALLBACK_MODE", "DENY"),
    /// ]);
    /// let settings = LimiterSettings::from_lookup(|name| env.get(name).map(|v| v.to_string()))?;
    /// assert_eq!(settings.fallback_mode, FallbackMode::Deny);
    /// assert_eq!(settings.backend, BackendKind::Redis);
    ///
    /// let env = HashMap::from([("FALLBACK_MODE", "banana")]);
    /// let error = LimiterSettings::from_lookup(|name| env.get(name).map(|v| v.to_string()))
    ///     .unwrap_err();
    /// assert_eq!(error.to_string(), "FALLBACK_MODE=banana: expected one of allow, deny, raise");
    /// # Ok::<(), fastex::limiter::SettingsError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        load(&lookup, Some(Path::new(DEFAULT_FILE)))
    }

    /// The limit of a bare `#[rate_limit]`: [`default_times`](Self::default_times) per
    /// [`default_window_seconds`](Self::default_window_seconds), with the default
    /// [`Algorithm`](crate::limiter::Algorithm).
    ///
    /// Loaded settings are always in range; fields set by hand out of range are clamped
    /// into it (0 becomes 1), since this runs on the request path and must not panic.
    pub fn default_limit(&self) -> RateLimitConfig {
        let seconds = self.default_window_seconds.clamp(1, MAX_SECONDS);
        RateLimitConfig::new(self.default_times.max(1), seconds * 1_000)
    }

    /// [`deny_fallback_retry_after_ms`](Self::deny_fallback_retry_after_ms) as a
    /// [`Duration`].
    pub fn deny_fallback_retry_after(&self) -> Duration {
        Duration::from_millis(self.deny_fallback_retry_after_ms)
    }

    /// The in-memory backend's configuration: [`memory_max_keys`](Self::memory_max_keys),
    /// [`memory_cleanup_interval_seconds`](Self::memory_cleanup_interval_seconds) and
    /// [`fallback_mode`](Self::fallback_mode).
    pub fn memory_config(&self) -> MemoryLimiterBackendConnectConfig {
        MemoryLimiterBackendConnectConfig {
            cleanup_interval: Duration::from_secs(self.memory_cleanup_interval_seconds),
            max_keys: self.memory_max_keys,
            fallback_mode: self.fallback_mode,
        }
    }

    /// The Redis backend's configuration: [`redis_url`](Self::redis_url) and
    /// [`fallback_mode`](Self::fallback_mode); `None` without a URL.
    pub fn redis_config(&self) -> Option<RedisLimiterBackendConnectConfig> {
        let url = self.redis_url.clone()?;
        Some(RedisLimiterBackendConnectConfig {
            fallback_mode: self.fallback_mode,
            ..RedisLimiterBackendConnectConfig::new(url)
        })
    }
}

/// Reads the settings from the process environment and the settings file: the same as
/// [`LimiterSettings::from_env`], named as in the Python original.
///
/// # Errors
///
/// See [`SettingsError`].
pub fn limiter_settings() -> Result<LimiterSettings, SettingsError> {
    LimiterSettings::from_env()
}

static ACTIVE: LazyLock<ArcSwap<LimiterSettings>> =
    LazyLock::new(|| ArcSwap::from_pointee(LimiterSettings::default()));

/// Makes `settings` the ones the request path reads (key prefix, proxy trust, default
/// limit, deny retry). `#[fastex::main]` calls it at start-up; until then
/// [`active_settings`] returns [`LimiterSettings::default`].
pub fn configure_settings(settings: LimiterSettings) {
    ACTIVE.store(Arc::new(settings));
}

/// The settings set by [`configure_settings`], without taking a lock.
///
/// Hold the guard briefly (within one request); clone the `Arc` with
/// [`arc_swap::Guard::into_inner`] to keep it longer.
pub fn active_settings() -> arc_swap::Guard<Arc<LimiterSettings>> {
    ACTIVE.load()
}

/// Hides the password of a URL: `redis://user:secret@host` becomes `redis://user:***@host`,
/// and a `pass` or `password` query parameter (as in `redis+unix:///sock?pass=secret`) gets
/// `***` too. Anything else is returned as it is.
pub(crate) fn redact_url(url: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut changed = false;

    let (body, query) = match url.split_once('?') {
        Some((body, query)) => (body, Some(query)),
        None => (url, None),
    };
    // The user info ends at the last `@` before the query, so that an unescaped `/` or
    // `@` in the password is still hidden rather than taken for the path.
    match body.split_once("://") {
        Some((scheme, rest)) => match rest.rfind('@') {
            Some(at) => {
                let (user_info, host) = rest.split_at(at);
                out.push_str(scheme);
                out.push_str("://");
                match user_info.split_once(':') {
                    Some((user, password)) if !password.is_empty() => {
                        out.push_str(user);
                        out.push_str(":***");
                        changed = true;
                    }
                    _ => out.push_str(user_info),
                }
                out.push_str(host);
            }
            None => out.push_str(body),
        },
        None => out.push_str(body),
    }
    if let Some(query) = query {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, value))
                    if !value.is_empty()
                        && (name.eq_ignore_ascii_case("pass")
                            || name.eq_ignore_ascii_case("password")) =>
                {
                    out.push_str(name);
                    out.push_str("=***");
                    changed = true;
                }
                _ => out.push_str(pair),
            }
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(url)
    }
}

/// Why the settings could not be loaded: one line naming the setting as it was written,
/// the value given and what is accepted.
///
/// ```text
/// FALLBACK_MODE=banana: expected one of allow, deny, raise
/// fastex.toml: default_times = "abc": expected a whole number from 1 to 4294967295
/// fastex.toml: unknown setting `fallback_mod`: expected one of redis_url, fallback_mode, ...
/// FASTEX_CONFIG=/etc/app.toml: cannot read the file: No such file or directory (os error 2)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {problem}")]
pub struct SettingsError {
    place: Place,
    problem: Problem,
}

impl SettingsError {
    /// The setting at fault as the user wrote it: an environment variable's name (e.g.
    /// `LIMITER_FALLBACK_MODE` or `FASTEX_CONFIG`) or a key of the file; `None` when the
    /// file as a whole is at fault (not TOML, unreadable).
    pub fn setting(&self) -> Option<&str> {
        match (&self.place, &self.problem) {
            (_, Problem::UnknownSettings(keys)) => keys.first().map(String::as_str),
            (Place::Env { name, .. }, _) => Some(name),
            (Place::FileValue { key, .. }, _) => Some(key),
            (Place::File { .. }, _) => None,
        }
    }

    /// The value at fault as the user wrote it: an environment variable's value, or a file
    /// value in TOML syntax (a string in quotes); `None` when there is no single value.
    pub fn value(&self) -> Option<&str> {
        match &self.place {
            Place::Env { value, .. } => Some(value),
            Place::FileValue { shown, .. } => Some(shown),
            Place::File { .. } => None,
        }
    }

    /// The settings file at fault, as its path was given; `None` for an environment
    /// variable's value.
    pub fn file(&self) -> Option<&str> {
        match &self.place {
            Place::Env { .. } => None,
            Place::FileValue { file, .. } | Place::File { file } => Some(file),
        }
    }
}

/// Where a bad value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// `NAME=value`.
    Env { name: String, value: String },
    /// `file: key = value`, the value in TOML syntax.
    FileValue {
        file: String,
        key: String,
        shown: String,
    },
    /// `file`.
    File { file: String },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Env { name, value } if needs_quotes(value) => write!(f, "{name}={value:?}"),
            Place::Env { name, value } => write!(f, "{name}={value}"),
            Place::FileValue { file, key, shown } => write!(f, "{file}: {key} = {shown}"),
            Place::File { file } => f.write_str(file),
        }
    }
}

/// Whether a value must be quoted to stay visible and on one line.
fn needs_quotes(value: &str) -> bool {
    value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// What is wrong at a [`Place`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    /// `expected ...`.
    Expected(String),
    /// A key the file does not know, sorted.
    UnknownSettings(Vec<String>),
    /// The file could not be read.
    Unreadable(String),
    /// The file is not TOML, or the `config` crate refused it.
    Invalid(String),
    /// The backend needs a Redis URL and none was given.
    NeedsRedisUrl,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Expected(what) => write!(f, "expected {what}"),
            Problem::UnknownSettings(keys) => {
                let plural = if keys.len() == 1 { "" } else { "s" };
                let keys = keys
                    .iter()
                    .map(|key| format!("`{key}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let known = SPECS.map(|spec| spec.key).join(", ");
                write!(f, "unknown setting{plural} {keys}: expected one of {known}")
            }
            Problem::Unreadable(error) => write!(f, "cannot read the file: {error}"),
            Problem::Invalid(error) => write!(f, "not valid TOML: {error}"),
            Problem::NeedsRedisUrl => f.write_str(
                "this backend needs a Redis URL: set REDIS_URL, LIMITER_REDIS_URL or \
                 `redis_url` in the settings file",
            ),
        }
    }
}

/// A value to parse and where it came from.
struct Raw {
    /// The value as text, trimmed; `None` for a TOML value that is not a string, an
    /// integer or a boolean.
    text: Option<String>,
    place: Place,
}

impl Raw {
    fn from_env(name: &str, value: String) -> Self {
        Raw {
            text: Some(value.trim().to_owned()),
            place: Place::Env {
                name: name.to_owned(),
                value,
            },
        }
    }

    fn from_file(file: &str, key: &str, value: &Value) -> Self {
        let text = match &value.kind {
            ValueKind::String(s) => Some(s.trim().to_owned()),
            ValueKind::Boolean(b) => Some(b.to_string()),
            ValueKind::I64(n) => Some(n.to_string()),
            ValueKind::I128(n) => Some(n.to_string()),
            ValueKind::U64(n) => Some(n.to_string()),
            ValueKind::U128(n) => Some(n.to_string()),
            ValueKind::Float(_) | ValueKind::Nil | ValueKind::Table(_) | ValueKind::Array(_) => {
                None
            }
        };
        Raw {
            text,
            place: Place::FileValue {
                file: file.to_owned(),
                key: key.to_owned(),
                shown: toml_text(value),
            },
        }
    }

    fn error(&self, expected: impl Into<String>) -> SettingsError {
        SettingsError {
            place: self.place.clone(),
            problem: Problem::Expected(expected.into()),
        }
    }

    /// The text, or the error when the value is not a scalar.
    fn text(&self, expected: &str) -> Result<&str, SettingsError> {
        self.text.as_deref().ok_or_else(|| self.error(expected))
    }

    /// Parses with a [`FromStr`] whose names are `names`.
    fn parse_name<T: FromStr>(&self, names: &[&str]) -> Result<T, SettingsError> {
        let expected = format!("one of {}", names.join(", "));
        self.text(&expected)?
            .parse()
            .map_err(|_| self.error(expected))
    }

    /// A whole number in `min..=max`.
    fn parse_number(&self, min: u64, max: u64) -> Result<u64, SettingsError> {
        let expected = format!("a whole number from {min} to {max}");
        match self.text(&expected)?.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(self.error(expected)),
        }
    }

    fn parse_bool(&self) -> Result<bool, SettingsError> {
        const EXPECTED: &str = "one of true, false, 1, 0, yes, no, on, off";
        match self.text(EXPECTED)?.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(self.error(EXPECTED)),
        }
    }

    fn parse_prefix(&self) -> Result<String, SettingsError> {
        const EXPECTED: &str = "a non-empty prefix without whitespace, `{` or `}`";
        let text = self.text(EXPECTED)?;
        let valid = !text.is_empty()
            && !text
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '{' || c == '}');
        if valid {
            Ok(text.to_owned())
        } else {
            Err(self.error(EXPECTED))
        }
    }

    fn parse_string(&self) -> Result<String, SettingsError> {
        self.text("a string").map(str::to_owned)
    }
}

/// A TOML value as it would be written in the file, on one line.
fn toml_text(value: &Value) -> String {
    match &value.kind {
        ValueKind::Nil => "nothing".to_owned(),
        ValueKind::Boolean(b) => b.to_string(),
        ValueKind::I64(n) => n.to_string(),
        ValueKind::I128(n) => n.to_string(),
        ValueKind::U64(n) => n.to_string(),
        ValueKind::U128(n) => n.to_string(),
        ValueKind::Float(x) => format!("{x:?}"),
        ValueKind::String(s) => format!("{s:?}"),
        ValueKind::Array(items) => {
            let items: Vec<_> = items.iter().map(toml_text).collect();
            format!("[{}]", items.join(", "))
        }
        ValueKind::Table(table) => {
            let mut entries: Vec<_> = table
                .iter()
                .map(|(key, value)| format!("{key} = {}", toml_text(value)))
                .collect();
            entries.sort();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

/// Turns a possibly multi-line error (TOML errors quote the offending line under a header)
/// into one line: the header and the message, without the quoted source, which could hold
/// a password.
fn one_line(error: &dyn std::error::Error) -> String {
    let text = error.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('|') && !line.contains(" | "))
        .collect();
    match lines.as_slice() {
        [] => text.trim().to_owned(),
        [only] => (*only).to_owned(),
        [first, .., last] => format!("{first}: {last}"),
    }
}

/// An environment variable's value; empty counts as unset.
fn env_value(lookup: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name).filter(|value| !value.trim().is_empty())
}

/// The settings file's text and how to name it in errors.
struct SettingsFile {
    /// The path as given.
    name: String,
    contents: String,
}

fn read_file(
    lookup: &dyn Fn(&str) -> Option<String>,
    default_file: Option<&Path>,
) -> Result<Option<SettingsFile>, SettingsError> {
    let (path, unreadable_place) = match env_value(lookup, CONFIG_VAR) {
        Some(path) => {
            let place = Place::Env {
                name: CONFIG_VAR.to_owned(),
                value: path.clone(),
            };
            (path, place)
        }
        None => match default_file {
            Some(path) if path.exists() => {
                let path = path.display().to_string();
                let place = Place::File { file: path.clone() };
                (path, place)
            }
            _ => return Ok(None),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(contents) => Ok(Some(SettingsFile {
            name: path,
            contents,
        })),
        Err(error) => Err(SettingsError {
            place: unreadable_place,
            problem: Problem::Unreadable(error.to_string()),
        }),
    }
}

/// Loads the settings; `default_file` is looked for when `FASTEX_CONFIG` is unset.
fn load(
    lookup: &dyn Fn(&str) -> Option<String>,
    default_file: Option<&Path>,
) -> Result<LimiterSettings, SettingsError> {
    let file = read_file(lookup, default_file)?;
    let file_name = file
        .as_ref()
        .map_or(DEFAULT_FILE, |file| file.name.as_str());
    let config_error = |error: ConfigError| SettingsError {
        place: Place::File {
            file: file_name.to_owned(),
        },
        problem: Problem::Invalid(match &error {
            ConfigError::FileParse { cause, .. } => one_line(cause.as_ref()),
            other => one_line(other),
        }),
    };

    // The file below, the environment above it: the `config` crate does the layering.
    let mut builder = Config::builder();
    if let Some(file) = &file {
        builder = builder.add_source(config::File::from_str(&file.contents, FileFormat::Toml));
    }
    // Which variable set each key, to name it in errors.
    let mut env_names: Vec<(&'static str, &'static str)> = Vec::new();
    for spec in SPECS {
        let found = spec
            .env
            .iter()
            .find_map(|name| env_value(lookup, name).map(|value| (*name, value)));
        if let Some((name, value)) = found {
            builder = builder
                .set_override(spec.key, value)
                .map_err(config_error)?;
            env_names.push((spec.key, name));
        }
    }
    let mut table = builder
        .build()
        .map_err(config_error)?
        .cache
        .into_table()
        .map_err(config_error)?;

    // Only the file can bring keys that are not settings.
    let mut unknown: Vec<String> = table
        .keys()
        .filter(|key| SPECS.iter().all(|spec| spec.key != key.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(SettingsError {
            place: Place::File {
                file: file_name.to_owned(),
            },
            problem: Problem::UnknownSettings(unknown),
        });
    }

    let mut take = |spec: &Spec| -> Option<Raw> {
        let value = table.remove(spec.key)?;
        let raw = match env_names.iter().find(|(key, _)| *key == spec.key) {
            Some((_, name)) => Raw::from_env(name, value.into_string().unwrap_or_default()),
            None => Raw::from_file(file_name, spec.key, &value),
        };
        // An empty string counts as unset, in the file as in the environment.
        (raw.text.as_deref() != Some("")).then_some(raw)
    };

    let mut settings = LimiterSettings::default();
    if let Some(raw) = take(&REDIS_URL) {
        settings.redis_url = Some(raw.parse_string()?);
    }
    if let Some(raw) = take(&FALLBACK_MODE) {
        settings.fallback_mode = raw.parse_name(&FallbackMode::ALL.map(FallbackMode::name))?;
    }
    if let Some(raw) = take(&DEFAULT_TIMES) {
        settings.default_times = raw.parse_number(1, u32::MAX.into())? as u32;
    }
    if let Some(raw) = take(&DEFAULT_WINDOW_SECONDS) {
        settings.default_window_seconds = raw.parse_number(1, MAX_SECONDS)?;
    }
    if let Some(raw) = take(&PREFIX) {
        settings.prefix = raw.parse_prefix()?;
    }
    if let Some(raw) = take(&TRUST_PROXY_HEADERS) {
        settings.trust_proxy_headers = raw.parse_bool()?;
    }
    if let Some(raw) = take(&DENY_FALLBACK_RETRY_AFTER_MS) {
        settings.deny_fallback_retry_after_ms = raw.parse_number(0, MAX_WINDOW_MS)?;
    }
    let backend = take(&BACKEND);
    settings.backend = match &backend {
        Some(raw) => raw.parse_name(&BackendKind::ALL.map(BackendKind::name))?,
        None if settings.redis_url.is_some() => BackendKind::Redis,
        None => BackendKind::Memory,
    };
    if let Some(raw) = take(&MEMORY_MAX_KEYS) {
        let max = u64::try_from(usize::MAX).unwrap_or(u64::MAX);
        settings.memory_max_keys = usize::try_from(raw.parse_number(1, max)?).unwrap_or(usize::MAX);
    }
    if let Some(raw) = take(&MEMORY_CLEANUP_INTERVAL_SECONDS) {
        settings.memory_cleanup_interval_seconds = raw.parse_number(1, MAX_SECONDS)?;
    }
    if let Some(raw) = take(&COMPOSITE_STRATEGY) {
        settings.composite_strategy =
            raw.parse_name(&SwitchingStrategy::ALL.map(SwitchingStrategy::name))?;
    }
    if let Some(raw) = take(&COMPOSITE_FAILURE_THRESHOLD) {
        settings.composite_failure_threshold = raw.parse_number(1, u32::MAX.into())? as u32;
    }
    if let Some(raw) = take(&COMPOSITE_RECOVERY_TIMEOUT_SECONDS) {
        settings.composite_recovery_timeout_seconds = raw.parse_number(0, MAX_SECONDS)?;
    }
    if let Some(raw) = take(&COMPOSITE_HEALTH_CHECK_INTERVAL_SECONDS) {
        settings.composite_health_check_interval_seconds = raw.parse_number(1, MAX_SECONDS)?;
    }
    if let Some(raw) = take(&LOG_LEVEL) {
        settings.log_level = raw.parse_name(&LogLevel::ALL.map(LogLevel::name))?;
    }
    if let Some(raw) = take(&LOG_FORMAT) {
        settings.log_format = raw.parse_name(&LogFormat::ALL.map(LogFormat::name))?;
    }

    // Checked last so that a bad value elsewhere is reported first, whatever the order.
    if let Some(raw) = backend
        && settings.backend.uses_redis()
        && settings.redis_url.is_none()
    {
        return Err(SettingsError {
            place: raw.place,
            problem: Problem::NeedsRedisUrl,
        });
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Write;

    use super::*;

    /// Loads with `env` as the environment and no `./fastex.toml`.
    fn load_env(env: &[(&str, &str)]) -> Result<LimiterSettings, SettingsError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        load(&|name| env.get(name).cloned(), None)
    }

    fn toml_file(contents: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        file.write_all(contents.as_bytes()).unwrap();
        file.flush().unwrap();
        file
    }

    fn path_of(file: &tempfile::NamedTempFile) -> String {
        file.path().display().to_string()
    }

    #[test]
    fn defaults() {
        let settings = load_env(&[]).unwrap();
        assert_eq!(settings, LimiterSettings::default());
        assert_eq!(settings.redis_url, None);
        assert_eq!(settings.fallback_mode, FallbackMode::Allow);
        assert_eq!(settings.default_times, 100);
        assert_eq!(settings.default_window_seconds, 60);
        assert_eq!(settings.prefix, "limiter");
        assert!(!settings.trust_proxy_headers);
        assert_eq!(settings.deny_fallback_retry_after_ms, 60_000);
        assert_eq!(settings.backend, BackendKind::Memory);
        assert_eq!(settings.memory_max_keys, 10_000);
        assert_eq!(settings.memory_cleanup_interval_seconds, 300);
        assert_eq!(settings.log_level, LogLevel::Info);
        assert_eq!(settings.log_format, LogFormat::Pretty);

        assert_eq!(settings.default_limit(), RateLimitConfig::new(100, 60_000));
        assert_eq!(
            settings.deny_fallback_retry_after(),
            Duration::from_secs(60)
        );
        assert_eq!(
            settings.memory_config(),
            MemoryLimiterBackendConnectConfig::default()
        );
    }

    #[test]
    fn plain_names_and_limiter_forms() {
        // (plain, LIMITER_ form, plain value, LIMITER_ value, read back)
        type Read = fn(&LimiterSettings) -> String;
        let cases: [(&str, &str, &str, &str, Read); 6] = [
            (
                "REDIS_URL",
                "LIMITER_REDIS_URL",
                "redis://a",
                "redis://b",
                |s| s.redis_url.clone().unwrap(),
            ),
            (
                "FALLBACK_MODE",
                "LIMITER_FALLBACK_MODE",
                "DENY",
                "raise",
                |s| s.fallback_mode.to_string(),
            ),
            ("DEFAULT_TIMES", "LIMITER_DEFAULT_TIMES", "7", "8", |s| {
                s.default_times.to_string()
            }),
            (
                "DEFAULT_WINDOW_SECONDS",
                "LIMITER_DEFAULT_WINDOW_SECONDS",
                "7",
                "8",
                |s| s.default_window_seconds.to_string(),
            ),
            ("LOG_LEVEL", "LIMITER_LOG_LEVEL", "Debug", "error", |s| {
                s.log_level.to_string()
            }),
            ("LOG_FORMAT", "LIMITER_LOG_FORMAT", "JSON", "compact", |s| {
                s.log_format.to_string()
            }),
        ];
        for (plain, prefixed, plain_value, prefixed_value, read) in cases {
            let expected_plain = plain_value.to_lowercase();
            let expected_prefixed = prefixed_value.to_lowercase();
            let only_plain = load_env(&[(plain, plain_value)]).unwrap();
            assert_eq!(read(&only_plain), expected_plain, "{plain}");
            let only_prefixed = load_env(&[(prefixed, prefixed_value)]).unwrap();
            assert_eq!(read(&only_prefixed), expected_prefixed, "{prefixed}");
            let both = load_env(&[(plain, plain_value), (prefixed, prefixed_value)]).unwrap();
            assert_eq!(
                read(&both),
                expected_prefixed,
                "{prefixed} wins over {plain}"
            );
            // An empty LIMITER_ form counts as unset.
            let empty = load_env(&[(plain, plain_value), (prefixed, "")]).unwrap();
            assert_eq!(read(&empty), expected_plain, "empty {prefixed}");
        }
    }

    #[test]
    fn limiter_only_settings() {
        let settings = load_env(&[
            ("LIMITER_PREFIX", "app:rl"),
            ("LIMITER_TRUST_PROXY_HEADERS", "Yes"),
            ("LIMITER_DENY_FALLBACK_RETRY_AFTER_MS", "1500"),
            ("LIMITER_BACKEND", "MEMORY"),
            ("LIMITER_MEMORY_MAX_KEYS", "5"),
            ("LIMITER_MEMORY_CLEANUP_INTERVAL_SECONDS", " 30 "),
        ])
        .unwrap();
        assert_eq!(settings.prefix, "app:rl");
        assert!(settings.trust_proxy_headers);
        assert_eq!(
            settings.deny_fallback_retry_after(),
            Duration::from_millis(1500)
        );
        assert_eq!(settings.backend, BackendKind::Memory);
        assert_eq!(
            settings.memory_config(),
            MemoryLimiterBackendConnectConfig {
                cleanup_interval: Duration::from_secs(30),
                max_keys: 5,
                fallback_mode: FallbackMode::Allow,
            }
        );
        // Only the LIMITER_ forms exist for these.
        assert_eq!(
            load_env(&[("PREFIX", "x"), ("TRUST_PROXY_HEADERS", "true")]).unwrap(),
            LimiterSettings::default()
        );
        // The original's name for the prefix, beaten by LIMITER_PREFIX.
        let old = load_env(&[("LIMITER_DEFAULT_PREFIX", "old")]).unwrap();
        assert_eq!(old.prefix, "old");
        let both = load_env(&[("LIMITER_DEFAULT_PREFIX", "old"), ("LIMITER_PREFIX", "new")]);
        assert_eq!(both.unwrap().prefix, "new");

        for (text, expected) in [
            ("true", true),
            ("1", true),
            ("ON", true),
            ("false", false),
            ("0", false),
            ("no", false),
            ("Off", false),
        ] {
            let settings = load_env(&[("LIMITER_TRUST_PROXY_HEADERS", text)]).unwrap();
            assert_eq!(settings.trust_proxy_headers, expected, "{text}");
        }
    }

    #[test]
    fn backend_follows_the_redis_url() {
        let settings = load_env(&[("REDIS_URL", "redis://localhost:6379/0")]).unwrap();
        assert_eq!(settings.backend, BackendKind::Redis);
        let settings = load_env(&[
            ("REDIS_URL", "redis://localhost:6379/0"),
            ("LIMITER_BACKEND", "Composite"),
        ])
        .unwrap();
        assert_eq!(settings.backend, BackendKind::Composite);
        let settings = load_env(&[("REDIS_URL", "redis://x"), ("LIMITER_BACKEND", "memory")]);
        assert_eq!(settings.unwrap().backend, BackendKind::Memory);
        // An empty REDIS_URL is no URL.
        assert_eq!(
            load_env(&[("REDIS_URL", "")]).unwrap().backend,
            BackendKind::Memory
        );
    }

    #[test]
    fn every_bad_value_is_named() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "FALLBACK_MODE",
                "banana",
                "FALLBACK_MODE=banana: expected one of allow, deny, raise",
            ),
            (
                "LIMITER_FALLBACK_MODE",
                "banana",
                "LIMITER_FALLBACK_MODE=banana: expected one of allow, deny, raise",
            ),
            (
                "DEFAULT_TIMES",
                "0",
                "DEFAULT_TIMES=0: expected a whole number from 1 to 4294967295",
            ),
            (
                "LIMITER_DEFAULT_TIMES",
                "4294967296",
                "LIMITER_DEFAULT_TIMES=4294967296: expected a whole number from 1 to 4294967295",
            ),
            (
                "DEFAULT_TIMES",
                "-1",
                "DEFAULT_TIMES=-1: expected a whole number from 1 to 4294967295",
            ),
            (
                "DEFAULT_WINDOW_SECONDS",
                "0",
                "DEFAULT_WINDOW_SECONDS=0: expected a whole number from 1 to 18446744073709",
            ),
            (
                "DEFAULT_WINDOW_SECONDS",
                "18446744073710",
                "DEFAULT_WINDOW_SECONDS=18446744073710: expected a whole number from 1 to 18446744073709",
            ),
            (
                "LIMITER_PREFIX",
                "a{b}",
                "LIMITER_PREFIX=a{b}: expected a non-empty prefix without whitespace, `{` or `}`",
            ),
            (
                "LIMITER_PREFIX",
                "a b",
                "LIMITER_PREFIX=\"a b\": expected a non-empty prefix without whitespace, `{` or `}`",
            ),
            (
                "LIMITER_TRUST_PROXY_HEADERS",
                "maybe",
                "LIMITER_TRUST_PROXY_HEADERS=maybe: expected one of true, false, 1, 0, yes, no, on, off",
            ),
            (
                "LIMITER_DENY_FALLBACK_RETRY_AFTER_MS",
                "1.5",
                "LIMITER_DENY_FALLBACK_RETRY_AFTER_MS=1.5: expected a whole number from 0 to 18446744073709551",
            ),
            (
                "LIMITER_BACKEND",
                "etcd",
                "LIMITER_BACKEND=etcd: expected one of memory, redis, composite",
            ),
            (
                "LIMITER_BACKEND",
                "redis",
                "LIMITER_BACKEND=redis: this backend needs a Redis URL: set REDIS_URL, LIMITER_REDIS_URL or `redis_url` in the settings file",
            ),
            (
                "LIMITER_MEMORY_MAX_KEYS",
                "0",
                "LIMITER_MEMORY_MAX_KEYS=0: expected a whole number from 1 to 18446744073709551615",
            ),
            (
                "LIMITER_MEMORY_CLEANUP_INTERVAL_SECONDS",
                "0",
                "LIMITER_MEMORY_CLEANUP_INTERVAL_SECONDS=0: expected a whole number from 1 to 18446744073709",
            ),
            (
                "LOG_LEVEL",
                "loud",
                "LOG_LEVEL=loud: expected one of trace, debug, info, warn, error",
            ),
            (
                "LIMITER_LOG_FORMAT",
                "xml",
                "LIMITER_LOG_FORMAT=xml: expected one of pretty, compact, json",
            ),
        ];
        for (name, value, expected) in cases {
            let error = load_env(&[(name, value)]).unwrap_err();
            assert_eq!(error.to_string(), *expected);
            assert_eq!(error.setting(), Some(*name));
            assert_eq!(error.value(), Some(*value));
            assert_eq!(error.file(), None);
        }
    }

    #[test]
    fn file_values_are_read_and_the_environment_wins() {
        let file = toml_file(
            r#"
            redis_url = "redis://file:6379"
            fallback_mode = "DENY"
            default_times = 10
            default_window_seconds = "30"
            prefix = "file"
            trust_proxy_headers = true
            deny_fallback_retry_after_ms = 0
            backend = "composite"
            memory_max_keys = 50
            memory_cleanup_interval_seconds = 5
            composite_strategy = "health_check"
            composite_failure_threshold = 3
            composite_recovery_timeout_seconds = 10
            composite_health_check_interval_seconds = 2
            log_level = "warn"
            log_format = "json"
            "#,
        );
        let path = path_of(&file);
        let settings = load_env(&[("FASTEX_CONFIG", &path)]).unwrap();
        assert_eq!(
            settings,
            LimiterSettings {
                redis_url: Some("redis://file:6379".into()),
                fallback_mode: FallbackMode::Deny,
                default_times: 10,
                default_window_seconds: 30,
                prefix: "file".into(),
                trust_proxy_headers: true,
                deny_fallback_retry_after_ms: 0,
                backend: BackendKind::Composite,
                memory_max_keys: 50,
                memory_cleanup_interval_seconds: 5,
                composite_strategy: SwitchingStrategy::HealthCheck,
                composite_failure_threshold: 3,
                composite_recovery_timeout_seconds: 10,
                composite_health_check_interval_seconds: 2,
                log_level: LogLevel::Warn,
                log_format: LogFormat::Json,
            }
        );

        let settings = load_env(&[
            ("FASTEX_CONFIG", &path),
            ("DEFAULT_TIMES", "3"),
            ("LIMITER_PREFIX", "env"),
            ("LIMITER_TRUST_PROXY_HEADERS", "off"),
            // Empty: the file's value stays.
            ("FALLBACK_MODE", ""),
        ])
        .unwrap();
        assert_eq!(settings.default_times, 3);
        assert_eq!(settings.prefix, "env");
        assert!(!settings.trust_proxy_headers);
        assert_eq!(settings.fallback_mode, FallbackMode::Deny);
        assert_eq!(settings.default_window_seconds, 30);
    }

    #[test]
    fn file_errors_name_the_file() {
        let bad_value = toml_file("default_times = \"abc\"\n");
        let path = path_of(&bad_value);
        let error = load_env(&[("FASTEX_CONFIG", &path)]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{path}: default_times = \"abc\": expected a whole number from 1 to 4294967295"
            )
        );
        assert_eq!(error.setting(), Some("default_times"));
        assert_eq!(error.value(), Some("\"abc\""));
        assert_eq!(error.file(), Some(path.as_str()));
        // The environment hides a bad file value.
        assert!(load_env(&[("FASTEX_CONFIG", &path), ("DEFAULT_TIMES", "5")]).is_ok());

        for (contents, shown) in [
            ("default_times = 1.5", "1.5"),
            ("trust_proxy_headers = \"maybe\"", "\"maybe\""),
            ("fallback_mode = [\"deny\"]", "[\"deny\"]"),
            ("memory_max_keys = -3", "-3"),
        ] {
            let file = toml_file(contents);
            let path = path_of(&file);
            let error = load_env(&[("FASTEX_CONFIG", &path)]).unwrap_err();
            let key = contents.split(' ').next().unwrap();
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("{path}: {key} = {shown}: expected ")),
                "{error}"
            );
        }

        let unknown = toml_file("fallback_mod = \"deny\"\n");
        let path = path_of(&unknown);
        let error = load_env(&[("FASTEX_CONFIG", &path)]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{path}: unknown setting `fallback_mod`: expected one of redis_url, \
                 fallback_mode, default_times, default_window_seconds, prefix, \
                 trust_proxy_headers, deny_fallback_retry_after_ms, backend, memory_max_keys, \
                 memory_cleanup_interval_seconds, composite_strategy, composite_failure_threshold, \
                 composite_recovery_timeout_seconds, composite_health_check_interval_seconds, \
                 log_level, log_format"
            )
        );
        assert_eq!(error.setting(), Some("fallback_mod"));

        let several = toml_file("[limiter]\ndefault_times = 1\n");
        let error = load_env(&[("FASTEX_CONFIG", &path_of(&several))]).unwrap_err();
        assert!(
            error.to_string().contains("unknown setting `limiter`"),
            "{error}"
        );

        let not_toml = toml_file("redis_url = \"redis://:secret@host\ndefault_times = 3\n");
        let path = path_of(&not_toml);
        let error = load_env(&[("FASTEX_CONFIG", &path)])
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&format!("{path}: not valid TOML: ")),
            "{error}"
        );
        assert!(!error.contains('\n'), "{error}");
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.toml").display().to_string();
        let error = load_env(&[("FASTEX_CONFIG", &path)]).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with(&format!("FASTEX_CONFIG={path}: cannot read the file: ")),
            "{text}"
        );
        assert_eq!(error.setting(), Some("FASTEX_CONFIG"));
        assert_eq!(error.value(), Some(path.as_str()));
    }

    #[test]
    fn the_default_file_is_optional_and_read_when_present() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("fastex.toml");
        let settings = load(&|_| None, Some(&absent)).unwrap();
        assert_eq!(settings, LimiterSettings::default());

        std::fs::write(&absent, "default_times = 0\n").unwrap();
        let error = load(&|_| None, Some(&absent)).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: default_times = 0: expected a whole number from 1 to 4294967295",
                absent.display()
            )
        );
    }

    #[test]
    fn debug_hides_the_redis_password() {
        assert_eq!(
            redact_url("redis://:secret@host:6379/0"),
            "redis://:***@host:6379/0"
        );
        assert_eq!(
            redact_url("redis://user:secret@host"),
            "redis://user:***@host"
        );
        assert_eq!(
            redact_url("rediss://u:p/a@ss@host/1"),
            "rediss://u:***@host/1"
        );
        assert_eq!(
            redact_url("redis+unix:///tmp/redis.sock?db=1&pass=secret"),
            "redis+unix:///tmp/redis.sock?db=1&pass=***"
        );
        assert!(matches!(
            redact_url("redis://user@host:6379"),
            Cow::Borrowed("redis://user@host:6379")
        ));
        assert!(matches!(redact_url("redis://localhost"), Cow::Borrowed(_)));

        let settings = LimiterSettings {
            redis_url: Some("redis://user:secret@host".into()),
            ..LimiterSettings::default()
        };
        let debug = format!("{settings:?}");
        assert!(debug.contains("redis://user:***@host"), "{debug}");
        assert!(!debug.contains("secret"), "{debug}");
    }

    #[test]
    fn active_settings_can_be_replaced() {
        // Process-global and read by request-path tests running alongside: store only the
        // defaults, which those tests expect anyway.
        let before = active_settings().clone();
        configure_settings(LimiterSettings::default());
        let after = active_settings().clone();
        assert!(!Arc::ptr_eq(&before, &after));
        assert_eq!(*after, LimiterSettings::default());
    }

    #[test]
    fn backend_kinds_parse_in_any_case() {
        for kind in BackendKind::ALL {
            assert_eq!(kind.name().parse(), Ok(kind));
            assert_eq!(kind.name().to_uppercase().parse(), Ok(kind));
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(
            "etcd".parse::<BackendKind>().unwrap_err().to_string(),
            "unknown backend `etcd`: expected one of memory, redis, composite"
        );
    }

    #[test]
    fn hand_set_values_out_of_range_are_clamped() {
        let settings = LimiterSettings {
            default_times: 0,
            default_window_seconds: 0,
            ..LimiterSettings::default()
        };
        assert_eq!(settings.default_limit(), RateLimitConfig::new(1, 1_000));
    }
}
