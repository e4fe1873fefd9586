//! What users do, which only the sandbox can make happen (`Sandbox::user`, and
//! `/sandbox/…` over HTTP): claim a card, directly or by QR code, open its page, gift
//! it, delete it, open the account's chat from it, fill in a member card's activation
//! form. Each pushes the event WeChat would.

use super::cards::CardRecord;
use super::codes::CodeRecord;
use super::members::typed_answers;
use super::statistics::EventKind;
use super::{State, World, fail};
use crate::ErrCode;
use crate::sandbox::card_events::{self as push, Claim};
use crate::sandbox::runtime::Failure;
use crate::types::{CardStatus, CardType, UserCardStatus};

impl World {
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
        self.check_claimable(&mut state, openid, card_id)?;
        let code = Self::code_to_give(&mut state, card_id, code, now)?;
        let record = CodeRecord {
            outer_str: outer_str.map(str::to_owned),
            ..CodeRecord::new(card_id, openid, now)
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

    /// Whether `openid` may claim `card_id` now: the card is approved (or the user
    /// whitelisted to test it), in stock, and the user under its `get_limit`.
    fn check_claimable(
        &self,
        state: &mut State,
        openid: &str,
        card_id: &str,
    ) -> Result<(), Failure> {
        let whitelisted = state.whitelist_openids.contains(openid);
        let card = self.card(state, card_id)?;
        let (status, quantity, limit) = (card.status.clone(), card.quantity, card.get_limit());
        if status == CardStatus::Delete {
            return Err(fail(ErrCode::InvalidCardStatus, "the card was deleted"));
        }
        if status != CardStatus::VerifyOk && !whitelisted {
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
        Ok(())
    }

    /// The code a claim gives out: one of the imported codes for a deposit-mode card
    /// (`code`, if named), the user's own for a custom-code card, else a new one.
    fn code_to_give(
        state: &mut State,
        card_id: &str,
        code: Option<&str>,
        now: u64,
    ) -> Result<String, Failure> {
        let card = &state.cards[card_id];
        let (deposit_mode, custom_code) = (card.deposit_mode(), card.custom_code());
        if deposit_mode {
            let pool = state.deposited.entry(card_id.to_owned()).or_default();
            return match code {
                Some(code) if pool.remove(code) => Ok(code.to_owned()),
                Some(_) => Err(fail(ErrCode::InvalidCode, "the code was not imported")),
                None => pool
                    .pop_first()
                    .ok_or_else(|| fail(ErrCode::OutOfStock, "no imported code left")),
            };
        }
        if !custom_code {
            return Ok(Self::fresh_code(state, now));
        }
        let code = code.ok_or_else(|| {
            fail(
                ErrCode::InvalidCode,
                "a custom-code card is claimed with its code",
            )
        })?;
        if state.codes.contains_key(code) {
            return Err(fail(ErrCode::InvalidCode, "the code is already taken"));
        }
        Ok(code.to_owned())
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
        let member_card = card.card_type() == &CardType::MemberCard;
        let custom_code = card.custom_code();
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

    /// A user gifts a code to a friend, who accepts it (sandbox only): the old code is
    /// gone ("invalid serial code"), the friend holds a new one (custom codes keep
    /// theirs and should be changed with code/update).
    pub(crate) fn gift(&self, code: &str, friend: &str) -> Result<String, Failure> {
        let now = self.now();
        let mut state = self.lock();
        let status = self
            .code_status(&mut state, code)
            .ok_or_else(|| fail(ErrCode::InvalidCode, "invalid serial code"))?;
        if status != UserCardStatus::Normal {
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
            old.status = UserCardStatus::GiftSucc;
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
            .filter(|r| !matches!(r.status, UserCardStatus::Delete | UserCardStatus::GiftSucc))
            .ok_or_else(|| fail(ErrCode::InvalidCode, "invalid serial code"))?;
        record.status = UserCardStatus::Delete;
        let (card_id, openid) = (record.card_id.clone(), record.openid.clone());
        self.push(&openid, |e| push::deleted(e, &card_id, code));
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
        let member_card = self.card(&mut state, card_id)?.card_type() == &CardType::MemberCard;
        let held = Self::held_code(&state, openid, card_id).filter(|_| member_card);
        if let Some(code) = held {
            self.push(openid, |e| push::member_info_submitted(e, card_id, &code));
        }
        let ticket = Self::id(&mut state, "activate_ticket_", 40);
        let answers = typed_answers(fields);
        let member = (card_id.to_owned(), openid.to_owned());
        state.profiles.entry(member).or_default().answers = answers.clone();
        state.activate_tickets.insert(ticket.clone(), answers);
        Ok(ticket)
    }
}
