//! What a WeChat user does, over HTTP (the `User` methods of the Rust API).

use super::body::{ControlError, parse};
use super::{Engine, Outcome};
use crate::sandbox::{GiftCardPurchase, InvoiceTitle};
use crate::types::{InvoiceBizTitle, InvoiceUserTitle};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Claim {
    openid: String,
    card_id: String,
    /// A custom-code card's code, or one imported code of a deposit-mode card.
    code: Option<String>,
    outer_str: Option<String>,
}

pub(super) fn claim(engine: &Engine, body: &[u8]) -> Outcome {
    let b: Claim = parse(body)?;
    let code = engine.world.claim(
        &b.openid,
        &b.card_id,
        b.code.as_deref(),
        b.outer_str.as_deref(),
    )?;
    Ok(json!({ "code": code }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanQrcode {
    openid: String,
    ticket: String,
}

pub(super) fn scan_qrcode(engine: &Engine, body: &[u8]) -> Outcome {
    let b: ScanQrcode = parse(body)?;
    let code = engine.world.claim_qr(&b.openid, &b.ticket)?;
    Ok(json!({ "code": code }))
}

/// A user and one card: `view` and `enter_chat_from_card`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserCard {
    openid: String,
    card_id: String,
}

pub(super) fn view(engine: &Engine, body: &[u8]) -> Outcome {
    let b: UserCard = parse(body)?;
    engine.world.view(&b.openid, &b.card_id)?;
    Ok(json!({}))
}

pub(super) fn enter_chat_from_card(engine: &Engine, body: &[u8]) -> Outcome {
    let b: UserCard = parse(body)?;
    engine.world.enter_chat(&b.openid, &b.card_id)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Gift {
    code: String,
    friend: String,
}

pub(super) fn gift(engine: &Engine, body: &[u8]) -> Outcome {
    let b: Gift = parse(body)?;
    let code = engine.world.gift(&b.code, &b.friend)?;
    Ok(json!({ "code": code }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Delete {
    code: String,
}

pub(super) fn delete(engine: &Engine, body: &[u8]) -> Outcome {
    let b: Delete = parse(body)?;
    engine.world.user_delete(&b.code)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivationForm {
    openid: String,
    card_id: String,
    /// What the user typed, as activatetempinfo/get returns it (`common_field_list`).
    #[serde(default)]
    fields: Vec<FormField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormField {
    name: String,
    value: String,
}

pub(super) fn fill_activation_form(engine: &Engine, body: &[u8]) -> Outcome {
    let b: ActivationForm = parse(body)?;
    let fields: Vec<(&str, &str)> = b
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str()))
        .collect();
    let ticket = engine
        .world
        .fill_activation_form(&b.card_id, &b.openid, &fields)?;
    Ok(json!({ "activate_ticket": ticket }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayRecharge {
    order_id: String,
    /// Who pays; the sandbox's payer when absent.
    openid: Option<String>,
}

pub(super) fn pay_recharge(engine: &Engine, body: &[u8]) -> Outcome {
    let b: PayRecharge = parse(body)?;
    let payer = b.openid.as_deref().unwrap_or(crate::sandbox::world::PAYER);
    engine.world.pay_recharge(&b.order_id, payer)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuyGiftCard {
    openid: String,
    page_id: String,
    card_id: String,
    /// Fen, per card.
    price: i64,
    #[serde(default = "one")]
    count: i64,
    outer_str: Option<String>,
}

fn one() -> i64 {
    1
}

pub(super) fn buy_gift_card(engine: &Engine, body: &[u8]) -> Outcome {
    let b: BuyGiftCard = parse(body)?;
    let max = GiftCardPurchase::MAX_COUNT;
    if !(1..=max).contains(&b.count) {
        let message = format!("`count` is 1 to {max} (the sandbox's limit per order)");
        return Err(ControlError::invalid_body(Some("count".into()), message).into());
    }
    if b.price < 1 {
        let message = "`price` is at least 1 (fen, per card)";
        return Err(ControlError::invalid_body(Some("price".into()), message).into());
    }
    let purchase = GiftCardPurchase {
        page_id: &b.page_id,
        card_id: &b.card_id,
        count: b.count,
        price: b.price,
        outer_str: b.outer_str.as_deref(),
    };
    let (order_id, codes) = engine.world.buy_gift_card(&b.openid, &purchase)?;
    Ok(json!({ "order_id": order_id, "codes": codes }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendGiftCard {
    openid: String,
    order_id: String,
    #[serde(default)]
    chat_room: bool,
}

pub(super) fn send_gift_card(engine: &Engine, body: &[u8]) -> Outcome {
    let b: SendGiftCard = parse(body)?;
    engine
        .world
        .send_gift_card(&b.openid, &b.order_id, b.chat_room)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Messages {
    openid: String,
}

pub(super) fn messages(engine: &Engine, body: &[u8]) -> Outcome {
    let b: Messages = parse(body)?;
    Ok(json!({ "messages": engine.world.messages(&b.openid) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptGiftCard {
    openid: String,
    order_id: String,
}

pub(super) fn accept_gift_card(engine: &Engine, body: &[u8]) -> Outcome {
    let b: AcceptGiftCard = parse(body)?;
    let codes = engine.world.accept_gift_card(&b.openid, &b.order_id)?;
    Ok(json!({ "codes": codes }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimMessage {
    openid: String,
    msg_id: i64,
}

pub(super) fn claim_message(engine: &Engine, body: &[u8]) -> Outcome {
    let b: ClaimMessage = parse(body)?;
    let code = engine.world.claim_message(&b.openid, b.msg_id)?;
    Ok(json!({ "code": code }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagUser {
    openid: String,
    tag_id: i64,
}

pub(super) fn tag_user(engine: &Engine, body: &[u8]) -> Outcome {
    let b: TagUser = parse(body)?;
    engine.world.tag_user(&b.openid, b.tag_id);
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameUser {
    openid: String,
    wechat_name: String,
}

pub(super) fn name_user(engine: &Engine, body: &[u8]) -> Outcome {
    let b: NameUser = parse(body)?;
    engine.world.name_user(&b.openid, &b.wechat_name);
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeInvoice {
    /// The user; the seeded examples' holder when left out.
    openid: Option<String>,
    s_pappid: String,
    order_id: String,
    title: String,
    phone: Option<String>,
    email: Option<String>,
}

pub(super) fn authorize_invoice(engine: &Engine, body: &[u8]) -> Outcome {
    let b: AuthorizeInvoice = parse(body)?;
    let openid = b
        .openid
        .as_deref()
        .unwrap_or(crate::sandbox::world::SEEDED_HOLDER);
    let title = InvoiceUserTitle {
        title: Some(b.title),
        phone: b.phone,
        email: b.email,
        ..Default::default()
    };
    engine
        .world
        .authorize_invoice(openid, &b.s_pappid, &b.order_id, title)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChooseInvoices {
    openid: String,
}

pub(super) fn choose_invoices(engine: &Engine, body: &[u8]) -> Outcome {
    let b: ChooseInvoices = parse(body)?;
    let chosen = engine.world.choose_invoices(&b.openid);
    let invoices: Vec<_> = chosen
        .iter()
        .map(|c| json!({ "card_id": c.card_id, "encrypt_code": c.encrypt_code }))
        .collect();
    Ok(json!({ "invoices": invoices }))
}

/// A title a user keeps in WeChat: personal unless `business`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvoiceTitleQr {
    openid: String,
    title: String,
    #[serde(default)]
    business: bool,
    tax_no: Option<String>,
    addr: Option<String>,
    phone: Option<String>,
    bank_type: Option<String>,
    bank_no: Option<String>,
}

/// The same title, submitted on the seller's title link `url`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitInvoiceTitle {
    openid: String,
    url: String,
    title: String,
    #[serde(default)]
    business: bool,
    tax_no: Option<String>,
    addr: Option<String>,
    phone: Option<String>,
    bank_type: Option<String>,
    bank_no: Option<String>,
}

impl InvoiceTitleQr {
    fn title(self) -> InvoiceTitle {
        if self.business {
            InvoiceTitle::Business(InvoiceBizTitle {
                title: Some(self.title),
                tax_no: self.tax_no,
                addr: self.addr,
                phone: self.phone,
                bank_type: self.bank_type,
                bank_no: self.bank_no,
                ..Default::default()
            })
        } else {
            InvoiceTitle::Person(InvoiceUserTitle {
                title: Some(self.title),
                phone: self.phone,
                ..Default::default()
            })
        }
    }
}

pub(super) fn submit_invoice_title(engine: &Engine, body: &[u8]) -> Outcome {
    let b: SubmitInvoiceTitle = parse(body)?;
    let title = InvoiceTitleQr {
        openid: b.openid,
        title: b.title,
        business: b.business,
        tax_no: b.tax_no,
        addr: b.addr,
        phone: b.phone,
        bank_type: b.bank_type,
        bank_no: b.bank_no,
    };
    let openid = title.openid.clone();
    engine
        .world
        .submit_invoice_title(&openid, &b.url, &title.title())?;
    Ok(json!({}))
}

pub(super) fn invoice_title_qr(engine: &Engine, body: &[u8]) -> Outcome {
    let b: InvoiceTitleQr = parse(body)?;
    let scan_text = engine.world.invoice_title_qr(&b.title());
    Ok(json!({ "scan_text": scan_text }))
}
