//! What every sandbox endpoint shares: decoding the request as the spec encodes it,
//! the access token check, the spec's validators (with the sandbox clock's "today"),
//! injected faults (before the endpoint runs, or on its reply after), and the reply.

use super::clock::Clock;
use super::faults::{Fault, Faults};
use super::tokens::Tokens;
use crate::endpoint::{Endpoint, Method};
use crate::validate::{Rule, Violation};
use crate::{Binary, ErrCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// One HTTP request as the sandbox received it.
#[derive(Debug)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Call {
    /// Whether the query holds every `key=value` pair (the fixed query that tells apart
    /// endpoints sharing a path).
    pub fn has_query(&self, pairs: &[(&str, &str)]) -> bool {
        pairs.iter().all(|(k, v)| self.query(k) == Some(*v))
    }

    /// Whether this call is the route `path` of a `ROUTES` row (a path, with the fixed
    /// query after `?` when endpoints share it).
    pub(crate) fn is_route(&self, path: &str) -> bool {
        match path.split_once('?') {
            None => self.path == path,
            Some((path, query)) => {
                let pairs: Vec<(&str, &str)> = query
                    .split('&')
                    .filter_map(|pair| pair.split_once('='))
                    .collect();
                self.path == path && self.has_query(&pairs)
            }
        }
    }

    fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// How a field of a query or multipart request travels (generated per endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// The generator emits Int and Bool for such fields; today's spec has none.
#[allow(dead_code)]
pub enum Kind {
    Text,
    Int,
    Bool,
    File,
}

/// What the operations share with the gate in front of them.
pub struct Context {
    pub(crate) clock: Arc<Clock>,
    pub(crate) faults: Arc<Faults>,
    pub(crate) tokens: Arc<Tokens>,
    /// Daily calls per API path (45009 past the limit).
    pub(crate) quota: Arc<super::quota::Quota>,
}

/// A WeChat error reply (or, for showqrcode, an HTTP 404).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub errcode: i64,
    pub errmsg: String,
    /// Not 200 only where WeChat answers with an HTTP status (showqrcode's 404).
    pub http_status: u16,
    /// Fields the reply carries besides `errcode` and `errmsg` (45065 names the
    /// existing mass job).
    pub fields: Map<String, Value>,
}

impl Failure {
    pub fn new(code: ErrCode, errmsg: impl Into<String>) -> Self {
        Failure {
            errcode: code.code(),
            errmsg: errmsg.into(),
            http_status: 200,
            fields: Map::new(),
        }
    }

    pub fn not_found() -> Self {
        Failure {
            errcode: 0,
            errmsg: "not found".into(),
            http_status: 404,
            fields: Map::new(),
        }
    }

    /// The same failure, its reply carrying `key` too.
    pub fn with_field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.fields.insert(key.to_owned(), value.into());
        self
    }
}

/// What goes back on the wire.
#[derive(Debug)]
pub enum Reply {
    Json(u16, Value),
    Raw {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// A reply as an injected fault delivers it: not at all, late, slowly or cut
    /// short (see `wire`).
    Faulted(Fault, Box<Reply>),
}

impl Reply {
    pub fn not_found() -> Reply {
        Reply::Json(
            404,
            json!({"errcode": 404, "errmsg": "no such API in the sandbox"}),
        )
    }

    fn failure(f: Failure) -> Reply {
        if f.http_status != 200 {
            return Reply::Raw {
                status: f.http_status,
                content_type: "text/plain".into(),
                body: f.errmsg.into_bytes(),
            };
        }
        let mut body = Map::new();
        body.insert("errcode".into(), f.errcode.into());
        body.insert("errmsg".into(), f.errmsg.into());
        body.extend(f.fields);
        Reply::Json(200, Value::Object(body))
    }

    fn ok<T: Serialize>(body: &T) -> Reply {
        let mut value = serde_json::to_value(body).unwrap_or_else(|_| json!({}));
        if let Some(map) = value.as_object_mut() {
            // WeChat's replies carry these first; ours go back the same way.
            let mut out = Map::new();
            out.insert("errcode".into(), json!(0));
            out.insert("errmsg".into(), json!("ok"));
            out.extend(std::mem::take(map));
            value = Value::Object(out);
        }
        Reply::Json(200, value)
    }
}

/// The errcode WeChat documents for a broken rule of endpoint `endpoint`.
fn errcode_for(endpoint: &str, violation: &Violation) -> ErrCode {
    // The mass-message codes (全局返回码): mass/send's openid list, clientmsgid. Keyed
    // on the endpoint too, so another endpoint's field of the same name keeps the
    // general codes.
    match (endpoint, violation.field.as_str(), &violation.rule) {
        ("message.mass_send", "touser", Rule::MinItems { .. }) => {
            return ErrCode::InvalidOpenidListSize;
        }
        ("message.mass_send" | "message.mass_send_all", "clientmsgid", Rule::MaxBytes { .. }) => {
            return ErrCode::ClientMsgIdTooLong;
        }
        _ => {}
    }
    match &violation.rule {
        Rule::Required => ErrCode::MissingRequiredField,
        Rule::MaxBytes { .. } | Rule::MaxChars { .. } => ErrCode::FieldTooLong,
        Rule::DateFormat { .. } => ErrCode::DateFormatError,
        Rule::DateOrder { .. } | Rule::MaxDays { .. } | Rule::BeforeToday { .. } => {
            ErrCode::DateRangeError
        }
        _ => ErrCode::InvalidArgs,
    }
}

/// Builds a request from query pairs or multipart parts, typed per `kinds`.
fn decode_fields<E: DeserializeOwned>(
    pairs: Vec<(String, FieldValue)>,
    kinds: &[(&str, Kind)],
) -> Result<E, Failure> {
    let mut object = Map::new();
    for (name, kind) in kinds {
        let Some((_, value)) = pairs.iter().find(|(k, _)| k == name) else {
            continue;
        };
        let bad = || Failure::new(ErrCode::InvalidArgs, format!("invalid {name}"));
        let json = match (kind, value) {
            (Kind::Text, FieldValue::Text(s)) => json!(s),
            (Kind::Int, FieldValue::Text(s)) => json!(s.parse::<i64>().map_err(|_| bad())?),
            (Kind::Bool, FieldValue::Text(s)) => json!(s.parse::<bool>().map_err(|_| bad())?),
            (
                Kind::File,
                FieldValue::File {
                    filename,
                    content_type,
                    bytes,
                },
            ) => {
                json!({"filename": filename, "content_type": content_type, "bytes": bytes})
            }
            _ => return Err(bad()),
        };
        object.insert((*name).to_owned(), json);
    }
    serde_json::from_value(Value::Object(object)).map_err(missing_or_malformed)
}

fn missing_or_malformed(e: serde_json::Error) -> Failure {
    let text = e.to_string();
    if text.contains("missing field") {
        Failure::new(
            ErrCode::MissingRequiredField,
            format!("missing required field: {text}"),
        )
    } else {
        Failure::new(ErrCode::MalformedBody, format!("data format error: {text}"))
    }
}

enum FieldValue {
    Text(String),
    File {
        filename: String,
        content_type: String,
        bytes: Vec<u8>,
    },
}

/// Splits a `multipart/form-data` body into its parts.
fn multipart(content_type: Option<&str>, body: &[u8]) -> Option<Vec<(String, FieldValue)>> {
    let boundary = content_type?.split("boundary=").nth(1)?.trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, &delimiter) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let rest_trimmed = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let header_end = find(rest_trimmed, b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&rest_trimmed[..header_end]).to_string();
        let data_start = &rest_trimmed[header_end + 4..];
        let data_end = find(data_start, &delimiter)?;
        let data = data_start[..data_end]
            .strip_suffix(b"\r\n")
            .unwrap_or(&data_start[..data_end]);
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            let at = headers.find(&key)? + key.len();
            Some(headers[at..].split('"').next()?.to_owned())
        };
        let name = attr("name")?;
        let value = match attr("filename") {
            Some(filename) => {
                let content_type = headers
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("Content-Type: ")
                            .or_else(|| l.strip_prefix("content-type: "))
                    })
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                FieldValue::File {
                    filename,
                    content_type,
                    bytes: data.to_vec(),
                }
            }
            None => FieldValue::Text(String::from_utf8_lossy(data).into_owned()),
        };
        parts.push((name, value));
        rest = data_start;
    }
    Some(parts)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The faults that strike before the endpoint runs; `Ok` carries the one that strikes
/// its reply after it ran, if any.
async fn strike_before<E: Endpoint>(ctx: &Context, call: &Call) -> Result<Option<Fault>, Reply> {
    let appid = appid_of::<E>(ctx, call);
    let failure = |errcode, errmsg: &str| {
        Reply::failure(Failure {
            errcode,
            errmsg: errmsg.into(),
            http_status: 200,
            fields: Map::new(),
        })
    };
    match ctx.faults.draw(E::ID, appid.as_deref()).fault {
        Some(Fault::Latency(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::ErrCode(code)) => return Err(failure(code, "injected by the sandbox")),
        Some(Fault::ExpiredToken) if E::NEEDS_TOKEN => {
            let code = ErrCode::AccessTokenExpired.code();
            return Err(failure(code, "access_token expired (injected)"));
        }
        Some(Fault::MalformedBody) => {
            let body = b"<html><body><h1>502 Bad Gateway</h1>injected by the sandbox</body></html>"
                .to_vec();
            return Err(Reply::Raw {
                status: 502,
                content_type: "text/html".into(),
                body,
            });
        }
        Some(Fault::ServerError { status, errcode }) => {
            let errmsg = format!("system error (HTTP {status} injected by the sandbox)");
            return Err(Reply::Json(
                status,
                json!({"errcode": errcode, "errmsg": errmsg}),
            ));
        }
        Some(fault @ (Fault::DropConnection | Fault::Reset)) => {
            return Err(Reply::Faulted(fault, Box::new(Reply::Json(200, json!({})))));
        }
        Some(fault) if fault.takes_effect() => return Ok(Some(fault)),
        _ => {}
    }
    Ok(None)
}

/// The app a call is made for: its token's, or the token request's `appid`.
fn appid_of<E: Endpoint>(ctx: &Context, call: &Call) -> Option<String> {
    if E::NEEDS_TOKEN {
        return ctx.tokens.appid_of(call.query("access_token")?);
    }
    if let Some(appid) = call.query("appid") {
        return Some(appid.to_owned());
    }
    let body: Value = serde_json::from_slice(&call.body).ok()?;
    body["appid"].as_str().map(str::to_owned)
}

/// `reply` as a fault that strikes after the endpoint ran delivers it.
fn strike_after(fault: Option<Fault>, reply: Reply) -> Reply {
    match fault {
        Some(fault) => Reply::Faulted(fault, Box::new(reply)),
        None => reply,
    }
}

/// The gate every call passes after the faults: token, decoding, the spec's rules.
fn admit<E: Endpoint + DeserializeOwned>(
    ctx: &Context,
    call: &Call,
    kinds: &[(&str, Kind)],
) -> Result<E, Reply> {
    if E::NEEDS_TOKEN {
        ctx.tokens
            .check(call.query("access_token"), ctx.clock.now_ms())
            .map_err(Reply::failure)?;
        // Calls WeChat accepted the token of count against the path's daily quota.
        let now = ctx.clock.now_ms();
        ctx.quota
            .spend(&call.path, ctx.clock.china_today(), now / 1000)
            .map_err(Reply::failure)?;
    }
    let request: E = match (E::METHOD, kinds.iter().any(|(_, k)| *k == Kind::File)) {
        (Method::Get, _) => {
            let pairs = call
                .query
                .iter()
                .map(|(k, v)| (k.clone(), FieldValue::Text(v.clone())))
                .collect();
            decode_fields(pairs, kinds).map_err(Reply::failure)?
        }
        (Method::Post, true) => {
            let parts = multipart(call.content_type.as_deref(), &call.body).ok_or_else(|| {
                Reply::failure(Failure::new(
                    ErrCode::MalformedBody,
                    "not a multipart/form-data body",
                ))
            })?;
            decode_fields(parts, kinds).map_err(Reply::failure)?
        }
        (Method::Post, false) => serde_json::from_slice(&call.body)
            .map_err(|e| Reply::failure(missing_or_malformed(e)))?,
    };
    if let Err(violations) = request.check(ctx.clock.china_today()) {
        let first = &violations[0];
        return Err(Reply::failure(Failure::new(
            errcode_for(E::ID, first),
            first.to_string(),
        )));
    }
    Ok(request)
}

/// Runs a JSON endpoint's operation behind the gate.
pub(crate) async fn run<E, F>(
    ctx: &Context,
    call: &Call,
    kinds: &[(&str, Kind)],
    operation: F,
) -> Reply
where
    E: Endpoint + DeserializeOwned,
    E::Response: Serialize,
    F: FnOnce(E) -> Result<E::Response, Failure>,
{
    let after = match strike_before::<E>(ctx, call).await {
        Ok(after) => after,
        Err(reply) => return reply,
    };
    let reply = match admit::<E>(ctx, call, kinds) {
        Ok(request) => match operation(request) {
            Ok(reply) => Reply::ok(&reply),
            Err(failure) => Reply::failure(failure),
        },
        Err(reply) => reply,
    };
    strike_after(after, reply)
}

/// Runs a binary endpoint's operation (showqrcode) behind the gate.
pub(crate) async fn run_binary<E, F>(
    ctx: &Context,
    call: &Call,
    kinds: &[(&str, Kind)],
    operation: F,
) -> Reply
where
    E: Endpoint<Response = Binary> + DeserializeOwned,
    F: FnOnce(E) -> Result<Binary, Failure>,
{
    let after = match strike_before::<E>(ctx, call).await {
        Ok(after) => after,
        Err(reply) => return reply,
    };
    let reply = match admit::<E>(ctx, call, kinds) {
        Ok(request) => match operation(request) {
            Ok(image) => Reply::Raw {
                status: 200,
                content_type: image
                    .content_type
                    .unwrap_or_else(|| "application/octet-stream".into()),
                body: image.bytes,
            },
            Err(failure) => Reply::failure(failure),
        },
        Err(reply) => reply,
    };
    strike_after(after, reply)
}
