//! Sandboxes prepared for a documented example: the cards, codes, tickets and records
//! it names already exist, so the example runs as written (the generated rustdoc
//! examples start one of these in their hidden setup lines).

use super::world::{
    EventKind, GiftCardSeed, InvoiceSeed, PastEvents, Profile, SEEDED_HOLDER, Seed,
    SeedInvoiceCard, SeedRule, free_coupon_type, invoice_status_before, member_answers,
};
use super::{Sandbox, SandboxBuilder};
use crate::Error;
use crate::types::{
    Card, CoinOrder, CommonFieldValue, InvoiceContact, InvoiceDetail, InvoicePayMchInfo,
    InvoiceReimburseStatus, MemberFormInfo, SubMerchant, UserFormInfoFlag,
};
use crate::validate::parse_date;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The keys of the type objects in a card or a card update.
const CARD_KEYS: [&str; 11] = [
    "groupon",
    "cash",
    "discount",
    "gift",
    "general_coupon",
    "member_card",
    "scenic_ticket",
    "movie_ticket",
    "boarding_pass",
    "meeting_ticket",
    "bus_ticket",
];

/// Endpoints that work on custom-code cards only.
const CUSTOM_CODE: [&str; 4] = [
    "code.update",
    "distribute.deposit_codes",
    "distribute.deposit_count",
    "distribute.check_codes",
];

/// A card the example uses without naming one (a QR ticket's card).
const FIXTURE_CARD: &str = "pSandboxExampleCard0000000001";

/// Every string under the keys `names`, at any depth.
fn strings<'v>(value: &'v Value, names: &[&str], out: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if names.contains(&k.as_str()) => out.push(s),
                    other => strings(other, names, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, names, out)),
        _ => {}
    }
}

/// The card type an endpoint's example works on.
fn card_type(endpoint: &str, request: &Value) -> String {
    // A card's type is its key upper-cased (`member_card` → `MEMBER_CARD`).
    if let Some(key) = CARD_KEYS.iter().find(|k| request.get(**k).is_some()) {
        return key.to_ascii_uppercase();
    }
    match endpoint {
        e if e.starts_with("member_card.") || e.starts_with("pay_gift.") => "MEMBER_CARD",
        "datacube.member_card_info" | "datacube.member_card_detail" => "MEMBER_CARD",
        "ticket.boarding_pass_checkin" => "BOARDING_PASS",
        "ticket.meeting_ticket_update_user" => "MEETING_TICKET",
        "ticket.movie_ticket_update_user" => "MOVIE_TICKET",
        _ => "DISCOUNT",
    }
    .to_owned()
}

/// What the example of `endpoint` (its request as JSON) refers to, and what its
/// documented reply (`Null` if not given) shows to exist.
fn seed_for(endpoint: &str, request: &Value, reply: &Value) -> Seed {
    let mut seed = Seed::default();
    let kind = card_type(endpoint, request);
    let custom = CUSTOM_CODE.contains(&endpoint);
    let mut card_ids = Vec::new();
    strings(request, &["card_id", "cardid"], &mut card_ids);
    for id in &card_ids {
        seed.cards.push(((*id).to_owned(), kind.clone(), custom));
    }
    let main_card = card_ids
        .first()
        .map_or(FIXTURE_CARD.to_owned(), |id| (*id).to_owned());
    let openid = request
        .get("openid")
        .and_then(Value::as_str)
        .unwrap_or("o_example")
        .to_owned();
    let activated = !endpoint.ends_with(".activate");
    if let Some(code) = request.get("code").and_then(Value::as_str) {
        seed.cards.push((main_card.clone(), kind.clone(), custom));
        seed.codes.push((
            main_card.clone(),
            code.to_owned(),
            openid.clone(),
            activated,
        ));
    }
    match endpoint {
        "quota.get" => {
            let path = request.get("cgi_path").and_then(Value::as_str);
            // Only a documented success: an error example asks about an unknown path.
            if reply.get("quota").is_some() || reply.is_null() {
                seed.api_paths.extend(path.map(str::to_owned));
            }
        }
        "distribute.show_qrcode" => {
            seed.cards.push((FIXTURE_CARD.into(), kind, false));
            let ticket = request
                .get("ticket")
                .and_then(Value::as_str)
                .unwrap_or_default();
            seed.qr_tickets
                .push((ticket.to_owned(), FIXTURE_CARD.into()));
        }
        "code.decrypt" => {
            seed.cards.push((FIXTURE_CARD.into(), kind, false));
            seed.codes
                .push((FIXTURE_CARD.into(), "751234212312".into(), openid, false));
            let encrypted = request
                .get("encrypt_code")
                .and_then(Value::as_str)
                .unwrap_or_default();
            seed.encrypted
                .push((encrypted.to_owned(), "751234212312".into()));
        }
        "member_card.activate_temp_info" => {
            let ticket = request
                .get("activate_ticket")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // A mobile number, until the documented reply shows the answers.
            let mobile = CommonFieldValue::new(UserFormInfoFlag::Mobile).value("13800000000");
            let answers = member_answers(vec![mobile], Vec::new());
            seed.activate_tickets.push((ticket.to_owned(), answers));
        }
        // The codes a reply reports imported before: the card's own.
        "distribute.deposit_codes" | "distribute.check_codes" => {
            let listed = match endpoint {
                "distribute.deposit_codes" => "duplicate_code",
                _ => "exist_code",
            };
            for code in items(reply, listed).filter_map(Value::as_str) {
                seed.imported_codes
                    .push((main_card.clone(), code.to_owned()));
            }
        }
        e if e.starts_with("coin.") => seed_coin_account(endpoint, request, reply, &mut seed),
        e if e.starts_with("message.") => seed_messages(endpoint, request, &mut seed),
        _ => seed_merchant_records(endpoint, request, reply, &mut seed),
    }
    seed_gift_cards(endpoint, request, reply, &mut seed.gift_cards);
    seed_invoices(endpoint, request, reply, &mut seed.invoices);
    seed_shown(endpoint, request, reply, &mut seed);
    seed
}

/// What a card-message example refers to.
fn seed_messages(endpoint: &str, request: &Value, seed: &mut Seed) {
    match endpoint {
        // A documented card_ext is signed with the docs' own api_ticket.
        "message.custom_send" | "message.mass_preview" => {
            let ext = request
                .pointer("/wxcard/card_ext")
                .and_then(Value::as_str)
                .and_then(|ext| serde_json::from_str::<Value>(ext).ok());
            let signature = ext.as_ref().and_then(|e| e.get("signature"));
            seed.card_ext_signatures
                .extend(signature.and_then(Value::as_str).map(str::to_owned));
        }
        // The mass message asked about was sent (its id is a string in the example).
        "message.mass_get" => {
            let id = request.get("msg_id").and_then(|v| match v {
                Value::String(s) => s.parse().ok(),
                other => other.as_i64(),
            });
            seed.mass_messages.extend(id);
        }
        _ => {}
    }
}

/// The gift card shelves and orders an example names (as its reply shows them, if it
/// does), the merchant numbers it needs, and the invoicing settings a reply shows.
fn seed_gift_cards(endpoint: &str, request: &Value, reply: &Value, seed: &mut GiftCardSeed) {
    let text = |key: &str| request.get(key).and_then(Value::as_str).map(str::to_owned);
    match endpoint {
        "gift_card.page_get" => {
            let shown = reply.get("page").and_then(decode);
            seed.pages.extend(text("page_id").map(|id| (id, shown)));
        }
        "gift_card.maintain_set" => seed.pages.extend(text("page_id").map(|id| (id, None))),
        "gift_card.page_update" => {
            let id = request.pointer("/page/page_id").and_then(Value::as_str);
            seed.pages.extend(id.map(|id| (id.to_owned(), None)));
        }
        "gift_card.page_batch_get" => {
            let listed = items(reply, "page_id_list").filter_map(Value::as_str);
            seed.pages.extend(listed.map(|id| (id.to_owned(), None)));
        }
        "gift_card.pay_submch_bind" => seed.whitelist.extend(text("sub_mch_id")),
        "gift_card.wxa_set" => {
            seed.pages.extend(text("page_id").map(|id| (id, None)));
            if let Some(wxa) = text("wxa_appid") {
                seed.whitelist.push("1900000001".to_owned());
                seed.bindings.push(("1900000001".to_owned(), wxa));
            }
        }
        "gift_card.order_get" | "gift_card.order_refund" => {
            let shown = reply.get("order").and_then(decode);
            seed.orders.extend(text("order_id").map(|id| (id, shown)));
        }
        "gift_card.order_batch_get" => {
            let (begin, end) = (request.get("begin_time"), request.get("end_time"));
            if let (Some(begin), Some(end)) =
                (begin.and_then(Value::as_i64), end.and_then(Value::as_i64))
            {
                seed.window = Some((begin, end));
            }
            for (i, order) in items(reply, "order_list").enumerate() {
                let id = order.get("order_id").and_then(Value::as_str);
                let mut id = id.map_or_else(|| format!("sandboxOrder{i}"), str::to_owned);
                // The docs' list shows one order id twice: two orders, two ids.
                if seed.orders.iter().any(|(seen, _)| *seen == id) {
                    id = format!("{id}{i}");
                }
                seed.orders.push((id, decode(order)));
            }
            // Without a documented reply, one order inside the window.
            if reply.is_null() {
                seed.orders.push(("sandboxOrder0".to_owned(), None));
            }
        }
        "invoice.get_pay_mch" => {
            let shown = reply.get("paymch_info").and_then(decode);
            let default = || InvoicePayMchInfo::new("1900000001", "wxabcd");
            seed.pay_mch = Some(shown.unwrap_or_else(default));
        }
        "invoice.get_auth_field" => seed.auth_field = reply.get("auth_field").and_then(decode),
        "invoice.get_auth_data" => {
            let shown = reply.get("user_auth_info").and_then(decode);
            if let (Some(s_pappid), Some(order_id)) = (text("s_pappid"), text("order_id")) {
                seed.authorizations.push((s_pappid, order_id, shown));
            }
        }
        _ => {}
    }
}

/// The invoice records an example names: its orders authorised, its templates, PDFs and
/// invoices in place (as its reply shows them, if it does), its seller's settings.
fn seed_invoices(endpoint: &str, request: &Value, reply: &Value, seed: &mut InvoiceSeed) {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let status = |v: &Value| {
        let to = v
            .get("reimburse_status")
            .and_then(decode::<InvoiceReimburseStatus>);
        to.map(|to| invoice_status_before(&to))
    };
    // A reply's own fields, without errcode and errmsg.
    let shown = |v: &Value| -> Value {
        let mut v = v.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("errcode");
            map.remove("errmsg");
        }
        v
    };
    match endpoint {
        "invoice.get_contact" => seed.contact = reply.get("contact").and_then(decode),
        "invoice.get_auth_url" => {
            seed.contact = Some(InvoiceContact::new("020-00000000", 3600));
            seed.platforms.extend(text(request, "s_pappid"));
            seed.auth_field = request.get("type").and_then(Value::as_i64) == Some(1);
        }
        "invoice.reject_insert" => {
            if let Some(order_id) = text(request, "order_id") {
                let s_pappid = text(request, "s_pappid");
                seed.orders
                    .push((s_pappid, order_id, SEEDED_HOLDER.to_owned()));
            }
        }
        "invoice.make_out_invoice" => {
            let info = request.get("invoiceinfo").unwrap_or(&Value::Null);
            if let Some(ddh) = text(info, "ddh") {
                let openid = text(info, "wxopenid").unwrap_or_else(|| SEEDED_HOLDER.to_owned());
                seed.orders.push((None, ddh, openid));
            }
        }
        "invoice.clear_out_invoice" => {
            let info = request.get("invoiceinfo").unwrap_or(&Value::Null);
            if let (Some(nsrsbh), Some(fpdm), Some(fphm)) = (
                text(info, "nsrsbh"),
                text(info, "yfpdm"),
                text(info, "yfphm"),
            ) {
                let detail = InvoiceDetail {
                    fpqqlsh: Some(format!("sandboxblue{fphm}")),
                    fpdm: Some(fpdm),
                    fphm: Some(fphm.clone()),
                    ..Default::default()
                };
                seed.made_out
                    .push((format!("sandboxblue{fphm}"), nsrsbh, detail));
            }
        }
        "invoice.query_invoice_info" => {
            if let (Some(fpqqlsh), Some(nsrsbh)) =
                (text(request, "fpqqlsh"), text(request, "nsrsbh"))
            {
                let detail = reply
                    .get("invoicedetail")
                    .and_then(decode)
                    .unwrap_or_default();
                seed.made_out.push((fpqqlsh, nsrsbh, detail));
            }
        }
        "invoice.scan_title" => {
            let title = (!reply.is_null()).then(|| decode(&shown(reply))).flatten();
            seed.titles
                .extend(text(request, "scan_text").map(|t| (t, title)));
        }
        "invoice_platform.get_pdf" => seed.pdfs.extend(text(request, "s_media_id")),
        "invoice_platform.insert" => {
            seed.templates.extend(text(request, "card_id"));
            if let Some(order_id) = text(request, "order_id") {
                let openid = text(reply, "openid").unwrap_or_else(|| SEEDED_HOLDER.to_owned());
                seed.orders.push((None, order_id, openid));
            }
            let data = request.pointer("/card_ext/user_card/invoice_user_data");
            let data = data.unwrap_or(&Value::Null);
            seed.pdfs.extend(text(data, "s_pdf_media_id"));
            seed.pdfs.extend(text(data, "s_trip_pdf_media_id"));
        }
        "invoice_platform.update_status" => {
            if let (Some(card_id), Some(code)) = (text(request, "card_id"), text(request, "code")) {
                let (status, openid, shown) = (status(request), None, None);
                let encrypted = false;
                seed.cards.push(SeedInvoiceCard {
                    card_id,
                    code,
                    encrypted,
                    openid,
                    status,
                    shown,
                });
            }
        }
        "invoice_reimburse.get_invoice_info" | "invoice_reimburse.update_invoice_status" => {
            if let (Some(card_id), Some(code)) =
                (text(request, "card_id"), text(request, "encrypt_code"))
            {
                let shown = (!reply.is_null()).then(|| decode(&shown(reply))).flatten();
                let (status, encrypted) = (status(request), true);
                seed.cards.push(SeedInvoiceCard {
                    card_id,
                    code,
                    encrypted,
                    openid: None,
                    status,
                    shown,
                });
            }
        }
        "invoice_reimburse.get_invoice_batch" | "invoice_reimburse.update_status_batch" => {
            let listed = items(request, "item_list").chain(items(request, "invoice_list"));
            let replied: Vec<&Value> = items(reply, "item_list").collect();
            for (i, item) in listed.enumerate() {
                let (Some(card_id), Some(code)) =
                    (text(item, "card_id"), text(item, "encrypt_code"))
                else {
                    continue;
                };
                let shown = replied.get(i).and_then(|v| decode(v));
                let (status, openid) = (status(request), text(request, "openid"));
                seed.cards.push(SeedInvoiceCard {
                    card_id,
                    code,
                    encrypted: true,
                    openid,
                    status,
                    shown,
                });
            }
        }
        _ => {}
    }
}

/// The pay-gift rules, sub-merchants and stores an example names, as its reply shows
/// them if it does.
fn seed_merchant_records(endpoint: &str, request: &Value, reply: &Value, seed: &mut Seed) {
    match endpoint {
        "pay_gift.delete" | "pay_gift.get_by_id" => {
            // The rule named, as the reply shows it if it does.
            let shown = reply.get("rule_info").and_then(decode);
            if let Some(id) = request.get("rule_id").and_then(Value::as_i64) {
                seed.pay_gift_rules.push(SeedRule {
                    id: Some(id),
                    shown,
                    ..SeedRule::default()
                });
            }
        }
        "pay_gift.add" => occupied_mchids(request, reply, seed),
        "pay_gift.batch_get" => {
            let in_effect = request.get("effective") == Some(&Value::Bool(true));
            for rule in items(reply, "rule_list") {
                seed.pay_gift_rules.push(SeedRule {
                    shown: decode(rule),
                    in_effect,
                    ..SeedRule::default()
                });
            }
        }
        // The store named, showing the card the documented reply shows (if any).
        "store_wxa.get" | "store_wxa.set" => {
            let shown = reply.get("card_id").and_then(Value::as_str);
            if let Some(poi_id) = request.get("poi_id").and_then(Value::as_i64) {
                seed.stores.push((poi_id, shown.map(str::to_owned)));
            }
            seed.cards
                .extend(shown.map(|id| (id.to_owned(), "DISCOUNT".to_owned(), false)));
        }
        "sub_merchant.get" | "sub_merchant.update" => {
            let id = request
                .get("merchant_id")
                .or_else(|| request.pointer("/info/merchant_id"));
            seed.sub_merchants
                .extend(id.and_then(Value::as_i64).map(SubMerchant::new));
        }
        _ => {}
    }
}

/// The coin account an example of `coin.*` uses: open (unless it opens it), with the
/// quote a confirm names and the orders a query names or its reply shows.
fn seed_coin_account(endpoint: &str, request: &Value, reply: &Value, seed: &mut Seed) {
    let coins = &mut seed.coins;
    coins.activated = endpoint != "coin.activate";
    let text = |key: &str| request.get(key).and_then(Value::as_str).map(str::to_owned);
    match endpoint {
        "coin.confirm" => {
            let quantity = request.get("quantity").and_then(Value::as_i64);
            if let (Some(order_id), Some(card_id), Some(quantity)) =
                (text("order_id"), text("card_id"), quantity)
            {
                coins.quotes.push((order_id, card_id, quantity));
            }
        }
        "coin.get_order" => {
            let mut order: CoinOrder = reply.get("order_info").and_then(decode).unwrap_or_default();
            order.order_id = text("order_id");
            coins.orders.push(order);
        }
        "coin.get_order_list" => coins
            .orders
            .extend(items(reply, "order_list").filter_map(decode::<CoinOrder>)),
        _ => {}
    }
}

/// The elements of the list `key` of a reply (none if it has no such list).
fn items<'v>(reply: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    reply
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A record as an example shows it, if it fits the record's type.
fn decode<T: DeserializeOwned>(shown: &Value) -> Option<T> {
    serde_json::from_value(shown.clone()).ok()
}

/// pay_gift.add: a merchant number fails when another rule holds it, so each failed one
/// the reply shows is held by the rule and account it names. Which number: the one
/// shown if the example asked for it; else one asked for that did not succeed; else
/// (the page's example: "111" fails but was never asked for, while both numbers asked
/// for succeed) the last one asked for.
fn occupied_mchids(request: &Value, reply: &Value, seed: &mut Seed) {
    let asked: Vec<&str> = request
        .pointer("/rule_info/base_info/mchid_list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let succeeded: Vec<&str> = items(reply, "succ_mchid_list")
        .filter_map(Value::as_str)
        .collect();
    let mut candidates: Vec<&str> = asked
        .iter()
        .filter(|m| !succeeded.contains(m))
        .chain(asked.iter().rev())
        .copied()
        .collect();
    for failed in items(reply, "fail_mchid_list") {
        let shown = failed
            .get("mchid")
            .and_then(Value::as_str)
            .filter(|m| asked.contains(m));
        let Some(mchid) = shown.or_else(|| candidates.first().copied()) else {
            continue;
        };
        candidates.retain(|m| *m != mchid);
        seed.pay_gift_rules.push(SeedRule {
            id: failed.get("occupy_rule_id").and_then(Value::as_i64),
            appid: failed
                .get("occupy_appid")
                .and_then(Value::as_str)
                .map(str::to_owned),
            shown: decode(&json!({"base_info": {"mchid_list": [mchid]}})),
            in_effect: false,
        });
    }
}

/// What a documented reply shows to exist before the call (`request`: the call): the
/// card a card/get shows, the rows a statistics query counts, the records a list pages
/// through.
fn seed_shown(endpoint: &str, request: &Value, reply: &Value, seed: &mut Seed) {
    if reply.is_null() {
        return;
    }
    let openid = request.get("openid").and_then(Value::as_str);
    match endpoint {
        // The card as shown, under the id asked for (the official example's reply
        // names another).
        "card.get" => {
            let card_id = request.get("card_id").and_then(Value::as_str);
            let card = reply
                .get("card")
                .cloned()
                .map(serde_json::from_value::<Card>);
            if let (Some(card_id), Some(Ok(card))) = (card_id, card) {
                seed.definitions.push((card_id.to_owned(), card));
            }
        }
        // The codes listed, held by the user asked about.
        "code.list_user_cards" => {
            for entry in items(reply, "card_list") {
                let card_id = entry.get("card_id").and_then(Value::as_str);
                let code = entry.get("code").and_then(Value::as_str);
                if let (Some(card_id), Some(code), Some(openid)) = (card_id, code, openid) {
                    seed.cards
                        .push((card_id.to_owned(), "DISCOUNT".to_owned(), false));
                    seed.codes
                        .push((card_id.to_owned(), code.to_owned(), openid.to_owned(), true));
                }
            }
        }
        "card.batch_get" => {
            for id in items(reply, "card_id_list").filter_map(Value::as_str) {
                seed.cards
                    .push((id.to_owned(), "DISCOUNT".to_owned(), false));
            }
        }
        "sub_merchant.get" => {
            seed.sub_merchants
                .extend(reply.get("info").and_then(decode::<SubMerchant>));
        }
        "sub_merchant.batch_get" => {
            let listed = items(reply, "info_list").filter_map(decode::<SubMerchant>);
            seed.sub_merchants.extend(listed);
        }
        "datacube.biz_info"
        | "datacube.card_info"
        | "datacube.member_card_info"
        | "datacube.member_card_detail" => seed_rows(endpoint, request, reply, seed),
        "member_card.activate_temp_info" => {
            if let (Some((_, answers)), Some(info)) = (
                seed.activate_tickets.last_mut(),
                form_info(reply.get("info")),
            ) {
                *answers = info;
            }
        }
        "member_card.user_info" => {
            let Some((card_id, _, openid, _)) = seed.codes.first() else {
                return;
            };
            let text = |key: &str| reply.get(key).and_then(Value::as_str).map(str::to_owned);
            let default = Profile::default();
            let profile = Profile {
                nickname: text("nickname").unwrap_or(default.nickname),
                sex: text("sex").unwrap_or(default.sex),
                answers: form_info(reply.get("user_info")).unwrap_or(default.answers),
            };
            seed.profiles
                .push((card_id.clone(), openid.clone(), profile));
        }
        _ => {}
    }
}

/// A member's answers as a reply shows them (`info`, `user_info`), typed.
fn form_info(shown: Option<&Value>) -> Option<MemberFormInfo> {
    let info: MemberFormInfo = serde_json::from_value(shown?.clone()).ok()?;
    let (common, custom) = (info.common_field_list, info.custom_field_list);
    Some(member_answers(
        common.unwrap_or_default(),
        custom.unwrap_or_default(),
    ))
}

/// The events behind a statistics reply: each row's figures happen to the card asked
/// about (else the one the row names, else a fixture card) on the row's day, moved into
/// the window if outside; the members the first row's totals count received the card
/// the day before the window (those no longer members lost it that day). Asked about
/// cards made on the platform (cond_source 0), the cards are made there.
fn seed_rows(endpoint: &str, request: &Value, reply: &Value, seed: &mut Seed) {
    let date = |v: Option<&Value>| v.and_then(Value::as_str).and_then(parse_date);
    let (Some(begin), Some(end)) = (
        date(request.get("begin_date")),
        date(request.get("end_date")),
    ) else {
        return;
    };
    let asked = request.get("card_id").and_then(Value::as_str);
    let platform = request.get("cond_source").and_then(Value::as_i64) == Some(0);
    for (i, row) in items(reply, "list").enumerate() {
        let figure = |key: &str| row.get(key).and_then(Value::as_i64);
        let named = ["card_id", "cardid"]
            .iter()
            .find_map(|k| row.get(*k).and_then(Value::as_str));
        // The docs' member_card_detail example asks about a placeholder card and
        // window, and shows a row of another card and year: the row is the asked card's.
        let card_id = asked.or(named).unwrap_or(FIXTURE_CARD).to_owned();
        let kind = figure("card_type")
            .and_then(free_coupon_type)
            .map_or_else(|| card_type(endpoint, request), str::to_owned);
        // Ahead of the cards the request named: the type the row shows wins.
        seed.cards.insert(0, (card_id.clone(), kind, false));
        if platform {
            seed.platform_cards.push(card_id.clone());
        }
        let Some(day) = date(row.get("ref_date")) else {
            continue;
        };
        // Into the window asked for (an inverted window is left to the endpoint to refuse).
        let day = if begin <= end {
            day.clamp(begin, end)
        } else {
            day
        };
        let mut happened = |kind, times: Option<i64>, users: Option<i64>| {
            let (times, users) = (times.or(users).unwrap_or(0), users.unwrap_or(1));
            if times > 0 {
                let card_id = card_id.clone();
                seed.events.push(PastEvents {
                    card_id,
                    day,
                    kind,
                    times,
                    users,
                });
            }
        };
        for (kind, cnt, user) in [
            (EventKind::View, "view_cnt", "view_user"),
            (EventKind::Receive, "receive_cnt", "receive_user"),
            (EventKind::Verify, "verify_cnt", "verify_user"),
            (EventKind::Given, "given_cnt", "given_user"),
            (EventKind::Expire, "expire_cnt", "expire_user"),
            (EventKind::Activate, "active_cnt", "active_user"),
        ] {
            happened(kind, figure(cnt), figure(user));
        }
        let (ever, members) = (figure("total_receive_user"), figure("total_user"));
        if i > 0 || ever.or(members).is_none() {
            continue;
        }
        let before = begin.previous_day().unwrap_or(begin);
        let ever = ever.or(members).unwrap_or(0);
        let gone = ever - members.unwrap_or(ever);
        for (kind, times) in [(EventKind::Receive, ever), (EventKind::Expire, gone)] {
            if times > 0 {
                let card_id = card_id.clone();
                seed.events.push(PastEvents {
                    card_id,
                    day: before,
                    kind,
                    times,
                    users: times,
                });
            }
        }
    }
}

fn builder_for(endpoint: &str, request: &Value) -> SandboxBuilder {
    let builder = Sandbox::builder();
    // The token endpoints' examples name their own app id and secret; clear_quota's
    // its app id.
    match (
        endpoint.starts_with("token."),
        request.get("appid").and_then(Value::as_str),
        request.get("secret").and_then(Value::as_str),
    ) {
        (true, Some(appid), Some(secret)) => builder.appid(appid).secret(secret),
        (false, Some(appid), None) if endpoint == "quota.clear" => builder.appid(appid),
        _ => builder,
    }
}

fn parse(what: &str, json: &str) -> Result<Value, Error> {
    serde_json::from_str(json)
        .map_err(|e| Error::Config(format!("the example {what} is not JSON: {e}")))
}

impl Sandbox {
    /// A sandbox in which the documented example of `endpoint` (its request as JSON)
    /// runs as written: the cards, codes, tickets and records it names exist.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wechat_card::Error> {
    /// use wechat_card::sandbox::Sandbox;
    /// use wechat_card::code::CodeConsumeRequest;
    ///
    /// let sandbox = Sandbox::for_example("code.consume", r#"{"code": "12312313"}"#).await?;
    /// let reply = sandbox.client()?.code().consume(&CodeConsumeRequest::new("12312313")).await?;
    /// assert_eq!(reply.openid.as_deref(), Some("o_example"));
    /// # Ok(()) }
    /// ```
    pub async fn for_example(endpoint: &str, request: &str) -> Result<Sandbox, Error> {
        let request = parse("request", request)?;
        let sandbox = builder_for(endpoint, &request).start().await?;
        sandbox
            .engine
            .world
            .seed(seed_for(endpoint, &request, &Value::Null));
        Ok(sandbox)
    }

    /// [`Sandbox::for_example`] on a runtime of its own, for blocking code.
    pub fn for_example_blocking(endpoint: &str, request: &str) -> Result<Sandbox, Error> {
        let request = parse("request", request)?;
        let sandbox = builder_for(endpoint, &request).start_blocking()?;
        sandbox
            .engine
            .world
            .seed(seed_for(endpoint, &request, &Value::Null));
        Ok(sandbox)
    }

    /// A sandbox in which a whole documented exchange happens: as
    /// [`Sandbox::for_example`], and what the documented reply shows exists too (the
    /// card a `card.get` reply shows, the records a list pages through, the events a
    /// statistics query counts), so that the sandbox's reply can be compared with the
    /// documented one field for field.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wechat_card::Error> {
    /// use wechat_card::sandbox::Sandbox;
    /// use wechat_card::card::CardBatchGetRequest;
    ///
    /// let request = r#"{"offset": 0, "count": 10}"#;
    /// let reply = r#"{"errcode": 0, "errmsg": "ok", "card_id_list": ["ph_gmt7cUVrlRk8swPwx7aDyF-pg"], "total_num": 1}"#;
    /// let sandbox = Sandbox::for_exchange("card.batch_get", request, reply).await?;
    /// let listed = sandbox.client()?.card().batch_get(&CardBatchGetRequest::new(0, 10)).await?;
    /// assert_eq!(listed.card_id_list.unwrap_or_default(), ["ph_gmt7cUVrlRk8swPwx7aDyF-pg"]);
    /// # Ok(()) }
    /// ```
    pub async fn for_exchange(
        endpoint: &str,
        request: &str,
        reply: &str,
    ) -> Result<Sandbox, Error> {
        let (request, reply) = (parse("request", request)?, parse("reply", reply)?);
        let sandbox = builder_for(endpoint, &request).start().await?;
        sandbox
            .engine
            .world
            .seed(seed_for(endpoint, &request, &reply));
        Ok(sandbox)
    }
}
