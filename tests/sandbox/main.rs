//! The sandbox, in one test binary: the seeds' workflows end to end in both flavours
//! (`lifecycles`), the semantics it promises (`semantics`), tokens, faults and stock
//! under concurrency (`faults`), the standalone server (`binary`), the control API
//! driven over plain HTTP as other languages drive it (`control`), and the faults
//! that matter: replies lost after the call took effect (`reply_lost`), each fault
//! kind on the wire and the fault actions (`wire_faults`), and what a plan hits
//! (`fault_targets`); the console page at `/` with its forms, over HTTP (`console`)
//! and in a headless Chromium (`browser`); the merchant's own records: pay-gift
//! rules, sub-merchants, QR lifetimes (`merchants`); what members tell WeChat and
//! their statistics (`members`); the coin account that buys Friends' coupons' stock
//! (`coins`); the card each store mini-program shows (`store_wxa`); card messages
//! users receive (`messages`); gift cards bought, given, accepted and refunded
//! (`gift_cards`); electronic invoices from authorisation to reimbursement
//! (`invoices`); the JS-SDK's two tickets (`jssdk`) and daily API quotas (`quota`).

use wechat_card::{ErrCode, Error};

#[path = "../support/binary.rs"]
mod binary_server;
#[path = "../support/cards.rs"]
mod cards;
#[path = "../support/chromium.rs"]
mod chromium;
#[path = "../support/net.rs"]
mod net;

mod binary;
mod browser;
mod coins;
mod console;
mod control;
mod fault_targets;
mod faults;
mod gift_cards;
mod invoices;
mod jssdk;
mod lifecycles;
mod members;
mod merchants;
mod messages;
mod quota;
mod reply_lost;
mod semantics;
mod store_wxa;
mod wire_faults;

fn errcode<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrCode {
    result
        .expect_err("an error")
        .errcode()
        .expect("an API error")
}

/// Pushes go to a port nobody listens on: each is recorded once, and flushing reports it.
fn record_pushes(sandbox: &wechat_card::sandbox::Sandbox) {
    let dead = format!("http://127.0.0.1:{}/wechat", net::free_port());
    let target = wechat_card::sandbox::PushTarget::plain(dead, "token")
        .retries(0)
        .timeout(std::time::Duration::from_secs(1));
    sandbox.push_events_to(target).unwrap();
}
