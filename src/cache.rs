//! A cached credential (an access token or the card api_ticket), refreshed ahead of
//! expiry by one caller at a time.
//!
//! Three layers: this client's own copy (the fast path, no lock); the shared
//! [`TokenStore`] (other clients or processes may have fetched already); and the store's
//! lock, which makes one holder fetch while everyone else waits for its result. Within a
//! process, a mutex makes concurrent callers of one client queue behind a single
//! fetch: a hundred callers on a cold cache cause one request.
//!
//! The logic is [`Cache::step`], shared by both clients; only waiting and fetching
//! differ (async or blocking).

// Without a client feature nothing fetches, so only the helpers are used.
#![cfg_attr(not(any(feature = "async", feature = "blocking")), allow(dead_code))]

use crate::error::Error;
use crate::store::{StoredToken, TokenStore, now_ms};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long to wait between looks at the store while another holder refreshes.
const POLL: Duration = Duration::from_millis(25);

/// Timing settings of a cache (from [`Config`](crate::Config)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Refresh this long before expiry (at most half the lifetime).
    pub refresh_ahead: Duration,
    /// How long a refresh lock lasts if its holder dies.
    pub lock_ttl: Duration,
    /// How long to wait for another holder's refresh before giving up.
    pub wait: Duration,
}

/// What to do next.
pub(crate) enum Step {
    Use(Arc<str>),
    /// This caller holds the lock: fetch. `rejected` is the value WeChat refused, if
    /// that is why (a stable_token fetch then forces a new one only if WeChat hands
    /// the refused one back).
    Fetch {
        rejected: Option<String>,
    },
    /// Someone else is fetching: wait and look again.
    Wait,
}

pub(crate) struct Cache {
    store: Arc<dyn TokenStore>,
    key: String,
    lock_key: String,
    /// Owner id of this cache's locks: random, so processes never share one.
    owner: String,
    local: Mutex<Option<StoredToken>>,
    /// A value WeChat rejected: never served again, and the next fetch forces a new one.
    rejected: Mutex<Option<String>>,
    /// Queues this client's concurrent callers behind one refresh.
    #[cfg(feature = "async")]
    pub(crate) flight: tokio::sync::Mutex<()>,
    #[cfg(feature = "blocking")]
    pub(crate) flight_blocking: Mutex<()>,
    pub(crate) timing: Timing,
    /// Whether, when the store cannot be reached, a value may be fetched and kept here
    /// alone: true where fetching again is harmless to the other holders (stable_token,
    /// tickets), false for classic tokens, each of which ends the others'.
    degrade: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The protected data stays consistent even if a holder panicked.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn store_error(e: crate::store::StoreError) -> Error {
    Error::Credentials {
        message: e.to_string(),
        source: Some(Box::new(e)),
    }
}

impl Cache {
    pub(crate) fn new(
        store: Arc<dyn TokenStore>,
        key: String,
        timing: Timing,
        degrade: bool,
    ) -> Self {
        Cache {
            store,
            lock_key: format!("{key}:lock"),
            key,
            owner: random_id(),
            local: Mutex::new(None),
            rejected: Mutex::new(None),
            #[cfg(feature = "async")]
            flight: tokio::sync::Mutex::new(()),
            #[cfg(feature = "blocking")]
            flight_blocking: Mutex::new(()),
            timing,
            degrade,
        }
    }

    /// This client's copy, if it does not need a refresh yet: no lock, no I/O.
    pub(crate) fn fresh(&self) -> Option<Arc<str>> {
        let local = lock(&self.local);
        local
            .as_ref()
            .filter(|t| t.refresh_at_ms > now_ms())
            .map(|t| Arc::from(t.value.as_str()))
    }

    /// This client's copy if it is still accepted by WeChat, even if due for refresh:
    /// used when a refresh fails.
    pub(crate) fn still_valid(&self) -> Option<Arc<str>> {
        let local = lock(&self.local);
        local
            .as_ref()
            .filter(|t| t.expires_at_ms > now_ms())
            .map(|t| Arc::from(t.value.as_str()))
    }

    fn usable(&self, t: &StoredToken) -> bool {
        t.refresh_at_ms > now_ms() && lock(&self.rejected).as_deref() != Some(t.value.as_str())
    }

    /// One look at the shared state (blocking store calls).
    pub(crate) fn step(&self) -> Result<Step, Error> {
        if let Some(value) = self.fresh() {
            return Ok(Step::Use(value));
        }
        if let Some(t) = self
            .store
            .get(&self.key)
            .map_err(store_error)?
            .filter(|t| self.usable(t))
        {
            return Ok(Step::Use(self.adopt(t)));
        }
        if !self
            .store
            .try_lock(&self.lock_key, &self.owner, self.timing.lock_ttl)
            .map_err(store_error)?
        {
            return Ok(Step::Wait);
        }
        // Another holder may have stored a value just before we took the lock.
        if let Some(t) = self
            .store
            .get(&self.key)
            .map_err(store_error)?
            .filter(|t| self.usable(t))
        {
            self.release();
            return Ok(Step::Use(self.adopt(t)));
        }
        Ok(Step::Fetch {
            rejected: lock(&self.rejected).clone(),
        })
    }

    fn adopt(&self, t: StoredToken) -> Arc<str> {
        let value = Arc::from(t.value.as_str());
        *lock(&self.local) = Some(t);
        value
    }

    /// Stores a freshly fetched value and releases the lock (blocking store calls).
    pub(crate) fn finish(&self, value: String, expires_in: Duration) -> Result<Arc<str>, Error> {
        let t = self.stamped(value, expires_in);
        let stored = self.store.put(&self.key, &t).map_err(store_error);
        self.release();
        match stored {
            Err(e) if !self.degrade => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "token store unreachable: keeping the value in this process only")
            }
            Ok(()) => {}
        }
        *lock(&self.rejected) = None;
        Ok(self.adopt(t))
    }

    /// A store error on the way to a value: with `degrade`, the caller fetches and
    /// keeps the value in this process alone (and says so); otherwise the error.
    fn outage(&self, e: Error) -> Result<Option<String>, Error> {
        if !self.degrade {
            return Err(e);
        }
        tracing::warn!(error = %e, "token store unreachable: fetching directly");
        Ok(lock(&self.rejected).clone())
    }

    /// A value fetched while the store was unreachable: kept here only.
    fn keep_local(&self, value: String, expires_in: Duration) -> Arc<str> {
        *lock(&self.rejected) = None;
        self.adopt(self.stamped(value, expires_in))
    }

    /// A fresh value with its expiry and the moment to refresh it (ahead of expiry,
    /// at most half its lifetime early).
    fn stamped(&self, value: String, expires_in: Duration) -> StoredToken {
        let now = now_ms();
        let lifetime = expires_in.as_millis() as u64;
        let ahead = (self.timing.refresh_ahead.as_millis() as u64).min(lifetime / 2);
        StoredToken {
            value,
            expires_at_ms: now + lifetime,
            refresh_at_ms: now + lifetime - ahead,
        }
    }

    /// Releases the lock after a failed fetch (blocking store call).
    pub(crate) fn release(&self) {
        if let Err(e) = self.store.unlock(&self.lock_key, &self.owner) {
            // It expires by itself; say so without any value.
            tracing::debug!(error = %e, "could not release a refresh lock; it will expire");
        }
    }

    /// WeChat rejected `value`: forget it here and in the store, and force the next
    /// fetch (blocking store call).
    pub(crate) fn invalidate(&self, value: &str) {
        {
            let mut local = lock(&self.local);
            if local.as_ref().is_some_and(|t| t.value == value) {
                *local = None;
            }
        }
        *lock(&self.rejected) = Some(value.to_owned());
        if let Err(e) = self.store.remove_if(&self.key, value) {
            tracing::debug!(error = %e, "could not remove a rejected value from the store");
        }
    }

    pub(crate) fn wait_error(&self) -> Error {
        Error::Credentials {
            message: format!(
                "no fresh value after {:?}: another holder of the refresh lock did not finish",
                self.timing.wait
            ),
            source: None,
        }
    }

    /// Blocking driver: `fetch(rejected)` returns the value and its lifetime.
    #[cfg(feature = "blocking")]
    pub(crate) fn get_blocking(
        &self,
        fetch: impl Fn(Option<String>) -> Result<(String, Duration), Error>,
    ) -> Result<Arc<str>, Error> {
        if let Some(value) = self.fresh() {
            return Ok(value);
        }
        let _flight = lock(&self.flight_blocking);
        let deadline = std::time::Instant::now() + self.timing.wait;
        loop {
            let step = match self.step() {
                Ok(step) => step,
                Err(e) => {
                    let rejected = self.outage(e)?;
                    let (value, expires_in) = fetch(rejected)?;
                    return Ok(self.keep_local(value, expires_in));
                }
            };
            match step {
                Step::Use(value) => return Ok(value),
                Step::Fetch { rejected } => {
                    return match fetch(rejected) {
                        Ok((value, expires_in)) => self.finish(value, expires_in),
                        Err(e) => {
                            self.release();
                            self.still_valid().ok_or(e)
                        }
                    };
                }
                Step::Wait if std::time::Instant::now() >= deadline => {
                    return Err(self.wait_error());
                }
                Step::Wait => std::thread::sleep(POLL),
            }
        }
    }
}

/// Async driver (store calls on a blocking thread, so a slow store never stalls the
/// runtime).
#[cfg(feature = "async")]
pub(crate) async fn get_async<F, Fut>(cache: &Arc<Cache>, fetch: F) -> Result<Arc<str>, Error>
where
    F: Fn(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(String, Duration), Error>>,
{
    if let Some(value) = cache.fresh() {
        return Ok(value);
    }
    let _flight = cache.flight.lock().await;
    // The caller before us in the flight has usually just refreshed: no need for a
    // trip to a blocking thread to find out (step would look here first anyway).
    if let Some(value) = cache.fresh() {
        return Ok(value);
    }
    let deadline = tokio::time::Instant::now() + cache.timing.wait;
    loop {
        let step = match blocking(cache, |c| c.step()).await {
            Ok(step) => step,
            Err(e) => {
                let rejected = cache.outage(e)?;
                let (value, expires_in) = fetch(rejected).await?;
                return Ok(cache.keep_local(value, expires_in));
            }
        };
        match step {
            Step::Use(value) => return Ok(value),
            Step::Fetch { rejected } => {
                return match fetch(rejected).await {
                    Ok((value, expires_in)) => {
                        blocking(cache, move |c| c.finish(value, expires_in)).await
                    }
                    Err(e) => {
                        blocking(cache, |c| {
                            c.release();
                            Ok(())
                        })
                        .await?;
                        cache.still_valid().ok_or(e)
                    }
                };
            }
            Step::Wait if tokio::time::Instant::now() >= deadline => return Err(cache.wait_error()),
            Step::Wait => tokio::time::sleep(POLL).await,
        }
    }
}

#[cfg(feature = "async")]
pub(crate) async fn blocking<T: Send + 'static>(
    cache: &Arc<Cache>,
    f: impl FnOnce(&Cache) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let cache = cache.clone();
    tokio::task::spawn_blocking(move || f(&cache))
        .await
        .map_err(|e| Error::Credentials {
            message: format!("the token store task failed: {e}"),
            source: None,
        })?
}

/// 16 random bytes as hex: lock owners and nonces.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // Without an OS random source, fall back on the clock: still unique per process.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos ^ (std::process::id() as u128) << 64).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
