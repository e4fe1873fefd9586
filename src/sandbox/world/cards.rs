//! Card definitions (the `card` endpoints): created as the typed `Card` they were sent
//! as, updated by merging into it, restocked, deleted. Also the end of review (automatic
//! when due, or the sandbox's verdict) and the "stock is low" alarm.

use super::{State, WECHAT_SENDER, World, fail, merge, to_json};
use crate::ErrCode;
use crate::card;
use crate::generated::sandbox::CardOperations;
use crate::sandbox::card_events as push;
use crate::sandbox::runtime::Failure;
use crate::types::{
    AdvancedInfo, BaseInfo, Card, CardStatus, CardType, DateType, GetCustomCodeMode, Sku,
    UserCardStatus,
};
use serde_json::Value;

/// 创建卡券: 每人可领券的数量限制，不填写默认为50.
const DEFAULT_GET_LIMIT: i64 = 50;

/// What every record's card has, checked when the record is made or updated.
const CHECKED: &str = "a record's card has its type's object and base_info";

/// The object of `$card_type` in `$value` (a `Card` or a `CardUpdateRequest`: the same
/// keys), dereferenced with `$deref` and mapped through `$f`; `None` when it is absent
/// or the type has no typed object (GENERAL_CARD, LUCKY_MONEY).
macro_rules! by_type {
    ($value:expr, $card_type:expr, $deref:ident, $f:expr) => {
        match $card_type {
            CardType::Groupon => $value.groupon.$deref().map($f),
            CardType::Cash => $value.cash.$deref().map($f),
            CardType::Discount => $value.discount.$deref().map($f),
            CardType::Gift => $value.gift.$deref().map($f),
            CardType::GeneralCoupon => $value.general_coupon.$deref().map($f),
            CardType::MemberCard => $value.member_card.$deref().map($f),
            CardType::ScenicTicket => $value.scenic_ticket.$deref().map($f),
            CardType::MovieTicket => $value.movie_ticket.$deref().map($f),
            CardType::BoardingPass => $value.boarding_pass.$deref().map($f),
            CardType::MeetingTicket => $value.meeting_ticket.$deref().map($f),
            CardType::BusTicket => $value.bus_ticket.$deref().map($f),
            _ => None,
        }
    };
}

/// The `base_info` of a card's own type.
fn base_of(card: &Card) -> Option<&BaseInfo> {
    let card_type = card.card_type.as_ref()?;
    by_type!(card, card_type, as_deref, |o| o.base_info.as_deref()).flatten()
}

/// The `base_info` and the `advanced_info` slot of a card's own type, to change.
pub(super) fn parts_mut(
    card: &mut Card,
) -> Option<(&mut BaseInfo, &mut Option<Box<AdvancedInfo>>)> {
    let card_type = card.card_type.clone()?;
    by_type!(card, card_type, as_deref_mut, |o| {
        Some((o.base_info.as_deref_mut()?, &mut o.advanced_info))
    })
    .flatten()
}

/// A type's key in a card, lowercase (`MEMBER_CARD` -> `member_card`).
fn key_of(card_type: &CardType) -> String {
    card_type.as_str().to_ascii_lowercase()
}

/// A card definition: the card it was created with, and what WeChat adds.
#[derive(Debug, Clone)]
pub(super) struct CardRecord {
    /// `card_type` and the object of its type, which has a `base_info`.
    pub(super) card: Card,
    pub(super) created_ms: u64,
    pub(super) updated_ms: u64,
    pub(super) status: CardStatus,
    /// When review ends in approval, if automatic.
    pub(super) approve_at_ms: Option<u64>,
    pub(super) quantity: i64,
    pub(super) total_quantity: i64,
    pub(super) pay_cell: bool,
    pub(super) self_consume_cell: bool,
    /// The activation form (`activateuserform/set`), as set.
    pub(super) form: Option<Box<crate::member_card::MemberCardSetActivateFormRequest>>,
    /// When the last "stock is low" alarm went out (at most one per 12 h).
    pub(super) low_stock_alarm_ms: Option<u64>,
}

impl CardRecord {
    /// A record of `card`, made at `now` with `quantity` in stock; `invalid card type`
    /// unless the card has the object of its type, with a `base_info`.
    pub(super) fn new(
        card: Card,
        status: CardStatus,
        now: u64,
        quantity: i64,
    ) -> Result<Self, Failure> {
        check(&card)?;
        Ok(CardRecord {
            card,
            created_ms: now,
            updated_ms: now,
            status,
            approve_at_ms: None,
            quantity,
            total_quantity: quantity,
            pay_cell: false,
            self_consume_cell: false,
            form: None,
            low_stock_alarm_ms: None,
        })
    }

    pub(super) fn card_type(&self) -> &CardType {
        self.card.card_type.as_ref().expect(CHECKED)
    }

    /// Its type's key in the card (`groupon`, `member_card`, …).
    pub(super) fn key(&self) -> String {
        key_of(self.card_type())
    }

    /// `DISCOUNT`, `MEMBER_CARD`, …
    pub(super) fn type_name(&self) -> &str {
        self.card_type().as_str()
    }

    pub(super) fn base(&self) -> &BaseInfo {
        base_of(&self.card).expect(CHECKED)
    }

    pub(super) fn custom_code(&self) -> bool {
        self.base().use_custom_code == Some(true)
    }

    pub(super) fn deposit_mode(&self) -> bool {
        self.base().get_custom_code_mode == Some(GetCustomCodeMode::Deposit)
    }

    /// How many codes of the card one user may claim (0: no limit).
    pub(super) fn get_limit(&self) -> i64 {
        self.base().get_limit.unwrap_or(DEFAULT_GET_LIMIT)
    }

    /// The pay and self-redemption cells need stores: listed, or all of them.
    fn require_stores(&self) -> Result<(), Failure> {
        let base = self.base();
        let has_stores = base
            .location_id_list
            .as_ref()
            .is_some_and(|l| !l.is_empty())
            || base.use_all_locations == Some(true);
        match has_stores {
            true => Ok(()),
            false => Err(fail(ErrCode::LocationRequired, "require location id")),
        }
    }
}

/// A card the sandbox keeps: its type is one `Card` has an object for, and that object
/// has a `base_info`.
fn check(card: &Card) -> Result<(), Failure> {
    let card_type = card
        .card_type
        .as_ref()
        .ok_or_else(|| fail(ErrCode::InvalidCardType, "the card has no card_type"))?;
    match base_of(card) {
        Some(_) => Ok(()),
        None => Err(fail(
            ErrCode::InvalidCardType,
            format!(
                "the card's fields go under `{}`, with a base_info",
                key_of(card_type)
            ),
        )),
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
        if record.status == CardStatus::NotVerify
            && record.approve_at_ms.is_some_and(|t| t <= self.now())
        {
            record.status = CardStatus::VerifyOk;
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
            None => CardStatus::VerifyOk,
            Some(_) => CardStatus::VerifyFail,
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
            .filter(|c| c.card_id == card_id && c.status != UserCardStatus::GiftSucc)
            .count();
        let consumed = state
            .codes
            .values()
            .filter(|c| c.card_id == card_id && c.status == UserCardStatus::Consumed)
            .count();
        Some((card.quantity, claimed, consumed))
    }
}

impl CardRecord {
    /// The card as card/get shows it: as defined, with what WeChat adds (id, status,
    /// stock, times) and the defaults of what the merchant left out.
    fn shown(&self, card_id: &str) -> Card {
        let mut card = self.card.clone();
        let (base, advanced) = parts_mut(&mut card).expect(CHECKED);
        base.id = Some(card_id.to_owned());
        base.status = Some(self.status.clone());
        base.sku = Some(Box::new(
            Sku::new(self.quantity).total_quantity(self.total_quantity),
        ));
        base.create_time = Some((self.created_ms / 1000) as i64);
        base.update_time = Some((self.updated_ms / 1000) as i64);
        // 创建卡券: 卡券领取页面是否可分享，默认为true; 卡券是否可转赠，默认为true;
        // 每人可领券的数量限制，不填写默认为50.
        base.can_share.get_or_insert(true);
        base.can_give_friend.get_or_insert(true);
        base.get_limit.get_or_insert(DEFAULT_GET_LIMIT);
        // The official card/get example shows these, empty, for a card without them.
        base.description.get_or_insert_with(String::new);
        base.area_code_list.get_or_insert_with(Vec::new);
        let advanced = advanced.get_or_insert_with(Default::default);
        advanced.text_image_list.get_or_insert_with(Vec::new);
        advanced.time_limit.get_or_insert_with(Vec::new);
        advanced.business_service.get_or_insert_with(Vec::new);
        advanced
            .consume_share_card_list
            .get_or_insert_with(Vec::new);
        advanced.share_friends.get_or_insert(false);
        card
    }

    /// Whether `new` only widens the card's validity, as card/update allows: a fixed
    /// time range, begin no later, end no earlier.
    fn widens(&self, new: &crate::types::DateInfoUpdate) -> bool {
        let Some(old) = self.base().date_info.as_deref() else {
            return false;
        };
        let no_later = |n: Option<i64>, o: Option<i64>| n.zip(o).is_none_or(|(n, o)| n <= o);
        old.r#type == Some(DateType::FixTimeRange)
            && no_later(new.begin_timestamp, old.begin_timestamp)
            && no_later(old.end_timestamp, new.end_timestamp)
    }
}

impl CardOperations for World {
    fn card_create(
        &self,
        request: card::CardCreateRequest,
    ) -> Result<card::CardCreateResponse, Failure> {
        let now = self.now();
        let review = self.settings.review;
        let card = *request.card;
        let quantity = base_of(&card)
            .and_then(|b| b.sku.as_ref())
            .and_then(|s| s.quantity)
            .unwrap_or(0);
        let record = CardRecord {
            approve_at_ms: review.map(|d| now + d.as_millis() as u64),
            ..CardRecord::new(card, CardStatus::NotVerify, now, quantity)?
        };
        let mut state = self.lock();
        let card_id = Self::id(&mut state, "p", 28);
        state.cards.insert(card_id.clone(), record);
        state.card_order.push(card_id.clone());
        // A review that takes no time ends now, and says so.
        self.card(&mut state, &card_id)?;
        Ok(card::CardCreateResponse {
            card_id: Some(card_id),
            ..Default::default()
        })
    }

    fn card_set_pay_cell(
        &self,
        request: card::CardSetPayCellRequest,
    ) -> Result<card::CardSetPayCellResponse, Failure> {
        let mut state = self.lock();
        let card = self.card(&mut state, &request.card_id)?;
        card.require_stores()?;
        card.pay_cell = request.is_open.unwrap_or(true); // 不填默认true
        Ok(Default::default())
    }

    fn card_set_self_consume_cell(
        &self,
        request: card::CardSetSelfConsumeCellRequest,
    ) -> Result<card::CardSetSelfConsumeCellResponse, Failure> {
        let mut state = self.lock();
        let card = self.card(&mut state, &request.card_id)?;
        card.require_stores()?;
        card.self_consume_cell = request.is_open.unwrap_or(false); // 默认为false
        Ok(Default::default())
    }

    fn card_set_test_whitelist(
        &self,
        request: card::CardSetTestWhitelistRequest,
    ) -> Result<card::CardSetTestWhitelistResponse, Failure> {
        let mut state = self.lock();
        state.whitelist_openids = request.openid.unwrap_or_default().into_iter().collect();
        state.whitelist_usernames = request.username.unwrap_or_default().into_iter().collect();
        Ok(Default::default())
    }

    fn card_get(&self, request: card::CardGetRequest) -> Result<card::CardGetResponse, Failure> {
        let mut state = self.lock();
        let record = self.card(&mut state, &request.card_id)?;
        Ok(card::CardGetResponse {
            card: Some(Box::new(record.shown(&request.card_id))),
            ..Default::default()
        })
    }

    fn card_batch_get(
        &self,
        request: card::CardBatchGetRequest,
    ) -> Result<card::CardBatchGetResponse, Failure> {
        let mut state = self.lock();
        let ids = state.card_order.clone();
        let mut matching = Vec::new();
        for id in ids {
            let status = &self.card(&mut state, &id)?.status;
            if request
                .status_list
                .as_ref()
                .is_none_or(|wanted| wanted.contains(status))
            {
                matching.push(id);
            }
        }
        let total = matching.len() as i64;
        let page: Vec<String> = matching
            .into_iter()
            .skip(request.offset as usize)
            .take(request.count as usize)
            .collect();
        Ok(card::CardBatchGetResponse {
            card_id_list: Some(page),
            total_num: Some(total),
            ..Default::default()
        })
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
        let (card_type, key) = (card.card_type().clone(), card.key());
        // The update's object of the card's type, and its base_info if any.
        let Some(base_update) = by_type!(request, &card_type, as_deref, |u| u.base_info.as_deref())
        else {
            return Err(fail(
                ErrCode::InvalidCardType,
                format!(
                    "this is a {} card: send its fields under `{key}`",
                    card.type_name()
                ),
            ));
        };
        // The validity may only widen, and only a fixed time range (else 40100).
        if let Some(new) = base_update.and_then(|b| b.date_info.as_deref()) {
            if !card.widens(new) {
                return Err(fail(
                    ErrCode::InvalidTimeRange,
                    "the validity may only be widened, and only for DATE_TYPE_FIX_TIME_RANGE",
                ));
            }
        }
        // Merged as JSON, the keys sent replacing theirs at any depth.
        let patch = &update[&key];
        let touched = |o: &Value| {
            o.as_object()
                .is_some_and(|m| m.keys().any(|k| REVIEWED.contains(&k.as_str())))
        };
        let send_check = touched(&patch["base_info"]) || touched(patch);
        let mut merged = to_json(&card.card);
        merge(&mut merged[&key], patch);
        let merged: Card = serde_json::from_value(merged).map_err(|e| {
            fail(
                ErrCode::SystemBusy,
                format!("the updated card does not fit its type: {e}"),
            )
        })?;
        check(&merged)?;
        card.card = merged;
        card.updated_ms = now;
        if send_check {
            card.status = CardStatus::NotVerify;
            card.approve_at_ms = review.map(|d| now + d.as_millis() as u64);
        }
        Ok(card::CardUpdateResponse {
            send_check: Some(send_check),
            ..Default::default()
        })
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
        Ok(Default::default())
    }

    fn card_delete(
        &self,
        request: card::CardDeleteRequest,
    ) -> Result<card::CardDeleteResponse, Failure> {
        let mut state = self.lock();
        let card = self.card(&mut state, &request.card_id)?;
        card.status = CardStatus::Delete;
        // Its QR codes stop working; codes already claimed stay valid.
        state
            .qr
            .retain(|_, qr| qr.card_ids.iter().all(|(id, _, _)| id != &request.card_id));
        Ok(Default::default())
    }
}
