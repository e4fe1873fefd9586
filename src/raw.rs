//! Untyped calls: any path, JSON in, JSON out — for what the spec does not know yet.
//!
//! A [`RawRequest`] goes through the same path as a typed request (see
//! [`Client::raw`](crate::Client::raw) and
//! [`blocking::Client::raw`](crate::blocking::Client::raw)): the access token is added
//! and renewed when WeChat rejects it (40001, 40014, 42001), a non-zero `errcode` is
//! [`Error::Api`](crate::Error::Api), and the token never shows in an error, a `Debug`
//! print or a log line. What the spec cannot say for an unknown endpoint, the caller
//! says: whether it is [`idempotent`](RawRequest::idempotent). By default it is not, so
//! once it may have reached WeChat it is never sent again.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), wechat_card::Error> {
//! # let sandbox = wechat_card::sandbox::Sandbox::start().await?;
//! # let client = sandbox.client()?;
//! use serde_json::json;
//! use wechat_card::raw::RawRequest;
//!
//! // A query, safe to send again: declared idempotent, so it is retried like a typed one.
//! let colors = client.raw(&RawRequest::get("/card/getcolors").idempotent()).await?;
//! assert!(colors["colors"].is_array());
//! // errcode and errmsg are read by the client, never handed back.
//! assert!(colors.get("errcode").is_none());
//!
//! // WeChat's refusal is an error, whatever else the reply holds.
//! let err = client
//!     .raw(&RawRequest::post("/card/get", json!({ "card_id": "no-such-card" })).idempotent())
//!     .await
//!     .unwrap_err();
//! assert!(err.errcode().is_some());
//! # Ok(()) }
//! ```

use crate::endpoint::{Body, Endpoint, Method};
use crate::response::{Envelope, Response};
use crate::validate::{Checker, Validate};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// An untyped request: a method, a path on the API host, query parameters and (for a
/// POST) a JSON object body. Its reply is a [`serde_json::Value`].
///
/// Checked before sending (an [`Error::InvalidRequest`](crate::Error::InvalidRequest)
/// naming `path`, `query` or `body`, and nothing sent): the path starts with `/`,
/// is printable ASCII (percent-encode anything else) with no query or fragment of its
/// own (use [`query`](Self::query)), nor a `.`, `..`
/// or empty segment or a `\` that a URL parser would resolve; nobody but the
/// client sets `access_token`; a POST body is a JSON object, as every body of the API
/// is.
///
/// Its `Debug` shows the method, path, query keys and body keys — never a value,
/// since the spec cannot say which of an unknown endpoint's values are secret.
#[derive(Clone, PartialEq)]
pub struct RawRequest {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    idempotent: bool,
}

impl RawRequest {
    /// A `GET` of `path` (e.g. `/card/getcolors`), not idempotent until declared so.
    pub fn get(path: impl Into<String>) -> Self {
        RawRequest {
            method: Method::Get,
            path: path.into(),
            query: Vec::new(),
            body: None,
            idempotent: false,
        }
    }

    /// A `POST` of `body` (a JSON object) to `path`, not idempotent until declared so.
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        RawRequest {
            method: Method::Post,
            path: path.into(),
            query: Vec::new(),
            body: Some(body),
            idempotent: false,
        }
    }

    /// Adds a query parameter (URL-encoded when sent), besides the `access_token` the
    /// client adds.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Declares that sending the request again after it took effect changes nothing
    /// (a query, an absolute update): then a lost reply, "system busy" (-1) or a
    /// gateway's 5xx is retried per the [`RetryPolicy`](crate::RetryPolicy), as for
    /// a typed idempotent call. Without it, the request is sent again only when it
    /// surely never reached WeChat (a refused connection, a rejected token).
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Whether the request was declared idempotent.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    /// The path, with its query parameters, as sent (before the access token).
    fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        for (i, (key, value)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&crate::call::url_encode(key));
            out.push('=');
            out.push_str(&crate::call::url_encode(value));
        }
        out
    }
}

impl fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query: Vec<&str> = self.query.iter().map(|(k, _)| k.as_str()).collect();
        let body: Option<Vec<&str>> = self.body.as_ref().map(|b| match b {
            Value::Object(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        });
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_keys", &query)
            .field("body_keys", &body)
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

impl Validate for RawRequest {
    fn validate(&self, c: &mut Checker) {
        let path = &self.path;
        c.check(
            "path",
            path.starts_with('/') && path.len() > 1,
            "must start with `/` and name an endpoint",
            "it is a path on the API host, such as /card/getcolors",
        );
        c.check(
            "path",
            !path.contains(['?', '#']) && path.bytes().all(|b| b.is_ascii_graphic()),
            "must be printable ASCII, with no `?`, `#` or space",
            "query parameters go through RawRequest::query, where they are URL-encoded; \
             anything else in a path is percent-encoded by the caller, as the two clients' \
             HTTP libraries would not do it alike",
        );
        c.check(
            "path",
            !has_dot_or_empty_segment(path),
            "must hold no `.` or `..` segment, no empty segment (`//`) and no `\\`",
            "it names an endpoint of the API host as it is: a URL parser would resolve \
             those against the base URL (a `..` climbs out of a base URL's own path)",
        );
        c.check(
            "query",
            !self.query.iter().any(|(k, _)| k == "access_token"),
            "must not set access_token",
            "the client adds the token itself, and renews it when WeChat rejects it",
        );
        if self.method == Method::Post {
            c.check(
                "body",
                self.body.as_ref().is_some_and(Value::is_object),
                "must be a JSON object",
                "every request body of the WeChat API is a JSON object",
            );
        }
    }
}

/// Whether `path` (after its leading `/`) has a segment a URL parser would resolve or
/// read otherwise: `.` or `..` (also percent-encoded, `%2e`), an empty one (`//`, which
/// also reads as the start of another host's URL), or a `\` (a `/` to browsers' and
/// WHATWG parsers).
fn has_dot_or_empty_segment(path: &str) -> bool {
    let rest = path.strip_prefix('/').unwrap_or(path);
    path.contains('\\')
        || rest.split('/').any(|segment| {
            let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
            segment.is_empty() || decoded == "." || decoded == ".."
        })
}

/// A [`RawRequest`] as an [`Endpoint`], its idempotency fixed at compile time so that
/// the clients' one sending path decides retries for it as for any typed call.
pub(crate) struct RawCall<'a, const IDEMPOTENT: bool>(pub(crate) &'a RawRequest);

impl<const IDEMPOTENT: bool> Validate for RawCall<'_, IDEMPOTENT> {
    fn validate(&self, c: &mut Checker) {
        self.0.validate(c);
    }
}

impl<const IDEMPOTENT: bool> Endpoint for RawCall<'_, IDEMPOTENT> {
    const ID: &'static str = "raw";
    // The method and path are the request's own (see `method` and `path` below).
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "";
    const IDEMPOTENT: bool = IDEMPOTENT;
    // Whatever the endpoint, a credential in its reply is never quoted in an error.
    const REPLY_SECRETS: &'static [&'static str] = &["access_token", "ticket"];
    type Response = Value;

    fn method(&self) -> Method {
        self.0.method
    }

    fn path(&self) -> Cow<'_, str> {
        Cow::Owned(self.0.path_and_query())
    }

    fn body(&self) -> Result<Body, serde_json::Error> {
        match &self.0.body {
            Some(body) if self.0.method == Method::Post => Body::json(body),
            _ => Ok(Body::Empty),
        }
    }
}

/// A raw reply: any JSON object, `errcode` and `errmsg` taken out by the client.
impl Response for Value {
    fn from_body(_: Option<&str>, body: &[u8]) -> Result<Self, String> {
        match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => Ok(Value::Object(map)),
            Ok(_) => Err("not a JSON object".to_owned()),
            Err(e) => Err(format!("not JSON: {e}")),
        }
    }

    fn take_envelope(&mut self) -> Result<Envelope, String> {
        match self {
            Value::Object(map) => crate::response::take_envelope(map),
            _ => crate::response::take_envelope(&mut Map::new()),
        }
    }
}
