//! Card definitions (the `card` endpoints): created as the JSON they were sent as,
//! updated by merging into it, restocked, deleted. Also the end of review (automatic
//! when due, or the sandbox's verdict) and the "stock is low" alarm.

use super::{State, WECHAT_SENDER, World, fail, merge, reply, to_json};
use crate::ErrCode;
use crate::card;
use crate::generated::sandbox::CardOperations;
use crate::sandbox::card_events as push;
use crate::sandbox::runtime::Failure;
use serde_json::{Value, json};

/// A card definition: the JSON it was created with, and what WeChat adds.
#[derive(Debug, Clone)]
pub(super) struct CardRecord {
    /// The `card` object: `card_type` and the object of its type.
    pub(super) card: Value,
    /// Its lowercase type key (`groupon`, `member_card`, …).
    pub(super) key: String,
    pub(super) created_ms: u64,
    pub(super) updated_ms: u64,
    pub(super) status: &'static str,
    /// When review ends in approval, if automatic.
    pub(super) approve_at_ms: Option<u64>,
    pub(super) quantity: i64,
    pub(super) total_quantity: i64,
    pub(super) pay_cell: bool,
    pub(super) self_consume_cell: bool,
    pub(super) form: Option<Value>,
    /// When the last "stock is low" alarm went out (at most one per 12 h).
    pub(super) low_stock_alarm_ms: Option<u64>,
}

impl CardRecord {
    pub(super) fn base(&self) -> &Value {
        &self.card[&self.key]["base_info"]
    }

    fn flag(&self, field: &str) -> bool {
        self.base()[field].as_bool().unwrap_or(false)
    }

    pub(super) fn custom_code(&self) -> bool {
        self.flag("use_custom_code")
    }

    pub(super) fn deposit_mode(&self) -> bool {
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

    pub(super) fn type_name(&self) -> &str {
        self.card["card_type"].as_str().unwrap_or("")
    }
}

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

impl World {
    /// A card by id, its review brought up to date (`invalid card id` if none).
    pub(super) fn card<'s>(
        &self,
        state: &'s mut State,
        card_id: &str,
    ) -> Result<&'s mut CardRecord, Failure> {
        let record = state
            .cards
            .get_mut(card_id)
            .ok_or_else(|| fail(ErrCode::InvalidCardId, format!("invalid card id {card_id}")))?;
        self.refresh_status(card_id, record);
        Ok(record)
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

    /// The "stock is low" alarm after a claim, as the docs describe it: the last card
    /// went, or a card that started above 200 is down to 100 or fewer (at most once
    /// every 12 hours).
    pub(super) fn stock_alarm(&self, card_id: &str, card: &mut CardRecord) {
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
