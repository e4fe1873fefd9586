//! Fault plans as JSON, for the `/sandbox/fault`, `/sandbox/faults` and
//! `/sandbox/clear_faults` actions: read strictly (an unknown kind or key, or a value
//! of the wrong type, is refused by name), written back the same way.

use super::{Fault, FaultPlan, Faults, PlanReport};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// A body the fault actions refuse: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

fn refuse(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The keys every plan may carry; each kind adds its own (`KIND_KEYS`).
const PLAN_KEYS: [&str; 6] = ["endpoint", "kind", "appid", "call", "times", "rate"];

/// Each kind's own keys.
const KIND_KEYS: [(&str, &[&str]); 12] = [
    ("errcode", &["errcode"]),
    ("expired_token", &[]),
    ("latency", &["ms"]),
    ("malformed_body", &[]),
    ("drop_connection", &[]),
    ("reset", &[]),
    ("server_error", &["status", "errcode"]),
    ("reply_lost", &[]),
    ("reply_late", &["ms"]),
    ("truncated_body", &[]),
    ("truncated_chunked", &[]),
    ("trickle", &["bytes", "every_ms"]),
];

/// `/sandbox/fault`: adds the plan the body describes; replies its id.
pub(crate) fn add(faults: &Faults, body: &[u8]) -> Result<Value, FieldError> {
    let plan = plan_from_json(&parse_body(body)?)?;
    Ok(json!({ "id": faults.add(plan) }))
}

/// `/sandbox/faults`: the plans, how often each fired, and the calls per endpoint.
pub(crate) fn list(faults: &Faults) -> Value {
    json!({
        "plans": faults.plans().iter().map(report_to_json).collect::<Vec<_>>(),
        "calls": faults.all_calls(),
    })
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, FieldError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(refuse("body", "must be a JSON object")),
        Err(e) => Err(refuse("body", format!("not JSON: {e}"))),
    }
}

/// `{"endpoint": "code.consume", "kind": "reply_lost", "appid": "wx…", "call": 3,
/// "times": 1, "rate": 0.5, …the kind's own keys}`. Without `rate`, `times` defaults
/// to 1; with it, to no limit.
pub(crate) fn plan_from_json(args: &Map<String, Value>) -> Result<FaultPlan, FieldError> {
    let kind = args
        .get("kind")
        .ok_or_else(|| refuse("kind", "missing"))?
        .as_str()
        .ok_or_else(|| refuse("kind", "must be a string"))?;
    let own = KIND_KEYS
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|(_, keys)| *keys)
        .ok_or_else(|| refuse("kind", format!("unknown fault kind `{kind}`")))?;
    if let Some(key) = args
        .keys()
        .find(|k| !PLAN_KEYS.contains(&k.as_str()) && !own.contains(&k.as_str()))
    {
        return Err(refuse(key, format!("not a key of a `{kind}` fault")));
    }
    let mut plan = FaultPlan::new(fault_from_json(kind, args)?);
    if let Some(endpoint) = string(args, "endpoint")? {
        plan = plan.endpoint(endpoint);
    }
    if let Some(appid) = string(args, "appid")? {
        plan = plan.appid(appid);
    }
    if let Some(k) = number(args, "call", 1, u64::MAX)? {
        plan = plan.call(k);
    }
    let rate = match args.get("rate") {
        None => None,
        Some(v) => match v.as_f64() {
            Some(r) if (0.0..=1.0).contains(&r) => Some(r),
            _ => return Err(refuse("rate", "must be a number from 0 to 1")),
        },
    };
    let times = number(args, "times", 0, u64::from(u32::MAX))?;
    match (times, rate) {
        (Some(n), _) => plan = plan.times(n as u32),
        (None, None) => plan = plan.times(1),
        (None, Some(_)) => {}
    }
    if let Some(rate) = rate {
        plan = plan.rate(rate);
    }
    Ok(plan)
}

/// The fault of a plan whose kind is known and whose keys are the kind's.
fn fault_from_json(kind: &str, args: &Map<String, Value>) -> Result<Fault, FieldError> {
    let millis = |key: &str, default: Option<u64>| -> Result<Duration, FieldError> {
        match (number(args, key, 0, u64::MAX)?, default) {
            (Some(ms), _) | (None, Some(ms)) => Ok(Duration::from_millis(ms)),
            (None, None) => Err(refuse(key, format!("a `{kind}` fault needs it"))),
        }
    };
    let errcode = || -> Result<i64, FieldError> {
        match args.get("errcode") {
            None => Ok(-1),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| refuse("errcode", "must be an integer")),
        }
    };
    Ok(match kind {
        "errcode" => Fault::ErrCode(errcode()?),
        "expired_token" => Fault::ExpiredToken,
        "latency" => Fault::Latency(millis("ms", Some(100))?),
        "malformed_body" => Fault::MalformedBody,
        "drop_connection" => Fault::DropConnection,
        "reset" => Fault::Reset,
        "server_error" => Fault::ServerError {
            status: number(args, "status", 500, 599)?.unwrap_or(503) as u16,
            errcode: errcode()?,
        },
        "reply_lost" => Fault::ReplyLost,
        "reply_late" => Fault::ReplyLate(millis("ms", None)?),
        "truncated_body" => Fault::TruncatedBody,
        "truncated_chunked" => Fault::TruncatedChunked,
        "trickle" => Fault::Trickle {
            bytes: number(args, "bytes", 1, 1 << 20)?.unwrap_or(1) as usize,
            every: millis("every_ms", Some(100))?,
        },
        other => return Err(refuse("kind", format!("unknown fault kind `{other}`"))),
    })
}

fn string(args: &Map<String, Value>, key: &str) -> Result<Option<String>, FieldError> {
    match args.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(refuse(key, "must be a string")),
    }
}

/// An optional whole number in `min..=max`.
fn number(
    args: &Map<String, Value>,
    key: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, FieldError> {
    match args.get(key) {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(refuse(
                key,
                format!("must be a whole number from {min} to {max}"),
            )),
        },
    }
}

/// A plan as `/sandbox/faults` lists it: the keys `/sandbox/fault` takes, its `id`
/// and how often it `fired`.
pub(crate) fn report_to_json(report: &PlanReport) -> Value {
    let plan = &report.plan;
    let mut out = fault_to_json(&plan.fault);
    out.insert("endpoint".into(), json!(plan.endpoint));
    out.insert("appid".into(), json!(plan.appid));
    out.insert("call".into(), json!(plan.call));
    out.insert("times".into(), json!(plan.times));
    out.insert("rate".into(), json!(plan.rate));
    out.insert("id".into(), json!(report.id));
    out.insert("fired".into(), json!(report.fired));
    Value::Object(out)
}

fn fault_to_json(fault: &Fault) -> Map<String, Value> {
    let ms = |d: &Duration| json!(d.as_millis() as u64);
    let value = match fault {
        Fault::ErrCode(code) => json!({"kind": "errcode", "errcode": code}),
        Fault::ExpiredToken => json!({"kind": "expired_token"}),
        Fault::Latency(d) => json!({"kind": "latency", "ms": ms(d)}),
        Fault::MalformedBody => json!({"kind": "malformed_body"}),
        Fault::DropConnection => json!({"kind": "drop_connection"}),
        Fault::Reset => json!({"kind": "reset"}),
        Fault::ServerError { status, errcode } => {
            json!({"kind": "server_error", "status": status, "errcode": errcode})
        }
        Fault::ReplyLost => json!({"kind": "reply_lost"}),
        Fault::ReplyLate(d) => json!({"kind": "reply_late", "ms": ms(d)}),
        Fault::TruncatedBody => json!({"kind": "truncated_body"}),
        Fault::TruncatedChunked => json!({"kind": "truncated_chunked"}),
        Fault::Trickle { bytes, every } => {
            json!({"kind": "trickle", "bytes": bytes, "every_ms": ms(every)})
        }
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: Value) -> Result<FaultPlan, FieldError> {
        plan_from_json(value.as_object().expect("an object"))
    }

    #[test]
    fn the_existing_keys_keep_their_meaning() {
        let plan = parse(
            json!({"endpoint": "code.consume", "kind": "errcode", "errcode": -1, "times": 2}),
        );
        assert_eq!(
            plan.unwrap(),
            FaultPlan::new(Fault::ErrCode(-1))
                .endpoint("code.consume")
                .times(2)
        );
        let plan = parse(json!({"kind": "latency", "ms": 200, "rate": 0.5})).unwrap();
        assert_eq!(
            plan,
            FaultPlan::new(Fault::Latency(Duration::from_millis(200))).rate(0.5)
        );
        assert_eq!(
            parse(json!({"kind": "drop_connection"})).unwrap().times,
            Some(1)
        );
    }

    #[test]
    fn every_kind_round_trips_through_the_listing() {
        for (kind, _) in KIND_KEYS {
            let mut args =
                json!({"kind": kind, "endpoint": "code.consume", "appid": "wx1", "call": 3});
            if kind == "reply_late" {
                args["ms"] = json!(1500);
            }
            let plan = parse(args).unwrap();
            let listed = report_to_json(&PlanReport {
                id: 1,
                plan: plan.clone(),
                fired: 0,
            });
            let mut again = listed.as_object().unwrap().clone();
            again.retain(|k, v| !["id", "fired"].contains(&k.as_str()) && !v.is_null());
            assert_eq!(plan_from_json(&again).unwrap(), plan, "{kind}");
        }
    }

    #[test]
    fn unknown_kinds_keys_and_wrong_types_are_refused_by_name() {
        let field = |v: Value| parse(v).unwrap_err().field;
        assert_eq!(field(json!({"kind": "gremlins"})), "kind");
        assert_eq!(field(json!({"endpoint": "card.get"})), "kind");
        assert_eq!(field(json!({"kind": "reset", "ms": 5})), "ms");
        assert_eq!(field(json!({"kind": "reset", "tims": 5})), "tims");
        assert_eq!(
            field(json!({"kind": "errcode", "errcode": "-1"})),
            "errcode"
        );
        assert_eq!(field(json!({"kind": "reset", "call": 0})), "call");
        assert_eq!(field(json!({"kind": "reset", "rate": 2})), "rate");
        assert_eq!(field(json!({"kind": "reset", "appid": 7})), "appid");
        assert_eq!(field(json!({"kind": "reply_late"})), "ms");
        assert_eq!(
            field(json!({"kind": "server_error", "status": 200})),
            "status"
        );
    }
}
