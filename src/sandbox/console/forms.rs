//! The forms of the page and what they post to: `POST /console/<action>` with an
//! `application/x-www-form-urlencoded` body, answered with a 303 back to `/` (with
//! `?error=` when the simulated WeChat refused). Each runs the world's method the
//! matching control action (`/sandbox/<action>`) runs.

use super::esc;
use crate::code::CodeConsumeRequest;
use crate::generated::sandbox::CodeOperations;
use crate::sandbox::runtime::Failure;
use crate::sandbox::world::{CardSnapshot, CodeSnapshot};
use crate::sandbox::{DEFAULT_REFUSE_REASON, Engine};
use crate::types::UserCardStatus;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt::{self, Write};
use std::sync::Arc;
use std::time::Duration;

/// The console's actions, in the order the page shows their forms.
pub(crate) const FORM_ACTIONS: [&str; 5] =
    ["approve", "reject", "claim", "consume", "advance_clock"];

/// A form's fields; an empty field counts as missing.
struct Form(HashMap<String, String>);

impl Form {
    fn optional(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn required(&self, key: &'static str) -> Result<&str, BadForm> {
        self.optional(key)
            .ok_or_else(|| BadForm(format!("the form lacks {key}")))
    }
}

/// A form that cannot be run (a field missing or malformed, no such action): 400.
struct BadForm(String);

/// `POST /console/<action>`.
pub(crate) async fn submit(
    State(engine): State<Arc<Engine>>,
    Path(action): Path<String>,
    body: Bytes,
) -> Response {
    let form = Form(form_urlencoded::parse(&body).into_owned().collect());
    let location = match run(&engine, &action, &form) {
        Ok(Ok(())) => "/".to_owned(),
        Ok(Err(refused)) => {
            let message = format!("{action}: {} {}", refused.errcode, refused.errmsg);
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("error", &message)
                .finish();
            format!("/?{query}")
        }
        Err(BadForm(message)) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Runs one action: `Ok(Err(..))` when the simulated WeChat refused it.
fn run(engine: &Engine, action: &str, form: &Form) -> Result<Result<(), Failure>, BadForm> {
    let world = &engine.world;
    Ok(match action {
        "approve" => world.review(form.required("card_id")?, None),
        "reject" => {
            let reason = form.optional("reason").unwrap_or(DEFAULT_REFUSE_REASON);
            world.review(form.required("card_id")?, Some(reason))
        }
        "claim" => world
            .claim(
                form.required("openid")?,
                form.required("card_id")?,
                form.optional("code"),
                None,
            )
            .map(drop),
        "consume" => {
            let mut request = CodeConsumeRequest::new(form.required("code")?);
            // Custom codes are consumed with their card named, as code/consume wants.
            if let Some(card_id) = form.optional("card_id") {
                request = request.card_id(card_id);
            }
            world.code_consume(request).map(drop)
        }
        "advance_clock" => {
            let seconds = form.required("seconds")?;
            let seconds: u64 = seconds
                .parse()
                .map_err(|_| BadForm(format!("seconds is not a whole number: {seconds}")))?;
            engine.advance_clock(Duration::from_secs(seconds));
            Ok(())
        }
        other => {
            let known = FORM_ACTIONS.join(", ");
            return Err(BadForm(format!("no console action {other}: {known}")));
        }
    })
}

/// The forms, with the cards and codes there are to choose from.
pub(super) fn forms(
    out: &mut String,
    cards: &[CardSnapshot],
    codes: &[CodeSnapshot],
) -> fmt::Result {
    out.write_str("<section id=\"actions\"><h2>Actions</h2>")?;
    let card_ids = |out: &mut String| -> fmt::Result {
        out.write_str("<select name=\"card_id\">")?;
        for card in cards {
            let title = card.base_info.title.as_deref().unwrap_or("");
            write!(
                out,
                "<option value=\"{id}\">{title} ({id})</option>",
                id = esc(&card.card_id),
                title = esc(title),
            )?;
        }
        out.write_str("</select>")
    };
    out.write_str("<form method=\"post\" action=\"/console/approve\">")?;
    card_ids(out)?;
    out.write_str(" <button>Approve</button></form>")?;
    out.write_str("<form method=\"post\" action=\"/console/reject\">")?;
    card_ids(out)?;
    out.write_str(
        " <input name=\"reason\" placeholder=\"reason\"> <button>Reject</button></form>",
    )?;
    out.write_str(
        "<form method=\"post\" action=\"/console/claim\"><input name=\"openid\" placeholder=\"openid\" required> ",
    )?;
    card_ids(out)?;
    out.write_str(" <input name=\"code\" placeholder=\"custom code (optional)\"> <button>Claim</button></form>")?;
    out.write_str("<form method=\"post\" action=\"/console/consume\"><select name=\"code\">")?;
    for code in codes.iter().filter(|c| c.status == UserCardStatus::Normal) {
        write!(out, "<option>{}</option>", esc(&code.code))?;
    }
    out.write_str("</select> <button>Consume</button></form>")?;
    out.write_str(
        "<form method=\"post\" action=\"/console/advance_clock\">\
         <input name=\"seconds\" type=\"number\" min=\"0\" value=\"86400\" required> seconds \
         <button>Advance clock</button></form></section>",
    )
}
