//! The sandbox against the docs: each documented example is sent, as the docs write
//! it, to a sandbox seeded for the whole exchange ([`Sandbox::for_exchange`]), and the sandbox's reply
//! must agree with the documented reply field for field:
//!
//! - it succeeds, decodes, and lacks none of the fields the docs require;
//! - every field the documented reply shows is there, at every depth (each element of
//!   a list against the documented element at its place, or the first one past the
//!   documented list's end, and a list the docs show filled is not empty);
//! - it sends nothing the spec does not describe (other described fields are allowed:
//!   an example shows one card type, one set of figures).
//!
//! Values are not compared: they are the sandbox's own (ids, times, counts).

use super::Case;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Debug;
use wechat_card::model::Model;
use wechat_card::sandbox::Sandbox;
use wechat_card::{Client, Error};

/// One generated test: the example `$case` of `$endpoint`, sent through
/// `client.$group().$method(&case.request)` to a sandbox seeded for it.
macro_rules! sandbox_agrees {
    ($case:ident, $endpoint:literal, $group:ident . $method:ident) => {
        #[tokio::test]
        async fn $case() {
            let case = super::$case();
            let sandbox = $crate::support::documented::Seeded::start($endpoint, &case).await;
            let reply = sandbox.client().$group().$method(&case.request).await;
            sandbox.check(reply, &case);
        }
    };
}
#[allow(unused_imports)] // only the conformance tests use it
pub(crate) use sandbox_agrees;

/// A sandbox in which one documented example runs as written.
pub struct Seeded {
    sandbox: Sandbox,
    endpoint: &'static str,
}

impl Seeded {
    pub async fn start<R>(endpoint: &'static str, case: &Case<R>) -> Self {
        let (request, reply) = (case.body.to_string(), case.reply.to_string());
        let sandbox = Sandbox::for_exchange(endpoint, &request, &reply)
            .await
            .unwrap_or_else(|e| panic!("{endpoint}: no sandbox for the example: {e}"));
        Seeded { sandbox, endpoint }
    }

    pub fn client(&self) -> Client {
        self.sandbox.client().expect("the sandbox's client")
    }

    /// Fails listing every way the reply differs from the documented one.
    pub fn check<T: Model + Serialize + Debug, R>(&self, result: Result<T, Error>, case: &Case<R>) {
        let endpoint = self.endpoint;
        let reply = result.unwrap_or_else(|e| {
            panic!("{endpoint}: the sandbox refused the documented example: {e}")
        });
        let mut problems = Vec::new();
        for path in reply.unknown_fields() {
            problems.push(format!("sends `{path}`, which the spec does not describe"));
        }
        for path in reply.missing_fields() {
            problems.push(format!("leaves out `{path}`, which the docs require"));
        }
        let sent = serde_json::to_value(&reply).expect("replies serialize");
        let mut documented = case.reply.clone();
        if let Some(map) = documented.as_object_mut() {
            map.remove("errcode");
            map.remove("errmsg");
        }
        shown_but_not_sent("", &documented, &sent, &mut problems);
        assert!(
            problems.is_empty(),
            "{endpoint}: the sandbox's reply disagrees with the documented one:\n  {}\nsandbox reply: {sent:#}",
            problems.join("\n  ")
        );
    }
}

/// Appends a line per field the documented reply shows below `path` and the sandbox's
/// reply lacks.
fn shown_but_not_sent(path: &str, documented: &Value, sent: &Value, out: &mut Vec<String>) {
    match (documented, sent) {
        (Value::Object(doc), Value::Object(got)) => {
            for (key, doc_value) in doc {
                let path = format!("{path}/{key}");
                match got.get(key) {
                    Some(got_value) => shown_but_not_sent(&path, doc_value, got_value, out),
                    None => out.push(format!("leaves out `{path}`, which the example shows")),
                }
            }
        }
        (Value::Array(doc), Value::Array(got)) => match (doc.first(), got.is_empty()) {
            (None, _) => {}
            (Some(_), true) => out.push(format!(
                "sends `{path}` empty, where the example shows it filled (seed the example's state)"
            )),
            // A documented list may mix shapes (a time_limit entry with hours, one
            // without): each element answers to the one shown at its place.
            (Some(first), false) => {
                for (i, item) in got.iter().enumerate() {
                    let shown = doc.get(i).unwrap_or(first);
                    shown_but_not_sent(&format!("{path}/{i}"), shown, item, out);
                }
            }
        },
        (Value::Object(_) | Value::Array(_), other) => out.push(format!(
            "sends `{path}` as {other}, where the example shows {documented}"
        )),
        _ => {}
    }
}
