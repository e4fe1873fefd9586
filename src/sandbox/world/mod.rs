//! The sandbox's world: its state, and the behaviour of every endpoint.
//!
//! Every record is typed with the generated models and enums: a card is the
//! `types::Card` it was created with (card/get returns it, card/update merges into it)
//! plus what WeChat adds — status, stock, times; a code has its `UserCardStatus`.
//! Every reply is built as its generated response type, so the compiler keeps the
//! replies' shape, and the conformance suite holds each one to the documented reply,
//! field for field (`tests/support/documented.rs`). Codes live in one table whatever
//! their card; events (views, claims, redemptions, gifts…) feed the statistics.
//!
//! One file per domain, each with its records and the endpoints that act on them (it
//! implements the generated `…Operations` trait of the endpoint groups in brackets):
//!
//! - `cards`: card definitions, their review and stock (`card`);
//! - `codes`: the codes users hold, their validity and status (`code`);
//! - `users`: what users do, sandbox only: claim, scan, view, gift, delete, open the
//!   chat, fill in an activation form;
//! - `members`: member and general cards: activation, points, balance, custom values
//!   (`member_card`, `general_card`);
//! - `distribution`: QR codes, landing pages, articles, imported codes (`distribute`);
//! - `statistics`: the events behind the daily figures (`datacube`);
//! - `merchants`: sub-merchants and pay-gift rules (`sub_merchant`, `pay_gift`);
//! - `coins`: the coin account that buys Friends' coupons' stock, its orders (`coin`);
//! - `store_wxa`: the stores of the account's store mini-program and the card each
//!   shows (`store_wxa`);
//! - `messages`: card messages users receive by mass, preview and customer-service
//!   messages, users' tags and WeChat names (`message`);
//! - `gift_cards`: gift card shelves, orders and refunds (`gift_card`);
//! - `invoices`: electronic invoices, from the authorisation page to reimbursement
//!   (`invoice`, `invoice_platform`, `invoice_reimburse`);
//! - `special_tickets`: boarding passes, meeting and movie tickets, red packets
//!   (`ticket`);
//! - `account`: colours, categories, uploaded images, tokens (`basic`, `token`);
//! - `seed`: the state a documentation example expects before it runs;
//! - `snapshot`: read-only copies of cards and codes for the console.
//!
//! This file holds what they share: the state behind one lock, and small helpers.

mod account;
mod cards;
mod codes;
mod coins;
mod distribution;
mod gift_cards;
mod invoices;
mod members;
mod merchants;
mod messages;
mod seed;
mod snapshot;
mod special_tickets;
mod statistics;
mod store_wxa;
mod users;

pub(crate) use account::COLORS;
pub(crate) use coins::{PAYER, SeedCoins};
pub use gift_cards::GiftCardPurchase;
pub(crate) use gift_cards::GiftCardSeed;
pub(crate) use invoices::InvoiceSnapshot;
pub use invoices::InvoiceTitle;
pub(crate) use invoices::{
    InvoiceSeed, SEEDED_HOLDER, SeedInvoiceCard, before as invoice_status_before,
};
pub(crate) use members::{Profile, answers as member_answers};
pub use messages::{CardMessage, MessageKind};
pub(crate) use seed::{PastEvents, Seed, SeedRule};
pub(crate) use snapshot::{CardSnapshot, CodeSnapshot};
pub(crate) use statistics::{EventKind, free_coupon_type};

use super::callback::Outbox;
use super::clock::Clock;
use super::runtime::Failure;
use super::tokens::Tokens;
use crate::ErrCode;
use crate::generated::sandbox::Operations;
use crate::push::events::{CardEvent, Envelope};
use cards::CardRecord;
use codes::CodeRecord;
use distribution::QrTicket;
use merchants::{PayGiftRecord, SubMerchantRecord};
use serde_json::Value;
use statistics::Event;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use store_wxa::StoreRecord;

/// Settings of the world.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a new or re-reviewed card stays CARD_STATUS_NOT_VERIFY before WeChat
    /// approves it; `None`: it waits for `Sandbox::approve`.
    pub review: Option<Duration>,
    /// The sandbox's own address, for the URLs it hands out.
    pub base_url: String,
}

/// Everything the world remembers, behind its one lock. Each record type lives in the
/// file of its domain, with the behaviour that changes it.
#[derive(Debug, Default)]
struct State {
    cards: HashMap<String, CardRecord>,
    /// Card ids in creation order (card/batchget pages through them).
    card_order: Vec<String>,
    codes: HashMap<String, CodeRecord>,
    /// card_id -> imported, not yet given out codes.
    deposited: HashMap<String, BTreeSet<String>>,
    /// Every code ever imported, given out or not (deposit dedupes against it).
    imported: HashMap<String, BTreeSet<String>>,
    qr: HashMap<String, QrTicket>,
    whitelist_openids: BTreeSet<String>,
    whitelist_usernames: BTreeSet<String>,
    landing_pages: u64,
    media: HashMap<String, (String, Vec<u8>)>,
    events: Vec<Event>,
    /// Cards the account made on the MP platform (statistics' cond_source 0): only
    /// seeded ones, the sandbox's own are made through the API.
    platform_cards: BTreeSet<String>,
    sub_merchants: BTreeMap<i64, SubMerchantRecord>,
    pay_gift_rules: BTreeMap<i64, PayGiftRecord>,
    /// poi_id -> a store of the account's store mini-program.
    stores: BTreeMap<i64, StoreRecord>,
    /// activate_ticket -> the answers the user submitted with it.
    activate_tickets: HashMap<String, crate::types::MemberFormInfo>,
    /// (card_id, openid) -> what the member told WeChat.
    profiles: HashMap<(String, String), Profile>,
    card_tickets: Vec<String>,
    /// encrypt_code values seeded for documentation examples -> code.
    seeded_encrypted: HashMap<String, String>,
    /// The coin account (券点) and its orders.
    coins: coins::CoinAccount,
    /// openid -> the card messages the user received, oldest first.
    inbox: HashMap<String, Vec<messages::CardMessage>>,
    /// openid -> the user's tags (mass messages to a tag reach them).
    tags: HashMap<String, BTreeSet<i64>>,
    /// WeChat name -> openid (previews by towxname).
    wechat_names: HashMap<String, String>,
    /// clientmsgid (given, or the digest of scope and content) -> the mass job's msg_id.
    mass_jobs: HashMap<String, i64>,
    /// The msg_ids of the mass messages sent (`mass/get` reads them).
    mass_sent: BTreeSet<i64>,
    msg_serial: i64,
    /// card_ext signatures of documentation examples, signed with a ticket the sandbox
    /// never issued: accepted as if it had.
    seeded_card_ext_signatures: BTreeSet<String>,
    /// Gift card shelves, orders, merchant numbers.
    gift_cards: gift_cards::GiftCards,
    /// Electronic invoices: settings, authorisations, templates, PDFs, invoices.
    invoice: invoices::Invoicing,
    serial: u64,
}

/// The world: state behind one lock, the clock, the tokens.
pub struct World {
    state: Mutex<State>,
    pub(crate) clock: Arc<Clock>,
    pub(crate) tokens: Arc<Tokens>,
    /// Daily calls per API path, shared with the gate that counts them.
    pub(crate) quota: Arc<super::quota::Quota>,
    settings: Settings,
    pub(crate) outbox: Arc<Outbox>,
}

/// Who sends the events no user causes (review, stock alarms): WeChat itself.
pub const WECHAT_SENDER: &str = "oWeChatCardSystem0000000000";

fn fail(code: ErrCode, message: impl Into<String>) -> Failure {
    Failure::new(code, message)
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Merges `patch` into `target`, objects recursively.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

impl World {
    pub(crate) fn new(
        clock: Arc<Clock>,
        tokens: Arc<Tokens>,
        quota: Arc<super::quota::Quota>,
        settings: Settings,
        outbox: Arc<Outbox>,
    ) -> Self {
        World {
            state: Mutex::default(),
            clock,
            tokens,
            quota,
            settings,
            outbox,
        }
    }

    /// Pushes an event from `from` to the registered receiver, if any (built only
    /// then; `build` names the event).
    fn push(&self, from: &str, build: impl FnOnce(Envelope) -> CardEvent) {
        if let Some(target) = self.outbox.target() {
            let envelope = self.outbox.envelope(from, self.now());
            self.outbox.send(build(envelope), target);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Now, in Unix seconds (the unit of the replies' times).
    fn secs(&self) -> i64 {
        (self.now() / 1000) as i64
    }

    /// A new id: `prefix` and letters and digits derived from a counter (splitmix64),
    /// unique per sandbox and WeChat-like.
    fn id(state: &mut State, prefix: &str, len: usize) -> String {
        state.serial += 1;
        let alphabet = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789_-";
        let mut x = state.serial;
        let mut out = String::from(prefix);
        while out.len() < len {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            out.push(alphabet[(z % alphabet.len() as u64) as usize] as char);
        }
        out
    }
}

/// Every group of endpoints is implemented, each in its domain's file.
impl Operations for World {}
