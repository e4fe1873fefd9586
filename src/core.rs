//! The half of a call that does no I/O, shared by both clients: building the HTTP
//! request from an [`Endpoint`] and turning the reply into its response or an error.

use crate::credentials::AccessToken;
use crate::endpoint::{Endpoint, Method};
use crate::error::Error;
use crate::model::Object;
use crate::validate::china_today;
use crate::{Config, ErrCode};
use serde::Deserialize;

/// How much of an undecodable body an error quotes.
const EXCERPT_CHARS: usize = 200;

/// Checks the request against the spec: the first step of every call, before a
/// token is fetched or a connection opened.
pub(crate) fn validate<E: Endpoint>(request: &E) -> Result<(), Error> {
    request
        .check(china_today())
        .map_err(|violations| Error::InvalidRequest {
            endpoint: E::ID,
            violations,
        })
}

/// An HTTP request ready to send. `url` holds the access token: it must never be
/// logged, displayed or put into an error.
pub(crate) struct Prepared {
    pub method: Method,
    pub url: String,
    pub body: Option<Vec<u8>>,
}

pub(crate) fn prepare<E: Endpoint>(
    config: &Config,
    request: &E,
    token: &AccessToken,
) -> Result<Prepared, Error> {
    let url = format!(
        "{}{}?access_token={}",
        config.base_url_str(),
        E::PATH,
        url_encode(token.expose())
    );
    let body = match E::METHOD {
        Method::Get => None,
        Method::Post => Some(
            serde_json::to_vec(request).map_err(|e| Error::InvalidRequest {
                endpoint: E::ID,
                violations: vec![crate::validate::Violation {
                    field: String::new(),
                    rule: crate::validate::Rule::Encoding {
                        message: e.to_string(),
                    },
                }],
            })?,
        ),
    };
    Ok(Prepared {
        method: E::METHOD,
        url,
        body,
    })
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Turns a reply into the endpoint's response, an API error or a decode error.
pub(crate) fn finish<E: Endpoint>(
    status: u16,
    body: &[u8],
    token: &AccessToken,
) -> Result<E::Response, Error> {
    let decode_error = |reason: String| Error::Decode {
        endpoint: E::ID,
        status,
        reason: scrub(&reason, token.expose()),
        excerpt: scrub(&excerpt(body), token.expose()),
    };
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| decode_error(format!("not a JSON object: {e}")))?;
    if envelope.errcode != 0 {
        return Err(Error::Api {
            endpoint: E::ID,
            code: ErrCode::from(envelope.errcode),
            message: scrub(&envelope.errmsg, token.expose()),
        });
    }
    if !(200..300).contains(&status) {
        return Err(decode_error(format!(
            "HTTP status {status} without an errcode"
        )));
    }
    let mut response: E::Response = serde_json::from_slice(body)
        .map_err(|e| decode_error(format!("does not match the documented reply: {e}")))?;
    // errcode 0 and errmsg "ok" were checked above; they are not part of the model.
    let extra = response.extra_mut();
    extra.remove("errcode");
    extra.remove("errmsg");
    Ok(response)
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Replaces every occurrence of `secret` (and its URL-encoded form) in `text`.
pub(crate) fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let encoded = url_encode(secret);
    text.replace(secret, "***").replace(&encoded, "***")
}
