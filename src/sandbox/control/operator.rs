//! What only whoever runs the sandbox decides or reads: review verdicts (cards and
//! sub-merchants), the stores of the store mini-program, the clock,
//! the credentials, `encrypt_code`, a card's stock and the counters.

use super::body::{ControlError, Nothing, parse};
use super::{Engine, Outcome};
use crate::ErrCode;
use crate::sandbox::runtime::Failure;
use crate::sandbox::{DEFAULT_REFUSE_REASON, DEFAULT_SUB_MERCHANT_REASON};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// A card: `approve` and `stock`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardId {
    card_id: String,
}

pub(super) fn approve(engine: &Engine, body: &[u8]) -> Outcome {
    let b: CardId = parse(body)?;
    engine.world.review(&b.card_id, None)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reject {
    card_id: String,
    /// The RefuseReason of `card_not_pass_check`.
    reason: Option<String>,
}

pub(super) fn reject(engine: &Engine, body: &[u8]) -> Outcome {
    let b: Reject = parse(body)?;
    let reason = b.reason.as_deref().unwrap_or(DEFAULT_REFUSE_REASON);
    engine.world.review(&b.card_id, Some(reason))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewSubMerchant {
    merchant_id: i64,
    /// The IsPass of `card_merchant_check_result`.
    pass: bool,
    /// Its Reason; only for a rejection.
    reason: Option<String>,
}

pub(super) fn review_sub_merchant(engine: &Engine, body: &[u8]) -> Outcome {
    let b: ReviewSubMerchant = parse(body)?;
    let refused = match (b.pass, b.reason) {
        (true, Some(_)) => {
            let message = "`reason` is for a rejection (`pass`: false)";
            return Err(ControlError::invalid_body(Some("reason".into()), message).into());
        }
        (true, None) => None,
        (false, Some(reason)) if reason.trim().is_empty() => {
            let message = "`reason` is empty: leave it out for the default reason";
            return Err(ControlError::invalid_body(Some("reason".into()), message).into());
        }
        (false, reason) => Some(reason.unwrap_or_else(|| DEFAULT_SUB_MERCHANT_REASON.into())),
    };
    engine
        .world
        .review_sub_merchant(b.merchant_id, refused.as_deref())?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddStore {
    poi_id: i64,
}

pub(super) fn add_store(engine: &Engine, body: &[u8]) -> Outcome {
    let b: AddStore = parse(body)?;
    if b.poi_id <= 0 {
        let message = "`poi_id` is a store's id, a positive integer";
        return Err(ControlError::invalid_body(Some("poi_id".into()), message).into());
    }
    engine.world.add_store(b.poi_id);
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceClock {
    seconds: u64,
}

pub(super) fn advance_clock(engine: &Engine, body: &[u8]) -> Outcome {
    let b: AdvanceClock = parse(body)?;
    engine.advance_clock(Duration::from_secs(b.seconds));
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EncryptCode {
    code: String,
}

pub(super) fn encrypt_code(engine: &Engine, body: &[u8]) -> Outcome {
    let b: EncryptCode = parse(body)?;
    let encrypted = engine.world.encrypt_code(&b.code)?;
    Ok(json!({ "encrypt_code": encrypted }))
}

pub(super) fn credentials(engine: &Engine, body: &[u8]) -> Outcome {
    let Nothing {} = parse(body)?;
    let tokens = &engine.context.tokens;
    Ok(json!({"appid": tokens.appid, "secret": tokens.secret}))
}

pub(super) fn stock(engine: &Engine, body: &[u8]) -> Outcome {
    let b: CardId = parse(body)?;
    let (remaining, claimed, consumed) = engine
        .world
        .stock(&b.card_id)
        .ok_or_else(|| Failure::new(ErrCode::InvalidCardId, "invalid card id"))?;
    Ok(json!({"remaining": remaining, "claimed": claimed, "consumed": consumed}))
}

pub(super) fn counters(engine: &Engine, body: &[u8]) -> Outcome {
    let Nothing {} = parse(body)?;
    let tokens = &engine.context.tokens;
    Ok(json!({
        "token_requests": tokens.requests(),
        "tokens_issued": tokens.issued(),
        "requests": engine.counters.per_endpoint(),
        "unrouted_requests": engine.counters.unrouted(),
        // Since the last clear_faults (the plans' own counts).
        "faults_fired": engine.context.faults.plans().iter().map(|p| u64::from(p.fired)).sum::<u64>(),
    }))
}
