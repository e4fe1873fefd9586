//! Strict bodies of the `/sandbox/…` actions, and the one error shape of the control
//! API: `{"error": "<kind>", "field": "<key>" | null, "message": "<what is wrong>"}`
//! with an HTTP 4xx status (an unknown action adds `action` and `known_actions`).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A request the control API cannot act on (not a refusal by the simulated WeChat,
/// which answers with an errcode instead).
#[derive(Debug, Serialize)]
pub(crate) struct ControlError {
    #[serde(skip)]
    status: StatusCode,
    /// `invalid_body`, `unknown_action`, `method_not_allowed` or `not_found`.
    error: &'static str,
    /// The body's key at fault, if one is.
    field: Option<String>,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    known_actions: Option<Vec<&'static str>>,
}

impl ControlError {
    fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ControlError {
            status,
            error,
            field: None,
            message: message.into(),
            action: None,
            known_actions: None,
        }
    }

    /// A body that does not fit the action (HTTP 400).
    pub(crate) fn invalid_body(field: Option<String>, message: impl Into<String>) -> Self {
        ControlError {
            field,
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_body", message)
        }
    }

    /// No action of that name (HTTP 404), with the names there are.
    pub(crate) fn unknown_action(action: &str, known: Vec<&'static str>) -> Self {
        ControlError {
            action: Some(action.to_owned()),
            known_actions: Some(known),
            ..Self::new(
                StatusCode::NOT_FOUND,
                "unknown_action",
                format!("there is no sandbox action `{action}`"),
            )
        }
    }

    /// The action exists but not with this HTTP method (HTTP 405).
    pub(crate) fn method_not_allowed(action: &str, allowed: &str) -> Self {
        ControlError {
            action: Some(action.to_owned()),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("`{action}` takes {allowed}"),
            )
        }
    }

    /// Nothing there (HTTP 404), e.g. an image never uploaded.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&self).unwrap_or_default();
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

/// The body of an action that takes no key: `{}` or nothing.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Nothing {}

/// Reads an action's body as `T`: a JSON object (an empty body is `{}`) with no key
/// `T` does not know, every key it requires, and each of the right type.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ControlError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ControlError::invalid_body(None, format!("the body is not valid JSON: {e}"))
        })?
    };
    if !value.is_object() {
        return Err(ControlError::invalid_body(
            None,
            "the body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = friendly(&e.inner().to_string());
        // A missing key is reported at its object; the key is in the text.
        let field = match (missing_key(&message), path.as_str()) {
            (Some(key), ".") => Some(key),
            (Some(key), object) => Some(format!("{object}.{key}")),
            (None, ".") => None,
            (None, _) => Some(path),
        };
        ControlError::invalid_body(field, message)
    })
}

/// The key serde names in "missing field `x`".
fn missing_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_owned)
}

/// serde's Rust type names in words a Python or Node tester reads.
fn friendly(message: &str) -> String {
    const WORDS: [(&str, &str); 5] = [
        ("expected u64", "expected a non-negative integer"),
        ("expected u32", "expected a non-negative integer below 2^32"),
        ("expected i64", "expected an integer"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected an array"),
    ];
    WORDS
        .iter()
        .find(|(rust, _)| message.ends_with(rust))
        .map_or_else(
            || message.to_owned(),
            |(rust, words)| format!("{}{words}", &message[..message.len() - rust.len()]),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read by Debug only
    struct Clock {
        seconds: u64,
        note: Option<String>,
    }

    fn problem(body: &str) -> (Option<String>, String) {
        let e = parse::<Clock>(body.as_bytes()).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        (e.field, e.message)
    }

    #[test]
    fn each_problem_names_its_field() {
        let (field, message) = problem(r#"{"seconds": "60"}"#);
        assert_eq!(field.as_deref(), Some("seconds"));
        assert!(
            message.ends_with("expected a non-negative integer"),
            "{message}"
        );
        let (field, message) = problem(r#"{"seconds": 1, "secs": 2}"#);
        assert_eq!(field.as_deref(), Some("secs"));
        assert!(message.starts_with("unknown field"), "{message}");
        let (field, message) = problem(r#"{"note": "x"}"#);
        assert_eq!(field.as_deref(), Some("seconds"));
        assert!(message.starts_with("missing field"), "{message}");
        let (field, _) = problem(r#"{"seconds": 1, "note": 5}"#);
        assert_eq!(field.as_deref(), Some("note"));
        assert_eq!(problem("{").0, None);
        assert_eq!(problem("[1]").0, None);
    }

    #[test]
    fn an_empty_body_is_an_empty_object() {
        assert!(parse::<Nothing>(b"").is_ok());
        assert!(parse::<Nothing>(b" \n").is_ok());
    }
}
