//! The control API: the sandbox-only actions over HTTP (`POST /sandbox/<action>`), for
//! tests written in any language. One table, [`actions`], routes them and lists them
//! (in `--help` and in the 404 of an unknown action), so the list cannot drift;
//! `docs/sandbox.md` documents each.
//!
//! A body is read strictly (unknown keys, missing keys and wrong types are an HTTP
//! 400 naming the key); a refusal by the simulated WeChat (an unknown card, a code
//! already consumed) is an HTTP 200 `{"errcode", "errmsg"}`, as WeChat would answer.

mod body;
mod fault;
mod operator;
mod push;
mod user;

pub(crate) use body::ControlError;

use super::Engine;
use super::runtime::Failure;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What an action did: the fields of its reply, or why not.
type Outcome = Result<Value, Refusal>;

/// An action that waits (for deliveries, for the receiver's answer).
type Pending = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Why an action did not happen.
enum Refusal {
    /// The request itself is wrong: HTTP 4xx in the control API's error shape.
    Request(ControlError),
    /// The simulated WeChat refused, and says so as WeChat would (errcode, errmsg).
    WeChat(Failure),
}

impl From<ControlError> for Refusal {
    fn from(e: ControlError) -> Self {
        Refusal::Request(e)
    }
}

impl From<Failure> for Refusal {
    fn from(f: Failure) -> Self {
        Refusal::WeChat(f)
    }
}

#[derive(Debug, Clone, Copy)]
enum Run {
    Now(fn(&Engine, &[u8]) -> Outcome),
    Later(fn(Arc<Engine>, Bytes) -> Pending),
}

/// One `/sandbox/<action>`.
#[derive(Debug)]
pub struct Action {
    name: &'static str,
    keys: &'static str,
    summary: &'static str,
    /// Read-only actions without a body answer `GET` too.
    get: bool,
    run: Run,
}

impl Action {
    /// The action's name, the last segment of its path.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The keys of its JSON body, `?` after optional ones (empty: no body).
    pub fn keys(&self) -> &'static str {
        self.keys
    }

    /// What it does, in one line.
    pub fn summary(&self) -> &'static str {
        self.summary
    }

    /// `POST`, or `GET or POST`.
    pub fn methods(&self) -> &'static str {
        if self.get { "GET or POST" } else { "POST" }
    }
}

const fn action(name: &'static str, keys: &'static str, summary: &'static str, run: Run) -> Action {
    Action {
        name,
        keys,
        summary,
        get: false,
        run,
    }
}

/// A read-only action without a body, which answers `GET` too.
const fn reading(name: &'static str, summary: &'static str, run: Run) -> Action {
    Action {
        get: true,
        ..action(name, "", summary, run)
    }
}

use Run::{Later, Now};

// One row per action reads best as a table.
#[rustfmt::skip]
static ACTIONS: &[Action] = &[
    // What users do.
    action("claim", "openid, card_id, code?, outer_str?", "a user claims a card; replies {code}", Now(user::claim)),
    action("scan_qrcode", "openid, ticket", "a user scans a card QR code and claims its card; replies {code}", Now(user::scan_qrcode)),
    action("view", "openid, card_id", "a user opens a card's page", Now(user::view)),
    action("gift", "code, friend", "a user gives a code to a friend, who accepts; replies {code} (the friend's)", Now(user::gift)),
    action("delete", "code", "a user deletes a code from their card pack", Now(user::delete)),
    action("enter_chat_from_card", "openid, card_id", "a user opens the account's chat from a card they hold", Now(user::enter_chat_from_card)),
    action("fill_activation_form", "openid, card_id, fields?", "a user fills in a member card's activation form; replies {activate_ticket}", Now(user::fill_activation_form)),
    action("pay_recharge", "order_id, openid?", "the merchant pays a coin recharge order (scans its QR code); its paid coins arrive", Now(user::pay_recharge)),
    action("messages", "openid", "the card messages a user received; replies {messages: [{msg_id, kind, card_id, card_ext?, sent_at}]}", Now(user::messages)),
    action("claim_message", "openid, msg_id", "a user claims the card of a message they received; replies {code}", Now(user::claim_message)),
    action("tag_user", "openid, tag_id", "adds a user to a tag (mass messages to the tag reach them)", Now(user::tag_user)),
    action("name_user", "openid, wechat_name", "gives a user a WeChat name (previews by towxname reach them)", Now(user::name_user)),
    action("buy_gift_card", "openid, page_id, card_id, price, count?, outer_str?", "a user buys gift cards on a shelf and pays; replies {order_id, codes}", Now(user::buy_gift_card)),
    action("send_gift_card", "openid, order_id, chat_room?", "the buyer sends an order's gift cards to a friend or a group", Now(user::send_gift_card)),
    action("accept_gift_card", "openid, order_id", "a friend accepts gift cards sent to them; replies {codes}", Now(user::accept_gift_card)),
    action("authorize_invoice", "s_pappid, order_id, title, phone?, email?, openid?", "a user authorises invoicing an order, with a personal title; pushes user_authorize_invoice", Now(user::authorize_invoice)),
    action("choose_invoices", "openid", "the invoices a user can hand to a reimburser (JS-SDK chooseInvoice); replies {invoices: [{card_id, encrypt_code}]}", Now(user::choose_invoices)),
    action("submit_invoice_title", "openid, url, title, business?, tax_no?, addr?, phone?, bank_type?, bank_no?", "a user submits a title on the seller's title link; pushes submit_invoice_title", Now(user::submit_invoice_title)),
    action("invoice_title_qr", "openid, title, business?, tax_no?, addr?, phone?, bank_type?, bank_no?", "the QR code of a title a user keeps in WeChat; replies {scan_text} for scantitle", Now(user::invoice_title_qr)),
    // What WeChat's staff and time do.
    action("approve", "card_id", "review approves a card", Now(operator::approve)),
    action("reject", "card_id, reason?", "review rejects a card", Now(operator::reject)),
    action("review_sub_merchant", "merchant_id, pass, reason?", "review approves (pass: true) or rejects a sub-merchant; pushes card_merchant_check_result", Now(operator::review_sub_merchant)),
    action("add_store", "poi_id", "adds a store (poi) to the account's store mini-program, for card/storewxa", Now(operator::add_store)),
    action("advance_clock", "seconds", "moves the sandbox's clock forward", Now(operator::advance_clock)),
    // What the tester reads.
    action("encrypt_code", "code", "the encrypt_code a card page's URL carries; replies {encrypt_code}", Now(operator::encrypt_code)),
    action("stock", "card_id", "a card's stock; replies {remaining, claimed, consumed}", Now(operator::stock)),
    reading("credentials", "the appid and secret; replies {appid, secret}", Now(operator::credentials)),
    reading("counters", "requests so far; replies {token_requests, tokens_issued, requests, unrouted_requests, faults_fired}", Now(operator::counters)),
    // Event pushes.
    action("push_events_to", "url, token, encoding_aes_key?, timeout_ms?, retries?", "pushes card events to a server from now on", Now(push::push_events_to)),
    action("verify_url", "url, token, encoding_aes_key?, timeout_ms?, retries?", "WeChat's server URL check (a signed GET echoing echostr)", Later(push::verify_url)),
    action("stop_pushing", "", "stops pushing (queued events still go)", Now(push::stop_pushing)),
    action("flush_pushes", "", "waits for queued events; replies {deliveries}", Later(push::flush_pushes)),
    // Injected faults: docs/sandbox-faults.md.
    action("fault", "kind, endpoint?, appid?, call?, times?, rate?, errcode?, status?, ms?, bytes?, every_ms?", "injects a fault; replies {id} (see docs/sandbox-faults.md)", Now(fault::fault)),
    reading("faults", "the fault plans and how often each fired, and the calls per endpoint; replies {plans, calls}", Now(fault::faults)),
    action("clear_faults", "", "removes every fault plan (call numbers keep counting)", Now(fault::clear_faults)),
];

/// Every `/sandbox/<action>`, in the order `--help` lists them.
pub fn actions() -> &'static [Action] {
    ACTIONS
}

fn names() -> Vec<&'static str> {
    ACTIONS.iter().map(|a| a.name).collect()
}

/// `/sandbox/<action>`: finds the action, runs it, answers.
pub(super) async fn handle(
    State(engine): State<Arc<Engine>>,
    method: Method,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let Some(action) = ACTIONS.iter().find(|a| a.name == name) else {
        return ControlError::unknown_action(&name, names()).into_response();
    };
    if method != Method::POST && !(method == Method::GET && action.get) {
        return ControlError::method_not_allowed(&name, action.methods()).into_response();
    }
    let outcome = match action.run {
        Now(run) => run(&engine, &body),
        Later(run) => run(engine, body).await,
    };
    let reply = match outcome {
        Ok(mut value) => {
            value["errcode"] = json!(0);
            value["errmsg"] = json!("ok");
            value
        }
        Err(Refusal::WeChat(f)) => json!({"errcode": f.errcode, "errmsg": f.errmsg}),
        Err(Refusal::Request(e)) => return e.into_response(),
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        reply.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests;
