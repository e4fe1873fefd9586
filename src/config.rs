//! Settings shared by the async and blocking clients.

use std::time::Duration;

/// The official API host.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

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
    connect_timeout: Duration,
    timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: DEFAULT_BASE_URL.to_owned(),
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

    pub fn connect_timeout_duration(&self) -> Duration {
        self.connect_timeout
    }

    pub fn timeout_duration(&self) -> Duration {
        self.timeout
    }

    #[cfg(any(feature = "async", feature = "blocking"))]
    pub(crate) fn checked(self) -> Result<Self, crate::Error> {
        let ok = self.base_url.starts_with("http://") || self.base_url.starts_with("https://");
        if !ok {
            return Err(crate::Error::Config(format!(
                "base URL {:?} must start with http:// or https://",
                self.base_url
            )));
        }
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(crate::Error::Config(
                "timeouts must be longer than zero".into(),
            ));
        }
        Ok(self)
    }
}
