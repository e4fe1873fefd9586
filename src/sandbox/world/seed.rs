//! Seeded state: what a documentation example refers to (cards, codes, tickets,
//! rules…), put in place before the example runs against the sandbox.

use super::cards::{CardRecord, parts_mut};
use super::codes::CodeRecord;
use super::distribution::QrTicket;
use super::merchants::{PayGiftRecord, RULE_STATUS_OK, SubMerchantRecord, next_id};
use super::statistics::EventKind;
use super::{Profile, State, World};
use crate::types::{
    BaseInfo, BoardingPassCard, BusTicketCard, Card, CardStatus, CardType, CashCard, CodeType,
    DateInfo, DateType, DiscountCard, GeneralCouponCard, GiftCard, GrouponCard, MeetingTicketCard,
    MemberCard, MemberFormInfo, MovieTicketCard, PayGiftBaseInfo, PayGiftMemberRule, PayGiftRule,
    PayGiftRuleType, ScenicTicketCard, Sku, SubMerchant, SubMerchantStatus,
};
use time::Date;

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
    /// (activate_ticket, the answers submitted with it)
    pub activate_tickets: Vec<(String, MemberFormInfo)>,
    /// (card id, openid, what the member told WeChat)
    pub profiles: Vec<(String, String, Profile)>,
    /// Cards made on the MP platform rather than through the API.
    pub platform_cards: Vec<String>,
    pub events: Vec<PastEvents>,
    pub pay_gift_rules: Vec<SeedRule>,
    /// Sub-merchants as shown (at least their merchant_id); a later one with the same
    /// id replaces an earlier one.
    pub sub_merchants: Vec<SubMerchant>,
    /// (card id, code): codes imported for a deposit-mode card, not given out yet.
    pub imported_codes: Vec<(String, String)>,
    /// The coin account: open or not, its quotes and orders.
    pub coins: super::SeedCoins,
    /// (poi_id, the card it shows): stores of the account's store mini-program.
    pub stores: Vec<(i64, Option<String>)>,
    /// Signatures of the card_ext of documented messages: signed with an api_ticket
    /// the sandbox never issued, accepted as if it had.
    pub card_ext_signatures: Vec<String>,
    /// The msg_ids of mass messages sent before.
    pub mass_messages: Vec<i64>,
    /// Gift card shelves, orders, merchant numbers; invoicing settings.
    pub gift_cards: super::GiftCardSeed,
    /// API paths the sandbox does not serve but the account has (another product's
    /// API a quota example asks about): `quota.get` answers them.
    pub api_paths: Vec<String>,
    /// Electronic invoices: orders, templates, PDFs, invoices in card packages.
    pub invoices: super::InvoiceSeed,
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
        Self::seed_cards(&mut state, seed.definitions, seed.cards, now);
        Self::seed_codes(&mut state, seed.codes, seed.imported_codes, now);
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
        Self::seed_events(&mut state, seed.events);
        self.seed_merchants(&mut state, seed.pay_gift_rules, seed.sub_merchants, now);
        for (poi_id, card_id) in seed.stores {
            state.stores.entry(poi_id).or_default().card_id = card_id;
        }
        state
            .seeded_card_ext_signatures
            .extend(seed.card_ext_signatures);
        state.mass_sent.extend(seed.mass_messages);
        self.seed_coins(&mut state, seed.coins);
        self.seed_gift_cards(&mut state, seed.gift_cards);
        for path in seed.api_paths {
            self.quota.know(path);
        }
        self.seed_invoices(&mut state, seed.invoices);
    }

    /// Cards as shown by a reply first, then the generic ones an example names; a card
    /// already there stays.
    fn seed_cards(
        state: &mut State,
        definitions: Vec<(String, Card)>,
        cards: Vec<(String, String, bool)>,
        now: u64,
    ) {
        let defined = definitions
            .into_iter()
            .map(|(card_id, card)| (card_id, defined_card(card, now)));
        let generic = cards
            .into_iter()
            .map(|(card_id, card_type, custom)| (card_id, seeded_card(&card_type, custom, now)));
        for (card_id, record) in defined.chain(generic) {
            if let (false, Some(record)) = (state.cards.contains_key(&card_id), record) {
                state.cards.insert(card_id.clone(), record);
                state.card_order.push(card_id);
            }
        }
    }

    /// Claimed codes (with points and balance for member cards), and imported codes not
    /// given out yet.
    fn seed_codes(
        state: &mut State,
        codes: Vec<(String, String, String, bool)>,
        imported_codes: Vec<(String, String)>,
        now: u64,
    ) {
        for (card_id, code, openid, activated) in codes {
            let record = CodeRecord {
                membership_number: activated.then(|| "M-000001".to_owned()),
                activated,
                bonus: 100,
                balance: 1000,
                ..CodeRecord::new(&card_id, &openid, now)
            };
            state.codes.entry(code).or_insert(record);
        }
        for (card_id, code) in imported_codes {
            let imported = state.imported.entry(card_id.clone()).or_default();
            imported.insert(code.clone());
            state.deposited.entry(card_id).or_default().insert(code);
        }
    }

    /// Past events for the statistics, at noon (China time) of their day.
    fn seed_events(state: &mut State, events: Vec<PastEvents>) {
        for past in events {
            let midnight = past.day.midnight().assume_offset(crate::validate::CHINA);
            let at_ms = (midnight.unix_timestamp() + 12 * 3600).max(0) as u64 * 1000;
            for i in 0..past.times {
                let openid = format!("o_seeded_{}", i % past.users.max(1) + 1);
                Self::event(state, at_ms, &past.card_id, &openid, past.kind);
            }
        }
    }

    /// Pay-gift rules (of this account unless another appid is named) and sub-merchants.
    fn seed_merchants(
        &self,
        state: &mut State,
        rules: Vec<SeedRule>,
        sub_merchants: Vec<SubMerchant>,
        now: u64,
    ) {
        let secs = (now / 1000) as i64;
        for seeded in rules {
            let id = match seeded.id {
                Some(id) => id,
                None => next_id(state, |s, id| s.pay_gift_rules.contains_key(&id)),
            };
            let appid = seeded.appid.unwrap_or_else(|| self.tokens.appid.clone());
            let rule = seeded_rule(id, seeded.shown, seeded.in_effect, secs);
            state
                .pay_gift_rules
                .insert(id, PayGiftRecord { appid, rule });
        }
        for shown in sub_merchants {
            if let Some(id) = shown.merchant_id {
                state.sub_merchants.insert(id, seeded_sub_merchant(shown));
            }
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
