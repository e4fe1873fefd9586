//! Where and how card events are pushed, and what became of them.

use super::body::{Nothing, parse};
use super::{Engine, Outcome, Pending};
use crate::ErrCode;
use crate::sandbox::callback::{self, Delivery, PushTarget};
use crate::sandbox::runtime::Failure;
use axum::body::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The account's server as WeChat's settings page has it: `push_events_to` and
/// `verify_url`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    url: String,
    token: String,
    /// Safe mode (43 characters); plain text without it.
    encoding_aes_key: Option<String>,
    timeout_ms: Option<u64>,
    retries: Option<u32>,
}

impl Target {
    /// Checked and bound to the sandbox's appid. A URL or key WeChat would not accept
    /// is refused with 40097, as the settings page refuses it.
    fn resolve(self, engine: &Engine) -> Result<callback::Target, Failure> {
        let invalid = |e: String| Failure::new(ErrCode::InvalidArgs, e);
        let mut target = match self.encoding_aes_key {
            Some(key) => PushTarget::safe_mode(self.url, self.token, &key)
                .map_err(|e| invalid(e.to_string()))?,
            None => PushTarget::plain(self.url, self.token),
        };
        if let Some(ms) = self.timeout_ms {
            target = target.timeout(Duration::from_millis(ms));
        }
        if let Some(retries) = self.retries {
            target = target.retries(retries);
        }
        engine.resolve(target).map_err(invalid)
    }
}

pub(super) fn push_events_to(engine: &Engine, body: &[u8]) -> Outcome {
    let target = parse::<Target>(body)?.resolve(engine)?;
    engine.outbox().set_target(Some(target));
    Ok(json!({}))
}

/// WeChat's URL check: a signed GET whose `echostr` must come back.
pub(super) fn verify_url(engine: Arc<Engine>, body: Bytes) -> Pending {
    Box::pin(async move {
        let target = parse::<Target>(&body)?.resolve(&engine)?;
        callback::verify_url(&target)
            .await
            .map_err(|e| Failure::new(ErrCode::InvalidArgs, e))?;
        Ok(json!({}))
    })
}

pub(super) fn stop_pushing(engine: &Engine, body: &[u8]) -> Outcome {
    let Nothing {} = parse(body)?;
    engine.outbox().set_target(None);
    Ok(json!({}))
}

/// Waits for the events queued so far; the deliveries since the last flush.
pub(super) fn flush_pushes(engine: Arc<Engine>, body: Bytes) -> Pending {
    Box::pin(async move {
        let Nothing {} = parse(&body)?;
        let deliveries = engine.outbox().flush().await;
        Ok(json!({ "deliveries": deliveries.iter().map(delivery_json).collect::<Vec<_>>() }))
    })
}

/// A delivery for tests in other languages: the event's name and XML, and how it went.
fn delivery_json(delivery: &Delivery) -> Value {
    let event = match &delivery.event {
        crate::push::events::CardEvent::Unknown(e) => e.event.clone(),
        known => known
            .envelope()
            .map(|e| e.event.clone())
            .unwrap_or_default(),
    };
    json!({
        "event": event,
        "xml": delivery.event.to_xml(),
        "attempts": delivery.attempts,
        "status": delivery.status,
        "error": delivery.error,
    })
}
