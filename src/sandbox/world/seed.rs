//! Seeded state: what a documentation example refers to (cards, codes, tickets,
//! rules…), put in place before the example runs against the sandbox.

use super::World;
use super::cards::{CardRecord, parts_mut};
use super::codes::CodeRecord;
use super::distribution::QrTicket;
use crate::types::{
    BaseInfo, BoardingPassCard, BusTicketCard, Card, CardStatus, CardType, CashCard, CodeType,
    DateInfo, DateType, DiscountCard, GeneralCouponCard, GiftCard, GrouponCard, MeetingTicketCard,
    MemberCard, MovieTicketCard, ScenicTicketCard, Sku,
};
use serde_json::json;

/// A seeded card's stock: enough for the docs' examples (modifystock's moves 1231231).
const SEEDED_STOCK: i64 = 10_000_000;

/// What a documentation example refers to, to be put in place before it runs.
#[derive(Debug, Default)]
pub(crate) struct Seed {
    /// (card id, card type, custom code)
    pub cards: Vec<(String, String, bool)>,
    /// (card id, the card as a documented reply shows it): put in place before `cards`.
    pub definitions: Vec<(String, Card)>,
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
        let defined = seed
            .definitions
            .into_iter()
            .map(|(card_id, card)| (card_id, defined_card(card, now)));
        let generic = seed
            .cards
            .into_iter()
            .map(|(card_id, card_type, custom)| (card_id, seeded_card(&card_type, custom, now)));
        for (card_id, record) in defined.chain(generic) {
            if let (false, Some(record)) = (state.cards.contains_key(&card_id), record) {
                state.cards.insert(card_id.clone(), record);
                state.card_order.push(card_id);
            }
        }
        for (card_id, code, openid, activated) in seed.codes {
            let record = CodeRecord {
                membership_number: activated.then(|| "M-000001".to_owned()),
                activated,
                bonus: 100,
                balance: 1000,
                ..CodeRecord::new(&card_id, &openid, now)
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
}

/// An approved card of `card_type` with the fields its type requires, and stock for
/// any example (`None` for a type `Card` has no object for).
fn seeded_card(card_type: &str, custom: bool, now: u64) -> Option<CardRecord> {
    let date = match card_type {
        "MEMBER_CARD" => DateInfo::new(DateType::Permanent),
        _ => DateInfo::new(DateType::FixTerm)
            .fixed_term(30)
            .fixed_begin_term(0),
    };
    let base = BaseInfo::new(
        "http://mmbiz.qpic.cn/sandbox-logo.png",
        CodeType::Text,
        "沙盒餐厅",
        "示例卡券",
        "Color010",
        "到店使用",
        "示例使用说明",
        date,
        Sku::new(SEEDED_STOCK),
    )
    .location_id_list([123])
    .use_custom_code(custom);
    let card = Card::new(CardType::from(card_type));
    let card = match card_type {
        "GROUPON" => card.groupon(GrouponCard::new(base, "示例团购")),
        "CASH" => card.cash(CashCard::new(base, 0, 100)),
        "DISCOUNT" => card.discount(DiscountCard::new(base, 10)),
        "GIFT" => card.gift(GiftCard::new(base, "示例礼品")),
        "GENERAL_COUPON" => card.general_coupon(GeneralCouponCard::new(base, "示例优惠")),
        "MEMBER_CARD" => card.member_card(MemberCard::new(base, "示例会员特权", true, true)),
        "SCENIC_TICKET" => card.scenic_ticket(ScenicTicketCard::new(base, "成人票")),
        "MOVIE_TICKET" => card.movie_ticket(MovieTicketCard::new(base, "示例电影")),
        "BOARDING_PASS" => card.boarding_pass(BoardingPassCard::new(
            base,
            "广州",
            "成都",
            "CE123",
            1_800_000_000,
            1_800_007_200,
            "空客A320",
        )),
        "MEETING_TICKET" => card.meeting_ticket(MeetingTicketCard::new(base, "示例会议")),
        "BUS_TICKET" => card.bus_ticket(BusTicketCard::new(base)),
        _ => return None,
    };
    CardRecord::new(card, CardStatus::VerifyOk, now, SEEDED_STOCK).ok()
}

/// A card as a documented reply shows it, kept as defined: what card/get adds (id,
/// status, stock, times) becomes the record's own (approved if no status is shown).
fn defined_card(mut card: Card, now: u64) -> Option<CardRecord> {
    let (base, _) = parts_mut(&mut card)?;
    let status = base.status.take().unwrap_or(CardStatus::VerifyOk);
    let sku = base.sku.as_deref();
    let quantity = sku.and_then(|s| s.quantity).unwrap_or(SEEDED_STOCK);
    let total = sku.and_then(|s| s.total_quantity).unwrap_or(quantity);
    (base.id, base.create_time, base.update_time) = (None, None, None);
    let record = CardRecord::new(card, status, now, quantity).ok()?;
    Some(CardRecord {
        total_quantity: total.max(quantity),
        ..record
    })
}
