//! One way to send a command, whatever the user gave us to reach Redis.

use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{Cmd, FromRedisValue, Pipeline, RedisError, RedisResult};

use super::config::{RedisLimiterBackendConnectConfig, RedisSource};
use crate::limiter::backend::LimiterBackendError;
use crate::limiter::settings::redact_url;

/// A connection fit for the request path: multiplexed (cheap to clone, many requests in
/// flight at once), except for a user's pool.
#[derive(Clone)]
pub(super) enum Connection {
    Manager(ConnectionManager),
    Multiplexed(MultiplexedConnection),
    Pool(deadpool_redis::Pool),
}

impl Connection {
    /// A connection for `config.redis`; for a URL a manager that connects on first use and
    /// reconnects by itself. Fails only for an invalid URL.
    pub(super) fn new(
        config: &RedisLimiterBackendConnectConfig,
    ) -> Result<Self, LimiterBackendError> {
        match &config.redis {
            RedisSource::Url(url) => {
                if url.starts_with("rediss://") && !cfg!(feature = "tls") {
                    return Err(LimiterBackendError::InvalidConfiguration(format!(
                        "`{}` asks for TLS: enable fastex's `tls` feature",
                        redact_url(url)
                    )));
                }
                let client = redis::Client::open(url.as_str()).map_err(|error| {
                    LimiterBackendError::InvalidConfiguration(format!(
                        "invalid Redis URL `{}`: {error}",
                        redact_url(url)
                    ))
                })?;
                let retry = config.retry;
                let manager_config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(config.connect_timeout))
                    .set_response_timeout(Some(config.check_timeout.max(config.connect_timeout)))
                    .set_number_of_retries(retry.attempts)
                    .set_min_delay(retry.min_delay)
                    .set_max_delay(retry.max_delay);
                ConnectionManager::new_lazy_with_config(client, manager_config)
                    .map(Connection::Manager)
                    .map_err(|error| {
                        LimiterBackendError::InvalidConfiguration(format!(
                            "cannot use Redis URL `{}`: {error}",
                            redact_url(url)
                        ))
                    })
            }
            RedisSource::Manager(manager) => Ok(Connection::Manager(manager.clone())),
            RedisSource::Multiplexed(connection) => Ok(Connection::Multiplexed(connection.clone())),
            RedisSource::Pool(pool) => Ok(Connection::Pool(pool.clone())),
        }
    }

    pub(super) async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> RedisResult<T> {
        match self {
            Connection::Manager(manager) => cmd.query_async(&mut manager.clone()).await,
            Connection::Multiplexed(connection) => cmd.query_async(&mut connection.clone()).await,
            Connection::Pool(pool) => cmd.query_async(&mut *pooled(pool).await?).await,
        }
    }

    pub(super) async fn query_pipeline<T: FromRedisValue>(
        &self,
        pipeline: &Pipeline,
    ) -> RedisResult<T> {
        match self {
            Connection::Manager(manager) => pipeline.query_async(&mut manager.clone()).await,
            Connection::Multiplexed(connection) => {
                pipeline.query_async(&mut connection.clone()).await
            }
            Connection::Pool(pool) => pipeline.query_async(&mut *pooled(pool).await?).await,
        }
    }
}

async fn pooled(pool: &deadpool_redis::Pool) -> RedisResult<deadpool_redis::Connection> {
    pool.get().await.map_err(|error| match error {
        deadpool_redis::PoolError::Backend(error) => error,
        other => RedisError::from(std::io::Error::other(other.to_string())),
    })
}
