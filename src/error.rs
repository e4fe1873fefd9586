//! The crate's one error type.

use crate::ErrCode;
use crate::validate::Violation;

/// Everything a call can fail with.
///
/// No variant ever holds the access token or the app secret: transport errors are
/// stripped of the request URL (which carries `access_token`) and messages are
/// scrubbed before they are stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks the spec's rules; nothing was sent.
    #[error("invalid {endpoint} request: {}", list(violations))]
    InvalidRequest {
        endpoint: &'static str,
        violations: Vec<Violation>,
    },

    /// WeChat answered with a non-zero `errcode`.
    #[error("{endpoint} failed: WeChat errcode {code}{}: {message}{}", hint(code), unknown(*check))]
    Api {
        endpoint: &'static str,
        code: ErrCode,
        message: String,
        /// Set when the outcome is unknown: a non-idempotent call answered with -1
        /// (system busy) may or may not have taken effect. Says how to check.
        check: Option<&'static str>,
    },

    /// The request could not be sent or its reply not received.
    #[error("{endpoint}: transport error: {message}{}", outcome(*maybe_sent, *idempotent, *check))]
    Transport {
        endpoint: &'static str,
        message: String,
        /// `true` when the request may have reached WeChat (a timeout or a broken
        /// connection after sending), `false` when it surely did not (connect failure).
        maybe_sent: bool,
        /// Whether the endpoint is idempotent (safe to send again).
        idempotent: bool,
        /// For a non-idempotent endpoint: how to find out whether the call went through.
        check: Option<&'static str>,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The reply is not what the API documents (not JSON, HTML from a proxy, a
    /// missing field…).
    #[error("{endpoint}: undecodable reply (HTTP {status}): {reason}; body starts: {excerpt:?}")]
    Decode {
        endpoint: &'static str,
        status: u16,
        reason: String,
        excerpt: String,
    },

    /// No access token could be had.
    #[error("credentials: {message}")]
    Credentials {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The client is configured wrongly (e.g. a base URL that is not http(s)).
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// The WeChat errcode, for [`Error::Api`].
    pub fn errcode(&self) -> Option<ErrCode> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The violations, for [`Error::InvalidRequest`].
    pub fn violations(&self) -> &[Violation] {
        match self {
            Error::InvalidRequest { violations, .. } => violations,
            _ => &[],
        }
    }
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn hint(code: &ErrCode) -> String {
    match code.meaning() {
        Some(meaning) => format!(" ({meaning})"),
        None => String::new(),
    }
}

fn unknown(check: Option<&str>) -> String {
    match check {
        Some(check) => format!(" (the outcome is unknown: before sending it again, {check})"),
        None => String::new(),
    }
}

fn outcome(maybe_sent: bool, idempotent: bool, check: Option<&str>) -> String {
    match (maybe_sent, idempotent) {
        (false, _) => " (the request was not sent)".into(),
        (true, true) => " (the request may have reached WeChat; it is safe to send again)".into(),
        (true, false) => format!(
            " (the request may have reached WeChat and this call is not idempotent: the outcome is \
             unknown; before sending it again, {})",
            check.unwrap_or("check whether it took effect")
        ),
    }
}
