//! Settings shared by the async and blocking clients.

use std::time::Duration;

/// The official API host.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

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
#[derive(Debug, Clone)]
pub struct Config {
    base_url: String,
    mp_base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: DEFAULT_BASE_URL.to_owned(),
            mp_base_url: DEFAULT_MP_BASE_URL.to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
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

    /// Time allowed for a whole call, reply included. There is no infinite wait.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
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
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(crate::Error::Config(
                "timeouts must be longer than zero".into(),
            ));
        }
        Ok(self)
    }
}
