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

    /// WeChat answered with a non-zero `errcode`. The message says what to do about it
    /// (`action`, see [`Error::action`]); `rid` and `hint` are what WeChat's support
    /// asks for.
    #[error("{endpoint} failed: WeChat errcode {code}{}: {message}{}{}", meaning(code), says(*action), unknown(*check))]
    #[non_exhaustive]
    Api {
        endpoint: &'static str,
        code: ErrCode,
        /// WeChat's `errmsg`, as sent (secrets scrubbed).
        message: String,
        /// The request id WeChat appends to `errmsg` (`… rid: 630ecbee-28894bea-0ee8d49c`).
        rid: Option<Box<str>>,
        /// The trace id of WeChat's older `hint: [tc2RjA00381891]` (or
        /// `hints: [ req_id: … ]`) suffix.
        hint: Option<Box<str>>,
        /// What to do about it: [`ErrCode::action`], but for a call that carried no
        /// access_token (`cgi-bin/token`, `stable_token`), where a token error's code
        /// means the credentials themselves are wrong (40001 there: the AppSecret is
        /// wrong, or not this account's): renewing cannot help, the request must be
        /// fixed. `None` for a code the spec does not list.
        action: Option<crate::ErrAction>,
        /// Set when the outcome is unknown: a non-idempotent call answered with -1
        /// (system busy) may or may not have taken effect. Says how to check.
        check: Option<&'static str>,
        /// The reply's fields besides `errcode` and `errmsg`, when it has any (a
        /// repeated mass send's 45065 names the existing job), secrets scrubbed: see
        /// [`Error::reply_field`].
        details: Option<Box<serde_json::Map<String, serde_json::Value>>>,
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

    /// What to do about WeChat's errcode, for [`Error::Api`] with a listed code: the
    /// code's [`ErrCode::action`], except that on a call made without an access_token
    /// (fetching one) a token error means wrong credentials, to fix.
    pub fn action(&self) -> Option<crate::ErrAction> {
        match self {
            Error::Api { action, .. } => *action,
            _ => None,
        }
    }

    /// WeChat's request id (`rid: …` in `errmsg`), for [`Error::Api`]: quote it to
    /// WeChat's support.
    pub fn rid(&self) -> Option<&str> {
        match self {
            Error::Api { rid, .. } => rid.as_deref(),
            _ => None,
        }
    }

    /// WeChat's trace id (`hint: [...]` in `errmsg`), for [`Error::Api`].
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Api { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }

    /// A field of WeChat's error reply besides `errcode` and `errmsg`, for
    /// [`Error::Api`]: e.g. the id of the mass message a repeated `clientmsgid`
    /// names (45065), to read its status with `message().mass_get(..)`.
    pub fn reply_field(&self, key: &str) -> Option<&serde_json::Value> {
        match self {
            Error::Api {
                details: Some(details),
                ..
            } => details.get(key),
            _ => None,
        }
    }

    /// An [`Error::Api`] from WeChat's reply to a call that carried an access_token
    /// (`with_token`) or not: `rid` and `hint` read from `message`, the action from
    /// the code and `with_token`.
    pub(crate) fn api(
        endpoint: &'static str,
        code: ErrCode,
        message: String,
        check: Option<&'static str>,
        with_token: bool,
    ) -> Self {
        let (rid, hint) = trace_ids(&message);
        // Boxed: every `Result` of the crate carries an `Error`, kept small.
        let (rid, hint) = (
            rid.map(String::into_boxed_str),
            hint.map(String::into_boxed_str),
        );
        let action = match code.action() {
            // No token was sent, so none can be renewed: the appid or secret is wrong.
            Some(crate::ErrAction::RenewToken) if !with_token => Some(crate::ErrAction::FixRequest),
            action => action,
        };
        Error::Api {
            endpoint,
            code,
            message,
            rid,
            hint,
            action,
            check,
            details: None,
        }
    }

    /// The same [`Error::Api`] with the reply's other fields (none: unchanged).
    pub(crate) fn with_details(
        mut self,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        if let Error::Api { details, .. } = &mut self {
            *details = (!fields.is_empty()).then(|| Box::new(fields));
        }
        self
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

fn meaning(code: &ErrCode) -> String {
    match code.meaning() {
        Some(meaning) => format!(" ({meaning})"),
        None => String::new(),
    }
}

fn says(action: Option<crate::ErrAction>) -> String {
    match action {
        Some(action) => format!(" — what to do: {action}"),
        None => String::new(),
    }
}

/// WeChat's trace ids in an `errmsg`: the `rid: <id>` it appends today, and the
/// `hint: [<id>]` (also `hints: [ req_id: <id> ]`) of older replies. Either may be
/// absent, and anything may follow them.
pub(crate) fn trace_ids(errmsg: &str) -> (Option<String>, Option<String>) {
    (labelled(errmsg, "rid:"), bracketed(errmsg))
}

/// Where `label` first starts a word of `text` (not inside `grid:`), the byte after
/// it. Only an ASCII letter, digit or `_` joins a word: a Chinese errmsg may run
/// straight into the label (`参数错误rid: …`).
fn after_word(text: &str, label: &str) -> Option<usize> {
    text.match_indices(label)
        .find(|(at, _)| {
            text[..*at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_')
        })
        .map(|(at, _)| at + label.len())
}

/// The token after the first `label` word: up to a space, comma, semicolon or bracket.
fn labelled(text: &str, label: &str) -> Option<String> {
    let rest = text[after_word(text, label)?..].trim_start();
    let id: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !",;()[]".contains(*c))
        .collect();
    (!id.is_empty()).then_some(id)
}

/// The inside of `hint: [..]` or `hints: [..]`, without a `req_id:` label.
fn bracketed(text: &str) -> Option<String> {
    let start = after_word(text, "hint:").or_else(|| after_word(text, "hints:"))?;
    let rest = text[start..].trim_start().strip_prefix('[')?;
    let inside = rest.split(']').next().unwrap_or(rest).trim();
    let inside = inside.strip_prefix("req_id:").unwrap_or(inside).trim();
    (!inside.is_empty()).then(|| inside.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// errmsgs as WeChat sent them (quoted in public issue threads), and their ids.
    #[test]
    fn trace_ids_are_read_in_every_form_seen() {
        let cases = [
            (
                "invalid credential, access_token is invalid or not latest rid: 630ecbee-28894bea-0ee8d49c",
                Some("630ecbee-28894bea-0ee8d49c"),
                None,
            ),
            (
                "invalid ip 120.244.112.8 ipv6 ::ffff:120.244.112.8, not in whitelist rid: 5fa26c60-1a0ebdd5-32fd1cd0",
                Some("5fa26c60-1a0ebdd5-32fd1cd0"),
                None,
            ),
            (
                "reach max api daily quota limit hint: [nl1a8a02641530!]",
                None,
                Some("nl1a8a02641530!"),
            ),
            (
                "invalid ip 101.45.43.1 ipv6 ::ffff:101.45.43.1, not in whitelist hint: [jotvMa01143580]",
                None,
                Some("jotvMa01143580"),
            ),
            (
                "invalid credential, access_token is invalid or not latest, hints: [ req_id: hDexla0781ns89 ]",
                None,
                Some("hDexla0781ns89"),
            ),
            (
                "not allow to access from your ip, hint: [1662317178339603627481038], from ip: 114.132.235.244, more info at https://open.work.weixin.qq.com/devtool/query?e=60020",
                None,
                Some("1662317178339603627481038"),
            ),
            (
                "invalid args hint: [Fx0YrA0aa5e38] rid: 6389f3b0-6d6b7f5e-1f2a3b4c",
                Some("6389f3b0-6d6b7f5e-1f2a3b4c"),
                Some("Fx0YrA0aa5e38"),
            ),
            (
                "rid:6389f3b0-6d6b7f5e-1f2a3b4c,",
                Some("6389f3b0-6d6b7f5e-1f2a3b4c"),
                None,
            ),
            (
                "参数错误rid: 6389f3b0-6d6b7f5e-1f2a3b4c",
                Some("6389f3b0-6d6b7f5e-1f2a3b4c"),
                None,
            ),
            ("系统繁忙hint: [Ab12]", None, Some("Ab12")),
            ("invalid card id", None, None),
            ("rid: ", None, None),
            ("hint: []", None, None),
            ("hint: [unclosed", None, Some("unclosed")),
            ("the grid: 3x3, no hint here", None, None),
            ("", None, None),
        ];
        for (errmsg, rid, hint) in cases {
            let (got_rid, got_hint) = trace_ids(errmsg);
            assert_eq!(
                (got_rid.as_deref(), got_hint.as_deref()),
                (rid, hint),
                "{errmsg}"
            );
        }
    }

    /// 40001 is a token error on a call that sent one, but on `cgi-bin/token` (no
    /// token sent) it says the AppSecret is wrong: renewing cannot help.
    #[cfg(any(feature = "async", feature = "blocking"))]
    #[test]
    fn a_token_error_on_a_token_free_call_is_a_request_to_fix() {
        use crate::card::CardGetRequest;
        use crate::response::decode;
        use crate::token::{TokenGetRequest, TokenStableRequest};
        let reply = br#"{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: 6389f3b0-6d6b7f5e-1f2a3b4c"}"#;
        let card = decode::<CardGetRequest>(200, None, reply).unwrap_err();
        assert_eq!(card.action(), Some(crate::ErrAction::RenewToken));
        assert!(
            card.to_string().contains("renew the access_token"),
            "{card}"
        );
        for fetch in [
            decode::<TokenGetRequest>(200, None, reply).unwrap_err(),
            decode::<TokenStableRequest>(200, None, reply).unwrap_err(),
        ] {
            assert_eq!(fetch.errcode(), Some(ErrCode::InvalidCredential));
            assert_eq!(
                fetch.action(),
                Some(crate::ErrAction::FixRequest),
                "{fetch}"
            );
            assert!(!fetch.to_string().contains("renew"), "{fetch}");
            assert_eq!(fetch.rid(), Some("6389f3b0-6d6b7f5e-1f2a3b4c"));
        }
    }

    #[test]
    fn an_api_error_says_what_to_do_and_carries_the_ids() {
        let err = Error::api(
            "card.get",
            ErrCode::RateLimited,
            "reach max api daily quota limit rid: 6389f3b0-6d6b7f5e-1f2a3b4c".into(),
            None,
            true,
        );
        assert_eq!(err.rid(), Some("6389f3b0-6d6b7f5e-1f2a3b4c"));
        assert_eq!(err.hint(), None);
        assert_eq!(err.action(), Some(crate::ErrAction::RetryLater));
        let shown = err.to_string();
        assert!(
            shown.starts_with("card.get failed: WeChat errcode 45009 (接口调用超过限制): reach max api daily quota limit rid: 6389f3b0-6d6b7f5e-1f2a3b4c — what to do: retry later"),
            "{shown}"
        );
        let unknown = Error::api("card.get", ErrCode::from(99_999), "new".into(), None, true);
        assert_eq!(unknown.action(), None);
        assert_eq!(
            unknown.to_string(),
            "card.get failed: WeChat errcode 99999: new"
        );
    }
}
