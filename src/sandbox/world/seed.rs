//! Seeded state: what a documentation example refers to (cards, codes, tickets,
//! rules…), put in place before the example runs against the sandbox.

use super::cards::CardRecord;
use super::codes::CodeRecord;
use super::distribution::QrTicket;
use super::statistics::EventKind;
use super::{Profile, World};
use crate::types::MemberFormInfo;
use serde_json::json;
use time::Date;

/// What a documentation example refers to, to be put in place before it runs.
#[derive(Debug, Default)]
pub(crate) struct Seed {
    /// (card id, card type, custom code)
    pub cards: Vec<(String, String, bool)>,
    /// (card id, code, openid, activated)
    pub codes: Vec<(String, String, String, bool)>,
    pub qr_tickets: Vec<(String, String)>,
    pub encrypted: Vec<(String, String)>,
    /// (activate_ticket, the answers submitted with it)
    pub activate_tickets: Vec<(String, MemberFormInfo)>,
    /// (card id, openid, what the member told WeChat)
    pub profiles: Vec<(String, String, Profile)>,
    /// Cards made on the MP platform rather than through the API.
    pub platform_cards: Vec<String>,
    pub events: Vec<PastEvents>,
    pub pay_gift_rules: Vec<i64>,
    pub sub_merchants: Vec<i64>,
}

/// What happened to a card on a past day: `times` events of `kind`, by `users` users
/// (`o_seeded_1`, `o_seeded_2`…, in turn).
#[derive(Debug)]
pub(crate) struct PastEvents {
    pub card_id: String,
    pub day: Date,
    pub kind: EventKind,
    pub times: i64,
    pub users: i64,
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
        for (ticket, answers) in seed.activate_tickets {
            state.activate_tickets.insert(ticket, answers);
        }
        for (card_id, openid, profile) in seed.profiles {
            state.profiles.insert((card_id, openid), profile);
        }
        state.platform_cards.extend(seed.platform_cards);
        for past in seed.events {
            // Noon, China time: well inside the day.
            let midnight = past.day.midnight().assume_offset(crate::validate::CHINA);
            let at_ms = (midnight.unix_timestamp() + 12 * 3600).max(0) as u64 * 1000;
            for i in 0..past.times {
                let openid = format!("o_seeded_{}", i % past.users.max(1) + 1);
                Self::event(&mut state, at_ms, &past.card_id, &openid, past.kind);
            }
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
