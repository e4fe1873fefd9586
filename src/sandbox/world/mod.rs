//! The sandbox's state and the behaviour of every endpoint.
//!
//! Cards are kept as the JSON object they were created with (so card/get returns
//! everything, and card/update merges into it), plus what WeChat adds: status, stock,
//! times. Codes live in one table whatever their card; events (views, claims,
//! redemptions, gifts…) feed the statistics.

use super::callback::Outbox;
use super::card_events::{self as push, Claim};
use super::clock::{Clock, china_date};
use super::runtime::Failure;
use super::tokens::Tokens;
use crate::ErrCode;
use crate::generated::sandbox::*;
use crate::push::events::{CardEvent, Envelope};
use crate::types::CondSource;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::{
    basic, card, code, datacube, distribute, general_card, member_card, pay_gift, sub_merchant,
    ticket, token,
};

/// Settings of the world.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a new or re-reviewed card stays CARD_STATUS_NOT_VERIFY before WeChat
    /// approves it; `None`: it waits for `Sandbox::approve`.
    pub review: Option<Duration>,
    /// The sandbox's own address, for the URLs it hands out.
    pub base_url: String,
}

#[derive(Debug, Clone)]
struct CardRecord {
    /// The `card` object: `card_type` and the object of its type.
    card: Value,
    /// Its lowercase type key (`groupon`, `member_card`, …).
    key: String,
    created_ms: u64,
    updated_ms: u64,
    status: &'static str,
    /// When review ends in approval, if automatic.
    approve_at_ms: Option<u64>,
    quantity: i64,
    total_quantity: i64,
    pay_cell: bool,
    self_consume_cell: bool,
    form: Option<Value>,
    /// When the last "stock is low" alarm went out (at most one per 12 h).
    low_stock_alarm_ms: Option<u64>,
}

impl CardRecord {
    fn base(&self) -> &Value {
        &self.card[&self.key]["base_info"]
    }

    fn flag(&self, field: &str) -> bool {
        self.base()[field].as_bool().unwrap_or(false)
    }

    fn custom_code(&self) -> bool {
        self.flag("use_custom_code")
    }

    fn deposit_mode(&self) -> bool {
        self.base()["get_custom_code_mode"] == "GET_CUSTOM_CODE_MODE_DEPOSIT"
    }

    /// The pay and self-redemption cells need stores: listed, or all of them.
    fn require_stores(&self) -> Result<(), Failure> {
        let has_stores = self.base()["location_id_list"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
            || self.flag("use_all_locations");
        match has_stores {
            true => Ok(()),
            false => Err(fail(ErrCode::LocationRequired, "require location id")),
        }
    }

    fn type_name(&self) -> &str {
        self.card["card_type"].as_str().unwrap_or("")
    }
}

#[derive(Debug, Clone)]
struct CodeRecord {
    card_id: String,
    openid: String,
    status: &'static str,
    claimed_ms: u64,
    outer_str: Option<String>,
    marked_by: Option<String>,
    /// Member and general cards.
    membership_number: Option<String>,
    activated: bool,
    bonus: i64,
    balance: i64,
    custom_fields: [Option<String>; 3],
    /// Special tickets: what the merchant set (seat, gate…).
    details: Map<String, Value>,
}

impl CodeRecord {
    /// updateuser: the custom field values given replace theirs, the others stay.
    fn update_custom_fields(&mut self, values: [Option<String>; 3]) {
        for (slot, value) in self.custom_fields.iter_mut().zip(values) {
            if value.is_some() {
                *slot = value;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum EventKind {
    View,
    Receive,
    Verify,
    Given,
    Expire,
    Activate,
}

#[derive(Debug, Clone)]
struct Event {
    at_ms: u64,
    card_id: String,
    openid: String,
    kind: EventKind,
}

/// Events per kind, and the users behind them.
type Tally = (
    HashMap<EventKind, i64>,
    HashMap<EventKind, BTreeSet<String>>,
);

#[derive(Debug, Clone)]
struct QrTicket {
    /// (card_id, code, outer_str) per card of the QR code.
    card_ids: Vec<(String, Option<String>, Option<String>)>,
    url: String,
    expires_ms: Option<u64>,
}

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
    sub_merchants: BTreeMap<i64, Value>,
    pay_gift_rules: BTreeMap<i64, Value>,
    activate_tickets: HashMap<String, (String, Value)>,
    card_tickets: Vec<String>,
    /// encrypt_code values seeded for documentation examples -> code.
    seeded_encrypted: HashMap<String, String>,
    serial: u64,
}

/// The world: state behind one lock, the clock, the tokens.
pub struct World {
    state: Mutex<State>,
    pub(crate) clock: Arc<Clock>,
    pub(crate) tokens: Arc<Tokens>,
    settings: Settings,
    pub(crate) outbox: Arc<Outbox>,
}

/// Who sends the events no user causes (review, stock alarms): WeChat itself.
pub const WECHAT_SENDER: &str = "oWeChatCardSystem0000000000";

fn fail(code: ErrCode, message: impl Into<String>) -> Failure {
    Failure::new(code, message)
}

/// Decodes the documented JSON of a reply into its type. A mismatch is a sandbox bug,
/// reported as "system busy" with the reason rather than hidden.
fn reply<T: DeserializeOwned>(value: Value) -> Result<T, Failure> {
    serde_json::from_value(value).map_err(|e| {
        fail(
            ErrCode::SystemBusy,
            format!("sandbox reply does not fit its type: {e}"),
        )
    })
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
        settings: Settings,
        outbox: Arc<Outbox>,
    ) -> Self {
        World {
            state: Mutex::default(),
            clock,
            tokens,
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

    /// Applies automatic review to a card that is due (and tells the receiver).
    fn refresh_status(&self, card_id: &str, record: &mut CardRecord) {
        if record.status == "CARD_STATUS_NOT_VERIFY"
            && record.approve_at_ms.is_some_and(|t| t <= self.now())
        {
            record.status = "CARD_STATUS_VERIFY_OK";
            self.push(WECHAT_SENDER, |e| push::reviewed(e, card_id, None));
        }
    }

    /// Ends every review that is due, so its event goes out without waiting for the
    /// card to be looked at (after the clock moves, and periodically while pushing).
    pub(crate) fn sweep_reviews(&self) {
        let mut state = self.lock();
        let State {
            cards, card_order, ..
        } = &mut *state;
        // In creation order, so that the events' order is reproducible.
        for card_id in card_order.iter() {
            if let Some(record) = cards.get_mut(card_id) {
                self.refresh_status(card_id, record);
            }
        }
    }

    /// The "stock is low" alarm after a claim, as the docs describe it: the last card
    /// went, or a card that started above 200 is down to 100 or fewer (at most once
    /// every 12 hours).
    fn stock_alarm(&self, card_id: &str, card: &mut CardRecord) {
        const TWELVE_HOURS_MS: u64 = 12 * 3600 * 1000;
        let now = self.now();
        let detail = if card.quantity == 0 {
            "the card's quantity is equal to 0"
        } else if card.total_quantity > 200
            && card.quantity <= 100
            && card
                .low_stock_alarm_ms
                .is_none_or(|t| now.saturating_sub(t) >= TWELVE_HOURS_MS)
        {
            "the card's quantity is less than or equal to 100"
        } else {
            return;
        };
        card.low_stock_alarm_ms = Some(now);
        self.push(WECHAT_SENDER, |e| push::stock_low(e, card_id, detail));
    }

    fn card<'s>(&self, state: &'s mut State, card_id: &str) -> Result<&'s mut CardRecord, Failure> {
        let record = state
            .cards
            .get_mut(card_id)
            .ok_or_else(|| fail(ErrCode::InvalidCardId, format!("invalid card id {card_id}")))?;
        self.refresh_status(card_id, record);
        Ok(record)
    }

    /// The validity window of a code (Unix seconds), from its card's date_info.
    fn validity(card: &CardRecord, claimed_ms: u64) -> (Option<i64>, Option<i64>) {
        let date = &card.base()["date_info"];
        let claimed = (claimed_ms / 1000) as i64;
        match date["type"].as_str() {
            Some("DATE_TYPE_FIX_TIME_RANGE") => (
                date["begin_timestamp"].as_i64(),
                date["end_timestamp"].as_i64(),
            ),
            Some("DATE_TYPE_FIX_TERM") => {
                let day = 86_400;
                let begin = claimed + date["fixed_begin_term"].as_i64().unwrap_or(0) * day;
                let end = match date["fixed_term"].as_i64().unwrap_or(0) {
                    // 领取后当天有效填写0: until midnight, China time (UTC+8).
                    0 => {
                        let china = begin + 8 * 3600;
                        china - china.rem_euclid(day) + day - 1 - 8 * 3600
                    }
                    days => begin + days * day - 1,
                };
                // 统一过期时间: a fixed-term card may also end for everyone at
                // end_timestamp, whichever comes first.
                let end = date["end_timestamp"]
                    .as_i64()
                    .map_or(end, |common| end.min(common));
                (Some(begin), Some(end))
            }
            _ => (None, None),
        }
    }

    /// The code's status now: a NORMAL code past its validity has EXPIRED.
    fn code_status(&self, state: &mut State, code: &str) -> Option<&'static str> {
        let record = state.codes.get(code)?;
        if record.status != "NORMAL" {
            return Some(record.status);
        }
        let card = state.cards.get(&record.card_id)?;
        let (_, end) = Self::validity(card, record.claimed_ms);
        if end.is_none_or(|end| (self.now() / 1000) as i64 <= end) {
            return Some("NORMAL");
        }
        let (card_id, openid) = (record.card_id.clone(), record.openid.clone());
        Self::event(state, self.now(), &card_id, &openid, EventKind::Expire);
        if let Some(r) = state.codes.get_mut(code) {
            r.status = "EXPIRE";
        }
        Some("EXPIRE")
    }

    /// Finds a code, checking that it belongs to `card_id` when given (and that custom
    /// codes are named with their card).
    fn code<'s>(
        &self,
        state: &'s mut State,
        code: &str,
        card_id: Option<&str>,
    ) -> Result<&'s mut CodeRecord, Failure> {
        let invalid = || fail(ErrCode::InvalidCode, "invalid serial code");
        let record = state.codes.get(code).ok_or_else(invalid)?;
        if record.status == "GIFT_SUCC" {
            return Err(invalid());
        }
        if card_id.is_some_and(|id| id != record.card_id) {
            return Err(invalid());
        }
        let needs_card_id = state
            .cards
            .get(&record.card_id)
            .is_some_and(CardRecord::custom_code);
        if needs_card_id && card_id.is_none() {
            return Err(fail(
                ErrCode::MissingCardId,
                "card_id is required for a custom-code card",
            ));
        }
        Ok(state.codes.get_mut(code).expect("checked above"))
    }

    fn event(state: &mut State, at_ms: u64, card_id: &str, openid: &str, kind: EventKind) {
        state.events.push(Event {
            at_ms,
            card_id: card_id.into(),
            openid: openid.into(),
            kind,
        });
    }

    /// A new 12-digit code WeChat would make, not yet in use (`salt`: the time, so
    /// that codes differ between sandboxes).
    fn fresh_code(state: &mut State, salt: u64) -> String {
        loop {
            state.serial += 1;
            let code = format!(
                "{:012}",
                (state.serial * 7_919_879 + salt) % 1_000_000_000_000
            );
            if !state.codes.contains_key(&code) {
                break code;
            }
        }
    }

    // ------------------------------------------------------------ sandbox-only actions

    /// A user claims a card (sandbox only): checks review, stock, the per-user limit
    /// and, for custom codes, the code; returns the code.
    pub(crate) fn claim(
        &self,
        openid: &str,
        card_id: &str,
        code: Option<&str>,
        outer_str: Option<&str>,
    ) -> Result<String, Failure> {
        let now = self.now();
        let mut state = self.lock();
        let whitelisted = state.whitelist_openids.contains(openid);
        let card = self.card(&mut state, card_id)?;
        let (status, quantity) = (card.status, card.quantity);
        let limit = card.base()["get_limit"].as_i64().unwrap_or(0);
        let (deposit_mode, custom_code) = (card.deposit_mode(), card.custom_code());
        if status == "CARD_STATUS_DELETE" {
            return Err(fail(ErrCode::InvalidCardStatus, "the card was deleted"));
        }
        if status != "CARD_STATUS_VERIFY_OK" && !whitelisted {
            return Err(fail(
                ErrCode::InvalidCardStatus,
                "the card is not approved (whitelist the user to test it)",
            ));
        }
        if quantity <= 0 {
            return Err(fail(ErrCode::OutOfStock, "out of stock"));
        }
        let held = state
            .codes
            .values()
            .filter(|c| c.card_id == card_id && c.openid == openid)
            .count() as i64;
        if limit > 0 && held >= limit {
            return Err(fail(
                ErrCode::GetLimitExceeded,
                "the user reached get_limit",
            ));
        }
        let code = if deposit_mode {
            let pool = state.deposited.entry(card_id.to_owned()).or_default();
            match code {
                Some(code) if pool.remove(code) => code.to_owned(),
                Some(_) => return Err(fail(ErrCode::InvalidCode, "the code was not imported")),
                None => pool
                    .pop_first()
                    .ok_or_else(|| fail(ErrCode::OutOfStock, "no imported code left"))?,
            }
        } else if custom_code {
            let code = code.ok_or_else(|| {
                fail(
                    ErrCode::InvalidCode,
                    "a custom-code card is claimed with its code",
                )
            })?;
            if state.codes.contains_key(code) {
                return Err(fail(ErrCode::InvalidCode, "the code is already taken"));
            }
            code.to_owned()
        } else {
            Self::fresh_code(&mut state, now)
        };
        let record = CodeRecord {
            card_id: card_id.into(),
            openid: openid.into(),
            status: "NORMAL",
            claimed_ms: now,
            outer_str: outer_str.map(str::to_owned),
            marked_by: None,
            membership_number: None,
            activated: false,
            bonus: 0,
            balance: 0,
            custom_fields: Default::default(),
            details: Map::new(),
        };
        state.codes.insert(code.clone(), record);
        Self::event(&mut state, now, card_id, openid, EventKind::Receive);
        self.push(openid, |e| {
            push::claimed(e, card_id, &code, Claim::Direct { outer_str })
        });
        let card = state.cards.get_mut(card_id).expect("checked above");
        card.quantity -= 1;
        self.stock_alarm(card_id, card);
        Ok(code)
    }

    /// A user scans a QR code (sandbox only): views and claims its (first) card.
    pub(crate) fn claim_qr(&self, openid: &str, ticket: &str) -> Result<String, Failure> {
        let (card_id, code, outer_str) = {
            let state = self.lock();
            let qr = state
                .qr
                .get(ticket)
                .ok_or_else(|| fail(ErrCode::InvalidActionInfo, "unknown QR ticket"))?;
            if qr.expires_ms.is_some_and(|t| t <= self.now()) {
                return Err(fail(ErrCode::InvalidActionInfo, "the QR code expired"));
            }
            qr.card_ids
                .first()
                .cloned()
                .ok_or_else(|| fail(ErrCode::InvalidActionInfo, "empty QR code"))?
        };
        self.view(openid, &card_id)?;
        self.claim(openid, &card_id, code.as_deref(), outer_str.as_deref())
    }

    /// A user opens a card's page (sandbox only): a view in the statistics.
    pub(crate) fn view(&self, openid: &str, card_id: &str) -> Result<(), Failure> {
        let now = self.now();
        let mut state = self.lock();
        let card = self.card(&mut state, card_id)?;
        let (member_card, custom_code) = (card.key == "member_card", card.custom_code());
        Self::event(&mut state, now, card_id, openid, EventKind::View);
        // A member opening their member card is pushed (user_view_card) with the code
        // when it is the merchant's own, empty otherwise.
        let held = Self::held_code(&state, openid, card_id).filter(|_| member_card);
        if let Some(code) = held {
            let code = if custom_code { code } else { String::new() };
            self.push(openid, |e| push::viewed(e, card_id, &code));
        }
        Ok(())
    }

    /// A user opens the account's chat from a card they hold (sandbox only).
    pub(crate) fn enter_chat(&self, openid: &str, card_id: &str) -> Result<(), Failure> {
        let mut state = self.lock();
        self.card(&mut state, card_id)?;
        let code = Self::held_code(&state, openid, card_id).ok_or_else(|| {
            fail(
                ErrCode::InvalidCode,
                "the user holds no code of this card to open the chat from",
            )
        })?;
        self.push(openid, |e| push::entered_chat(e, card_id, &code));
        Ok(())
    }

    /// The code `openid` holds of `card_id` (the first, if several).
    fn held_code(state: &State, openid: &str, card_id: &str) -> Option<String> {
        state
            .codes
            .iter()
            .filter(|(_, r)| {
                r.card_id == card_id
                    && r.openid == openid
                    && !matches!(r.status, "DELETE" | "GIFT_SUCC")
            })
            .map(|(code, _)| code.clone())
            .min()
    }

    /// A user gifts a code to a friend, who accepts it (sandbox only): the old code is
    /// gone ("invalid serial code"), the friend holds a new one (custom codes keep
    /// theirs and should be changed with code/update).
    pub(crate) fn gift(&self, code: &str, friend: &str) -> Result<String, Failure> {
        let now = self.now();
        let mut state = self.lock();
        let status = self
            .code_status(&mut state, code)
            .ok_or_else(|| fail(ErrCode::InvalidCode, "invalid serial code"))?;
        if status != "NORMAL" {
            return Err(fail(
                ErrCode::CardDeletedOrGifting,
                format!("the code is {status}"),
            ));
        }
        let mut record = state.codes.get(code).cloned().expect("checked");
        let giver = record.openid.clone();
        let custom = state
            .cards
            .get(&record.card_id)
            .is_some_and(CardRecord::custom_code);
        let new_code = if custom {
            code.to_owned()
        } else {
            Self::fresh_code(&mut state, now + 1)
        };
        if let Some(old) = state.codes.get_mut(code) {
            old.status = "GIFT_SUCC";
        }
        record.openid = friend.into();
        record.claimed_ms = now;
        state.codes.insert(new_code.clone(), record.clone());
        Self::event(&mut state, now, &record.card_id, &giver, EventKind::Given);
        let card_id = &record.card_id;
        self.push(&giver, |e| push::gifted(e, card_id, code, friend));
        let how = Claim::Gift {
            friend: &giver,
            old_code: code,
        };
        self.push(friend, |e| push::claimed(e, card_id, &new_code, how));
        Ok(new_code)
    }

    /// A user deletes a card from their card pack (sandbox only).
    pub(crate) fn user_delete(&self, code: &str) -> Result<(), Failure> {
        let mut state = self.lock();
        let record = state
            .codes
            .get_mut(code)
            .filter(|r| !matches!(r.status, "DELETE" | "GIFT_SUCC"))
            .ok_or_else(|| fail(ErrCode::InvalidCode, "invalid serial code"))?;
        record.status = "DELETE";
        let (card_id, openid) = (record.card_id.clone(), record.openid.clone());
        self.push(&openid, |e| push::deleted(e, &card_id, code));
        Ok(())
    }

    /// The sandbox's `encrypt_code` for a code, as a card page's URL would carry it.
    pub(crate) fn encrypt_code(&self, code: &str) -> Result<String, Failure> {
        if !self.lock().codes.contains_key(code) {
            return Err(fail(ErrCode::InvalidCode, "invalid serial code"));
        }
        Ok(crypt(code, &self.tokens.secret))
    }

    /// Ends review (sandbox only): approved, or refused for `refused`'s reason.
    pub(crate) fn review(&self, card_id: &str, refused: Option<&str>) -> Result<(), Failure> {
        let mut state = self.lock();
        // Not through `card()`: a verdict replaces a pending automatic one.
        let card = state
            .cards
            .get_mut(card_id)
            .ok_or_else(|| fail(ErrCode::InvalidCardId, format!("invalid card id {card_id}")))?;
        let verdict = match refused {
            None => "CARD_STATUS_VERIFY_OK",
            Some(_) => "CARD_STATUS_VERIFY_FAIL",
        };
        if card.status == verdict {
            return Ok(()); // said before: nothing new to push
        }
        card.status = verdict;
        card.approve_at_ms = None;
        self.push(WECHAT_SENDER, |e| push::reviewed(e, card_id, refused));
        Ok(())
    }

    /// A user opens the member activation page and fills it in (sandbox only): the
    /// `activate_ticket` that activatetempinfo/get reads.
    pub(crate) fn fill_activation_form(
        &self,
        card_id: &str,
        openid: &str,
        fields: &[(&str, &str)],
    ) -> Result<String, Failure> {
        let mut state = self.lock();
        let member_card = self.card(&mut state, card_id)?.key == "member_card";
        let held = Self::held_code(&state, openid, card_id).filter(|_| member_card);
        if let Some(code) = held {
            self.push(openid, |e| push::member_info_submitted(e, card_id, &code));
        }
        let ticket = Self::id(&mut state, "activate_ticket_", 40);
        let common: Vec<Value> = fields
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        let info = json!({"common_field_list": common, "custom_field_list": []});
        state
            .activate_tickets
            .insert(ticket.clone(), (openid.to_owned(), info));
        Ok(ticket)
    }

    /// Stock left and claimed codes of a card (for tests and the quickstart).
    pub(crate) fn stock(&self, card_id: &str) -> Option<(i64, usize, usize)> {
        let state = self.lock();
        let card = state.cards.get(card_id)?;
        let claimed = state
            .codes
            .values()
            .filter(|c| c.card_id == card_id && c.status != "GIFT_SUCC")
            .count();
        let consumed = state
            .codes
            .values()
            .filter(|c| c.card_id == card_id && c.status == "CONSUMED")
            .count();
        Some((card.quantity, claimed, consumed))
    }

    pub(crate) fn media(&self, id: &str) -> Option<(String, Vec<u8>)> {
        self.lock().media.get(id).cloned()
    }

    // ------------------------------------------------------------ statistics

    /// Daily rows between two dates (China days), counting events of the cards `pick`
    /// selects.
    fn daily(
        &self,
        begin: &str,
        end: &str,
        pick: impl Fn(&CardRecord) -> bool,
        card_filter: Option<&str>,
    ) -> Vec<(String, String, HashMap<&'static str, i64>)> {
        let (Some(begin), Some(end)) = (
            crate::validate::parse_date(begin),
            crate::validate::parse_date(end),
        ) else {
            return Vec::new();
        };
        let state = self.lock();
        // (day, card) -> (events per kind, users per kind)
        let mut rows: BTreeMap<(String, String), Tally> = BTreeMap::new();
        for e in &state.events {
            let day = china_date(e.at_ms);
            if day < begin || day > end || card_filter.is_some_and(|c| c != e.card_id) {
                continue;
            }
            let Some(card) = state.cards.get(&e.card_id) else {
                continue;
            };
            if !pick(card) {
                continue;
            }
            let row = rows
                .entry((day.to_string(), e.card_id.clone()))
                .or_default();
            *row.0.entry(e.kind).or_default() += 1;
            row.1.entry(e.kind).or_default().insert(e.openid.clone());
        }
        rows.into_iter()
            .map(|((day, card_id), (counts, users))| {
                let mut figures = HashMap::new();
                for (kind, cnt, user) in [
                    (EventKind::View, "view_cnt", "view_user"),
                    (EventKind::Receive, "receive_cnt", "receive_user"),
                    (EventKind::Verify, "verify_cnt", "verify_user"),
                    (EventKind::Given, "given_cnt", "given_user"),
                    (EventKind::Expire, "expire_cnt", "expire_user"),
                    (EventKind::Activate, "active_cnt", "active_user"),
                ] {
                    figures.insert(cnt, counts.get(&kind).copied().unwrap_or(0));
                    figures.insert(user, users.get(&kind).map_or(0, |u| u.len() as i64));
                }
                (day, card_id, figures)
            })
            .collect()
    }

    /// Sums per-card rows into per-day rows.
    fn per_day(
        rows: Vec<(String, String, HashMap<&'static str, i64>)>,
        keys: &[&'static str],
    ) -> Vec<Value> {
        let mut days: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        for (day, _, figures) in rows {
            let row = days.entry(day.clone()).or_insert_with(|| {
                let mut m = Map::new();
                m.insert("ref_date".into(), json!(day));
                m
            });
            for key in keys {
                let sum = row.get(*key).and_then(Value::as_i64).unwrap_or(0)
                    + figures.get(key).copied().unwrap_or(0);
                row.insert((*key).into(), json!(sum));
            }
        }
        days.into_values().map(Value::Object).collect()
    }

    fn api_created(source: &CondSource) -> bool {
        // Every sandbox card is created through the API (cond_source 1).
        source.as_i64() == 1
    }
}

/// The sandbox's reversible code encryption: XOR with a key from the app secret, as hex.
fn crypt(code: &str, secret: &str) -> String {
    let key = secret.as_bytes();
    code.bytes()
        .enumerate()
        .map(|(i, b)| format!("{:02x}", b ^ key[i % key.len().max(1)]))
        .collect()
}

fn decrypt(encrypted: &str, secret: &str) -> Option<String> {
    let key = secret.as_bytes();
    if encrypted.len() % 2 != 0 || key.is_empty() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..encrypted.len() / 2)
        .map(|i| {
            u8::from_str_radix(&encrypted[2 * i..2 * i + 2], 16)
                .ok()
                .map(|b| b ^ key[i % key.len()])
        })
        .collect();
    String::from_utf8(bytes?).ok()
}

const FREE_COUPONS: [(&str, i64); 5] = [
    ("DISCOUNT", 0),
    ("CASH", 1),
    ("GIFT", 2),
    ("GENERAL_COUPON", 3),
    ("GROUPON", 4),
];

/// Fields whose change sends a card back to review.
const REVIEWED: [&str; 9] = [
    "logo_url",
    "notice",
    "description",
    "color",
    "bonus_cleared",
    "bonus_rules",
    "balance_rules",
    "prerogative",
    "detail",
];

impl Operations for World {}

impl BasicOperations for World {
    fn basic_colors(
        &self,
        _: basic::BasicColorsRequest,
    ) -> Result<basic::BasicColorsResponse, Failure> {
        let colors: Vec<Value> = [
            ("Color010", "#63b359"),
            ("Color020", "#2c9f67"),
            ("Color030", "#509fc9"),
            ("Color040", "#5885cf"),
            ("Color050", "#9062c0"),
            ("Color060", "#d09a45"),
            ("Color070", "#e4b138"),
            ("Color080", "#ee903c"),
            ("Color090", "#dd6549"),
            ("Color100", "#cc463d"),
        ]
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
        reply(json!({ "colors": colors }))
    }

    fn basic_categories(
        &self,
        _: basic::BasicCategoriesRequest,
    ) -> Result<basic::BasicCategoriesResponse, Failure> {
        reply(json!({"category": [
            {"primary_category_id": 1, "category_name": "美食", "secondary_category": [
                {"secondary_category_id": 101, "category_name": "粤菜", "need_qualification_stuffs": ["food_service_license_id"], "can_choose_prepaid_card": 1, "can_choose_payment_card": 1}
            ]},
            {"primary_category_id": 2, "category_name": "旅游", "secondary_category": [
                {"secondary_category_id": 201, "category_name": "景点门票", "need_qualification_stuffs": [], "can_choose_prepaid_card": 0, "can_choose_payment_card": 1}
            ]}
        ]}))
    }

    fn basic_upload_image(
        &self,
        request: basic::BasicUploadImageRequest,
    ) -> Result<basic::BasicUploadImageResponse, Failure> {
        let base = &self.settings.base_url;
        let mut state = self.lock();
        let id = Self::id(&mut state, "m", 24);
        let ext = if request.buffer.content_type == "image/png" {
            "png"
        } else {
            "jpg"
        };
        let name = format!("{id}.{ext}");
        state.media.insert(
            name.clone(),
            (request.buffer.content_type, request.buffer.bytes),
        );
        reply(json!({"url": format!("{base}/sandbox/media/{name}")}))
    }
}

impl CardOperations for World {
    fn card_create(
        &self,
        request: card::CardCreateRequest,
    ) -> Result<card::CardCreateResponse, Failure> {
        let now = self.now();
        let review = self.settings.review;
        let card = to_json(&request.card);
        let key = card["card_type"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if card[&key].is_null() {
            return Err(fail(
                ErrCode::InvalidCardType,
                format!("the card's fields go under `{key}`"),
            ));
        }
        let quantity = card[&key]["base_info"]["sku"]["quantity"]
            .as_i64()
            .unwrap_or(0);
        let mut state = self.lock();
        let card_id = Self::id(&mut state, "p", 28);
        let record = CardRecord {
            card,
            key,
            created_ms: now,
            updated_ms: now,
            status: "CARD_STATUS_NOT_VERIFY",
            approve_at_ms: review.map(|d| now + d.as_millis() as u64),
            quantity,
            total_quantity: quantity,
            pay_cell: false,
            self_consume_cell: false,
            form: None,
            low_stock_alarm_ms: None,
        };
        state.cards.insert(card_id.clone(), record);
        state.card_order.push(card_id.clone());
        // A review that takes no time ends now, and says so.
        self.card(&mut state, &card_id)?;
        reply(json!({"card_id": card_id}))
    }

    fn card_set_pay_cell(
        &self,
        request: card::CardSetPayCellRequest,
    ) -> Result<card::CardSetPayCellResponse, Failure> {
        let mut state = self.lock();
        let card = self.card(&mut state, &request.card_id)?;
        card.require_stores()?;
        card.pay_cell = request.is_open.unwrap_or(true); // 不填默认true
        reply(json!({}))
    }

    fn card_set_self_consume_cell(
        &self,
        request: card::CardSetSelfConsumeCellRequest,
    ) -> Result<card::CardSetSelfConsumeCellResponse, Failure> {
        let mut state = self.lock();
        let card = self.card(&mut state, &request.card_id)?;
        card.require_stores()?;
        card.self_consume_cell = request.is_open.unwrap_or(false); // 默认为false
        reply(json!({}))
    }

    fn card_set_test_whitelist(
        &self,
        request: card::CardSetTestWhitelistRequest,
    ) -> Result<card::CardSetTestWhitelistResponse, Failure> {
        let mut state = self.lock();
        state.whitelist_openids = request.openid.unwrap_or_default().into_iter().collect();
        state.whitelist_usernames = request.username.unwrap_or_default().into_iter().collect();
        reply(json!({}))
    }

    fn card_get(&self, request: card::CardGetRequest) -> Result<card::CardGetResponse, Failure> {
        let mut state = self.lock();
        let record = self.card(&mut state, &request.card_id)?;
        let mut card = record.card.clone();
        let base = &mut card[&record.key]["base_info"];
        base["id"] = json!(request.card_id);
        base["status"] = json!(record.status);
        base["sku"] = json!({"quantity": record.quantity, "total_quantity": record.total_quantity});
        base["create_time"] = json!(record.created_ms / 1000);
        base["update_time"] = json!(record.updated_ms / 1000);
        reply(json!({ "card": card }))
    }

    fn card_batch_get(
        &self,
        request: card::CardBatchGetRequest,
    ) -> Result<card::CardBatchGetResponse, Failure> {
        let wanted: Option<Vec<String>> = request
            .status_list
            .map(|l| l.iter().map(|s| s.as_str().to_owned()).collect());
        let mut state = self.lock();
        let ids = state.card_order.clone();
        let mut matching = Vec::new();
        for id in ids {
            let status = self.card(&mut state, &id)?.status;
            if wanted
                .as_ref()
                .is_none_or(|w| w.iter().any(|s| s == status))
            {
                matching.push(id);
            }
        }
        let page: Vec<&String> = matching
            .iter()
            .skip(request.offset as usize)
            .take(request.count as usize)
            .collect();
        reply(json!({"card_id_list": page, "total_num": matching.len()}))
    }

    fn card_update(
        &self,
        request: card::CardUpdateRequest,
    ) -> Result<card::CardUpdateResponse, Failure> {
        let now = self.now();
        let review = self.settings.review;
        let update = to_json(&request);
        let mut state = self.lock();
        let card = self.card(&mut state, &request.card_id)?;
        let key = card.key.clone();
        let Some(patch) = update.get(&key).filter(|p| p.is_object()) else {
            return Err(fail(
                ErrCode::InvalidCardType,
                format!(
                    "this is a {} card: send its fields under `{key}`",
                    card.type_name()
                ),
            ));
        };
        // The validity may only widen, and only a fixed time range (else 40100).
        if let Some(new) = patch["base_info"].get("date_info") {
            let old = &card.base()["date_info"];
            let widens = old["type"] == "DATE_TYPE_FIX_TIME_RANGE"
                && new["begin_timestamp"]
                    .as_i64()
                    .zip(old["begin_timestamp"].as_i64())
                    .is_none_or(|(n, o)| n <= o)
                && new["end_timestamp"]
                    .as_i64()
                    .zip(old["end_timestamp"].as_i64())
                    .is_none_or(|(n, o)| n >= o);
            if !widens {
                return Err(fail(
                    ErrCode::InvalidTimeRange,
                    "the validity may only be widened, and only for DATE_TYPE_FIX_TIME_RANGE",
                ));
            }
        }
        let touched = |o: &Value| {
            o.as_object()
                .is_some_and(|m| m.keys().any(|k| REVIEWED.contains(&k.as_str())))
        };
        let send_check = touched(&patch["base_info"]) || touched(patch);
        merge(&mut card.card[&key], patch);
        card.updated_ms = now;
        if send_check {
            card.status = "CARD_STATUS_NOT_VERIFY";
            card.approve_at_ms = review.map(|d| now + d.as_millis() as u64);
        }
        reply(json!({"send_check": send_check}))
    }

    fn card_modify_stock(
        &self,
        request: card::CardModifyStockRequest,
    ) -> Result<card::CardModifyStockResponse, Failure> {
        let (up, down) = (
            request.increase_stock_value.unwrap_or(0),
            request.reduce_stock_value.unwrap_or(0),
        );
        let mut state = self.lock();
        let deposited = state
            .deposited
            .get(&request.card_id)
            .map_or(0, |d| d.len() as i64);
        let card = self.card(&mut state, &request.card_id)?;
        let quantity = card.quantity + up - down;
        if quantity < 0 {
            return Err(fail(
                ErrCode::InvalidStockQuantity,
                format!("the stock would be {quantity}"),
            ));
        }
        if card.deposit_mode() && quantity > deposited {
            return Err(fail(
                ErrCode::InvalidStockQuantity,
                "a deposit-mode card's stock cannot exceed the imported codes",
            ));
        }
        card.quantity = quantity;
        card.total_quantity = (card.total_quantity + up - down).max(quantity);
        reply(json!({}))
    }

    fn card_delete(
        &self,
        request: card::CardDeleteRequest,
    ) -> Result<card::CardDeleteResponse, Failure> {
        let mut state = self.lock();
        let card = self.card(&mut state, &request.card_id)?;
        card.status = "CARD_STATUS_DELETE";
        // Its QR codes stop working; codes already claimed stay valid.
        state
            .qr
            .retain(|_, qr| qr.card_ids.iter().all(|(id, _, _)| id != &request.card_id));
        reply(json!({}))
    }
}

impl CodeOperations for World {
    fn code_get(&self, request: code::CodeGetRequest) -> Result<code::CodeGetResponse, Failure> {
        let mut state = self.lock();
        self.code(&mut state, &request.code, request.card_id.as_deref())?;
        let status = self
            .code_status(&mut state, &request.code)
            .expect("checked");
        let record = &state.codes[&request.code];
        let card = &state.cards[&record.card_id];
        let (begin, end) = Self::validity(card, record.claimed_ms);
        let now = (self.now() / 1000) as i64;
        let not_yet = begin.is_some_and(|b| now < b);
        let can_consume = status == "NORMAL" && !not_yet;
        if request.check_consume == Some(true) && !can_consume {
            return Err(fail(
                ErrCode::CardDeletedOrGifting,
                format!("invalid user-card status! the code is {status}"),
            ));
        }
        reply(json!({
            "card": {"card_id": record.card_id, "begin_time": begin, "end_time": end},
            "openid": record.openid,
            "can_consume": can_consume,
            "user_card_status": status,
            "outer_str": record.outer_str,
        }))
    }

    fn code_list_user_cards(
        &self,
        request: code::CodeListUserCardsRequest,
    ) -> Result<code::CodeListUserCardsResponse, Failure> {
        let mut state = self.lock();
        let mine: Vec<String> = state
            .codes
            .iter()
            .filter(|(_, c)| {
                c.openid == request.openid
                    && request.card_id.as_ref().is_none_or(|id| id == &c.card_id)
            })
            .map(|(code, _)| code.clone())
            .collect();
        let mut list = Vec::new();
        for code in mine {
            if self.code_status(&mut state, &code) == Some("NORMAL") {
                list.push(json!({"code": code, "card_id": state.codes[&code].card_id}));
            }
        }
        list.sort_by(|a, b| a["code"].as_str().cmp(&b["code"].as_str()));
        reply(json!({"card_list": list, "has_share_card": false}))
    }

    fn code_update(
        &self,
        request: code::CodeUpdateRequest,
    ) -> Result<code::CodeUpdateResponse, Failure> {
        let mut state = self.lock();
        let record = self
            .code(&mut state, &request.code, request.card_id.as_deref())?
            .clone();
        if !state
            .cards
            .get(&record.card_id)
            .is_some_and(CardRecord::custom_code)
        {
            return Err(fail(
                ErrCode::NoCustomCodePermission,
                "only custom-code cards may change their codes",
            ));
        }
        if state.codes.contains_key(&request.new_code) {
            return Err(fail(
                ErrCode::InvalidCodeValue,
                "new_code is already in use",
            ));
        }
        state.codes.remove(&request.code);
        state.codes.insert(request.new_code, record);
        reply(json!({}))
    }

    fn code_unavailable(
        &self,
        request: code::CodeUnavailableRequest,
    ) -> Result<code::CodeUnavailableResponse, Failure> {
        let mut state = self.lock();
        self.code(&mut state, &request.code, request.card_id.as_deref())?;
        match self.code_status(&mut state, &request.code) {
            Some("CONSUMED") => Err(fail(ErrCode::CodeConsumed, "the code was already consumed")),
            Some("UNAVAILABLE") => Err(fail(
                ErrCode::InvalidCardStatus,
                "the code is already unavailable",
            )),
            _ => {
                state.codes.get_mut(&request.code).expect("checked").status = "UNAVAILABLE";
                reply(json!({}))
            }
        }
    }

    fn code_consume(
        &self,
        request: code::CodeConsumeRequest,
    ) -> Result<code::CodeConsumeResponse, Failure> {
        let now = self.now();
        let mut state = self.lock();
        self.code(&mut state, &request.code, request.card_id.as_deref())?;
        let status = self
            .code_status(&mut state, &request.code)
            .expect("checked");
        let record = state.codes[&request.code].clone();
        let (begin, _) = Self::validity(&state.cards[&record.card_id], record.claimed_ms);
        match status {
            "CONSUMED" => {
                return Err(fail(
                    ErrCode::CodeConsumed,
                    "invalid code, this code has consumed.",
                ));
            }
            "NORMAL" if begin.is_some_and(|b| (now / 1000) as i64 >= b) || begin.is_none() => {}
            "NORMAL" => return Err(fail(ErrCode::InvalidTime, "the code is not valid yet")),
            other => {
                return Err(fail(
                    ErrCode::CardDeletedOrGifting,
                    format!("invalid user-card status: {other}"),
                ));
            }
        }
        state.codes.get_mut(&request.code).expect("checked").status = "CONSUMED";
        Self::event(
            &mut state,
            now,
            &record.card_id,
            &record.openid,
            EventKind::Verify,
        );
        self.push(&record.openid, |e| {
            push::consumed_by_api(e, &record.card_id, &request.code)
        });
        reply(json!({"card": {"card_id": record.card_id}, "openid": record.openid}))
    }

    fn code_decrypt(
        &self,
        request: code::CodeDecryptRequest,
    ) -> Result<code::CodeDecryptResponse, Failure> {
        let state = self.lock();
        let seeded = state.seeded_encrypted.get(&request.encrypt_code).cloned();
        let code = seeded
            .or_else(|| decrypt(&request.encrypt_code, &self.tokens.secret))
            .filter(|c| state.codes.contains_key(c))
            .ok_or_else(|| fail(ErrCode::InvalidCode, "invalid encrypt_code"))?;
        reply(json!({ "code": code }))
    }

    fn code_mark(&self, request: code::CodeMarkRequest) -> Result<code::CodeMarkResponse, Failure> {
        let mut state = self.lock();
        let record = self.code(&mut state, &request.code, Some(&request.card_id))?;
        match (&record.marked_by, request.is_mark) {
            (Some(holder), true) if holder != &request.openid => Err(fail(
                ErrCode::InvalidCardStatus,
                "the code is marked by another user",
            )),
            (_, true) => {
                record.marked_by = Some(request.openid);
                reply(json!({}))
            }
            (_, false) => {
                record.marked_by = None;
                reply(json!({}))
            }
        }
    }
}

impl DatacubeOperations for World {
    fn datacube_biz_info(
        &self,
        request: datacube::DatacubeBizInfoRequest,
    ) -> Result<datacube::DatacubeBizInfoResponse, Failure> {
        let api = Self::api_created(&request.cond_source);
        let rows = self.daily(&request.begin_date, &request.end_date, |_| api, None);
        let keys = [
            "view_cnt",
            "view_user",
            "receive_cnt",
            "receive_user",
            "verify_cnt",
            "verify_user",
            "given_cnt",
            "given_user",
            "expire_cnt",
            "expire_user",
        ];
        reply(json!({"list": Self::per_day(rows, &keys)}))
    }

    fn datacube_card_info(
        &self,
        request: datacube::DatacubeCardInfoRequest,
    ) -> Result<datacube::DatacubeCardInfoResponse, Failure> {
        let api = Self::api_created(&request.cond_source);
        let free = |c: &CardRecord| FREE_COUPONS.iter().any(|(t, _)| *t == c.type_name());
        let rows = self.daily(
            &request.begin_date,
            &request.end_date,
            |c| api && free(c),
            request.card_id.as_deref(),
        );
        let state = self.lock();
        let list: Vec<Value> = rows
            .into_iter()
            .map(|(day, card_id, f)| {
                let card_type = state.cards.get(&card_id).and_then(|c| FREE_COUPONS.iter().find(|(t, _)| *t == c.type_name())).map(|(_, n)| *n);
                json!({
                    "ref_date": day, "card_id": card_id, "card_type": card_type,
                    "view_cnt": f["view_cnt"], "view_user": f["view_user"], "receive_cnt": f["receive_cnt"],
                    "receive_user": f["receive_user"], "verify_cnt": f["verify_cnt"], "verify_user": f["verify_user"],
                    "given_cnt": f["given_cnt"], "given_user": f["given_user"], "expire_cnt": f["expire_cnt"], "expire_user": f["expire_user"],
                })
            })
            .collect();
        reply(json!({ "list": list }))
    }

    fn datacube_member_card_info(
        &self,
        request: datacube::DatacubeMemberCardInfoRequest,
    ) -> Result<datacube::DatacubeMemberCardInfoResponse, Failure> {
        let api = Self::api_created(&request.cond_source);
        let rows = self.daily(
            &request.begin_date,
            &request.end_date,
            |c| api && c.type_name() == "MEMBER_CARD",
            None,
        );
        let keys = [
            "view_cnt",
            "view_user",
            "receive_cnt",
            "receive_user",
            "active_user",
            "verify_cnt",
            "verify_user",
        ];
        let mut list = Self::per_day(rows, &keys);
        let (total_user, total_receive_user) = {
            let state = self.lock();
            let members = |c: &&CodeRecord| {
                state
                    .cards
                    .get(&c.card_id)
                    .is_some_and(|k| k.type_name() == "MEMBER_CARD")
            };
            let all: Vec<&CodeRecord> = state.codes.values().filter(members).collect();
            let total: BTreeSet<&str> = all
                .iter()
                .filter(|c| c.status == "NORMAL")
                .map(|c| c.openid.as_str())
                .collect();
            let ever: BTreeSet<&str> = all.iter().map(|c| c.openid.as_str()).collect();
            (total.len(), ever.len())
        };
        for row in &mut list {
            row["total_user"] = json!(total_user);
            row["total_receive_user"] = json!(total_receive_user);
        }
        reply(json!({ "list": list }))
    }

    fn datacube_member_card_detail(
        &self,
        request: datacube::DatacubeMemberCardDetailRequest,
    ) -> Result<datacube::DatacubeMemberCardDetailResponse, Failure> {
        {
            let mut state = self.lock();
            self.card(&mut state, &request.card_id)?;
        }
        let rows = self.daily(
            &request.begin_date,
            &request.end_date,
            |_| true,
            Some(&request.card_id),
        );
        let list: Vec<Value> = rows
            .into_iter()
            .map(|(day, card_id, f)| {
                json!({
                    "ref_date": day, "merchanttype": 0, "cardid": card_id, "submerchantid": 0,
                    "view_cnt": f["view_cnt"], "view_user": f["view_user"], "receive_cnt": f["receive_cnt"],
                    "receive_user": f["receive_user"], "verify_cnt": f["verify_cnt"], "verify_user": f["verify_user"],
                    "active_cnt": f["active_cnt"], "active_user": f["active_user"], "new_user": f["receive_user"],
                    "payOriginalFee": 0, "fee": 0,
                })
            })
            .collect();
        reply(json!({ "list": list }))
    }
}

impl DistributeOperations for World {
    fn distribute_create_qrcode(
        &self,
        request: distribute::DistributeCreateQrcodeRequest,
    ) -> Result<distribute::DistributeCreateQrcodeResponse, Failure> {
        let now = self.now();
        let base = &self.settings.base_url;
        let info = to_json(&request.action_info);
        let entry = |card: &Value| {
            let text = |k: &str| card[k].as_str().map(str::to_owned);
            (
                text("card_id").unwrap_or_default(),
                text("code"),
                text("outer_str"),
            )
        };
        let mut entries: Vec<(String, Option<String>, Option<String>)> = Vec::new();
        if let Some(card) = info.get("card") {
            entries.push(entry(card));
        }
        for card in info["multiple_card"]["card_list"]
            .as_array()
            .into_iter()
            .flatten()
        {
            entries.push(entry(card));
        }
        let mut state = self.lock();
        for (card_id, code, _) in &entries {
            let card = self.card(&mut state, card_id)?;
            if card.status == "CARD_STATUS_DELETE" {
                return Err(fail(ErrCode::InvalidCardStatus, "the card was deleted"));
            }
            if card.custom_code() && !card.deposit_mode() && code.is_none() {
                return Err(fail(
                    ErrCode::MissingRequiredField,
                    "a custom-code card's QR code names its code",
                ));
            }
        }
        let ticket = Self::id(&mut state, "gQ", 64);
        let short = Self::id(&mut state, "", 22);
        let url = format!("http://weixin.qq.com/q/{short}");
        let expires = request.expire_seconds.map(|s| now + s as u64 * 1000);
        state.qr.insert(
            ticket.clone(),
            QrTicket {
                card_ids: entries,
                url: url.clone(),
                expires_ms: expires,
            },
        );
        let show = format!(
            "{base}/cgi-bin/showqrcode?ticket={}",
            crate::call::url_encode(&ticket)
        );
        reply(
            json!({"ticket": ticket, "expire_seconds": request.expire_seconds, "url": url, "show_qrcode_url": show}),
        )
    }

    fn distribute_show_qrcode(
        &self,
        request: distribute::DistributeShowQrcodeRequest,
    ) -> Result<crate::Binary, Failure> {
        let state = self.lock();
        let qr = state
            .qr
            .get(&request.ticket)
            .filter(|q| q.expires_ms.is_none_or(|t| t > self.now()))
            .ok_or_else(Failure::not_found)?;
        let png = super::qr::png(&qr.url).map_err(|e| fail(ErrCode::SystemBusy, e))?;
        Ok(crate::Binary {
            content_type: Some("image/png".into()),
            bytes: png,
        })
    }

    fn distribute_create_landing_page(
        &self,
        request: distribute::DistributeCreateLandingPageRequest,
    ) -> Result<distribute::DistributeCreateLandingPageResponse, Failure> {
        let base = &self.settings.base_url;
        let mut state = self.lock();
        for entry in &request.card_list {
            if self.card(&mut state, &entry.card_id)?.custom_code() {
                return Err(fail(
                    ErrCode::InvalidArgs,
                    "landing pages take non-custom-code cards only",
                ));
            }
        }
        state.landing_pages += 1;
        let page_id = state.landing_pages;
        reply(json!({"url": format!("{base}/sandbox/landing/{page_id}"), "page_id": page_id}))
    }

    fn distribute_mpnews_html(
        &self,
        request: distribute::DistributeMpnewsHtmlRequest,
    ) -> Result<distribute::DistributeMpnewsHtmlResponse, Failure> {
        let base = &self.settings.base_url;
        // Optional in the official table, but there is nothing to render without it.
        let card_id = request.card_id.unwrap_or_default();
        let mut state = self.lock();
        let card = self.card(&mut state, &card_id)?;
        if card.custom_code() && !card.deposit_mode() {
            return Err(fail(
                ErrCode::InvalidArgs,
                "custom-code cards cannot be sent in articles",
            ));
        }
        let content = format!(
            "<iframe class=\"res_iframe card_iframe js_editor_card\" data-src=\"{base}/sandbox/card?card_id={card_id}\"></iframe>"
        );
        reply(json!({ "content": content }))
    }

    fn distribute_deposit_codes(
        &self,
        request: distribute::DistributeDepositCodesRequest,
    ) -> Result<distribute::DistributeDepositCodesResponse, Failure> {
        let mut state = self.lock();
        if !self.card(&mut state, &request.card_id)?.custom_code() {
            return Err(fail(
                ErrCode::NoCustomCodePermission,
                "codes are imported for custom-code cards",
            ));
        }
        let (mut succ, mut duplicate) = (Vec::new(), Vec::new());
        for code in request.code {
            let imported = state.imported.entry(request.card_id.clone()).or_default();
            if imported.insert(code.clone()) {
                state
                    .deposited
                    .entry(request.card_id.clone())
                    .or_default()
                    .insert(code.clone());
                succ.push(code);
            } else {
                duplicate.push(code);
            }
        }
        reply(json!({"succ_code": succ, "duplicate_code": duplicate, "fail_code": []}))
    }

    fn distribute_deposit_count(
        &self,
        request: distribute::DistributeDepositCountRequest,
    ) -> Result<distribute::DistributeDepositCountResponse, Failure> {
        let mut state = self.lock();
        self.card(&mut state, &request.card_id)?;
        reply(json!({"count": state.deposited.get(&request.card_id).map_or(0, BTreeSet::len)}))
    }

    fn distribute_check_codes(
        &self,
        request: distribute::DistributeCheckCodesRequest,
    ) -> Result<distribute::DistributeCheckCodesResponse, Failure> {
        let mut state = self.lock();
        self.card(&mut state, &request.card_id)?;
        let imported = state.imported.get(&request.card_id);
        let (exist, missing): (Vec<String>, Vec<String>) = request
            .code
            .into_iter()
            .partition(|c| imported.is_some_and(|set| set.contains(c)));
        reply(json!({"exist_code": exist, "not_exist_code": missing}))
    }
}

impl GeneralCardOperations for World {
    fn general_card_activate(
        &self,
        request: general_card::GeneralCardActivateRequest,
    ) -> Result<general_card::GeneralCardActivateResponse, Failure> {
        let now = self.now();
        let mut state = self.lock();
        let record = self.code(&mut state, &request.code, Some(&request.card_id))?;
        record.activated = true;
        record.membership_number = request.card_number.clone();
        record.custom_fields = [
            request.init_custom_field_value1,
            request.init_custom_field_value2,
            request.init_custom_field_value3,
        ];
        let openid = record.openid.clone();
        Self::event(
            &mut state,
            now,
            &request.card_id,
            &openid,
            EventKind::Activate,
        );
        reply(json!({}))
    }

    fn general_card_unactivate(
        &self,
        request: general_card::GeneralCardUnactivateRequest,
    ) -> Result<general_card::GeneralCardUnactivateResponse, Failure> {
        let mut state = self.lock();
        let record = self.code(&mut state, &request.code, Some(&request.card_id))?;
        if !record.activated {
            return Err(fail(
                ErrCode::InvalidCardStatus,
                "the card is not activated",
            ));
        }
        record.activated = false;
        reply(json!({}))
    }

    fn general_card_update_user(
        &self,
        request: general_card::GeneralCardUpdateUserRequest,
    ) -> Result<general_card::GeneralCardUpdateUserResponse, Failure> {
        let mut state = self.lock();
        let record = self.code(&mut state, &request.code, Some(&request.card_id))?;
        if let Some(bonus) = request.bonus {
            record.bonus = bonus;
        }
        if let Some(balance) = request.balance {
            record.balance = balance;
        }
        record.update_custom_fields([
            request.custom_field_value1,
            request.custom_field_value2,
            request.custom_field_value3,
        ]);
        reply(
            json!({"result_bonus": record.bonus, "result_balance": record.balance, "openid": record.openid}),
        )
    }
}

impl MemberCardOperations for World {
    fn member_card_activate(
        &self,
        request: member_card::MemberCardActivateRequest,
    ) -> Result<member_card::MemberCardActivateResponse, Failure> {
        let now = self.now();
        let mut state = self.lock();
        let card_id = self
            .code(&mut state, &request.code, request.card_id.as_deref())?
            .card_id
            .clone();
        // Checked before anything changes: a refused call leaves the code as it was.
        if state
            .cards
            .get(&card_id)
            .is_none_or(|c| c.type_name() != "MEMBER_CARD")
        {
            return Err(fail(ErrCode::InvalidCardType, "not a member card"));
        }
        let record = state.codes.get_mut(&request.code).expect("found above");
        if record.activated {
            return Err(fail(
                ErrCode::InvalidCardStatus,
                "the member card is already activated",
            ));
        }
        record.activated = true;
        record.membership_number = Some(request.membership_number);
        record.bonus = request.init_bonus.unwrap_or(0);
        record.balance = request.init_balance.unwrap_or(0);
        record.custom_fields = [
            request.init_custom_field_value1,
            request.init_custom_field_value2,
            request.init_custom_field_value3,
        ];
        let openid = record.openid.clone();
        Self::event(&mut state, now, &card_id, &openid, EventKind::Activate);
        reply(json!({}))
    }

    fn member_card_set_activate_form(
        &self,
        request: member_card::MemberCardSetActivateFormRequest,
    ) -> Result<member_card::MemberCardSetActivateFormResponse, Failure> {
        let form = to_json(&request);
        let mut state = self.lock();
        let card = self.card(&mut state, &request.card_id)?;
        if card.type_name() != "MEMBER_CARD" {
            return Err(fail(ErrCode::InvalidCardType, "not a member card"));
        }
        card.form = Some(form);
        reply(json!({}))
    }

    fn member_card_user_info(
        &self,
        request: member_card::MemberCardUserInfoRequest,
    ) -> Result<member_card::MemberCardUserInfoResponse, Failure> {
        let mut state = self.lock();
        self.code(&mut state, &request.code, Some(&request.card_id))?;
        let status = self
            .code_status(&mut state, &request.code)
            .expect("checked");
        let r = state.codes[&request.code].clone();
        reply(json!({
            "openid": r.openid, "nickname": "sandbox user", "membership_number": r.membership_number,
            "bonus": r.bonus, "balance": r.balance, "sex": "MALE",
            "user_info": {"common_field_list": [], "custom_field_list": []},
            "user_card_status": status, "has_active": r.activated,
        }))
    }

    fn member_card_update_user(
        &self,
        request: member_card::MemberCardUpdateUserRequest,
    ) -> Result<member_card::MemberCardUpdateUserResponse, Failure> {
        let mut state = self.lock();
        let r = self.code(&mut state, &request.code, Some(&request.card_id))?;
        // The absolute value wins over the delta: that makes a repeated call harmless.
        let bonus = match (request.bonus, request.add_bonus) {
            (Some(bonus), _) => bonus,
            (None, Some(add)) => r.bonus + add,
            _ => r.bonus,
        };
        let balance = match (request.balance, request.add_balance) {
            (Some(balance), _) => balance,
            (None, Some(add)) => r.balance + add,
            _ => r.balance,
        };
        // Checked before anything changes: a refused call leaves the member as it was.
        if balance < 0 || bonus < 0 {
            return Err(fail(
                ErrCode::InvalidArgs,
                "bonus and balance may not go below 0",
            ));
        }
        let (bonus_change, balance_change) = (bonus - r.bonus, balance - r.balance);
        (r.bonus, r.balance) = (bonus, balance);
        if bonus_change != 0 || balance_change != 0 {
            let openid = r.openid.clone();
            self.push(&openid, |e| {
                push::member_updated(
                    e,
                    &request.card_id,
                    &request.code,
                    bonus_change,
                    balance_change,
                )
            });
        }

        r.update_custom_fields([
            request.custom_field_value1,
            request.custom_field_value2,
            request.custom_field_value3,
        ]);
        reply(json!({"result_bonus": r.bonus, "result_balance": r.balance, "openid": r.openid}))
    }

    fn member_card_activate_url(
        &self,
        request: member_card::MemberCardActivateUrlRequest,
    ) -> Result<member_card::MemberCardActivateUrlResponse, Failure> {
        let base = &self.settings.base_url;
        let mut state = self.lock();
        if self.card(&mut state, &request.card_id)?.type_name() != "MEMBER_CARD" {
            return Err(fail(ErrCode::InvalidCardType, "not a member card"));
        }
        let outer = request
            .outer_str
            .map(|o| format!("&outer_str={}", crate::call::url_encode(&o)))
            .unwrap_or_default();
        reply(json!({"url": format!("{base}/sandbox/activate?card_id={}{outer}", request.card_id)}))
    }

    fn member_card_activate_temp_info(
        &self,
        request: member_card::MemberCardActivateTempInfoRequest,
    ) -> Result<member_card::MemberCardActivateTempInfoResponse, Failure> {
        let state = self.lock();
        let (_, info) = state
            .activate_tickets
            .get(&request.activate_ticket)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid activate_ticket"))?;
        reply(json!({ "info": info }))
    }
}

impl PayGiftOperations for World {
    fn pay_gift_add(
        &self,
        request: pay_gift::PayGiftAddRequest,
    ) -> Result<pay_gift::PayGiftAddResponse, Failure> {
        let rule = to_json(&request.rule_info);
        let mut state = self.lock();
        let mchids: Vec<String> = rule["base_info"]["mchid_list"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
        let taken: HashMap<String, i64> = state
            .pay_gift_rules
            .iter()
            .flat_map(|(id, r)| {
                r["base_info"]["mchid_list"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.as_str())
                    .map(move |m| (m.to_owned(), *id))
            })
            .collect();
        let (mut succ, mut failed) = (Vec::new(), Vec::new());
        for m in mchids {
            match taken.get(&m) {
                Some(other) => failed.push(json!({"mchid": m, "errcode": 72205, "errmsg": "mchid already used by another rule", "occupy_rule_id": other, "occupy_appid": self.tokens.appid})),
                None => succ.push(m),
            }
        }
        state.serial += 1;
        let rule_id = state.serial as i64;
        let mut stored = rule;
        stored["rule_id"] = json!(rule_id);
        state.pay_gift_rules.insert(rule_id, stored);
        reply(json!({"rule_id": rule_id, "succ_mchid_list": succ, "fail_mchid_list": failed}))
    }

    fn pay_gift_delete(
        &self,
        request: pay_gift::PayGiftDeleteRequest,
    ) -> Result<pay_gift::PayGiftDeleteResponse, Failure> {
        let mut state = self.lock();
        state
            .pay_gift_rules
            .remove(&request.rule_id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid rule_id"))?;
        reply(json!({}))
    }

    fn pay_gift_get_by_id(
        &self,
        request: pay_gift::PayGiftGetByIdRequest,
    ) -> Result<pay_gift::PayGiftGetByIdResponse, Failure> {
        let state = self.lock();
        let rule = state
            .pay_gift_rules
            .get(&request.rule_id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid rule_id"))?;
        reply(json!({"rule_info": rule}))
    }

    fn pay_gift_batch_get(
        &self,
        request: pay_gift::PayGiftBatchGetRequest,
    ) -> Result<pay_gift::PayGiftBatchGetResponse, Failure> {
        let now = (self.now() / 1000) as i64;
        let state = self.lock();
        let wanted = request.r#type.as_str();
        let matching: Vec<&Value> = state
            .pay_gift_rules
            .values()
            .filter(|r| r["type"] == wanted)
            .filter(|r| {
                let (begin, end) = (
                    r["base_info"]["begin_time"].as_i64().unwrap_or(0),
                    r["base_info"]["end_time"].as_i64().unwrap_or(i64::MAX),
                );
                !request.effective || (begin <= now && now < end)
            })
            .collect();
        let page: Vec<&Value> = matching
            .iter()
            .copied()
            .skip(request.offset as usize)
            .take(request.count as usize)
            .collect();
        reply(json!({"total_count": matching.len(), "rule_list": page}))
    }
}

impl SubMerchantOperations for World {
    fn sub_merchant_submit(
        &self,
        request: sub_merchant::SubMerchantSubmitRequest,
    ) -> Result<sub_merchant::SubMerchantSubmitResponse, Failure> {
        let now = (self.now() / 1000) as i64;
        let mut state = self.lock();
        state.serial += 1;
        let merchant_id = state.serial as i64;
        let mut info = to_json(&request.info);
        info["merchant_id"] = json!(merchant_id);
        info["create_time"] = json!(now);
        info["update_time"] = json!(now);
        info["status"] = json!("CHECKING");
        state.sub_merchants.insert(merchant_id, info.clone());
        reply(json!({ "info": info }))
    }

    fn sub_merchant_update(
        &self,
        request: sub_merchant::SubMerchantUpdateRequest,
    ) -> Result<sub_merchant::SubMerchantUpdateResponse, Failure> {
        let now = (self.now() / 1000) as i64;
        let patch = to_json(&request.info);
        let id = request.info.merchant_id;
        let mut state = self.lock();
        let info = state
            .sub_merchants
            .get_mut(&id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid merchant_id"))?;
        merge(info, &patch);
        info["update_time"] = json!(now);
        info["status"] = json!("CHECKING");
        reply(json!({ "info": info }))
    }

    fn sub_merchant_get(
        &self,
        request: sub_merchant::SubMerchantGetRequest,
    ) -> Result<sub_merchant::SubMerchantGetResponse, Failure> {
        let state = self.lock();
        let info = state
            .sub_merchants
            .get(&request.merchant_id)
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "invalid merchant_id"))?;
        reply(json!({ "info": info }))
    }

    fn sub_merchant_batch_get(
        &self,
        request: sub_merchant::SubMerchantBatchGetRequest,
    ) -> Result<sub_merchant::SubMerchantBatchGetResponse, Failure> {
        let state = self.lock();
        let wanted = request.status.as_ref().map(|s| s.as_str().to_owned());
        let list: Vec<&Value> = state
            .sub_merchants
            .range(request.begin_id..)
            .map(|(_, v)| v)
            .filter(|v| wanted.as_ref().is_none_or(|w| v["status"] == w.as_str()))
            .take(request.limit as usize)
            .collect();
        let next = list
            .last()
            .and_then(|v| v["merchant_id"].as_i64())
            .map_or(request.begin_id, |id| id + 1);
        reply(json!({"info_list": list, "next_begin_id": next}))
    }
}

impl TicketOperations for World {
    fn ticket_boarding_pass_checkin(
        &self,
        request: ticket::TicketBoardingPassCheckinRequest,
    ) -> Result<ticket::TicketBoardingPassCheckinResponse, Failure> {
        let details = to_json(&request);
        self.set_ticket_details(
            &request.code,
            request.card_id.as_deref(),
            "BOARDING_PASS",
            details,
        )
    }

    fn ticket_meeting_ticket_update_user(
        &self,
        request: ticket::TicketMeetingTicketUpdateUserRequest,
    ) -> Result<ticket::TicketMeetingTicketUpdateUserResponse, Failure> {
        let details = to_json(&request);
        self.set_ticket_details(
            &request.code,
            request.card_id.as_deref(),
            "MEETING_TICKET",
            details,
        )
    }

    fn ticket_movie_ticket_update_user(
        &self,
        request: ticket::TicketMovieTicketUpdateUserRequest,
    ) -> Result<ticket::TicketMovieTicketUpdateUserResponse, Failure> {
        let details = to_json(&request);
        self.set_ticket_details(
            &request.code,
            request.card_id.as_deref(),
            "MOVIE_TICKET",
            details,
        )
    }

    fn ticket_lucky_money_update_balance(
        &self,
        request: ticket::TicketLuckyMoneyUpdateBalanceRequest,
    ) -> Result<ticket::TicketLuckyMoneyUpdateBalanceResponse, Failure> {
        let mut state = self.lock();
        let record = self.code(&mut state, &request.code, request.card_id.as_deref())?;
        record.balance = request.balance;
        reply(json!({}))
    }
}

impl TokenOperations for World {
    fn token_get(
        &self,
        request: token::TokenGetRequest,
    ) -> Result<token::TokenGetResponse, Failure> {
        let (token, expires_in) =
            self.tokens
                .classic(&request.appid, &request.secret, self.now())?;
        reply(json!({"access_token": token, "expires_in": expires_in}))
    }

    fn token_stable(
        &self,
        request: token::TokenStableRequest,
    ) -> Result<token::TokenStableResponse, Failure> {
        let force = request.force_refresh.unwrap_or(false);
        let (token, expires_in) =
            self.tokens
                .stable(&request.appid, &request.secret, force, self.now())?;
        reply(json!({"access_token": token, "expires_in": expires_in}))
    }

    fn token_card_ticket(
        &self,
        _: token::TokenCardTicketRequest,
    ) -> Result<token::TokenCardTicketResponse, Failure> {
        let mut state = self.lock();
        let ticket = Self::id(&mut state, "sandbox_card_ticket_", 48);
        state.card_tickets.push(ticket.clone());
        reply(json!({"ticket": ticket, "expires_in": super::tokens::LIFETIME_SECS}))
    }
}

/// What a documentation example refers to, to be put in place before it runs.
#[derive(Debug, Default)]
pub(crate) struct Seed {
    /// (card id, card type, custom code)
    pub cards: Vec<(String, String, bool)>,
    /// (card id, code, openid, activated)
    pub codes: Vec<(String, String, String, bool)>,
    pub qr_tickets: Vec<(String, String)>,
    pub encrypted: Vec<(String, String)>,
    pub activate_tickets: Vec<String>,
    pub pay_gift_rules: Vec<i64>,
    pub sub_merchants: Vec<i64>,
}

impl World {
    /// Puts seeded state in place: approved cards with the given ids, claimed codes
    /// with the given values, and the tickets and records an example names.
    pub(crate) fn seed(&self, seed: Seed) {
        let now = self.now();
        let mut state = self.lock();
        for (card_id, card_type, custom) in seed.cards {
            if state.cards.contains_key(&card_id) {
                continue;
            }
            let key = card_type.to_ascii_lowercase();
            let mut object = json!({"base_info": {
                "logo_url": "http://mmbiz.qpic.cn/sandbox-logo.png", "code_type": "CODE_TYPE_TEXT",
                "brand_name": "沙盒餐厅", "title": "示例卡券", "color": "Color010", "notice": "到店使用",
                "date_info": {"type": "DATE_TYPE_FIX_TERM", "fixed_term": 30, "fixed_begin_term": 0}, "sku": {"quantity": 10_000_000},
                "location_id_list": [123], "use_custom_code": custom,
            }});
            match card_type.as_str() {
                "GROUPON" => object["deal_detail"] = json!("示例团购"),
                "CASH" => object["reduce_cost"] = json!(100),
                "DISCOUNT" => object["discount"] = json!(10),
                "GIFT" => object["gift"] = json!("示例礼品"),
                "GENERAL_COUPON" => object["default_detail"] = json!("示例优惠"),
                "MEETING_TICKET" => object["meeting_detail"] = json!("示例会议"),
                "MEMBER_CARD" => {
                    object["base_info"]["date_info"] = json!({"type": "DATE_TYPE_PERMANENT"})
                }
                _ => {}
            }
            let record = CardRecord {
                card: json!({"card_type": card_type, key.clone(): object}),
                key,
                created_ms: now,
                updated_ms: now,
                status: "CARD_STATUS_VERIFY_OK",
                approve_at_ms: None,
                // Enough for the docs' examples (modifystock's moves 1231231).
                quantity: 10_000_000,
                total_quantity: 10_000_000,
                pay_cell: false,
                self_consume_cell: false,
                form: None,
                low_stock_alarm_ms: None,
            };
            state.cards.insert(card_id.clone(), record);
            state.card_order.push(card_id);
        }
        for (card_id, code, openid, activated) in seed.codes {
            let record = CodeRecord {
                card_id,
                openid,
                status: "NORMAL",
                claimed_ms: now,
                outer_str: None,
                marked_by: None,
                membership_number: activated.then(|| "M-000001".to_owned()),
                activated,
                bonus: 100,
                balance: 1000,
                custom_fields: Default::default(),
                details: Map::new(),
            };
            state.codes.entry(code).or_insert(record);
        }
        for (ticket, card_id) in seed.qr_tickets {
            let qr = QrTicket {
                card_ids: vec![(card_id, None, None)],
                url: "http://weixin.qq.com/q/sandbox".into(),
                expires_ms: None,
            };
            state.qr.insert(ticket, qr);
        }
        for (encrypted, code) in seed.encrypted {
            state.seeded_encrypted.insert(encrypted, code);
        }
        for ticket in seed.activate_tickets {
            let info = json!({"common_field_list": [{"name": "USER_FORM_INFO_FLAG_MOBILE", "value": "13800000000"}], "custom_field_list": []});
            state
                .activate_tickets
                .insert(ticket, ("o_example".into(), info));
        }
        for rule_id in seed.pay_gift_rules {
            let rule = json!({"rule_id": rule_id, "type": "RULE_TYPE_PAY_MEMBER_CARD", "base_info": {"mchid_list": ["1900000001"], "begin_time": 0, "end_time": 4_102_444_800i64}, "member_rule": {"card_id": "pSandboxMemberCard", "least_cost": 0, "max_cost": 100000}});
            state.pay_gift_rules.insert(rule_id, rule);
        }
        for merchant_id in seed.sub_merchants {
            let info = json!({"merchant_id": merchant_id, "app_id": "", "brand_name": "沙盒子商户", "logo_url": "http://mmbiz.qpic.cn/sandbox-logo.png", "status": "APPROVED", "protocol": "media", "end_time": 4_102_444_800i64, "primary_category_id": 1, "secondary_category_id": 101, "create_time": 0, "update_time": 0});
            state.sub_merchants.insert(merchant_id, info);
        }
    }

    /// Special tickets: stores what the merchant set on a user's ticket.
    fn set_ticket_details<T: DeserializeOwned>(
        &self,
        code: &str,
        card_id: Option<&str>,
        card_type: &str,
        details: Value,
    ) -> Result<T, Failure> {
        let mut state = self.lock();
        let record = self.code(&mut state, code, card_id)?.clone();
        if state
            .cards
            .get(&record.card_id)
            .is_none_or(|c| c.type_name() != card_type)
        {
            return Err(fail(
                ErrCode::InvalidCardType,
                format!("not a {card_type} card"),
            ));
        }
        if let (Some(r), Value::Object(map)) = (state.codes.get_mut(code), details) {
            r.details.extend(map);
        }
        reply(json!({}))
    }
}
