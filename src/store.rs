//! Where cached tokens and tickets live, so that several clients — in one process or
//! across a fleet — share one access_token per appid instead of each fetching its own.
//!
//! A [`TokenStore`] holds values with their expiry and offers a lock with an expiry,
//! so that exactly one holder refreshes a value while the others wait for it. A holder
//! that dies does not block the others beyond the lock's expiry.
//!
//! [`MemoryStore`] (the default) shares within a process; `RedisStore` (feature
//! `redis`) across processes.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A cached credential as stored. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub value: String,
    /// When WeChat stops accepting it (Unix milliseconds).
    pub expires_at_ms: u64,
    /// When holders should fetch a new one (Unix milliseconds), somewhat before expiry.
    pub refresh_at_ms: u64,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("value", &"***")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("refresh_at_ms", &self.refresh_at_ms)
            .finish()
    }
}

/// What a store failure says (never a stored value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// A place to share cached credentials and the lock that serialises their refresh.
///
/// Methods block; the async client calls them on a blocking thread. They are called
/// only when the client's own copy is missing or due for refresh.
pub trait TokenStore: Send + Sync + fmt::Debug + 'static {
    fn get(&self, key: &str) -> Result<Option<StoredToken>, StoreError>;

    /// Stores `token` under `key` until it expires.
    fn put(&self, key: &str, token: &StoredToken) -> Result<(), StoreError>;

    /// Removes the value under `key` if it is still `value` (WeChat rejected it).
    fn remove_if(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Takes the lock `key` for `owner` unless someone else holds it; it expires by
    /// itself after `ttl`. `true` when taken.
    fn try_lock(&self, key: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Releases the lock if `owner` still holds it.
    fn unlock(&self, key: &str, owner: &str) -> Result<(), StoreError>;
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The default store: a map in this process. Share one (`Arc<MemoryStore>`) between
/// clients of the same appid to share their token.
#[derive(Default)]
pub struct MemoryStore {
    values: Mutex<HashMap<String, StoredToken>>,
    /// key -> (owner, expires at ms)
    locks: Mutex<HashMap<String, (String, u64)>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.values.lock().map(|v| v.len()).unwrap_or_default();
        f.debug_struct("MemoryStore")
            .field("values", &keys)
            .finish_non_exhaustive()
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError("a thread panicked while holding the memory store".into())
}

impl TokenStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<StoredToken>, StoreError> {
        let values = self.values.lock().map_err(poisoned)?;
        Ok(values
            .get(key)
            .filter(|t| t.expires_at_ms > now_ms())
            .cloned())
    }

    fn put(&self, key: &str, token: &StoredToken) -> Result<(), StoreError> {
        self.values
            .lock()
            .map_err(poisoned)?
            .insert(key.to_owned(), token.clone());
        Ok(())
    }

    fn remove_if(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let mut values = self.values.lock().map_err(poisoned)?;
        if values.get(key).is_some_and(|t| t.value == value) {
            values.remove(key);
        }
        Ok(())
    }

    fn try_lock(&self, key: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut locks = self.locks.lock().map_err(poisoned)?;
        let now = now_ms();
        match locks.get(key) {
            Some((holder, until)) if *until > now && holder != owner => Ok(false),
            _ => {
                locks.insert(
                    key.to_owned(),
                    (owner.to_owned(), now + ttl.as_millis() as u64),
                );
                Ok(true)
            }
        }
    }

    fn unlock(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        let mut locks = self.locks.lock().map_err(poisoned)?;
        if locks.get(key).is_some_and(|(holder, _)| holder == owner) {
            locks.remove(key);
        }
        Ok(())
    }
}

#[cfg(feature = "redis")]
pub use redis_store::RedisStore;

#[cfg(feature = "redis")]
mod redis_store {
    use super::{StoreError, StoredToken, TokenStore, now_ms};
    use std::fmt;
    use std::sync::Mutex;
    use std::time::Duration;

    /// A Redis store (feature `redis`): every process of a fleet pointed at the same
    /// Redis shares one token per appid, and one process refreshes it at a time.
    ///
    /// Values are stored as `"<expires_at_ms> <refresh_at_ms> <value>"` with a Redis
    /// expiry; locks are `SET key owner NX PX ttl`, released only by their owner.
    pub struct RedisStore {
        client: redis::Client,
        timeout: Duration,
        /// A connection kept between commands (a waiting process polls every 25 ms);
        /// dropped after an error, so the next command reconnects.
        idle: Mutex<Option<redis::Connection>>,
        /// Atomic: delete only if the stored value is still the rejected one.
        remove_if: redis::Script,
        /// Atomic: delete a lock only for its owner.
        unlock: redis::Script,
    }

    impl fmt::Debug for RedisStore {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // The connection info may hold a password: show the address only.
            let addr = self.client.get_connection_info().addr().to_string();
            f.debug_struct("RedisStore")
                .field("addr", &addr)
                .finish_non_exhaustive()
        }
    }

    fn redis_error(e: redis::RedisError) -> StoreError {
        // Redis errors describe the command and the server's answer, never our values.
        StoreError(format!("redis: {}", e.category()))
    }

    impl RedisStore {
        /// `redis://host:port/db` (or `rediss://` for TLS-less setups behind a proxy).
        pub fn new(url: &str) -> Result<Self, StoreError> {
            let client = redis::Client::open(url).map_err(redis_error)?;
            Ok(RedisStore {
                client,
                timeout: Duration::from_secs(2),
                idle: Mutex::new(None),
                remove_if: redis::Script::new(
                    r"local v = redis.call('GET', KEYS[1])
                      if v and string.sub(v, -string.len(ARGV[1]) - 1) == ' ' .. ARGV[1] then
                        return redis.call('DEL', KEYS[1])
                      end
                      return 0",
                ),
                unlock: redis::Script::new(
                    r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
                      return 0",
                ),
            })
        }

        /// How long one Redis command may take (default 2 s).
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.timeout = timeout;
            self
        }

        /// Runs one command on the kept connection (or a new one, when it is in use by
        /// another thread or was dropped), keeping the connection if all went well.
        fn run<T>(
            &self,
            command: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
        ) -> Result<T, StoreError> {
            let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).take();
            let mut con = match idle {
                Some(con) => con,
                None => self.connect()?,
            };
            let result = command(&mut con).map_err(redis_error)?;
            *self.idle.lock().unwrap_or_else(|e| e.into_inner()) = Some(con);
            Ok(result)
        }

        fn connect(&self) -> Result<redis::Connection, StoreError> {
            let con = self
                .client
                .get_connection_with_timeout(self.timeout)
                .map_err(redis_error)?;
            con.set_read_timeout(Some(self.timeout))
                .map_err(redis_error)?;
            con.set_write_timeout(Some(self.timeout))
                .map_err(redis_error)?;
            Ok(con)
        }
    }

    impl TokenStore for RedisStore {
        fn get(&self, key: &str) -> Result<Option<StoredToken>, StoreError> {
            let raw: Option<String> = self.run(|con| redis::cmd("GET").arg(key).query(con))?;
            let Some(raw) = raw else { return Ok(None) };
            let mut parts = raw.splitn(3, ' ');
            let (Some(expires), Some(refresh), Some(value)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(StoreError(format!("malformed value under {key}")));
            };
            let parse = |s: &str| {
                s.parse::<u64>()
                    .map_err(|_| StoreError(format!("malformed value under {key}")))
            };
            let token = StoredToken {
                value: value.to_owned(),
                expires_at_ms: parse(expires)?,
                refresh_at_ms: parse(refresh)?,
            };
            Ok(Some(token).filter(|t| t.expires_at_ms > now_ms()))
        }

        fn put(&self, key: &str, token: &StoredToken) -> Result<(), StoreError> {
            let ttl = token.expires_at_ms.saturating_sub(now_ms()).max(1);
            let raw = format!(
                "{} {} {}",
                token.expires_at_ms, token.refresh_at_ms, token.value
            );
            self.run(|con| {
                redis::cmd("SET")
                    .arg(key)
                    .arg(raw)
                    .arg("PX")
                    .arg(ttl)
                    .query::<()>(con)
            })
        }

        fn remove_if(&self, key: &str, value: &str) -> Result<(), StoreError> {
            self.run(|con| self.remove_if.key(key).arg(value).invoke::<i64>(con))
                .map(|_| ())
        }

        fn try_lock(&self, key: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
            let set: Option<String> = self.run(|con| {
                redis::cmd("SET")
                    .arg(key)
                    .arg(owner)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl.as_millis().max(1) as u64)
                    .query(con)
            })?;
            Ok(set.is_some())
        }

        fn unlock(&self, key: &str, owner: &str) -> Result<(), StoreError> {
            self.run(|con| self.unlock.key(key).arg(owner).invoke::<i64>(con))
                .map(|_| ())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_locks_expire_and_belong_to_their_owner() {
        let store = MemoryStore::new();
        assert!(store.try_lock("k", "a", Duration::from_millis(50)).unwrap());
        assert!(!store.try_lock("k", "b", Duration::from_millis(50)).unwrap());
        store.unlock("k", "b").unwrap(); // not b's: nothing happens
        assert!(!store.try_lock("k", "b", Duration::from_millis(50)).unwrap());
        std::thread::sleep(Duration::from_millis(60));
        assert!(
            store.try_lock("k", "b", Duration::from_millis(50)).unwrap(),
            "an expired lock is free"
        );
    }

    #[test]
    fn memory_store_drops_expired_and_rejected_values() {
        let store = MemoryStore::new();
        let token = |value: &str, ttl: u64| StoredToken {
            value: value.into(),
            expires_at_ms: now_ms() + ttl,
            refresh_at_ms: now_ms(),
        };
        store.put("t", &token("old", 60_000)).unwrap();
        store.remove_if("t", "other").unwrap();
        assert_eq!(store.get("t").unwrap().unwrap().value, "old");
        store.remove_if("t", "old").unwrap();
        assert_eq!(store.get("t").unwrap(), None);
        store.put("t", &token("short", 0)).unwrap();
        assert_eq!(
            store.get("t").unwrap(),
            None,
            "expired values are not served"
        );
        assert!(!format!("{:?}", token("SECRET", 1)).contains("SECRET"));
    }
}
