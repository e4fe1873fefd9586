//! The `fault` action's body, read strictly; what each fault does is `faults.rs`'s
//! business (and documented in docs/sandbox-faults.md).

use super::body::parse;
use super::{Engine, Outcome};
use crate::sandbox::faults::Fault;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// `{"endpoint": "code.consume", "kind": "errcode", "errcode": -1, "times": 1}` or
/// `{"endpoint": "*", "kind": "latency", "ms": 200, "rate": 0.5}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    #[serde(default = "every_endpoint")]
    endpoint: String,
    kind: Kind,
    /// For `errcode`.
    #[serde(default = "system_busy")]
    errcode: i64,
    /// For `latency`.
    #[serde(default = "hundred_ms")]
    ms: u64,
    #[serde(default = "once")]
    times: u32,
    /// A share of calls (0.0..=1.0) instead of the next `times`.
    rate: Option<f64>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Errcode,
    ExpiredToken,
    Latency,
    MalformedBody,
    DropConnection,
}

fn every_endpoint() -> String {
    "*".into()
}

fn system_busy() -> i64 {
    -1
}

fn hundred_ms() -> u64 {
    100
}

fn once() -> u32 {
    1
}

pub(super) fn fault(engine: &Engine, body: &[u8]) -> Outcome {
    let b: FaultBody = parse(body)?;
    let fault = match b.kind {
        Kind::Errcode => Fault::ErrCode(b.errcode),
        Kind::ExpiredToken => Fault::ExpiredToken,
        Kind::Latency => Fault::Latency(Duration::from_millis(b.ms)),
        Kind::MalformedBody => Fault::MalformedBody,
        Kind::DropConnection => Fault::DropConnection,
    };
    let faults = &engine.context.faults;
    match b.rate {
        Some(rate) => faults.rate(&b.endpoint, fault, rate),
        None => faults.next(&b.endpoint, fault, b.times),
    }
    Ok(json!({}))
}
