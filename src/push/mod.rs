//! Receiving WeChat's event pushes securely: the server URL signature, the `echostr`
//! handshake and safe mode (安全模式) — `msg_signature` and the AES-256-CBC `Encrypt`.
//!
//! WeChat signs every push to the account's server URL with
//! `signature = SHA1(sort(token, timestamp, nonce))`. In safe mode the body carries
//! `Encrypt`, signed as `msg_signature = SHA1(sort(token, timestamp, nonce, Encrypt))`,
//! and `Encrypt = Base64(AES-256-CBC(random 16 bytes ‖ length (4 bytes, big-endian) ‖
//! message ‖ appid))`, where the key is `Base64(EncodingAESKey + "=")`, the IV its first
//! 16 bytes, and the padding PKCS#7 over 32-byte blocks.
//!
//! ```
//! use wechat_card::push::SafeMode;
//!
//! // WeChat's published worked example (the WXBizMsgCrypt sample).
//! let safe = SafeMode::new("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")?;
//! # let encrypt = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";
//! let xml = safe.decrypt("5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132", encrypt)?;
//! assert!(xml.contains("<Content><![CDATA[abcdteT]]></Content>"));
//! # Ok::<(), wechat_card::push::PushError>(())
//! ```

// One concern per file: `signature.rs` the URL signature and timestamp checks,
// `crypto.rs` safe mode's AES, `xml.rs` reading and writing a message's XML; this file
// the `Receiver` that puts them together, and the error they share.

/// The typed card events (generated from `spec/events.yaml`).
pub use crate::generated::events;

mod crypto;
mod signature;
mod xml;

pub use crypto::SafeMode;
pub use signature::{answer_url_verification, check_fresh, verify_url_signature};
pub(crate) use xml::XmlWriter;
pub use xml::{Fields, missing};

use std::fmt;
use std::time::{Duration, SystemTime};

/// Why a push was refused. The message names the rule; it never contains the token, the
/// key or the decrypted text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// A setting is unusable (an EncodingAESKey that is not 43 Base64 characters).
    #[error("push settings: {0}")]
    Config(String),
    /// The signature does not match: the request is not from WeChat, or was altered.
    #[error("push rejected: {which} does not match the request (forged or altered)")]
    BadSignature {
        /// `signature` (URL) or `msg_signature` (safe mode).
        which: &'static str,
    },
    /// The timestamp is outside the accepted window: a replay, or a skewed clock.
    #[error(
        "push rejected: timestamp {timestamp} is {age_secs} s from now, beyond the {max_secs} s allowed (replayed or stale)"
    )]
    Stale {
        timestamp: i64,
        age_secs: i64,
        max_secs: u64,
    },
    /// The message is not what WeChat sends: bad Base64, bad length, bad padding.
    #[error("push rejected: {0}")]
    Malformed(String),
    /// The message decrypted, but for another account.
    #[error("push rejected: the message is for appid {found}, not this account's")]
    WrongAppId {
        /// The appid found in the message.
        found: String,
    },
}
/// How long after its `timestamp` a push is accepted by default. WeChat retries three
/// times within about 15 s; five minutes leaves room for clock skew.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// The framework-neutral receiving end of the account's server URL: query string and
/// body in, the authenticated plain XML message out. Works the same under axum, actix,
/// hyper or a CGI script.
///
/// ```
/// use wechat_card::push::{Receiver, SafeMode};
///
/// let receiver = Receiver::safe_mode("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")?;
/// // What a push looks like: the sandbox and tests build them the same way.
/// let safe = SafeMode::new("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")?;
/// let now = std::time::SystemTime::now()
///     .duration_since(std::time::UNIX_EPOCH)
///     .unwrap()
///     .as_secs()
///     .to_string();
/// let (encrypt, msg_signature) = safe.encrypt("<xml><Event><![CDATA[user_del_card]]></Event></xml>", &now, "42");
/// let signature = wechat_card::jssdk::card_signature(["spamtest", now.as_str(), "42"]);
/// let query = format!(
///     "signature={signature}&timestamp={now}&nonce=42&openid=o1&encrypt_type=aes&msg_signature={msg_signature}"
/// );
/// let body = format!("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
///
/// let xml = receiver.open(&query, body.as_bytes())?;
/// assert!(xml.contains("user_del_card"));
/// # Ok::<(), wechat_card::push::PushError>(())
/// ```
#[derive(Clone)]
pub struct Receiver {
    token: String,
    safe: Option<SafeMode>,
    max_age: Duration,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("token", &"<redacted>")
            .field("safe", &self.safe)
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl Receiver {
    /// Plain mode (明文模式): pushes are signed, not encrypted.
    pub fn plain(token: impl Into<String>) -> Self {
        Receiver {
            token: token.into(),
            safe: None,
            max_age: DEFAULT_MAX_AGE,
        }
    }

    /// Safe mode (安全模式): every push must be encrypted for `appid`. A plain push is
    /// refused, so that nobody can downgrade the channel.
    pub fn safe_mode(
        token: impl Into<String>,
        encoding_aes_key: &str,
        appid: impl Into<String>,
    ) -> Result<Self, PushError> {
        let token = token.into();
        let safe = SafeMode::new(token.clone(), encoding_aes_key, appid)?;
        Ok(Receiver {
            token,
            safe: Some(safe),
            max_age: DEFAULT_MAX_AGE,
        })
    }

    /// How far a push's `timestamp` may be from now ([`DEFAULT_MAX_AGE`] by default).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The server URL verification (a GET from WeChat): checks the signature and returns
    /// the `echostr` to answer with.
    pub fn verify_url(&self, query: &str) -> Result<String, PushError> {
        let q = Query::parse(query);
        verify_url_signature(
            &self.token,
            q.get("timestamp")?,
            q.get("nonce")?,
            q.get("signature")?,
        )?;
        Ok(q.get("echostr")?.to_owned())
    }

    /// A push (a POST from WeChat): checks the signature and the timestamp, decrypts in
    /// safe mode, and returns the plain XML message.
    pub fn open(&self, query: &str, body: &[u8]) -> Result<String, PushError> {
        self.open_at(query, body, SystemTime::now())
    }

    /// [`Receiver::open`], then the message as a typed [`events::CardEvent`] (an event
    /// this crate does not type is `CardEvent::Unknown`, with its XML).
    ///
    /// WeChat retries a push 3 times when you do not answer within 5 s: de-duplicate on
    /// the envelope's `from_user_name` and `create_time`. When the 5 s are up WeChat
    /// hangs up and most servers drop the handler's future, so do the work of an event
    /// you marked as seen in a spawned task — or it is lost, and its retry answered as
    /// done (`examples/push_axum.rs` shows both).
    pub fn event(&self, query: &str, body: &[u8]) -> Result<events::CardEvent, PushError> {
        events::CardEvent::parse(&self.open(query, body)?)
    }

    /// [`Receiver::open`] with the current time given (tests, replays of a log).
    pub fn open_at(&self, query: &str, body: &[u8], now: SystemTime) -> Result<String, PushError> {
        let q = Query::parse(query);
        let (timestamp, nonce) = (q.get("timestamp")?, q.get("nonce")?);
        verify_url_signature(&self.token, timestamp, nonce, q.get("signature")?)?;
        check_fresh(timestamp, now, self.max_age)?;
        let body = std::str::from_utf8(body)
            .map_err(|_| PushError::Malformed("the body is not UTF-8".into()))?;
        let encrypted = q.find("encrypt_type") == Some("aes");
        match (&self.safe, encrypted) {
            (Some(safe), true) => {
                let encrypt = Fields::parse(body)?.take("Encrypt").ok_or_else(|| {
                    PushError::Malformed("a safe-mode push without <Encrypt>".into())
                })?;
                safe.decrypt(q.get("msg_signature")?, timestamp, nonce, &encrypt)
            }
            (Some(_), false) => Err(PushError::Malformed(
                "a plain push to a safe-mode receiver (encrypt_type is not aes)".into(),
            )),
            (None, true) => Err(PushError::Config(
                "an encrypted push, but this receiver has no EncodingAESKey (use Receiver::safe_mode)".into(),
            )),
            (None, false) => Ok(body.to_owned()),
        }
    }
}

/// A query string's pairs, percent-decoded (also the sandbox's).
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The push URL's query parameters, percent-decoded.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: &str) -> Self {
        Query(query_pairs(query.strip_prefix('?').unwrap_or(query)))
    }

    fn find(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn get(&self, name: &'static str) -> Result<&str, PushError> {
        self.find(name)
            .ok_or_else(|| PushError::Malformed(format!("the query has no `{name}`")))
    }
}
