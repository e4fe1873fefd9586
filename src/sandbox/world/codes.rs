//! The codes users hold (the `code` endpoints), in one table whatever their card: their
//! validity window, their status (a NORMAL code past its end has EXPIRED), and the
//! sandbox's reversible `encrypt_code`.

use super::cards::CardRecord;
use super::statistics::EventKind;
use super::{State, World, fail};
use crate::ErrCode;
use crate::code;
use crate::generated::sandbox::CodeOperations;
use crate::sandbox::card_events as push;
use crate::sandbox::runtime::Failure;
use crate::types::{DateType, UserCardStatus};

/// A code a user holds (or held: a gifted or deleted code stays, with its status).
#[derive(Debug, Clone)]
pub(super) struct CodeRecord {
    pub(super) card_id: String,
    pub(super) openid: String,
    pub(super) status: UserCardStatus,
    pub(super) claimed_ms: u64,
    pub(super) outer_str: Option<String>,
    pub(super) marked_by: Option<String>,
    /// Member and general cards.
    pub(super) membership_number: Option<String>,
    pub(super) activated: bool,
    pub(super) bonus: i64,
    pub(super) balance: i64,
    pub(super) custom_fields: [Option<String>; 3],
    /// Special tickets: what the merchant set (seat, gate…).
    pub(super) details: Option<TicketDetails>,
}

/// What the merchant last set on a user's special ticket (its seat, gate, boarding time…).
#[derive(Debug, Clone)]
pub(super) enum TicketDetails {
    BoardingPass(Box<crate::ticket::TicketBoardingPassCheckinRequest>),
    Meeting(Box<crate::ticket::TicketMeetingTicketUpdateUserRequest>),
    Movie(Box<crate::ticket::TicketMovieTicketUpdateUserRequest>),
}

impl TicketDetails {
    /// What was set, as `field: value` pairs (for the console).
    pub(super) fn summary(&self) -> String {
        let set = match self {
            TicketDetails::BoardingPass(r) => serde_json::to_value(r),
            TicketDetails::Meeting(r) => serde_json::to_value(r),
            TicketDetails::Movie(r) => serde_json::to_value(r),
        };
        let Ok(serde_json::Value::Object(fields)) = set else {
            return String::new();
        };
        let shown = fields
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "code" | "card_id"));
        shown
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl CodeRecord {
    /// A code just given to `openid`: NORMAL, nothing set on it yet.
    pub(super) fn new(card_id: &str, openid: &str, claimed_ms: u64) -> Self {
        CodeRecord {
            card_id: card_id.into(),
            openid: openid.into(),
            status: UserCardStatus::Normal,
            claimed_ms,
            outer_str: None,
            marked_by: None,
            membership_number: None,
            activated: false,
            bonus: 0,
            balance: 0,
            custom_fields: Default::default(),
            details: None,
        }
    }

    /// updateuser: the custom field values given replace theirs, the others stay.
    pub(super) fn update_custom_fields(&mut self, values: [Option<String>; 3]) {
        for (slot, value) in self.custom_fields.iter_mut().zip(values) {
            if value.is_some() {
                *slot = value;
            }
        }
    }
}

impl World {
    /// Finds a code, checking that it belongs to `card_id` when given (and that custom
    /// codes are named with their card).
    pub(super) fn code<'s>(
        &self,
        state: &'s mut State,
        code: &str,
        card_id: Option<&str>,
    ) -> Result<&'s mut CodeRecord, Failure> {
        let invalid = || fail(ErrCode::InvalidCode, "invalid serial code");
        let record = state.codes.get(code).ok_or_else(invalid)?;
        if record.status == UserCardStatus::GiftSucc {
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

    /// The validity window of a code (Unix seconds), from its card's date_info.
    fn validity(card: &CardRecord, claimed_ms: u64) -> (Option<i64>, Option<i64>) {
        let Some(date) = card.base().date_info.as_deref() else {
            return (None, None);
        };
        let claimed = (claimed_ms / 1000) as i64;
        match date.r#type {
            Some(DateType::FixTimeRange) => (date.begin_timestamp, date.end_timestamp),
            Some(DateType::FixTerm) => {
                let day = 86_400;
                let begin = claimed + date.fixed_begin_term.unwrap_or(0) * day;
                let end = match date.fixed_term.unwrap_or(0) {
                    // 领取后当天有效填写0: until midnight, China time (UTC+8).
                    0 => crate::sandbox::clock::china_day_end(begin),
                    days => begin + days * day - 1,
                };
                // 统一过期时间: a fixed-term card may also end for everyone at
                // end_timestamp, whichever comes first.
                let end = date.end_timestamp.map_or(end, |common| end.min(common));
                (Some(begin), Some(end))
            }
            _ => (None, None),
        }
    }

    /// The code's status now: a NORMAL code past its validity has EXPIRED.
    pub(super) fn code_status(&self, state: &mut State, code: &str) -> Option<UserCardStatus> {
        let record = state.codes.get(code)?;
        if record.status != UserCardStatus::Normal {
            return Some(record.status.clone());
        }
        let card = state.cards.get(&record.card_id)?;
        let (_, end) = Self::validity(card, record.claimed_ms);
        if end.is_none_or(|end| self.secs() <= end) {
            return Some(UserCardStatus::Normal);
        }
        let (card_id, openid) = (record.card_id.clone(), record.openid.clone());
        Self::event(state, self.now(), &card_id, &openid, EventKind::Expire);
        if let Some(r) = state.codes.get_mut(code) {
            r.status = UserCardStatus::Expire;
        }
        Some(UserCardStatus::Expire)
    }

    /// A new 12-digit code WeChat would make, not yet in use (`salt`: the time, so
    /// that codes differ between sandboxes).
    pub(super) fn fresh_code(state: &mut State, salt: u64) -> String {
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

    /// The code `openid` holds of `card_id` (the first, if several).
    pub(super) fn held_code(state: &State, openid: &str, card_id: &str) -> Option<String> {
        state
            .codes
            .iter()
            .filter(|(_, r)| {
                r.card_id == card_id
                    && r.openid == openid
                    && !matches!(r.status, UserCardStatus::Delete | UserCardStatus::GiftSucc)
            })
            .map(|(code, _)| code.clone())
            .min()
    }

    /// The sandbox's `encrypt_code` for a code, as a card page's URL would carry it.
    pub(crate) fn encrypt_code(&self, code: &str) -> Result<String, Failure> {
        if !self.lock().codes.contains_key(code) {
            return Err(fail(ErrCode::InvalidCode, "invalid serial code"));
        }
        Ok(crypt(code, &self.tokens.secret))
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
        let now = self.secs();
        let not_yet = begin.is_some_and(|b| now < b);
        let can_consume = status == UserCardStatus::Normal && !not_yet;
        if request.check_consume == Some(true) && !can_consume {
            return Err(fail(
                ErrCode::CardDeletedOrGifting,
                format!("invalid user-card status! the code is {status}"),
            ));
        }
        Ok(code::CodeGetResponse {
            card: Some(Box::new(code::CodeCard {
                card_id: Some(record.card_id.clone()),
                begin_time: begin,
                end_time: end,
                ..Default::default()
            })),
            openid: Some(record.openid.clone()),
            can_consume: Some(can_consume),
            user_card_status: Some(status),
            outer_str: record.outer_str.clone(),
            ..Default::default()
        })
    }

    fn code_list_user_cards(
        &self,
        request: code::CodeListUserCardsRequest,
    ) -> Result<code::CodeListUserCardsResponse, Failure> {
        let mut state = self.lock();
        let mut mine: Vec<String> = state
            .codes
            .iter()
            .filter(|(_, c)| {
                c.openid == request.openid
                    && request.card_id.as_ref().is_none_or(|id| id == &c.card_id)
            })
            .map(|(code, _)| code.clone())
            .collect();
        mine.sort();
        let mut list = Vec::new();
        for code in mine {
            if self.code_status(&mut state, &code) == Some(UserCardStatus::Normal) {
                list.push(code::UserCard {
                    card_id: Some(state.codes[&code].card_id.clone()),
                    code: Some(code),
                    ..Default::default()
                });
            }
        }
        Ok(code::CodeListUserCardsResponse {
            card_list: Some(list),
            has_share_card: Some(false),
            ..Default::default()
        })
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
        Ok(Default::default())
    }

    fn code_unavailable(
        &self,
        request: code::CodeUnavailableRequest,
    ) -> Result<code::CodeUnavailableResponse, Failure> {
        let mut state = self.lock();
        self.code(&mut state, &request.code, request.card_id.as_deref())?;
        match self.code_status(&mut state, &request.code) {
            Some(UserCardStatus::Consumed) => {
                Err(fail(ErrCode::CodeConsumed, "the code was already consumed"))
            }
            Some(UserCardStatus::Unavailable) => Err(fail(
                ErrCode::InvalidCardStatus,
                "the code is already unavailable",
            )),
            _ => {
                state.codes.get_mut(&request.code).expect("checked").status =
                    UserCardStatus::Unavailable;
                Ok(Default::default())
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
            UserCardStatus::Consumed => {
                return Err(fail(
                    ErrCode::CodeConsumed,
                    "invalid code, this code has consumed.",
                ));
            }
            UserCardStatus::Normal if begin.is_none_or(|b| (now / 1000) as i64 >= b) => {}
            UserCardStatus::Normal => {
                return Err(fail(ErrCode::InvalidTime, "the code is not valid yet"));
            }
            other => {
                return Err(fail(
                    ErrCode::CardDeletedOrGifting,
                    format!("invalid user-card status: {other}"),
                ));
            }
        }
        state.codes.get_mut(&request.code).expect("checked").status = UserCardStatus::Consumed;
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
        Ok(code::CodeConsumeResponse {
            card: Some(Box::new(code::ConsumedCard {
                card_id: Some(record.card_id),
                ..Default::default()
            })),
            openid: Some(record.openid),
            ..Default::default()
        })
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
        Ok(code::CodeDecryptResponse {
            code: Some(code),
            ..Default::default()
        })
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
                Ok(Default::default())
            }
            (_, false) => {
                record.marked_by = None;
                Ok(Default::default())
            }
        }
    }
}

/// The sandbox's reversible code encryption: XOR with a key from the app secret, as hex.
pub(super) fn crypt(code: &str, secret: &str) -> String {
    let key = secret.as_bytes();
    code.bytes()
        .enumerate()
        .map(|(i, b)| format!("{:02x}", b ^ key[i % key.len().max(1)]))
        .collect()
}

pub(super) fn decrypt(encrypted: &str, secret: &str) -> Option<String> {
    let key = secret.as_bytes();
    // Hex is ASCII: any other text is no code (and its byte pairs could cut a character).
    if !encrypted.is_ascii() || encrypted.len() % 2 != 0 || key.is_empty() {
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
