//! Replies: JSON models, raw bytes, and the file parts of uploads.

use crate::model::Model;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The `Response` impl of a generated JSON reply, the same for each: read by its
/// `Deserialize`, with errcode and errmsg taken out of its `extra`.
macro_rules! json_reply {
    ($name:ident) => {
        impl $crate::response::Response for $name {
            fn from_body(_: Option<&str>, body: &[u8]) -> Result<Self, String> {
                $crate::response::from_json(body)
            }
            fn take_envelope(&mut self) -> Result<$crate::response::Envelope, String> {
                $crate::response::take_envelope(&mut self.extra)
            }
        }
    };
}
pub(crate) use json_reply;

/// What an endpoint replies with, once WeChat's `errcode` said 0.
pub trait Response: Model + Sized {
    /// A binary reply (an image) rather than a JSON object.
    const BINARY: bool = false;

    /// Decodes a reply; `Err` is the reason it does not match the docs.
    fn from_body(content_type: Option<&str>, body: &[u8]) -> Result<Self, String>;

    /// Removes and returns the `errcode` and `errmsg` the reply carried; `Err` when
    /// the errcode is not a number (see [`errcode`]).
    fn take_envelope(&mut self) -> Result<Envelope, String> {
        Ok(Envelope::default())
    }
}

/// What every reply may carry besides its data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// 0 (success) when absent.
    pub errcode: i64,
    pub errmsg: String,
    /// Whether the reply carried an `errcode` at all.
    pub present: bool,
}

/// Decodes a JSON reply into a generated model, in one pass: `errcode` and `errmsg`
/// land in `extra` and are taken out by [`Response::take_envelope`].
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("does not match the documented reply: {e}"))
}

/// `errcode` and `errmsg` out of a reply's `extra`.
pub fn take_envelope(
    extra: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<Envelope, String> {
    let code = extra.remove("errcode");
    let present = code.as_ref().is_some_and(|c| !c.is_null());
    let errcode = errcode(code.as_ref())?;
    let errmsg = match extra.remove("errmsg") {
        Some(serde_json::Value::String(m)) => m,
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Ok(Envelope {
        errcode,
        errmsg,
        present,
    })
}

/// Reads a reply's `errcode`: absent or `null` is 0 (success); a number, or a number
/// written as a string (`"45009"`), is that code. Anything else cannot be read as a
/// success, so it is an error (the reply is not one WeChat documents).
pub fn errcode(value: Option<&serde_json::Value>) -> Result<i64, String> {
    use serde_json::Value;
    // The value is not quoted: it may hold anything, a secret included; the error's
    // excerpt (scrubbed whole before it is cut) shows it.
    let unreadable = |kind: &str| format!("errcode is {kind}, not a number");
    match value {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|x| x.fract() == 0.0 && x.abs() < 9.0e15)
                    .map(|x| x as i64)
            })
            .ok_or_else(|| unreadable("a number out of range")),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| unreadable("text")),
        Some(Value::Bool(_)) => Err(unreadable("true or false")),
        Some(Value::Array(_)) => Err(unreadable("a list")),
        Some(Value::Object(_)) => Err(unreadable("an object")),
    }
}

/// A binary reply, such as the QR code image of `showqrcode`.
#[derive(Clone, PartialEq, Eq)]
pub struct Binary {
    /// The reply's `Content-Type` (e.g. `image/jpeg`), if it had one.
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binary")
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Response for Binary {
    const BINARY: bool = true;

    fn from_body(content_type: Option<&str>, body: &[u8]) -> Result<Self, String> {
        Ok(Binary {
            content_type: content_type.map(str::to_owned),
            bytes: body.to_vec(),
        })
    }
}

impl Model for Binary {
    fn collect_unknown(&self, _: &str, _: &mut Vec<String>) {}
}

/// A file to upload (a `type: file` field of the spec).
///
/// ```
/// let logo = wechat_card::FilePart::new("logo.png", "image/png", vec![0x89, b'P', b'N', b'G']);
/// assert_eq!(logo.bytes.len(), 4);
/// ```
///
/// Its serde form, used by tests and examples, writes `bytes` as text.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePart {
    pub filename: String,
    /// MIME type, e.g. `image/png`.
    pub content_type: String,
    #[serde(with = "bytes_as_text")]
    pub bytes: Vec<u8>,
}

impl FilePart {
    pub fn new(
        filename: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<Vec<u8>>,
    ) -> Self {
        FilePart {
            filename: filename.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }

    /// Reads a `.png`, `.jpg` or `.jpeg` file; the content type follows the extension.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let content_type = match ext.as_str() {
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            _ => "application/octet-stream",
        };
        let filename = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("upload")
            .to_owned();
        Ok(FilePart::new(filename, content_type, std::fs::read(path)?))
    }
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePart")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Model for FilePart {
    fn collect_unknown(&self, _: &str, _: &mut Vec<String>) {}
}

mod bytes_as_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(bytes))
    }

    /// Text, or the exact bytes as a list of numbers.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Bytes {
            Text(String),
            Raw(Vec<u8>),
        }
        Ok(match Bytes::deserialize(d)? {
            Bytes::Text(text) => text.into_bytes(),
            Bytes::Raw(bytes) => bytes,
        })
    }
}

/// Reads a reply exactly as the clients do — errcode first, then the tolerant typed
/// decode — without sending anything: to replay a reply you captured, or to test what
/// your code does with one.
///
/// ```
/// use wechat_card::card::CardBatchGetRequest;
/// let reply = br#"{"errcode":"0","card_id_list":["p1"],"total_num":"1"}"#;
/// let list = wechat_card::response::decode::<CardBatchGetRequest>(200, None, reply).unwrap();
/// assert_eq!(list.total_num, Some(1));
/// let busy = wechat_card::response::decode::<CardBatchGetRequest>(200, None, br#"{"errcode":"45009"}"#);
/// assert_eq!(busy.unwrap_err().errcode().map(|c| c.code()), Some(45009));
/// ```
#[cfg(any(feature = "async", feature = "blocking"))]
pub fn decode<E: crate::endpoint::Endpoint>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<E::Response, crate::Error> {
    crate::call::finish::<E>(status, content_type, body, &[])
}
