//! The half of a call that does no I/O, shared by both clients: building the HTTP
//! request from an [`Endpoint`] and turning the reply into its response or an error.

use crate::credentials::AccessToken;
use crate::endpoint::{Body, Endpoint, Host, Method, encode_multipart};
use crate::error::Error;
use crate::model::Model;
use crate::response::Response;
use crate::validate::{Rule, Violation};
use crate::{Config, ErrCode};

/// How much of an undecodable body an error quotes.
const EXCERPT_CHARS: usize = 200;

/// Checks the request against the spec: the first step of every call, before a
/// token is fetched or a connection opened.
pub(crate) fn validate<E: Endpoint>(config: &Config, request: &E) -> Result<(), Error> {
    request
        .check(config.china_today())
        .map_err(|violations| Error::InvalidRequest {
            endpoint: E::ID,
            violations,
        })
}

/// An HTTP request ready to send. `url` may hold the access token or an app secret:
/// it must never be logged, displayed or put into an error.
pub(crate) struct Prepared {
    pub method: Method,
    pub url: String,
    /// `Content-Type` and bytes, unless the request has no body.
    pub body: Option<(String, Vec<u8>)>,
    /// Everything to scrub from error messages: the token and secret request fields.
    pub secrets: Vec<String>,
}

pub(crate) fn prepare<E: Endpoint>(
    config: &Config,
    request: &E,
    token: Option<&AccessToken>,
) -> Result<Prepared, Error> {
    let base = match E::HOST {
        Host::Api => config.base_url_str(),
        Host::Mp => config.mp_base_url_str(),
    };
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(token) = token {
        query.push(("access_token", token.expose().to_owned()));
    }
    query.extend(request.query());
    let path = request.path();
    let mut url = format!("{base}{path}");
    // A raw request's path may carry its own query already.
    let first = if path.contains('?') { '&' } else { '?' };
    for (i, (key, value)) in query.iter().enumerate() {
        url.push(if i == 0 { first } else { '&' });
        url.push_str(key);
        url.push('=');
        url.push_str(&url_encode(value));
    }
    let encoding_error = |e: serde_json::Error| Error::InvalidRequest {
        endpoint: E::ID,
        violations: vec![Violation {
            field: String::new(),
            rule: Rule::Encoding {
                message: e.to_string(),
            },
        }],
    };
    let body = match request.body().map_err(encoding_error)? {
        Body::Empty => None,
        Body::Json(bytes) => Some(("application/json".to_owned(), bytes)),
        Body::Multipart(parts) => Some(encode_multipart(&parts)),
    };
    let mut secrets: Vec<String> = request.secrets().into_iter().map(str::to_owned).collect();
    secrets.extend(token.map(|t| t.expose().to_owned()));
    Ok(Prepared {
        method: request.method(),
        url,
        body,
        secrets,
    })
}

/// `errcode` and `errmsg` of a reply the typed decode refused (or an image endpoint's
/// JSON): read from any JSON object, whatever else it holds.
fn envelope(body: &[u8]) -> Result<crate::response::Envelope, String> {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("not a JSON object: {e}"))?;
    crate::response::take_envelope(&mut object)
}

/// Turns a reply into the endpoint's response, an API error or a decode error.
pub(crate) fn finish<E: Endpoint>(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    secrets: &[String],
) -> Result<E::Response, Error> {
    // Nothing in the reply says whether the call took effect (a proxy's page, a body
    // that is not WeChat's): for a non-idempotent call the outcome is unknown.
    let decode_error =
        |reason: String| undecodable::<E>(status, reason, body, secrets, Outcome::Unknown);
    let is_json = content_type.is_none_or(|t| t.contains("json") || t.starts_with("text/plain"));
    if E::Response::BINARY && (200..300).contains(&status) && !is_json {
        return E::Response::from_body(content_type, body).map_err(decode_error);
    }
    if E::Response::BINARY {
        // A JSON reply where an image was expected: WeChat's error, or nothing.
        let envelope = envelope(body).map_err(decode_error)?;
        let (code, message) = (envelope.errcode, envelope.errmsg);
        if code == 0 && !(200..300).contains(&status) {
            return Err(decode_error(format!(
                "HTTP status {status} without an errcode"
            )));
        }
        if code != 0 {
            return Err(api_error::<E>(code, &message, body, secrets));
        }
        return Err(decode_error(format!(
            "expected binary content, got HTTP {status} without an errcode"
        )));
    }
    // One pass in the common case: the typed decode captures errcode and errmsg.
    let (envelope, decoded) = match E::Response::from_body(content_type, body) {
        Ok(mut reply) => (reply.take_envelope().map_err(decode_error)?, Ok(reply)),
        // A reply the model refuses may still be WeChat's error: read its envelope.
        Err(reason) => (envelope(body).map_err(decode_error)?, Err(reason)),
    };
    if envelope.errcode != 0 {
        return Err(api_error::<E>(
            envelope.errcode,
            &envelope.errmsg,
            body,
            secrets,
        ));
    }
    // Its documented success says errcode 0: a JSON object with neither that nor the
    // fields every success carries (a captive portal's, a proxy's) is not WeChat's word
    // that a non-idempotent call went through.
    if !envelope.present && E::SUCCESS_HAS_ERRCODE && !E::IDEMPOTENT {
        let missing = decoded
            .as_ref()
            .map(|r| r.missing_fields())
            .unwrap_or_default();
        if E::SUCCESS_FIELDS
            .iter()
            .all(|f| missing.iter().any(|m| m == f))
        {
            return Err(decode_error(
                "neither errcode nor the fields of a documented success: the reply may not be WeChat's"
                    .into(),
            ));
        }
    }
    if !(200..300).contains(&status) {
        return Err(decode_error(format!(
            "HTTP status {status} without an errcode"
        )));
    }
    // errcode 0: WeChat did what was asked, it is the reply that cannot be read.
    let reply = decoded.map_err(|reason| {
        let reason = format!(
            "WeChat reported success (errcode 0): the call took effect, do not send it again; but {reason}"
        );
        undecodable::<E>(status, reason, body, secrets, Outcome::Succeeded)
    })?;
    let missing = reply.missing_fields();
    if !missing.is_empty() {
        note_missing(E::ID, &missing);
    }
    Ok(reply)
}

/// Logs what a reply lacked (it is handed back all the same: WeChat leaves fields out
/// routinely): a warning the first time an endpoint's reply lacks these fields in
/// this process, at debug level after, so a service's logs are not flooded.
fn note_missing(endpoint: &'static str, missing: &[String]) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let key = format!("{endpoint} {}", missing.join(","));
    let first = {
        let mut seen = SEEN
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // A bound on what is remembered, whatever the replies.
        seen.len() < 4096 && seen.insert(key)
    };
    if first {
        tracing::warn!(endpoint, ?missing, "reply lacks documented fields");
    } else {
        tracing::debug!(endpoint, ?missing, "reply lacks documented fields");
    }
}

/// What an unreadable reply says about the call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing: a proxy's page, a reply cut short.
    Unknown,
    /// errcode 0: the call took effect.
    Succeeded,
}

/// [`Error::Decode`], secrets scrubbed from the whole body before it is cut to an
/// excerpt.
pub(crate) fn undecodable<E: Endpoint>(
    status: u16,
    reason: String,
    body: &[u8],
    secrets: &[String],
    outcome: Outcome,
) -> Error {
    // A reply may carry a new credential: its values are secrets too. A reply that
    // should carry one but cannot be read as JSON is not quoted at all.
    let mut secrets = secrets.to_vec();
    let mut quotable = true;
    if !E::REPLY_SECRETS.is_empty() {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(reply) => reply_secrets(&reply, E::REPLY_SECRETS, &mut secrets),
            Err(_) => quotable = false,
        }
    }
    let excerpt = match quotable {
        true => excerpt(&scrub_all(&String::from_utf8_lossy(body), &secrets)),
        false => "(withheld: this reply may carry a credential)".to_owned(),
    };
    Error::Decode {
        endpoint: E::ID,
        status,
        reason: scrub_all(&reason, &secrets),
        excerpt,
        check: match E::IDEMPOTENT || outcome == Outcome::Succeeded {
            true => None,
            false => Some(E::CHECK_OUTCOME.unwrap_or(crate::error::CHECK_WHETHER_DONE)),
        },
        reported_success: outcome == Outcome::Succeeded,
    }
}

/// What a timeout error says: the phase, and the setting that bounds it.
pub(crate) fn timed_out(phase: crate::error::TimeoutPhase, config: &Config) -> String {
    use crate::error::TimeoutPhase::Connect;
    match phase {
        Connect => format!(
            "timed out connecting (Config::connect_timeout = {:?})",
            config.connect_timeout_duration()
        ),
        phase => format!(
            "timed out {phase} (Config::timeout = {:?})",
            config.timeout_duration()
        ),
    }
}

/// An error and its sources, one message: "error sending request" alone says nothing.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The text of every value under one of `keys`, at any depth, added to `out`.
fn reply_secrets(value: &serde_json::Value, keys: &[&str], out: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if keys.contains(&k.as_str()) {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        Value::Null => {}
                        other => out.push(other.to_string()),
                    }
                }
                reply_secrets(v, keys, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| reply_secrets(v, keys, out)),
        _ => {}
    }
}

/// A reply larger than the configured limit: refused unread.
pub(crate) fn too_large<E: Endpoint>(status: u16, limit: usize, secrets: &[String]) -> Error {
    let reason = format!(
        "the reply is larger than {limit} bytes (Config::max_reply_bytes); it was not read"
    );
    undecodable::<E>(status, reason, b"", secrets, Outcome::Unknown)
}

/// A 3xx reply: WeChat's API never redirects, so the target is not WeChat and the
/// redirect is not followed (it would carry the token or the app secret elsewhere).
pub(crate) fn redirected<E: Endpoint>(
    status: u16,
    location: Option<&str>,
    secrets: &[String],
) -> Error {
    Error::Redirect {
        endpoint: E::ID,
        status,
        target: location.map(|l| host_of(&scrub_all(l, secrets))),
        // Something answered: the request reached a server, maybe WeChat's.
        check: (!E::IDEMPOTENT)
            .then_some(E::CHECK_OUTCOME.unwrap_or(crate::error::CHECK_WHETHER_DONE)),
    }
}

/// `scheme://host:port` of a URL (a relative one is shown as it is, without its query).
fn host_of(url: &str) -> String {
    let no_query = url.split(['?', '#']).next().unwrap_or_default();
    match no_query.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or_default();
            let host = host.rsplit('@').next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => no_query.to_owned(),
    }
}

fn api_error<E: Endpoint>(errcode: i64, errmsg: &str, body: &[u8], secrets: &[String]) -> Error {
    let code = ErrCode::from(errcode);
    // "System busy" to a call that is not idempotent: it may or may not have happened.
    let unknown = code == ErrCode::SystemBusy && !E::IDEMPOTENT;
    Error::api(
        E::ID,
        code,
        scrub_all(errmsg, secrets),
        // A raw call has no check of its own: the general advice, never none.
        unknown.then(|| E::CHECK_OUTCOME.unwrap_or(crate::error::CHECK_WHETHER_DONE)),
        E::NEEDS_TOKEN,
    )
    .with_details(error_details(body, secrets))
}

/// An error reply's fields besides `errcode` and `errmsg`, secrets scrubbed at any
/// depth (read once more: errors are rare, and the decode path stays one pass).
fn error_details(body: &[u8], secrets: &[String]) -> serde_json::Map<String, serde_json::Value> {
    let Ok(mut fields) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
    else {
        return serde_json::Map::new();
    };
    fields.remove("errcode");
    fields.remove("errmsg");
    if fields.is_empty() {
        return fields;
    }
    let text = serde_json::Value::Object(fields).to_string();
    serde_json::from_str(&scrub_all(&text, secrets)).unwrap_or_default()
}

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn url_encode(s: &str) -> String {
    percent_encode(s, false, false)
}

/// `%XX` for every byte but letters and digits (and, unless `all`, `-_.~`).
fn percent_encode(s: &str, lower: bool, all: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let unreserved = matches!(b, b'-' | b'_' | b'.' | b'~') && !all;
        if b.is_ascii_alphanumeric() || unreserved {
            out.push(b as char);
        } else if lower {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Replaces every occurrence of `secret` in `text`, in every form a reply or an
/// error may quote it: as is, URL-encoded (either hex case, `+` for a space, with or
/// without `-_.~` encoded too), and
/// JSON-escaped (`\/` for `/`).
pub(crate) fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"');
    let mut forms = vec![
        secret.to_owned(),
        percent_encode(secret, false, false),
        percent_encode(secret, true, false),
        percent_encode(secret, false, true),
        percent_encode(secret, true, true),
        form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        json.to_owned(),
        json.replace('/', "\\/"),
    ];
    // The longest first, so that no form leaves part of a longer one behind.
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    forms.dedup();
    forms
        .iter()
        .fold(text.to_owned(), |t, form| t.replace(form.as_str(), "***"))
}

/// [`scrub`] for every secret of a call.
pub(crate) fn scrub_all(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |t, s| scrub(&t, s))
}

/// The full URL of a GET endpoint that needs no token (showqrcode): a link to hand to
/// a browser or an `<img>` tag. Validated like a call; nothing is sent.
pub(crate) fn url_for<E: Endpoint>(config: &Config, request: &E) -> Result<String, Error> {
    debug_assert!(
        !E::NEEDS_TOKEN && E::METHOD == Method::Get,
        "only token-free GETs have a public URL"
    );
    validate(config, request)?;
    Ok(prepare(config, request, None)?.url)
}

/// Whether (and after how long) a failed attempt is sent again; see
/// [`RetryPolicy`](crate::config::RetryPolicy). Token errors are handled apart.
pub(crate) fn retry_delay<E: Endpoint>(
    policy: &crate::config::RetryPolicy,
    error: &Error,
    attempt: u32,
) -> Option<std::time::Duration> {
    if attempt > policy.max_retries {
        return None;
    }
    let retryable = match error {
        // It never reached WeChat: safe for any call.
        Error::Transport {
            maybe_sent: false, ..
        } => true,
        Error::Transport { .. } => E::IDEMPOTENT,
        // System busy. Rate limiting (45009) and everything else is surfaced.
        Error::Api { code, .. } => E::IDEMPOTENT && code.code() == -1,
        // A gateway's 502/503/504 page: WeChat (or the way to it) is having a moment.
        Error::Decode { status, .. } => E::IDEMPOTENT && *status >= 500,
        _ => false,
    };
    retryable.then(|| policy.backoff(attempt))
}

/// What a client does after a failed attempt: the one decision both clients' loops
/// follow (they differ only in how they wait and fetch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// WeChat refused the token, so the call had no effect: renew it and send again.
    RenewToken,
    /// Send again after this pause.
    Retry(std::time::Duration),
    /// Return the error.
    GiveUp,
}

/// The next step after `error` on attempt `attempt`; `may_renew` while the token can
/// still be renewed (there is one, and it has not been renewed for this call yet).
pub(crate) fn next<E: Endpoint>(
    policy: &crate::config::RetryPolicy,
    error: &Error,
    attempt: u32,
    may_renew: bool,
) -> Next {
    if may_renew && is_token_error(error) {
        return Next::RenewToken;
    }
    match retry_delay::<E>(policy, error, attempt) {
        Some(delay) => Next::Retry(delay),
        None => Next::GiveUp,
    }
}

/// After a failed credential fetch (try number `tries`): the pause before the next try,
/// or `None` when the failure is final (not transient, or the policy's tries are spent).
pub(crate) fn credential_retry(
    policy: &crate::config::RetryPolicy,
    error: &Error,
    tries: u32,
) -> Option<std::time::Duration> {
    (tries <= policy.max_retries && transient(error)).then(|| policy.backoff(tries))
}

/// A token error that a fresh token may cure (40001, 40014, 42001).
pub(crate) fn is_token_error(error: &Error) -> bool {
    error.errcode().is_some_and(|c| c.is_token_error())
}

/// A failure to obtain a credential, as the call that needed it reports it.
pub(crate) fn credentials_error(what: &str, error: Error) -> Error {
    match error {
        already @ Error::Credentials { .. } => already,
        other => Error::Credentials {
            message: format!("could not get {what}: {other}"),
            source: Some(Box::new(other)),
        },
    }
}

/// A fault worth another try when fetching a credential: not a wrong appid or secret,
/// but a dropped connection, a timeout, "system busy" (-1) or a gateway's 5xx page.
pub(crate) fn transient(error: &Error) -> bool {
    match error {
        Error::Transport { .. } => true,
        Error::Api { code, .. } => code.code() == -1,
        Error::Decode { status, .. } => *status >= 500,
        _ => false,
    }
}

/// A credential fetch that failed for good after `tries` tries.
pub(crate) fn credential_failure(what: &str, error: Error, tries: u32) -> Error {
    let tries = match tries {
        1 => "1 try".to_owned(),
        n => format!("{n} tries"),
    };
    Error::Credentials {
        message: format!("could not get {what} ({tries}): {error}"),
        source: Some(Box::new(error)),
    }
}

/// The stable_token request: normal mode, or `force_refresh`.
pub(crate) fn stable_token_request(
    app: &crate::AppCredentials,
    force: bool,
) -> crate::token::TokenStableRequest {
    crate::token::TokenStableRequest::new(
        "client_credential",
        app.appid.clone(),
        app.secret.to_string(),
    )
    .force_refresh(force)
}

/// The span of one call (both clients): the endpoint now, the rest by
/// [`record_call`] when it ends. Never a token or a secret.
pub(crate) fn call_span(endpoint: &'static str) -> tracing::Span {
    tracing::info_span!(
        "wechat_card.call",
        endpoint,
        attempts = tracing::field::Empty,
        errcode = tracing::field::Empty,
        outcome = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

/// Records how a call ended on its span.
pub(crate) fn record_call<T>(
    span: &tracing::Span,
    started: std::time::Instant,
    attempts: u32,
    result: &Result<T, Error>,
) {
    span.record("attempts", attempts);
    span.record("outcome", outcome_kind(result));
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    if let Err(e) = result {
        if let Some(code) = e.errcode() {
            span.record("errcode", code.code());
        }
        tracing::debug!(parent: span, error = %e, "call failed");
    }
}

/// The error kind a span records: `api`, `transport`, …
fn outcome_kind<T>(result: &Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(Error::InvalidRequest { .. }) => "invalid_request",
        Err(Error::Api { .. }) => "api",
        Err(Error::Transport { .. }) => "transport",
        Err(Error::Decode { .. }) => "decode",
        Err(Error::Redirect { .. }) => "redirect",
        Err(Error::Credentials { .. }) => "credentials",
        Err(_) => "config",
    }
}

/// A credential out of a successful reply: the token or ticket and how long to keep
/// it. A reply without the value cannot be used, whatever its errcode said; one
/// without `expires_in` is kept for the documented 7,200 s.
pub(crate) fn credential(
    what: &str,
    value: Option<String>,
    expires_in: Option<i64>,
) -> Result<(String, std::time::Duration), Error> {
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::Credentials {
            message: format!("WeChat's reply carried no {what}"),
            source: None,
        })?;
    let expires_in = expires_in.unwrap_or_else(|| {
        tracing::warn!(
            what,
            "reply lacks expires_in; keeping the credential for 7200 s"
        );
        7200
    });
    Ok((
        value,
        std::time::Duration::from_secs(expires_in.max(0) as u64),
    ))
}
