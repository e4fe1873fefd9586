//! The fault actions (`fault`, `faults`, `clear_faults`): what a plan is and how its
//! JSON reads is `faults/json.rs`'s business (documented in docs/sandbox-faults.md);
//! here the answers take the control API's reply and error shapes.

use super::body::{Nothing, parse};
use super::{ControlError, Engine, Outcome};
use crate::sandbox::faults::json;
use serde_json::json;

pub(super) fn fault(engine: &Engine, body: &[u8]) -> Outcome {
    json::add(&engine.context.faults, body)
        .map_err(|refused| ControlError::invalid_body(Some(refused.field), refused.message).into())
}

pub(super) fn faults(engine: &Engine, body: &[u8]) -> Outcome {
    let Nothing {} = parse(body)?;
    Ok(json::list(&engine.context.faults))
}

pub(super) fn clear_faults(engine: &Engine, body: &[u8]) -> Outcome {
    let Nothing {} = parse(body)?;
    engine.context.faults.clear();
    Ok(json!({}))
}
