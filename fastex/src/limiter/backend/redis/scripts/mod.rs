//! Lua scripts: the built-in one that checks every algorithm, and the [`LuaScript`] trait for
//! scripts of your own, as in the Python original.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::limiter::backend::LimiterBackendError;

/// Checks every limit of one request at once; see the file's header for its contract.
pub(crate) const CHECK_LIMITS: &str = include_str!("check_limits.lua");

/// A rate-limit script of your own, run with `EVALSHA` once per limit.
///
/// The script gets `KEYS[1]` (the counter's key) and `ARGV` = `times`, the window in
/// milliseconds, then [`extra_params`](LuaScript::extra_params); it returns what
/// [`parse_result`](LuaScript::parse_result) turns into `(retry_after_ms, current)`: a retry
/// above 0 refuses the request.
///
/// ```
/// use fastex::limiter::backend::redis::LuaScript;
///
/// /// A fixed window counted with INCR.
/// #[derive(Debug)]
/// struct Incr;
///
/// impl LuaScript for Incr {
///     fn script(&self) -> std::borrow::Cow<'_, str> {
///         r#"
///         local current = redis.call('INCR', KEYS[1])
///         if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
///         if current > tonumber(ARGV[1]) then
///           return {redis.call('PTTL', KEYS[1]), current}
///         end
///         return {0, current}
///         "#.into()
///     }
/// }
/// ```
pub trait LuaScript: Send + Sync + fmt::Debug + 'static {
    /// The Lua source.
    fn script(&self) -> Cow<'_, str>;

    /// Arguments passed after `times` and the window.
    fn extra_params(&self) -> Vec<String> {
        Vec::new()
    }

    /// Reads the script's answer as `(retry_after_ms, current)`; the default accepts an array
    /// of two integers. An `Err` is a bug in the script and is answered with HTTP 503.
    fn parse_result(&self, value: &redis::Value) -> Result<(u64, u64), String> {
        match value {
            redis::Value::Array(items) if items.len() == 2 => {
                let integer = |value: &redis::Value| match value {
                    redis::Value::Int(n) if *n >= 0 => Ok(*n as u64),
                    other => Err(format!("expected a non-negative integer, got {other:?}")),
                };
                Ok((integer(&items[0])?, integer(&items[1])?))
            }
            other => Err(format!("expected an array of two integers, got {other:?}")),
        }
    }
}

/// A [`LuaScript`] read from a file once, when built.
///
/// ```
/// use fastex::limiter::backend::redis::FileBasedScript;
///
/// let error = FileBasedScript::new("/no/such/script.lua").unwrap_err();
/// assert!(error.to_string().contains("/no/such/script.lua"));
/// ```
#[derive(Debug, Clone)]
pub struct FileBasedScript {
    path: PathBuf,
    source: String,
}

impl FileBasedScript {
    /// Reads the script at `path`; the error names the file and why it could not be read.
    pub fn new(path: impl AsRef<Path>) -> Result<Self, LimiterBackendError> {
        let path = path.as_ref().to_path_buf();
        let source = std::fs::read_to_string(&path).map_err(|error| {
            LimiterBackendError::InvalidConfiguration(format!(
                "cannot read the Lua script {}: {error}",
                path.display()
            ))
        })?;
        if source.trim().is_empty() {
            return Err(LimiterBackendError::InvalidConfiguration(format!(
                "the Lua script {} is empty",
                path.display()
            )));
        }
        Ok(FileBasedScript { path, source })
    }

    /// Where the script was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl LuaScript for FileBasedScript {
    fn script(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.source)
    }
}

/// A script called by its SHA-1, with its source kept to load it again after `NOSCRIPT`.
#[derive(Debug, Clone)]
pub(crate) struct LoadedScript {
    source: std::sync::Arc<str>,
    sha: std::sync::Arc<str>,
}

impl LoadedScript {
    pub(crate) fn new(source: &str) -> Self {
        LoadedScript {
            sha: redis::Script::new(source).get_hash().into(),
            source: source.into(),
        }
    }

    pub(crate) fn sha(&self) -> &str {
        &self.sha
    }

    pub(crate) fn source(&self) -> &str {
        &self.source
    }
}
