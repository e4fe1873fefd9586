//! Seeded state: what a documentation example refers to (cards, codes, tickets,
//! rules…), put in place before the example runs against the sandbox.

use super::World;
use super::cards::CardRecord;
use super::codes::CodeRecord;
use super::distribution::QrTicket;
use super::merchants::{PayGiftRecord, RULE_STATUS_OK, SubMerchantRecord, next_id};
use crate::types::{
    PayGiftBaseInfo, PayGiftMemberRule, PayGiftRule, PayGiftRuleType, SubMerchant,
    SubMerchantStatus,
};
use serde_json::json;

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
    pub pay_gift_rules: Vec<SeedRule>,
    /// Sub-merchants as shown (at least their merchant_id); a later one with the same
    /// id replaces an earlier one.
    pub sub_merchants: Vec<SubMerchant>,
    /// (card id, code): codes imported for a deposit-mode card, not given out yet.
    pub imported_codes: Vec<(String, String)>,
}

/// A pay-gift rule an example names or shows.
#[derive(Debug, Default)]
pub(crate) struct SeedRule {
    /// Its id; `None`: a new one.
    pub id: Option<i64>,
    /// The account whose rule it is; `None`: the sandbox's.
    pub appid: Option<String>,
    /// The rule as shown; what it does not show gets sandbox values.
    pub shown: Option<PayGiftRule>,
    /// Listed as in effect: a window that does not hold the sandbox's now is moved to
    /// start now (the example was written years ago).
    pub in_effect: bool,
}

impl World {
    /// Puts seeded state in place: approved cards with the given ids, claimed codes
    /// with the given values, and the tickets and records an example names.
    pub(crate) fn seed(&self, seed: Seed) {
        let now = self.now();
        let mut state = self.lock();
        for (card_id, card_type, custom) in seed.cards {
            if !state.cards.contains_key(&card_id) {
                let record = seeded_card(&card_type, custom, now);
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
        let secs = (now / 1000) as i64;
        for seeded in seed.pay_gift_rules {
            let id = match seeded.id {
                Some(id) => id,
                None => next_id(&mut state, |s, id| s.pay_gift_rules.contains_key(&id)),
            };
            let appid = seeded.appid.unwrap_or_else(|| self.tokens.appid.clone());
            let rule = seeded_rule(id, seeded.shown, seeded.in_effect, secs);
            state
                .pay_gift_rules
                .insert(id, PayGiftRecord { appid, rule });
        }
        for shown in seed.sub_merchants {
            if let Some(id) = shown.merchant_id {
                state.sub_merchants.insert(id, seeded_sub_merchant(shown));
            }
        }
        for (card_id, code) in seed.imported_codes {
            let imported = state.imported.entry(card_id.clone()).or_default();
            imported.insert(code.clone());
            state.deposited.entry(card_id).or_default().insert(code);
        }
    }
}

/// Where a seeded rule or letter ends unless shown: 2100-01-01.
const FAR_END: i64 = 4_102_444_800;

/// A pay-gift rule as shown, completed: a merchant number of its own, a member card,
/// status and times, and a window holding now if it is listed as in effect.
fn seeded_rule(id: i64, shown: Option<PayGiftRule>, in_effect: bool, now: i64) -> PayGiftRule {
    let mchid = || vec![format!("19{:08}", id.rem_euclid(100_000_000))];
    let mut rule = shown.unwrap_or_else(|| {
        PayGiftRule::new(
            PayGiftRuleType::PayMemberCard,
            PayGiftBaseInfo::new(mchid(), 0, FAR_END),
            PayGiftMemberRule::new("pSandboxMemberCard", 0, 100_000),
        )
    });
    rule.r#type.get_or_insert(PayGiftRuleType::PayMemberCard);
    rule.member_rule
        .get_or_insert_with(|| Box::new(PayGiftMemberRule::new("pSandboxMemberCard", 0, 100_000)));
    let base = rule
        .base_info
        .get_or_insert_with(|| Box::new(PayGiftBaseInfo::new(mchid(), 0, FAR_END)));
    base.mchid_list.get_or_insert_with(mchid);
    let (mut begin, mut end) = (
        base.begin_time.unwrap_or(0),
        base.end_time.unwrap_or(FAR_END),
    );
    if in_effect && !(begin <= now && now < end) {
        let length = (end - begin).max(86_400);
        (begin, end) = (now, now + length);
    }
    base.begin_time = Some(begin);
    base.end_time = Some(end);
    base.status.get_or_insert_with(|| RULE_STATUS_OK.to_owned());
    let created = *base.create_time.get_or_insert(now);
    base.update_time.get_or_insert(created);
    rule
}

/// A sub-merchant as shown, completed: approved, with a letter valid until 2100.
fn seeded_sub_merchant(shown: SubMerchant) -> SubMerchantRecord {
    let create_time = shown.create_time.or(shown.begin_time).unwrap_or(0);
    SubMerchantRecord {
        app_id: shown.app_id,
        brand_name: shown.brand_name.unwrap_or_else(|| "沙盒子商户".into()),
        logo_url: shown
            .logo_url
            .unwrap_or_else(|| "http://mmbiz.qpic.cn/sandbox-logo.png".into()),
        // The letter's media id: never shown, so never known.
        protocol: String::new(),
        agreement_media_id: None,
        operator_media_id: None,
        end_time: shown.end_time.unwrap_or(FAR_END),
        primary_category_id: shown.primary_category_id.unwrap_or(1),
        secondary_category_id: shown.secondary_category_id.unwrap_or(101),
        status: shown.status.unwrap_or(SubMerchantStatus::Approved),
        create_time,
        update_time: shown.update_time.unwrap_or(create_time),
    }
}

/// An approved card of `card_type` with the fields its type requires, and stock for
/// any example.
fn seeded_card(card_type: &str, custom: bool, now: u64) -> CardRecord {
    let key = card_type.to_ascii_lowercase();
    let mut object = json!({"base_info": {
        "logo_url": "http://mmbiz.qpic.cn/sandbox-logo.png", "code_type": "CODE_TYPE_TEXT",
        "brand_name": "沙盒餐厅", "title": "示例卡券", "color": "Color010", "notice": "到店使用",
        "date_info": {"type": "DATE_TYPE_FIX_TERM", "fixed_term": 30, "fixed_begin_term": 0}, "sku": {"quantity": 10_000_000},
        "location_id_list": [123], "use_custom_code": custom,
    }});
    match card_type {
        "GROUPON" => object["deal_detail"] = json!("示例团购"),
        "CASH" => object["reduce_cost"] = json!(100),
        "DISCOUNT" => object["discount"] = json!(10),
        "GIFT" => object["gift"] = json!("示例礼品"),
        "GENERAL_COUPON" => object["default_detail"] = json!("示例优惠"),
        "MEETING_TICKET" => object["meeting_detail"] = json!("示例会议"),
        "MEMBER_CARD" => object["base_info"]["date_info"] = json!({"type": "DATE_TYPE_PERMANENT"}),
        _ => {}
    }
    CardRecord {
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
    }
}
