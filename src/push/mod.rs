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

/// The typed card events (generated from `spec/events.yaml`).
pub use crate::generated::events;

use crate::jssdk::card_signature;
use aes::Aes256;
use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// WeChat pads to 32-byte blocks (PKCS#7 with k = 32), not AES's 16.
const PAD_BLOCK: usize = 32;
/// The random prefix and the length field before the message.
const HEADER: usize = 16 + 4;

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

/// Checks the `signature` WeChat adds to every push and to the server URL verification.
///
/// ```
/// use wechat_card::push::verify_url_signature;
///
/// let signature = wechat_card::jssdk::card_signature(["mytoken", "1409735669", "1320562132"]);
/// assert!(verify_url_signature("mytoken", "1409735669", "1320562132", &signature).is_ok());
/// assert!(verify_url_signature("mytoken", "1409735670", "1320562132", &signature).is_err());
/// ```
pub fn verify_url_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    signature: &str,
) -> Result<(), PushError> {
    let expected = card_signature([token, timestamp, nonce]);
    match same(&expected, signature) {
        true => Ok(()),
        false => Err(PushError::BadSignature { which: "signature" }),
    }
}

/// The server URL verification (plain mode): WeChat sends `signature`, `timestamp`,
/// `nonce` and `echostr` as a GET; answer with `echostr` unchanged if the signature holds.
///
/// ```
/// use wechat_card::push::answer_url_verification;
///
/// let signature = wechat_card::jssdk::card_signature(["mytoken", "1409735669", "1320562132"]);
/// let reply = answer_url_verification("mytoken", "1409735669", "1320562132", &signature, "shr5ch")?;
/// assert_eq!(reply, "shr5ch");
/// # Ok::<(), wechat_card::push::PushError>(())
/// ```
pub fn answer_url_verification<'a>(
    token: &str,
    timestamp: &str,
    nonce: &str,
    signature: &str,
    echostr: &'a str,
) -> Result<&'a str, PushError> {
    verify_url_signature(token, timestamp, nonce, signature)?;
    Ok(echostr)
}

/// Rejects a push whose `timestamp` is more than `max_age` away from `now`: WeChat
/// retries within seconds, so an old signed message is a replay.
pub fn check_fresh(timestamp: &str, now: SystemTime, max_age: Duration) -> Result<(), PushError> {
    let sent: i64 = timestamp.parse().map_err(|_| {
        PushError::Malformed(format!(
            "timestamp {timestamp:?} is not a number of seconds"
        ))
    })?;
    let now = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(_) => 0,
    };
    let age = now.saturating_sub(sent);
    if age.unsigned_abs() > max_age.as_secs() {
        return Err(PushError::Stale {
            timestamp: sent,
            age_secs: age,
            max_secs: max_age.as_secs(),
        });
    }
    Ok(())
}

/// Safe-mode (安全模式) decryption and encryption for one account: its server token,
/// EncodingAESKey and appid.
#[derive(Clone)]
pub struct SafeMode {
    token: String,
    key: [u8; 32],
    appid: String,
}

impl fmt::Debug for SafeMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafeMode")
            .field("token", &"<redacted>")
            .field("key", &"<redacted>")
            .field("appid", &self.appid)
            .finish()
    }
}

impl SafeMode {
    /// `encoding_aes_key` is the 43-character EncodingAESKey from the account's server
    /// settings.
    pub fn new(
        token: impl Into<String>,
        encoding_aes_key: &str,
        appid: impl Into<String>,
    ) -> Result<Self, PushError> {
        let bad = || {
            PushError::Config(format!(
                "EncodingAESKey must be 43 Base64 characters (got {} characters that do not decode to 32 bytes)",
                encoding_aes_key.chars().count()
            ))
        };
        if encoding_aes_key.len() != 43 {
            return Err(bad());
        }
        // WeChat's keys leave non-zero bits after the last byte (the published example's
        // final "G" does), which a strict decoder refuses.
        let lenient = GeneralPurpose::new(
            &alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        let bytes = lenient
            .decode(format!("{encoding_aes_key}="))
            .map_err(|_| bad())?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
        Ok(SafeMode {
            token: token.into(),
            key,
            appid: appid.into(),
        })
    }

    /// The appid messages must carry.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// Checks `msg_signature` over `encrypt`, decrypts it and checks the appid; returns
    /// the plain XML message.
    pub fn decrypt(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<String, PushError> {
        let expected = card_signature([self.token.as_str(), timestamp, nonce, encrypt]);
        if !same(&expected, msg_signature) {
            return Err(PushError::BadSignature {
                which: "msg_signature",
            });
        }
        self.open(encrypt)
    }

    /// Decrypts `Encrypt` and checks the appid; the caller has checked the signature.
    fn open(&self, encrypt: &str) -> Result<String, PushError> {
        let mut data = BASE64
            .decode(encrypt.trim())
            .map_err(|_| PushError::Malformed("Encrypt is not Base64".into()))?;
        if data.is_empty() || data.len() % 16 != 0 {
            return Err(PushError::Malformed(format!(
                "Encrypt is {} bytes, not a whole number of AES blocks",
                data.len()
            )));
        }
        let decryptor = cbc::Decryptor::<Aes256>::new((&self.key).into(), self.key[..16].into());
        let plain = decryptor
            .decrypt_padded_mut::<NoPadding>(&mut data)
            .map_err(|_| PushError::Malformed("Encrypt does not decrypt".into()))?;
        let pad = *plain.last().unwrap_or(&0) as usize;
        if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
            return Err(PushError::Malformed(
                "padding is not PKCS#7 (wrong EncodingAESKey?)".into(),
            ));
        }
        let body = &plain[..plain.len() - pad];
        if body.len() < HEADER {
            return Err(PushError::Malformed("the message is too short".into()));
        }
        let length = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
        let rest = &body[HEADER..];
        if length > rest.len() {
            return Err(PushError::Malformed(format!(
                "the length field says {length} bytes, only {} follow",
                rest.len()
            )));
        }
        let (message, appid) = rest.split_at(length);
        if appid != self.appid.as_bytes() {
            return Err(PushError::WrongAppId {
                found: String::from_utf8_lossy(appid).chars().take(32).collect(),
            });
        }
        String::from_utf8(message.to_vec())
            .map_err(|_| PushError::Malformed("the message is not UTF-8".into()))
    }

    /// Encrypts a message as WeChat does (for replies in safe mode, and for the
    /// sandbox): returns `(Encrypt, msg_signature)`.
    pub fn encrypt(&self, message: &str, timestamp: &str, nonce: &str) -> (String, String) {
        let mut random = [0u8; 16];
        // WeChat's scheme fixes the IV; the random prefix only makes equal messages
        // encrypt differently. Without OS randomness a zero prefix still decrypts.
        let _ = getrandom::fill(&mut random);
        self.encrypt_with(random, message, timestamp, nonce)
    }

    fn encrypt_with(
        &self,
        random: [u8; 16],
        message: &str,
        timestamp: &str,
        nonce: &str,
    ) -> (String, String) {
        let mut data = Vec::with_capacity(HEADER + message.len() + self.appid.len() + PAD_BLOCK);
        data.extend_from_slice(&random);
        data.extend_from_slice(&(message.len() as u32).to_be_bytes());
        data.extend_from_slice(message.as_bytes());
        data.extend_from_slice(self.appid.as_bytes());
        let pad = PAD_BLOCK - data.len() % PAD_BLOCK;
        data.extend(std::iter::repeat_n(pad as u8, pad));
        let len = data.len();
        let encryptor = cbc::Encryptor::<Aes256>::new((&self.key).into(), self.key[..16].into());
        let sealed = encryptor
            .encrypt_padded_mut::<NoPadding>(&mut data, len)
            .expect("the data is padded to whole blocks");
        let encrypt = BASE64.encode(sealed);
        let signature = card_signature([self.token.as_str(), timestamp, nonce, encrypt.as_str()]);
        (encrypt, signature)
    }
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

/// The direct children of a push's root element, as text (CDATA or escaped, trimmed:
/// the docs' own examples put spaces around CDATA). The generated events take their
/// fields out of it; whatever is left is what the spec does not describe.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Reads the top-level fields of an XML message. Nested elements are kept whole
    /// under their own name, their text concatenated.
    pub fn parse(xml: &str) -> Result<Self, PushError> {
        use quick_xml::events::Event;
        let malformed =
            |e: &dyn fmt::Display| PushError::Malformed(format!("the body is not XML: {e}"));
        let mut reader = quick_xml::Reader::from_str(xml);
        let (mut depth, mut name, mut text) = (0usize, String::new(), String::new());
        let mut fields = Vec::new();
        loop {
            match reader.read_event().map_err(|e| malformed(&e))? {
                Event::Start(e) => {
                    depth += 1;
                    if depth == 2 {
                        name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                        text.clear();
                    }
                }
                Event::Empty(e) if depth == 1 => {
                    fields.push((
                        String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                        String::new(),
                    ));
                }
                Event::End(_) => {
                    if depth == 2 {
                        fields.push((std::mem::take(&mut name), text.trim().to_owned()));
                    }
                    depth = depth.saturating_sub(1);
                }
                Event::Text(t) if depth >= 2 => {
                    let raw = t.decode().map_err(|e| malformed(&e))?;
                    text.push_str(&quick_xml::escape::unescape(&raw).map_err(|e| malformed(&e))?);
                }
                Event::CData(t) if depth >= 2 => {
                    text.push_str(&t.decode().map_err(|e| malformed(&e))?);
                }
                Event::GeneralRef(r) if depth >= 2 => {
                    let entity = format!("&{};", r.decode().map_err(|e| malformed(&e))?);
                    text.push_str(
                        &quick_xml::escape::unescape(&entity).map_err(|e| malformed(&e))?,
                    );
                }
                Event::Eof if depth == 0 => return Ok(Fields(fields)),
                Event::Eof => {
                    return Err(PushError::Malformed(
                        "the body is not XML: unclosed element".into(),
                    ));
                }
                _ => {}
            }
        }
    }

    /// The value of a field, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every field, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Removes a field (the generated events take each of theirs).
    pub fn take(&mut self, name: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.remove(i).1)
    }

    /// A field the spec describes, if present: given twice, it is refused (which one
    /// would be meant?).
    pub fn text(&mut self, event: &str, name: &'static str) -> Result<Option<String>, PushError> {
        let value = self.take(name);
        if value.is_some() && self.get(name).is_some() {
            return Err(PushError::Malformed(format!(
                "{event}: <{name}> is given more than once"
            )));
        }
        Ok(value)
    }

    /// A required text field.
    pub fn string(&mut self, event: &str, name: &'static str) -> Result<String, PushError> {
        self.text(event, name)?.ok_or_else(|| missing(event, name))
    }

    /// An integer field, absent or empty as `None`.
    pub fn integer(&mut self, event: &str, name: &'static str) -> Result<Option<i64>, PushError> {
        match self.text(event, name)? {
            None => Ok(None),
            Some(v) if v.is_empty() => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                PushError::Malformed(format!("{event}: <{name}> must be an integer, got {v:?}"))
            }),
        }
    }

    /// A 0/1 flag, absent or empty as `None`.
    pub fn flag(&mut self, event: &str, name: &'static str) -> Result<Option<bool>, PushError> {
        match self.text(event, name)?.as_deref() {
            None | Some("") => Ok(None),
            Some("0") => Ok(Some(false)),
            Some("1") => Ok(Some(true)),
            Some(v) => Err(PushError::Malformed(format!(
                "{event}: <{name}> must be 0 or 1, got {v:?}"
            ))),
        }
    }
}

/// Writes a push message as WeChat does: `<xml>`, then one element per field — text in
/// CDATA, numbers and 0/1 flags bare. The generated events' `to_xml` use it.
pub(crate) struct XmlWriter(String);

impl XmlWriter {
    pub(crate) fn new() -> Self {
        XmlWriter(String::from("<xml>"))
    }

    /// A text field, in CDATA (a `]]>` inside is split across two sections).
    pub(crate) fn text(&mut self, name: &str, value: &str) {
        let value = value.replace("]]>", "]]]]><![CDATA[>");
        self.0
            .push_str(&format!("<{name}><![CDATA[{value}]]></{name}>"));
    }

    pub(crate) fn integer(&mut self, name: &str, value: i64) {
        self.0.push_str(&format!("<{name}>{value}</{name}>"));
    }

    pub(crate) fn flag(&mut self, name: &str, value: bool) {
        self.integer(name, i64::from(value));
    }

    pub(crate) fn finish(mut self) -> String {
        self.0.push_str("</xml>");
        self.0
    }
}

/// A required field is missing.
pub fn missing(event: &str, name: &str) -> PushError {
    PushError::Malformed(format!("{event}: <{name}> is required"))
}

/// Compares two signatures without stopping at the first difference.
fn same(expected: &str, given: &str) -> bool {
    let (a, b) = (
        expected.as_bytes(),
        given.trim().to_ascii_lowercase().into_bytes(),
    );
    a.len() == b.len() && a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // WeChat's published worked example for safe mode (the WXBizMsgCrypt sample).
    const TOKEN: &str = "spamtest";
    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const APPID: &str = "wx2c2769f8efd9abc2";
    const TIMESTAMP: &str = "1409735669";
    const NONCE: &str = "1320562132";
    const MSG_SIGNATURE: &str = "5d197aaffba7e9b25a30732f161a50dee96bd5fa";
    const ENCRYPT: &str = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";
    const PLAIN: &str = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>";

    fn safe() -> SafeMode {
        SafeMode::new(TOKEN, KEY, APPID).unwrap()
    }

    #[test]
    fn decrypts_wechats_worked_example() {
        let xml = safe()
            .decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, ENCRYPT)
            .unwrap();
        assert_eq!(xml, PLAIN);
    }

    #[test]
    fn encrypting_the_example_with_its_random_prefix_gives_wechats_bytes() {
        // The example's random prefix, read back from its decryption.
        let s = safe();
        let mut data = BASE64.decode(ENCRYPT).unwrap();
        let d = cbc::Decryptor::<Aes256>::new((&s.key).into(), s.key[..16].into());
        let plain = d.decrypt_padded_mut::<NoPadding>(&mut data).unwrap();
        let random: [u8; 16] = plain[..16].try_into().unwrap();
        let (encrypt, signature) = s.encrypt_with(random, PLAIN, TIMESTAMP, NONCE);
        assert_eq!(encrypt, ENCRYPT);
        assert_eq!(signature, MSG_SIGNATURE);
    }

    #[test]
    fn round_trips_and_uses_a_fresh_prefix() {
        let s = safe();
        let (a, sig) = s.encrypt("<xml>卡券</xml>", "1", "n");
        let (b, _) = s.encrypt("<xml>卡券</xml>", "1", "n");
        assert_ne!(a, b);
        assert_eq!(s.decrypt(&sig, "1", "n", &a).unwrap(), "<xml>卡券</xml>");
    }

    #[test]
    fn a_tampered_message_is_rejected_by_its_signature() {
        let mut tampered = ENCRYPT.to_owned();
        tampered.replace_range(0..1, "i");
        let err = safe()
            .decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, &tampered)
            .unwrap_err();
        assert_eq!(
            err,
            PushError::BadSignature {
                which: "msg_signature"
            }
        );
        // Another timestamp or nonce breaks the signature too.
        assert!(
            safe()
                .decrypt(MSG_SIGNATURE, "1409735670", NONCE, ENCRYPT)
                .is_err()
        );
        assert!(
            safe()
                .decrypt(MSG_SIGNATURE, TIMESTAMP, "1", ENCRYPT)
                .is_err()
        );
    }

    #[test]
    fn another_accounts_message_is_rejected_by_its_appid() {
        let other = SafeMode::new(TOKEN, KEY, "wx0000000000000000").unwrap();
        let err = other
            .decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, ENCRYPT)
            .unwrap_err();
        assert_eq!(
            err,
            PushError::WrongAppId {
                found: APPID.into()
            }
        );
        assert!(err.to_string().contains("not this account's"));
    }

    #[test]
    fn a_wrong_key_is_malformed_not_a_panic() {
        let wrong =
            SafeMode::new(TOKEN, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg", APPID).unwrap();
        let err = wrong
            .decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, ENCRYPT)
            .unwrap_err();
        assert!(
            matches!(err, PushError::Malformed(_) | PushError::WrongAppId { .. }),
            "{err}"
        );
    }

    #[test]
    fn malformed_input_is_an_error() {
        let s = safe();
        for encrypt in ["", "not base64!", "AAAA", &BASE64.encode([0u8; 31])] {
            let sig = card_signature([TOKEN, TIMESTAMP, NONCE, encrypt]);
            let err = s.decrypt(&sig, TIMESTAMP, NONCE, encrypt).unwrap_err();
            assert!(matches!(err, PushError::Malformed(_)), "{encrypt:?}: {err}");
        }
    }

    #[test]
    fn settings_are_checked() {
        for key in [
            "",
            "short",
            &format!("{KEY}A"),
            "*bcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        ] {
            let err = SafeMode::new(TOKEN, key, APPID).unwrap_err();
            assert!(
                err.to_string()
                    .contains("EncodingAESKey must be 43 Base64 characters"),
                "{err}"
            );
            assert!(!err.to_string().contains(KEY));
        }
    }

    #[test]
    fn debug_hides_the_token_and_key() {
        let shown = format!("{:?}", safe());
        assert!(
            !shown.contains(TOKEN) && !shown.contains("abcdefghij"),
            "{shown}"
        );
        assert!(shown.contains(APPID));
    }

    #[test]
    fn url_signature_and_handshake() {
        let sig = card_signature([TOKEN, TIMESTAMP, NONCE]);
        assert!(verify_url_signature(TOKEN, TIMESTAMP, NONCE, &sig).is_ok());
        assert!(verify_url_signature(TOKEN, TIMESTAMP, NONCE, &sig.to_uppercase()).is_ok());
        assert_eq!(
            verify_url_signature("other", TIMESTAMP, NONCE, &sig),
            Err(PushError::BadSignature { which: "signature" })
        );
        assert_eq!(
            answer_url_verification(TOKEN, TIMESTAMP, NONCE, &sig, "echo").unwrap(),
            "echo"
        );
        assert!(answer_url_verification(TOKEN, TIMESTAMP, NONCE, "0", "echo").is_err());
    }

    #[test]
    fn stale_and_future_timestamps_are_rejected() {
        let now = UNIX_EPOCH + Duration::from_secs(1_409_735_669);
        let window = Duration::from_secs(300);
        assert!(check_fresh("1409735669", now, window).is_ok());
        assert!(check_fresh("1409735400", now, window).is_ok());
        let err = check_fresh("1409735000", now, window).unwrap_err();
        assert!(
            matches!(err, PushError::Stale { age_secs: 669, .. }),
            "{err}"
        );
        assert!(check_fresh("1409736669", now, window).is_err());
        assert!(matches!(
            check_fresh("yesterday", now, window),
            Err(PushError::Malformed(_))
        ));
    }
}
