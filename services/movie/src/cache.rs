//! The Redis cache of single movies: cache-aside with a TTL, and never a reason to fail a request.
//!
//! Every call has a short timeout; when Redis is down the service answers from PostgreSQL and
//! reports the cache as degraded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;
use tokio::sync::Mutex;

const CALL_TIMEOUT: Duration = Duration::from_millis(300);
const RECONNECT_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Cache {
    inner: Option<Arc<Inner>>,
    pub ttl_seconds: u64,
    /// Prefix of every key, so services (or tests) sharing one Redis never see each other's keys.
    pub key_prefix: String,
}

struct Inner {
    client: redis::Client,
    connection: Mutex<(Option<ConnectionManager>, Option<Instant>)>,
    healthy: AtomicBool,
}

/// Whether a lookup was answered from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Hit,
    Miss,
}

impl Cache {
    /// A cache on `url`; `None` disables caching. Connecting happens on first use.
    pub fn new(url: Option<&str>, ttl_seconds: u64, key_prefix: &str) -> Result<Cache, redis::RedisError> {
        let inner = match url {
            None => None,
            Some(url) => Some(Arc::new(Inner {
                client: redis::Client::open(url)?,
                connection: Mutex::new((None, None)),
                healthy: AtomicBool::new(true),
            })),
        };
        Ok(Cache { inner, ttl_seconds, key_prefix: key_prefix.to_string() })
    }

    /// `ok`, `degraded` (configured but failing) or `disabled`.
    pub fn state(&self) -> &'static str {
        match &self.inner {
            None => "disabled",
            Some(inner) if inner.healthy.load(Ordering::Relaxed) => "ok",
            Some(_) => "degraded",
        }
    }

    async fn connection(inner: &Inner) -> Option<ConnectionManager> {
        let mut slot = inner.connection.lock().await;
        if let Some(connection) = &slot.0 {
            return Some(connection.clone());
        }
        if slot.1.is_some_and(|failed_at| failed_at.elapsed() < RECONNECT_INTERVAL) {
            return None;
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        match tokio::time::timeout(CALL_TIMEOUT * 2, ConnectionManager::new_with_config(inner.client.clone(), config))
            .await
        {
            Ok(Ok(connection)) => {
                slot.0 = Some(connection.clone());
                Some(connection)
            }
            _ => {
                slot.1 = Some(Instant::now());
                inner.healthy.store(false, Ordering::Relaxed);
                None
            }
        }
    }

    async fn run<T, F, Fut>(&self, call: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let inner = self.inner.as_ref()?;
        let connection = Self::connection(inner).await?;
        match tokio::time::timeout(CALL_TIMEOUT, call(connection)).await {
            Ok(Ok(value)) => {
                inner.healthy.store(true, Ordering::Relaxed);
                Some(value)
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "redis call failed; answering from postgresql");
                inner.healthy.store(false, Ordering::Relaxed);
                None
            }
            Err(_) => {
                tracing::warn!("redis call timed out; answering from postgresql");
                inner.healthy.store(false, Ordering::Relaxed);
                None
            }
        }
    }

    pub async fn get(&self, key: &str) -> Option<String> {
        let key = &format!("{}{key}", self.key_prefix);
        self.run(|mut connection| async move { connection.get::<_, Option<String>>(key).await }).await.flatten()
    }

    pub async fn set(&self, key: &str, value: &str) {
        let key = &format!("{}{key}", self.key_prefix);
        let ttl = self.ttl_seconds;
        let _ = self.run(|mut connection| async move { connection.set_ex::<_, _, ()>(key, value, ttl).await }).await;
    }

    pub async fn delete(&self, key: &str) {
        let key = &format!("{}{key}", self.key_prefix);
        let _ = self.run(|mut connection| async move { connection.del::<_, ()>(key).await }).await;
    }

    /// Whether Redis answers a PING now (for health).
    pub async fn ping(&self) -> bool {
        self.run(|mut connection| async move { redis::cmd("PING").query_async::<String>(&mut connection).await })
            .await
            .is_some()
    }
}
