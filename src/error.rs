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
    #[non_exhaustive]
    InvalidRequest {
        endpoint: &'static str,
        violations: Vec<Violation>,
    },

    /// WeChat answered with a non-zero `errcode`.
    #[error("{endpoint} failed: WeChat errcode {code}{}: {message}{}", hint(code), unknown(*check))]
    #[non_exhaustive]
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
    #[non_exhaustive]
    Transport {
        endpoint: &'static str,
        message: String,
        /// Set when the call ran out of time, and where: see [`Error::is_timeout`].
        timeout: Option<TimeoutPhase>,
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

    /// The reply cannot be the documented one (not JSON, not an object, HTML from a
    /// proxy, an `errcode` that is no number, larger than
    /// [`Config::max_reply_bytes`](crate::Config::max_reply_bytes)).
    #[error("{endpoint}: undecodable reply (HTTP {status}): {reason}; body starts: {excerpt:?}{}", unknown(*check))]
    #[non_exhaustive]
    Decode {
        endpoint: &'static str,
        status: u16,
        reason: String,
        /// The start of the body, secrets scrubbed before it was cut.
        excerpt: String,
        /// Set when the call is not idempotent and nothing in the reply says whether it
        /// took effect (a proxy's 502, a reply cut short): says how to check before
        /// sending it again.
        check: Option<&'static str>,
        /// WeChat said errcode 0: the call took effect, only the rest of the reply
        /// could not be read (see [`Error::reported_success`]).
        reported_success: bool,
    },

    /// The server answered with a redirect. WeChat's API never redirects, so the
    /// answer is not WeChat's: nothing was followed and the call is not retried.
    #[error("{endpoint}: HTTP {status} redirect{} refused: WeChat's API never redirects, and nothing was followed{}", towards(target), unknown(*check))]
    #[non_exhaustive]
    Redirect {
        endpoint: &'static str,
        status: u16,
        /// Where it pointed (scheme, host and port only; secrets scrubbed).
        target: Option<String>,
        /// For a non-idempotent call: the request reached some server, so how to
        /// check whether it took effect.
        check: Option<&'static str>,
    },

    /// No access token could be had.
    #[error("credentials: {message}")]
    #[non_exhaustive]
    Credentials {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The client is configured wrongly (e.g. a base URL that is not http(s)).
    #[error("configuration: {0}")]
    Config(String),
}

/// What to do before sending a non-idempotent call again when the spec names no
/// specific check.
pub(crate) const CHECK_WHETHER_DONE: &str = "check whether it took effect";

/// The part of a call that ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the connection ([`Config::connect_timeout`](crate::Config::connect_timeout)).
    Connect,
    /// Sending the request.
    Send,
    /// Waiting for the reply's first bytes.
    Wait,
    /// Reading the reply's body.
    Read,
    /// The call as a whole ([`Config::timeout`](crate::Config::timeout)), somewhere
    /// after connecting. The async client (reqwest) bounds the whole call and reports
    /// `Connect`, `Read` (the body) or this; the blocking client (ureq) bounds each
    /// phase and reports `Connect`, `Send`, `Wait` or `Read`.
    Call,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connecting",
            TimeoutPhase::Send => "sending the request",
            TimeoutPhase::Wait => "waiting for the reply",
            TimeoutPhase::Read => "reading the reply",
            TimeoutPhase::Call => "during the call",
        })
    }
}

impl Error {
    /// Whether the call ran out of time (see [`Error::timeout_phase`] for where).
    pub fn is_timeout(&self) -> bool {
        self.timeout_phase().is_some()
    }

    /// Where the call ran out of time, for a timeout.
    pub fn timeout_phase(&self) -> Option<TimeoutPhase> {
        match self {
            Error::Transport { timeout, .. } => *timeout,
            _ => None,
        }
    }

    /// For a call that may or may not have taken effect (a non-idempotent call whose
    /// reply was lost, unreadable or "system busy"): how to find out before sending it
    /// again. `None` when the outcome is known.
    pub fn outcome_check(&self) -> Option<&'static str> {
        match self {
            Error::Api { check, .. }
            | Error::Decode { check, .. }
            | Error::Redirect { check, .. } => *check,
            Error::Transport {
                maybe_sent: true,
                idempotent: false,
                check,
                ..
            } => Some(check.unwrap_or(CHECK_WHETHER_DONE)),
            _ => None,
        }
    }

    /// Whether WeChat reported success (errcode 0) although the rest of its reply
    /// could not be read: the call took effect — do not send it again. The reply is in
    /// the error's excerpt.
    pub fn reported_success(&self) -> bool {
        matches!(
            self,
            Error::Decode {
                reported_success: true,
                ..
            }
        )
    }

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

fn towards(target: &Option<String>) -> String {
    target
        .as_deref()
        .map(|t| format!(" towards {t}"))
        .unwrap_or_default()
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
            check.unwrap_or(CHECK_WHETHER_DONE)
        ),
    }
}
