//! The description of one API operation, shared by the async and blocking clients.

use crate::response::Response;
use crate::validate::Validate;
use serde::Serialize;
use std::borrow::Cow;

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// Which WeChat host serves an endpoint (both are configurable, see
/// [`Config`](crate::Config)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// `https://api.weixin.qq.com`: the API.
    Api,
    /// `https://mp.weixin.qq.com`: the platform (QR code images).
    Mp,
}

/// One WeChat API operation: implemented (generated) by its request type.
///
/// Both clients send any `Endpoint` the same way: validate, add the access token,
/// send, check `errcode`, decode [`Endpoint::Response`].
pub trait Endpoint: Validate {
    /// `group.id`, e.g. `code.get`: used in errors and logs.
    const ID: &'static str;
    const METHOD: Method;
    /// Path on the host, e.g. `/card/code/get`.
    const PATH: &'static str;
    /// Whether sending it twice is harmless (see spec/README.md, `idempotent`).
    const IDEMPOTENT: bool;
    const HOST: Host = Host::Api;
    /// Whether the client adds `access_token` (not for the token endpoints themselves).
    const NEEDS_TOKEN: bool = true;
    /// For a non-idempotent endpoint: how to find out whether a call whose reply was
    /// lost went through (quoted in [`Error::Transport`](crate::Error::Transport)).
    const CHECK_OUTCOME: Option<&'static str> = None;
    /// Reply fields that hold a credential (`access_token`, `ticket`): their values are
    /// scrubbed from any error that quotes the reply.
    const REPLY_SECRETS: &'static [&'static str] = &[];
    /// Whether the documented success reply carries `errcode` 0 (most do; the token
    /// endpoints do not). A non-idempotent call's reply without one is not trusted.
    const SUCCESS_HAS_ERRCODE: bool = false;
    /// The reply fields the docs say every success carries (with
    /// `SUCCESS_HAS_ERRCODE`): a reply without errcode that has none of them either is
    /// not evidence that a non-idempotent call went through.
    const SUCCESS_FIELDS: &'static [&'static str] = &[];
    type Response: Response;

    /// The HTTP method of this request: [`METHOD`](Self::METHOD), except for an
    /// untyped [`RawRequest`](crate::raw::RawRequest), which carries its own.
    fn method(&self) -> Method {
        Self::METHOD
    }

    /// The path of this request: [`PATH`](Self::PATH), except for an untyped
    /// [`RawRequest`](crate::raw::RawRequest), which carries its own (with its query).
    fn path(&self) -> Cow<'_, str> {
        Cow::Borrowed(Self::PATH)
    }

    /// Query parameters besides `access_token`: a GET's fields and fixed ones.
    fn query(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// What goes in the request body.
    fn body(&self) -> Result<Body, serde_json::Error>;

    /// Secret values in the request (an app secret), scrubbed from every error.
    fn secrets(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    Json(Vec<u8>),
    Multipart(Vec<Part>),
}

impl Body {
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Body, serde_json::Error> {
        serde_json::to_vec(value).map(Body::Json)
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub name: &'static str,
    /// For file parts: file name and content type.
    pub file: Option<(String, String)>,
    pub data: Vec<u8>,
}

impl Part {
    pub fn text(name: &'static str, value: impl ToString) -> Part {
        Part {
            name,
            file: None,
            data: value.to_string().into_bytes(),
        }
    }

    pub fn file(name: &'static str, file: &crate::FilePart) -> Part {
        Part {
            name,
            file: Some((file.filename.clone(), file.content_type.clone())),
            data: file.bytes.clone(),
        }
    }
}

/// Encodes parts as `multipart/form-data`; returns the content type (with its
/// boundary) and the body.
pub fn encode_multipart(parts: &[Part]) -> (String, Vec<u8>) {
    // A boundary that occurs in no part.
    let mut n = 0u32;
    let boundary = loop {
        let candidate = format!("wechat-card-{n:08x}-boundary");
        if !parts
            .iter()
            .any(|p| contains(&p.data, candidate.as_bytes()))
        {
            break candidate;
        }
        n += 1;
    };
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match &part.file {
            Some((filename, content_type)) => {
                let filename = filename.replace(['"', '\r', '\n'], "_");
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{}\"; filename=\"{filename}\"\r\n\
                         Content-Type: {content_type}\r\n\r\n",
                        part.name
                    )
                    .as_bytes(),
                );
            }
            None => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                        part.name
                    )
                    .as_bytes(),
                );
            }
        }
        body.extend_from_slice(&part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
