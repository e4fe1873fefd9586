//! Settings shared by the async and blocking clients.

use std::time::Duration;

/// The official API host.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";
/// The largest reply read unless [`Config::max_reply_bytes`] says otherwise: 4 MiB.
pub const DEFAULT_MAX_REPLY_BYTES: usize = 4 << 20;

/// The official platform host (QR code images).
pub const DEFAULT_MP_BASE_URL: &str = "https://mp.weixin.qq.com";

/// Where and how patiently the clients talk to WeChat.
///
/// ```
/// use std::time::Duration;
/// let config = wechat_card::Config::new()
///     .base_url("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(10));
/// assert_eq!(config.base_url_str(), "http://127.0.0.1:8080");
/// ```
#[derive(Clone)]
pub struct Config {
    base_url: String,
    mp_base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    refresh_ahead: Duration,
    lock_ttl: Duration,
    today: Option<Today>,
    max_reply_bytes: usize,
}

/// Where "today" (China time) comes from, when not the system clock.
pub type Today = std::sync::Arc<dyn Fn() -> time::Date + Send + Sync>;

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("mp_base_url", &self.mp_base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_reply_bytes", &self.max_reply_bytes)
            .field("retry", &self.retry)
            .field("refresh_ahead", &self.refresh_ahead)
            .field("lock_ttl", &self.lock_ttl)
            .field("today", &self.today.as_ref().map(|_| "custom"))
            .finish()
    }
}

/// When a failed call is sent again: only idempotent calls on `errcode -1` (system
/// busy) or a transport error, and any call that surely never reached WeChat (a failed
/// connect). Rate limiting (45009) is never retried; a non-idempotent call that may have
/// reached WeChat never is. Delays grow exponentially with jitter, within bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// Delay before the first retry; each further one doubles it.
    pub initial_backoff: Duration,
    /// Upper bound of any delay.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries, 100 ms then 200 ms (each with jitter), never more than 2 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `retry` (1-based): exponential, capped, and
    /// jittered to between half and all of it so that clients do not retry in step.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let full = exp.min(self.max_backoff);
        let mut byte = [0u8; 1];
        let jitter = if getrandom::fill(&mut byte).is_ok() {
            byte[0] as u32
        } else {
            128
        };
        full / 2 + full / 2 * jitter / 255
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: DEFAULT_BASE_URL.to_owned(),
            mp_base_url: DEFAULT_MP_BASE_URL.to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            refresh_ahead: Duration::from_secs(300),
            lock_ttl: Duration::from_secs(10),
            today: None,
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
        }
    }
}

impl Config {
    /// The defaults: the official host, 5 s to connect, 30 s for a whole call.
    pub fn new() -> Self {
        Config::default()
    }

    /// Another API host (a proxy, or a local emulator in tests). A trailing `/` is
    /// ignored.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Another platform host, for the few endpoints on `mp.weixin.qq.com`
    /// (showqrcode). A trailing `/` is ignored.
    pub fn mp_base_url(mut self, url: impl Into<String>) -> Self {
        self.mp_base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Both hosts at once: a local emulator or a mock server serving everything.
    pub fn all_hosts(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.base_url(url.clone()).mp_base_url(url)
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a call, reply included. There is no infinite wait.
    ///
    /// The async client bounds the whole call with it. The blocking client bounds each
    /// phase (sending the request, sending the body, waiting for the reply, reading the
    /// reply) with it, because ureq's whole-call timer costs more than the call itself
    /// against a local server (see `BENCHMARKS.md`); a blocking call can therefore take
    /// up to four times this long before it gives up, but never forever.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest reply read (default 4 MiB; WeChat's largest, a card with its rich
    /// text, is a few KiB, a QR code image tens of KiB). A larger one is refused as
    /// [`Error::Decode`](crate::Error::Decode) without being read whole: the async
    /// client reads the body as a stream, and both stop at the limit.
    pub fn max_reply_bytes(mut self, bytes: usize) -> Self {
        self.max_reply_bytes = bytes;
        self
    }

    /// The limit set by [`Config::max_reply_bytes`].
    pub fn reply_limit(&self) -> usize {
        self.max_reply_bytes
    }

    /// When failed calls are sent again (see [`RetryPolicy`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Refresh cached tokens and tickets this long before they expire (default 5
    /// minutes; at most half their lifetime).
    pub fn refresh_ahead(mut self, ahead: Duration) -> Self {
        self.refresh_ahead = ahead;
        self
    }

    /// How long a token refresh lock lasts if its holder dies (default 10 s): the
    /// others wait at most this long (plus the call timeout) before refreshing
    /// themselves.
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }

    /// Where "today" comes from for the rules that need it (statistics end before
    /// today, China time). The system clock unless set: a sandbox whose clock was
    /// moved sets its own.
    pub fn today(mut self, today: Today) -> Self {
        self.today = Some(today);
        self
    }

    /// Today in China (UTC+8), by [`Config::today`] or the system clock.
    pub fn china_today(&self) -> time::Date {
        match &self.today {
            Some(today) => today(),
            None => crate::validate::china_today(),
        }
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    #[cfg(any(feature = "async", feature = "blocking"))]
    pub(crate) fn timing(&self) -> crate::cache::Timing {
        crate::cache::Timing {
            refresh_ahead: self.refresh_ahead,
            lock_ttl: self.lock_ttl,
            wait: self.lock_ttl + self.timeout,
        }
    }

    pub fn base_url_str(&self) -> &str {
        &self.base_url
    }

    pub fn mp_base_url_str(&self) -> &str {
        &self.mp_base_url
    }

    pub fn connect_timeout_duration(&self) -> Duration {
        self.connect_timeout
    }

    pub fn timeout_duration(&self) -> Duration {
        self.timeout
    }

    #[cfg(any(feature = "async", feature = "blocking"))]
    pub(crate) fn checked(self) -> Result<Self, crate::Error> {
        for url in [&self.base_url, &self.mp_base_url] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(crate::Error::Config(format!(
                    "base URL {url:?} must start with http:// or https://"
                )));
            }
        }
        if self.max_reply_bytes == 0 {
            return Err(crate::Error::Config(
                "max_reply_bytes must be more than zero".into(),
            ));
        }
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(crate::Error::Config(
                "timeouts must be longer than zero".into(),
            ));
        }
        Ok(self)
    }
}
