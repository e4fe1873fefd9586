//! Electronic invoices end to end, the three parties played by one sandbox account: the
//! seller asks for an authorisation link and the user authorises (`user_authorize_invoice`
//! pushed); the seller makes the invoice out (`cloud_invoice_invoiceresult_event`); the
//! platform uploads the PDF and inserts the invoice into the user's card package; a
//! reimburser reads it, locks and reimburses it (`update_invoice_status` pushed each
//! time), and cannot reimburse it twice. Then the refusals on the way: an order refused
//! is never invoiced, a red-flushed invoice leaves the card package. And titles: submitted
//! on the seller's link (`submit_invoice_title`), or scanned from the user's QR code.

use super::errcode;
use super::net::sandbox_action;
use super::record_pushes;
use serde_json::json;
use std::time::Duration;
use wechat_card::invoice::{
    InvoiceClearOutInvoiceRequest, InvoiceGetAuthDataRequest, InvoiceGetAuthUrlRequest,
    InvoiceGetSelectTitleUrlRequest, InvoiceMakeOutInvoiceRequest, InvoiceQueryInvoiceInfoRequest,
    InvoiceRejectInsertRequest, InvoiceScanTitleRequest, InvoiceSetAuthFieldRequest,
    InvoiceSetContactRequest,
};
use wechat_card::invoice_platform::{
    InvoicePlatformCreateCardRequest, InvoicePlatformInsertRequest, InvoicePlatformSetPdfRequest,
    InvoicePlatformSetUrlRequest, InvoicePlatformUpdateStatusRequest,
};
use wechat_card::invoice_reimburse::{
    InvoiceReimburseGetInvoiceBatchRequest, InvoiceReimburseGetInvoiceInfoRequest,
    InvoiceReimburseUpdateInvoiceStatusRequest, InvoiceReimburseUpdateStatusBatchRequest,
};
use wechat_card::push::events::{CardEvent, InvoiceStatusPushed, InvoiceTitleType};
use wechat_card::sandbox::{Delivery, InvoiceTitle, Sandbox};
use wechat_card::types::{
    InvoiceAuthField, InvoiceBizField, InvoiceBizTitle, InvoiceCardExt, InvoiceCardRef,
    InvoiceClearOut, InvoiceContact, InvoiceItem, InvoiceMakeOut, InvoiceMakeOutItem,
    InvoiceReimburseStatus as Status, InvoiceTemplate, InvoiceTemplateBaseInfo, InvoiceUserCard,
    InvoiceUserData, InvoiceUserField, InvoiceUserTitle,
};
use wechat_card::{Client, ErrCode, FilePart};

const BUYER: &str = "o_invoice_buyer";
const TAXPAYER: &str = "110109500321654";
/// The account's appid: the one users authorise orders with (insert's appid).
const APPID: &str = "wx0123456789abcdef";

/// The invoice events pushed, as (event, sender, detail).
fn invoice_events(deliveries: &[Delivery]) -> Vec<(&'static str, String, String)> {
    let from = |e: &wechat_card::push::events::Envelope| e.from_user_name.clone();
    let status = |s: &InvoiceStatusPushed| s.as_str().to_owned();
    deliveries
        .iter()
        .filter_map(|d| match &d.event {
            CardEvent::UserAuthorizeInvoice(e) => Some((
                "authorized",
                from(&e.envelope),
                e.succ_order_id.clone().unwrap_or_default(),
            )),
            CardEvent::CloudInvoiceInvoiceresultEvent(e) => {
                Some(("made_out", from(&e.envelope), e.fpqqlsh.clone()))
            }
            CardEvent::UpdateInvoiceStatus(e) => {
                Some(("status", from(&e.envelope), status(&e.status)))
            }
            _ => None,
        })
        .collect()
}

/// The platform's id, from the link seturl gives.
async fn platform_id(client: &Client) -> String {
    let set_url = InvoicePlatformSetUrlRequest::new();
    let url = client.invoice_platform().set_url(&set_url).await.unwrap();
    let url = url.invoice_url.expect("invoice_url");
    url.split("s_pappid=").nth(1).expect("s_pappid").to_owned()
}

/// The seller's settings, and an authorisation link for `order_id` (type=1: the page
/// asks the title).
async fn seller_ready(client: &Client, s_pappid: &str, order_id: &str) {
    let invoice = client.invoice();
    let contact = InvoiceSetContactRequest::new(InvoiceContact::new("020-88888888", 3600));
    invoice.set_contact(&contact).await.unwrap();
    let fields = InvoiceAuthField::new(
        InvoiceUserField::new().show_title(1),
        InvoiceBizField::new(),
    );
    invoice
        .set_auth_field(&InvoiceSetAuthFieldRequest::new(fields))
        .await
        .unwrap();
    let ticket = client.card_ticket().await.unwrap();
    let link = InvoiceGetAuthUrlRequest::new(
        s_pappid,
        order_id,
        15_900,
        1_700_000_000,
        "web",
        ticket.expose(),
        1,
    )
    .redirect_url("https://shop.example.com/invoiced");
    // The api_ticket is a credential: Debug never shows it.
    assert!(!format!("{link:?}").contains(ticket.expose()));
    let link = invoice.get_auth_url(&link).await.unwrap();
    assert!(link.auth_url.unwrap().contains(order_id));
}

/// A washing machine, 135.90 yuan + 23.10 yuan VAT, for `order_id`.
fn make_out(order_id: &str, fpqqlsh: &str) -> InvoiceMakeOutInvoiceRequest {
    let item = InvoiceMakeOutItem::new(
        "0",
        "1090418010000000000",
        "洗衣机",
        "1",
        "135.90",
        "135.90",
        "0.17",
        "23.10",
    );
    let info = InvoiceMakeOut::new(
        BUYER,
        order_id,
        fpqqlsh,
        TAXPAYER,
        "沙盒电器",
        "深圳市",
        "0755-22889998",
        "中国银行",
        "12345678",
        "周一",
        "小明",
        "159.00",
        "23.10",
        vec![item],
    );
    InvoiceMakeOutInvoiceRequest::new(info)
}

/// The invoice as the platform inserts it: numbers from the invoice made out, amounts
/// in fen.
fn card_ext(nonce: &str, fpdm: &str, fphm: &str, pdf: &str) -> InvoiceCardExt {
    let data = InvoiceUserData::new(15_900, "李雷", 1_700_000_000, fphm, 13_590, 2_310, pdf)
        .billing_code(fpdm)
        .info(vec![InvoiceItem::new("洗衣机", 13_590).num(1).unit("台")]);
    InvoiceCardExt::new(nonce, InvoiceUserCard::new(data))
}

fn status_of(ref_: &InvoiceCardRef, to: Status) -> InvoiceReimburseUpdateInvoiceStatusRequest {
    InvoiceReimburseUpdateInvoiceStatusRequest::new(&ref_.card_id, &ref_.encrypt_code, to)
}

#[tokio::test]
async fn an_invoice_is_authorised_made_out_inserted_and_reimbursed_once() {
    let sandbox = Sandbox::builder()
        .appid(APPID)
        .review(None)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    record_pushes(&sandbox);
    let s_pappid = platform_id(&client).await;
    let order_id = "ORDER-1001";
    seller_ready(&client, &s_pappid, order_id).await;

    // Before the user authorises, nothing can be made out.
    let request = make_out(order_id, "SANDBX0000000001");
    let refused = client.invoice().make_out_invoice(&request).await;
    assert_eq!(errcode(refused), ErrCode::InvoiceOrderNotAuthorized);

    // The user authorises on the page; the seller reads the title.
    let user = sandbox.user(BUYER);
    let title = InvoiceUserTitle::default().title("李雷");
    user.authorize_invoice(&s_pappid, order_id, title).unwrap();
    let data = InvoiceGetAuthDataRequest::new(&s_pappid, order_id);
    let data = client.invoice().get_auth_data(&data).await.unwrap();
    assert_eq!(data.invoice_status.as_deref(), Some("auth success"));
    let filled = data.user_auth_info.unwrap().user_field.unwrap();
    assert_eq!(filled.title.as_deref(), Some("李雷"));

    // The seller makes it out; the platform's numbers come back from the query.
    client.invoice().make_out_invoice(&request).await.unwrap();
    let query = InvoiceQueryInvoiceInfoRequest::new("SANDBX0000000001", TAXPAYER);
    let detail = client.invoice().query_invoice_info(&query).await.unwrap();
    let detail = detail.invoicedetail.unwrap();
    let (fpdm, fphm) = (detail.fpdm.unwrap(), detail.fphm.unwrap());
    assert!(detail.pdfurl.is_some() && detail.kprq.is_some());

    // The platform: a template, the PDF (a non-PDF is refused), the insert.
    let platform = client.invoice_platform();
    let base = InvoiceTemplateBaseInfo::new("http://mmbiz.qpic.cn/logo.png", "沙盒电器");
    let template = InvoiceTemplate::new(base, "沙盒电器有限公司", "广东省增值税普通发票");
    let card_id = platform
        .create_card(&InvoicePlatformCreateCardRequest::new(template))
        .await
        .unwrap()
        .card_id
        .unwrap();
    let png = FilePart::new(
        "invoice.pdf",
        "application/pdf",
        b"\x89PNG not a pdf".to_vec(),
    );
    let refused = platform
        .set_pdf(&InvoicePlatformSetPdfRequest::new(png))
        .await;
    assert_eq!(errcode(refused), ErrCode::InvoicePdfInvalid);
    let pdf = FilePart::new(
        "invoice.pdf",
        "application/pdf",
        b"%PDF-1.4 invoice".to_vec(),
    );
    let media_id = platform
        .set_pdf(&InvoicePlatformSetPdfRequest::new(pdf))
        .await
        .unwrap()
        .s_media_id
        .unwrap();
    assert!(platform.pdf_url(&media_id).await.unwrap().pdf_url.is_some());
    let ext = card_ext("nonce-1", &fpdm, &fphm, &media_id);
    let insert = InvoicePlatformInsertRequest::new(order_id, &card_id, APPID, ext);
    let inserted = platform.insert(&insert).await.unwrap();
    assert_eq!(inserted.openid.as_deref(), Some(BUYER));
    // The same nonce again inserts nothing more: the same code.
    let again = platform.insert(&insert).await.unwrap();
    assert_eq!(again.code, inserted.code);

    // The user hands it to a reimburser (chooseInvoice), who reads it.
    let chosen = user.choose_invoices();
    assert_eq!(chosen.len(), 1);
    let mine = &chosen[0];
    let reimburse = client.invoice_reimburse();
    let read = InvoiceReimburseGetInvoiceInfoRequest::new(&mine.card_id, &mine.encrypt_code);
    let info = reimburse.get_invoice_info(&read).await.unwrap();
    assert_eq!(info.openid.as_deref(), Some(BUYER));
    assert_eq!(info.payee.as_deref(), Some("沙盒电器有限公司"));
    let face = info.user_info.unwrap();
    assert_eq!(face.fee, Some(15_900));
    assert_eq!(face.billing_no.as_deref(), Some(fphm.as_str()));
    assert_eq!(face.reimburse_status, Some(Status::Init));

    // Reimbursing needs the lock first; locked, then reimbursed; never twice.
    let early = reimburse
        .update_invoice_status(&status_of(mine, Status::Closure))
        .await;
    assert_eq!(errcode(early), ErrCode::InvoiceNotLocked);
    reimburse
        .update_invoice_status(&status_of(mine, Status::Lock))
        .await
        .unwrap();
    reimburse
        .update_invoice_status(&status_of(mine, Status::Closure))
        .await
        .unwrap();
    let twice = reimburse
        .update_invoice_status(&status_of(mine, Status::Closure))
        .await;
    assert_eq!(errcode(twice), ErrCode::InvoiceStatusError);
    let info = reimburse.get_invoice_info(&read).await.unwrap();
    assert_eq!(
        info.user_info.unwrap().reimburse_status,
        Some(Status::Closure)
    );
    assert!(
        user.choose_invoices().is_empty(),
        "reimbursed: out of the card package"
    );

    let deliveries = sandbox.flush_pushes().await;
    assert_eq!(
        invoice_events(&deliveries),
        vec![
            ("authorized", BUYER.to_owned(), order_id.to_owned()),
            ("made_out", BUYER.to_owned(), "SANDBX0000000001".to_owned()),
            (
                "status",
                BUYER.to_owned(),
                "INVOICE_REIMBURSE_LOCK".to_owned()
            ),
            (
                "status",
                BUYER.to_owned(),
                "INVOICE_REIMBURSE_CLOSURE".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn a_refused_order_is_never_invoiced_and_a_red_flushed_invoice_leaves_the_package() {
    let sandbox = Sandbox::builder()
        .appid(APPID)
        .review(None)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    let s_pappid = platform_id(&client).await;
    let user = sandbox.user(BUYER);
    seller_ready(&client, &s_pappid, "ORDER-2001").await;
    let title = || InvoiceUserTitle::default().title("李雷");
    user.authorize_invoice(&s_pappid, "ORDER-2001", title())
        .unwrap();
    user.authorize_invoice(&s_pappid, "ORDER-2002", title())
        .unwrap();

    // Refused: it cannot be made out nor inserted, nor authorised again.
    let reject = InvoiceRejectInsertRequest::new(&s_pappid, "ORDER-2001", "抬头无效");
    client.invoice().reject_insert(&reject).await.unwrap();
    let made_out = client
        .invoice()
        .make_out_invoice(&make_out("ORDER-2001", "SANDBX0000000002"))
        .await;
    assert_eq!(errcode(made_out), ErrCode::InvoiceRejected);
    let again = user.authorize_invoice(&s_pappid, "ORDER-2001", title());
    assert_eq!(errcode(again), ErrCode::InvoiceRejected);

    // The other order is made out, inserted, then red-flushed: the card is CANCEL and
    // no longer offered to reimbursers; flushing it twice is refused.
    let request = make_out("ORDER-2002", "SANDBX0000000003");
    client.invoice().make_out_invoice(&request).await.unwrap();
    let query = InvoiceQueryInvoiceInfoRequest::new("SANDBX0000000003", TAXPAYER);
    let detail = client.invoice().query_invoice_info(&query).await.unwrap();
    let detail = detail.invoicedetail.unwrap();
    let (fpdm, fphm) = (detail.fpdm.unwrap(), detail.fphm.unwrap());
    let platform = client.invoice_platform();
    let base = InvoiceTemplateBaseInfo::new("http://mmbiz.qpic.cn/logo.png", "沙盒电器");
    let template = InvoiceTemplate::new(base, "沙盒电器有限公司", "广东省增值税普通发票");
    let create = InvoicePlatformCreateCardRequest::new(template);
    let card_id = platform
        .create_card(&create)
        .await
        .unwrap()
        .card_id
        .unwrap();
    let pdf = FilePart::new(
        "invoice.pdf",
        "application/pdf",
        b"%PDF-1.4 invoice".to_vec(),
    );
    let set_pdf = InvoicePlatformSetPdfRequest::new(pdf);
    // An s_media_id lives 3 days unless an invoice uses it.
    let stale = platform
        .set_pdf(&set_pdf)
        .await
        .unwrap()
        .s_media_id
        .unwrap();
    sandbox.advance_clock(Duration::from_secs(3 * 86_400 + 1));
    let late = card_ext("nonce-late", &fpdm, &fphm, &stale);
    let late = InvoicePlatformInsertRequest::new("ORDER-2002", &card_id, APPID, late);
    assert_eq!(
        errcode(platform.insert(&late).await),
        ErrCode::InvoicePdfInvalid
    );
    assert_eq!(
        errcode(platform.pdf_url(&stale).await),
        ErrCode::InvoicePdfInvalid
    );
    let media_id = platform
        .set_pdf(&set_pdf)
        .await
        .unwrap()
        .s_media_id
        .unwrap();
    let insert = InvoicePlatformInsertRequest::new(
        "ORDER-2002",
        &card_id,
        APPID,
        card_ext("nonce-2", &fpdm, &fphm, &media_id),
    );
    platform.insert(&insert).await.unwrap();
    assert_eq!(user.choose_invoices().len(), 1);
    let mine = user.choose_invoices().remove(0);

    let red = InvoiceClearOut::new(
        BUYER,
        "SANDBX0000000004",
        TAXPAYER,
        "沙盒电器",
        &fpdm,
        &fphm,
    );
    let red = InvoiceClearOutInvoiceRequest::new(red);
    client.invoice().clear_out_invoice(&red).await.unwrap();
    let read = InvoiceReimburseGetInvoiceInfoRequest::new(&mine.card_id, &mine.encrypt_code);
    let info = client
        .invoice_reimburse()
        .get_invoice_info(&read)
        .await
        .unwrap();
    assert_eq!(
        info.user_info.unwrap().reimburse_status,
        Some(Status::Cancel)
    );
    assert!(user.choose_invoices().is_empty());
    let lock = client
        .invoice_reimburse()
        .update_invoice_status(&status_of(&mine, Status::Lock))
        .await;
    assert_eq!(errcode(lock), ErrCode::InvoiceStatusError);
    let red_again = InvoiceClearOut::new(
        BUYER,
        "SANDBX0000000005",
        TAXPAYER,
        "沙盒电器",
        &fpdm,
        &fphm,
    );
    let red_again = InvoiceClearOutInvoiceRequest::new(red_again);
    let twice = client.invoice().clear_out_invoice(&red_again).await;
    assert_eq!(errcode(twice), ErrCode::InvoiceStatusError);
}

#[tokio::test]
async fn titles_reach_the_seller_by_its_link_and_by_the_users_qr_code() {
    let sandbox = Sandbox::builder()
        .appid(APPID)
        .review(None)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    record_pushes(&sandbox);
    let user = sandbox.user(BUYER);
    let company = InvoiceBizTitle::default()
        .title("沙盒电器有限公司")
        .tax_no("91440300MA5D000000");
    let company = InvoiceTitle::Business(company);

    // The seller's link at the till: the user picks a title and submits it.
    let link = InvoiceGetSelectTitleUrlRequest::new().attach("till-7");
    let link = client.invoice().get_select_title_url(&link).await.unwrap();
    user.submit_invoice_title(&link.url.unwrap(), &company)
        .unwrap();
    let forged =
        "https://mp.weixin.qq.com/intp/invoice/usertitle?action=select_title&select_title_key=nope";
    assert_eq!(
        errcode(user.submit_invoice_title(forged, &company)),
        ErrCode::InvoiceInvalidParams
    );
    let deliveries = sandbox.flush_pushes().await;
    let submitted: Vec<_> = deliveries
        .iter()
        .filter_map(|d| match &d.event {
            CardEvent::SubmitInvoiceTitle(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0].title, "沙盒电器有限公司");
    assert_eq!(submitted[0].attach.as_deref(), Some("till-7"));
    assert_eq!(
        submitted[0].title_type,
        InvoiceTitleType::InvoiceUserTitleBusinessType
    );

    // The user's own QR code, scanned by the seller.
    let person = InvoiceTitle::Person(InvoiceUserTitle::default().title("李雷"));
    let scan_text = user.invoice_title_qr(&person);
    let scanned = InvoiceScanTitleRequest::new(&scan_text);
    let scanned = client.invoice().scan_title(&scanned).await.unwrap();
    assert_eq!(scanned.title.as_deref(), Some("李雷"));
    assert_eq!(scanned.title_type, Some(1));
    let stale = InvoiceScanTitleRequest::new(
        "https://mp.weixin.qq.com/intp/invoice/usertitlewxa?invoice_key=old",
    );
    let stale = client.invoice().scan_title(&stale).await;
    assert_eq!(errcode(stale), ErrCode::InvoiceTitleQrExpired);
}

/// The life as another language drives it, with the blocking client: the user's steps
/// over the control API (authorize_invoice, choose_invoices, invoice_title_qr), the
/// three parties through the WeChat API.
#[test]
fn the_life_over_the_control_api() {
    let sandbox = Sandbox::builder()
        .appid(APPID)
        .review(None)
        .start_blocking()
        .unwrap();
    let client = sandbox.blocking_client().unwrap();
    let url = sandbox.url();
    let set_url = InvoicePlatformSetUrlRequest::new();
    let link = client.invoice_platform().set_url(&set_url).unwrap();
    let s_pappid = link.invoice_url.unwrap();
    let s_pappid = s_pappid.split("s_pappid=").nth(1).unwrap().to_owned();

    let body =
        json!({"openid": BUYER, "s_pappid": s_pappid, "order_id": "ORDER-3001", "title": "Lee"});
    let authorised = sandbox_action(&url, "authorize_invoice", body);
    assert_eq!(authorised["errcode"], 0, "{authorised}");
    client
        .invoice()
        .make_out_invoice(&make_out("ORDER-3001", "SANDBX0000000006"))
        .unwrap();
    let query = InvoiceQueryInvoiceInfoRequest::new("SANDBX0000000006", TAXPAYER);
    let detail = client.invoice().query_invoice_info(&query).unwrap();
    let detail = detail.invoicedetail.unwrap();
    let (fpdm, fphm) = (detail.fpdm.unwrap(), detail.fphm.unwrap());
    let platform = client.invoice_platform();
    let base = InvoiceTemplateBaseInfo::new("http://mmbiz.qpic.cn/logo.png", "沙盒电器");
    let template = InvoiceTemplate::new(base, "沙盒电器有限公司", "广东省增值税普通发票");
    let create = InvoicePlatformCreateCardRequest::new(template);
    let card_id = platform.create_card(&create).unwrap().card_id.unwrap();
    let pdf = FilePart::new(
        "invoice.pdf",
        "application/pdf",
        b"%PDF-1.4 invoice".to_vec(),
    );
    let set_pdf = InvoicePlatformSetPdfRequest::new(pdf);
    let media_id = platform.set_pdf(&set_pdf).unwrap().s_media_id.unwrap();
    let ext = card_ext("nonce-3", &fpdm, &fphm, &media_id);
    let insert = InvoicePlatformInsertRequest::new("ORDER-3001", &card_id, APPID, ext);
    platform.insert(&insert).unwrap();

    let chosen = sandbox_action(&url, "choose_invoices", json!({"openid": BUYER}));
    let chosen = chosen["invoices"].as_array().unwrap().clone();
    assert_eq!(chosen.len(), 1);
    let mine = InvoiceCardRef::new(
        chosen[0]["card_id"].as_str().unwrap(),
        chosen[0]["encrypt_code"].as_str().unwrap(),
    );
    assert_eq!(mine.card_id, card_id);
    let batch =
        InvoiceReimburseUpdateStatusBatchRequest::new(BUYER, Status::Lock, vec![mine.clone()]);
    client
        .invoice_reimburse()
        .update_status_batch(&batch)
        .unwrap();
    let batch =
        InvoiceReimburseUpdateStatusBatchRequest::new(BUYER, Status::Closure, vec![mine.clone()]);
    client
        .invoice_reimburse()
        .update_status_batch(&batch)
        .unwrap();
    let twice = client.invoice_reimburse().update_status_batch(&batch);
    assert_eq!(errcode(twice), ErrCode::InvoiceStatusError);
    let read = InvoiceReimburseGetInvoiceBatchRequest::new(vec![mine]);
    let read = client.invoice_reimburse().get_invoice_batch(&read).unwrap();
    let face = read.item_list.unwrap().remove(0).user_info.unwrap();
    assert_eq!(face.reimburse_status, Some(Status::Closure));
    assert_eq!(face.order_id.as_deref(), Some("ORDER-3001"));

    let qr = json!({"openid": BUYER, "title": "沙盒电器有限公司", "business": true, "tax_no": "91440300MA5D000000"});
    let qr = sandbox_action(&url, "invoice_title_qr", qr);
    let scanned = InvoiceScanTitleRequest::new(qr["scan_text"].as_str().unwrap());
    let scanned = client.invoice().scan_title(&scanned).unwrap();
    assert_eq!(scanned.title_type, Some(0));
    assert_eq!(scanned.tax_no.as_deref(), Some("91440300MA5D000000"));
}

#[tokio::test]
async fn the_authorisation_link_needs_the_sellers_settings() {
    let sandbox = Sandbox::builder()
        .appid(APPID)
        .review(None)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    let s_pappid = platform_id(&client).await;
    let invoice = client.invoice();
    let link = |s_pappid: &str, r#type| {
        InvoiceGetAuthUrlRequest::new(
            s_pappid,
            "ORDER-4001",
            100,
            1_700_000_000,
            "app",
            "ticket",
            r#type,
        )
    };
    // 商户获取授权链接之前，需要先设置商户的联系方式.
    let early = invoice.get_auth_url(&link(&s_pappid, 0)).await;
    assert_eq!(errcode(early), ErrCode::InvoiceInvalidParams);
    let contact = InvoiceSetContactRequest::new(InvoiceContact::new("020-88888888", 3600));
    invoice.set_contact(&contact).await.unwrap();
    // type=1 asks the fields set_auth_field set.
    let fields_first = invoice.get_auth_url(&link(&s_pappid, 1)).await;
    assert_eq!(errcode(fields_first), ErrCode::InvoiceAuthFieldNotSet);
    let unknown = invoice.get_auth_url(&link("not-a-platform", 0)).await;
    assert_eq!(errcode(unknown), ErrCode::InvoiceInvalidParams);
    let made = invoice.get_auth_url(&link(&s_pappid, 0)).await.unwrap();
    assert!(made.auth_url.is_some() && made.appid.is_none());
    // The request is checked before anything is sent: web needs redirect_url.
    let web = InvoiceGetAuthUrlRequest::new(&s_pappid, "ORDER-4001", 100, 1, "web", "ticket", 0);
    let refused = invoice.get_auth_url(&web).await.unwrap_err();
    assert!(refused.to_string().contains("redirect_url"), "{refused}");
}

/// An invoice of `order_id` made out (request serial `fpqqlsh`) and inserted into
/// BUYER's card package, with `trip` as its receipt PDF if given: the card as a
/// reimburser names it, the template, the invoice's numbers (fpdm, fphm) and its code.
async fn an_inserted_invoice(
    sandbox: &Sandbox,
    client: &Client,
    order_id: &str,
    fpqqlsh: &str,
    trip: Option<&str>,
) -> (InvoiceCardRef, String, String, String, String) {
    let s_pappid = platform_id(client).await;
    let title = InvoiceUserTitle::default().title("李雷");
    let user = sandbox.user(BUYER);
    user.authorize_invoice(&s_pappid, order_id, title).unwrap();
    let invoice = client.invoice();
    invoice
        .make_out_invoice(&make_out(order_id, fpqqlsh))
        .await
        .unwrap();
    let query = InvoiceQueryInvoiceInfoRequest::new(fpqqlsh, TAXPAYER);
    let detail = invoice.query_invoice_info(&query).await.unwrap();
    let detail = detail.invoicedetail.unwrap();
    let (fpdm, fphm) = (detail.fpdm.unwrap(), detail.fphm.unwrap());
    let platform = client.invoice_platform();
    let base = InvoiceTemplateBaseInfo::new("http://mmbiz.qpic.cn/logo.png", "沙盒电器");
    let template = InvoiceTemplate::new(base, "沙盒电器有限公司", "广东省增值税普通发票");
    let create = InvoicePlatformCreateCardRequest::new(template);
    let card_id = platform.create_card(&create).await.unwrap().card_id;
    let card_id = card_id.unwrap();
    let pdf = FilePart::new("invoice.pdf", "application/pdf", b"%PDF-1.4".to_vec());
    let set_pdf = InvoicePlatformSetPdfRequest::new(pdf);
    let media_id = platform.set_pdf(&set_pdf).await.unwrap().s_media_id;
    let mut ext = card_ext(fpqqlsh, &fpdm, &fphm, &media_id.unwrap());
    if let Some(trip) = trip {
        let data = &mut ext.user_card.invoice_user_data;
        data.s_trip_pdf_media_id = Some(trip.to_owned());
    }
    let insert = InvoicePlatformInsertRequest::new(order_id, &card_id, APPID, ext);
    let code = platform.insert(&insert).await.unwrap().code.unwrap();
    let chosen = user.choose_invoices();
    let mine = chosen.into_iter().find(|c| c.card_id == card_id).unwrap();
    (mine, card_id, fpdm, fphm, code)
}

async fn started() -> (Sandbox, Client) {
    let sandbox = Sandbox::builder()
        .appid(APPID)
        .review(None)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    (sandbox, client)
}

#[tokio::test]
async fn a_batch_naming_one_invoice_twice_changes_it_once() {
    let (sandbox, client) = started().await;
    let (mine, ..) =
        an_inserted_invoice(&sandbox, &client, "ORDER-5001", "SANDBX0000000051", None).await;
    record_pushes(&sandbox);
    let twice = vec![mine.clone(), mine.clone()];
    let batch = InvoiceReimburseUpdateStatusBatchRequest::new(BUYER, Status::Lock, twice);
    client
        .invoice_reimburse()
        .update_status_batch(&batch)
        .await
        .unwrap();
    let deliveries = sandbox.flush_pushes().await;
    let lock = (
        "status",
        BUYER.to_owned(),
        "INVOICE_REIMBURSE_LOCK".to_owned(),
    );
    assert_eq!(invoice_events(&deliveries), vec![lock]);
}

#[tokio::test]
async fn a_red_request_reusing_the_blue_serial_flushes_nothing_and_says_so() {
    let (sandbox, client) = started().await;
    let (mine, _, fpdm, fphm, _) =
        an_inserted_invoice(&sandbox, &client, "ORDER-5002", "SANDBX0000000052", None).await;
    let red = InvoiceClearOut::new(
        BUYER,
        "SANDBX0000000052",
        TAXPAYER,
        "沙盒电器",
        &fpdm,
        &fphm,
    );
    let red = InvoiceClearOutInvoiceRequest::new(red);
    let reused = client.invoice().clear_out_invoice(&red).await;
    assert_eq!(errcode(reused), ErrCode::InvoiceInvalidParams);
    let read = InvoiceReimburseGetInvoiceInfoRequest::new(&mine.card_id, &mine.encrypt_code);
    let info = client.invoice_reimburse().get_invoice_info(&read).await;
    let status = info.unwrap().user_info.unwrap().reimburse_status;
    assert_eq!(status, Some(Status::Init));
    // Nor does a blue request reusing it for another order make anything out.
    let s_pappid = platform_id(&client).await;
    let title = InvoiceUserTitle::default().title("李雷");
    let user = sandbox.user(BUYER);
    user.authorize_invoice(&s_pappid, "ORDER-5012", title)
        .unwrap();
    let other = make_out("ORDER-5012", "SANDBX0000000052");
    let reused = client.invoice().make_out_invoice(&other).await;
    assert_eq!(errcode(reused), ErrCode::InvoiceInvalidParams);
    // The same blue request again is the repeat 73105 asks for: nothing more.
    let same = make_out("ORDER-5002", "SANDBX0000000052");
    client.invoice().make_out_invoice(&same).await.unwrap();
}

#[tokio::test]
async fn a_receipt_pdf_linked_to_an_invoice_outlives_the_3_days() {
    let (sandbox, client) = started().await;
    let platform = client.invoice_platform();
    let pdf = FilePart::new("trip.pdf", "application/pdf", b"%PDF-1.4 trip".to_vec());
    let trip = platform
        .set_pdf(&InvoicePlatformSetPdfRequest::new(pdf))
        .await;
    let trip = trip.unwrap().s_media_id.unwrap();
    an_inserted_invoice(
        &sandbox,
        &client,
        "ORDER-5003",
        "SANDBX0000000053",
        Some(&trip),
    )
    .await;
    sandbox.advance_clock(Duration::from_secs(3 * 86_400 + 1));
    platform.pdf_url(&trip).await.unwrap();
}

#[tokio::test]
async fn an_order_one_user_authorised_is_not_taken_by_another() {
    let (sandbox, client) = started().await;
    let (_, card_id, ..) =
        an_inserted_invoice(&sandbox, &client, "ORDER-5004", "SANDBX0000000054", None).await;
    let s_pappid = platform_id(&client).await;
    let other = sandbox.user("o_someone_else");
    let title = InvoiceUserTitle::default().title("韩梅梅");
    let taken = other.authorize_invoice(&s_pappid, "ORDER-5004", title);
    assert_eq!(errcode(taken), ErrCode::InvoiceInvalidParams);
    let data = InvoiceGetAuthDataRequest::new(&s_pappid, "ORDER-5004");
    let data = client.invoice().get_auth_data(&data).await.unwrap();
    let filled = data.user_auth_info.unwrap().user_field.unwrap();
    assert_eq!(filled.title.as_deref(), Some("李雷"));
    assert!(other.choose_invoices().is_empty());
    assert_eq!(sandbox.user(BUYER).choose_invoices()[0].card_id, card_id);
}

#[tokio::test]
async fn the_platform_closes_an_invoice_reimbursed_elsewhere() {
    // 发票平台在获知发票状态变化（如被冲红、被报销）时，需更新在用户卡包中发票卡券的状态:
    // an invoice reimbursed outside WeChat was never locked in it.
    let (sandbox, client) = started().await;
    let (mine, card_id, _, _, code) =
        an_inserted_invoice(&sandbox, &client, "ORDER-5005", "SANDBX0000000055", None).await;
    record_pushes(&sandbox);
    let closed = InvoicePlatformUpdateStatusRequest::new(&card_id, &code, Status::Closure);
    let platform = client.invoice_platform();
    platform.update_status(&closed).await.unwrap();
    let read = InvoiceReimburseGetInvoiceInfoRequest::new(&mine.card_id, &mine.encrypt_code);
    let info = client.invoice_reimburse().get_invoice_info(&read).await;
    let status = info.unwrap().user_info.unwrap().reimburse_status;
    assert_eq!(status, Some(Status::Closure));
    assert!(sandbox.user(BUYER).choose_invoices().is_empty());
    // Reimbursed is final, for the platform too.
    assert_eq!(
        errcode(platform.update_status(&closed).await),
        ErrCode::InvoiceStatusError
    );
    let deliveries = sandbox.flush_pushes().await;
    let closure = (
        "status",
        BUYER.to_owned(),
        "INVOICE_REIMBURSE_CLOSURE".to_owned(),
    );
    assert_eq!(invoice_events(&deliveries), vec![closure]);
}

#[tokio::test]
async fn an_encrypt_code_of_any_text_is_no_invoice_and_breaks_nothing() {
    let (sandbox, client) = started().await;
    let (mine, ..) =
        an_inserted_invoice(&sandbox, &client, "ORDER-5006", "SANDBX0000000056", None).await;
    let reimburse = client.invoice_reimburse();
    // "aéb" is 4 bytes, its pairs cut through é.
    for odd in ["aéb", "发票", "zz", "\u{0}\u{0}"] {
        let read = InvoiceReimburseGetInvoiceInfoRequest::new(&mine.card_id, odd);
        let refused = reimburse.get_invoice_info(&read).await;
        assert_eq!(errcode(refused), ErrCode::InvalidCode, "{odd:?}");
    }
    // The sandbox still answers.
    let read = InvoiceReimburseGetInvoiceInfoRequest::new(&mine.card_id, &mine.encrypt_code);
    reimburse.get_invoice_info(&read).await.unwrap();
}

/// What the check_outcome of rejectinsert and insert (never re-sent by the client)
/// tells a caller whose reply was lost, holds.
#[tokio::test]
async fn a_lost_reply_of_a_refusal_or_an_insert_is_told_by_sending_again() {
    let (sandbox, client) = started().await;
    let s_pappid = platform_id(&client).await;
    let title = InvoiceUserTitle::default().title("李雷");
    let user = sandbox.user(BUYER);
    user.authorize_invoice(&s_pappid, "ORDER-5007", title)
        .unwrap();
    let reject = InvoiceRejectInsertRequest::new(&s_pappid, "ORDER-5007", "抬头无效");
    client.invoice().reject_insert(&reject).await.unwrap();
    let again = client.invoice().reject_insert(&reject).await;
    assert_eq!(errcode(again), ErrCode::InvoiceRejected);

    let (.., fpdm, fphm, code) =
        an_inserted_invoice(&sandbox, &client, "ORDER-5008", "SANDBX0000000058", None).await;
    // The helper inserted with nonce_str = the fpqqlsh: the same request again gives
    // the same code; another nonce for the same numbers is 72042.
    let platform = client.invoice_platform();
    let card_id = sandbox.user(BUYER).choose_invoices()[0].card_id.clone();
    let pdf = FilePart::new("invoice.pdf", "application/pdf", b"%PDF-1.4".to_vec());
    let media_id = platform
        .set_pdf(&InvoicePlatformSetPdfRequest::new(pdf))
        .await;
    let media_id = media_id.unwrap().s_media_id.unwrap();
    let same = card_ext("SANDBX0000000058", &fpdm, &fphm, &media_id);
    let same = InvoicePlatformInsertRequest::new("ORDER-5008", &card_id, APPID, same);
    assert_eq!(platform.insert(&same).await.unwrap().code, Some(code));
    let other = card_ext("another-nonce", &fpdm, &fphm, &media_id);
    let other = InvoicePlatformInsertRequest::new("ORDER-5008", &card_id, APPID, other);
    assert_eq!(
        errcode(platform.insert(&other).await),
        ErrCode::InvoiceNumberRepeated
    );
}

#[tokio::test]
async fn the_console_shows_the_invoices_in_card_packages_and_their_status() {
    let (sandbox, client) = started().await;
    let (mine, card_id, _, _, code) =
        an_inserted_invoice(&sandbox, &client, "ORDER-5009", "SANDBX0000000059", None).await;
    let page = |url: String| async move {
        let page = tokio::task::spawn_blocking(move || {
            let mut reply = ureq::get(&url).call().unwrap();
            reply.body_mut().read_to_string().unwrap()
        });
        page.await.unwrap()
    };
    let html = page(sandbox.url()).await;
    assert!(html.contains("<h2>Invoices (1)</h2>"), "{html}");
    let row = format!(
        "<tr id=\"invoice-{code}\"><td><code>{code}</code></td><td><code>{card_id}</code></td>"
    );
    assert!(html.contains(&row), "{html}");
    assert!(
        html.contains("<td>李雷</td><td>沙盒电器有限公司</td><td>159.00</td>"),
        "{html}"
    );
    assert!(html.contains("INVOICE_REIMBURSE_INIT"), "{html}");
    let lock = status_of(&mine, Status::Lock);
    client
        .invoice_reimburse()
        .update_invoice_status(&lock)
        .await
        .unwrap();
    let html = page(sandbox.url()).await;
    assert!(
        html.contains("<td class=\"status\">INVOICE_REIMBURSE_LOCK</td>"),
        "{html}"
    );
}

#[tokio::test]
async fn a_mini_program_authorisation_pushes_its_appid() {
    let (sandbox, client) = started().await;
    let s_pappid = platform_id(&client).await;
    let contact = InvoiceSetContactRequest::new(InvoiceContact::new("020-88888888", 3600));
    client.invoice().set_contact(&contact).await.unwrap();
    let ticket = client.card_ticket().await.unwrap();
    let wxa = |order_id: &str, source: &str| {
        InvoiceGetAuthUrlRequest::new(&s_pappid, order_id, 100, 1, source, ticket.expose(), 0)
    };
    let link = client
        .invoice()
        .get_auth_url(&wxa("ORDER-5010", "wxa"))
        .await;
    let appid = link.unwrap().appid.expect("wxa: the mini program to open");
    client
        .invoice()
        .get_auth_url(&wxa("ORDER-5011", "app"))
        .await
        .unwrap();
    record_pushes(&sandbox);
    let user = sandbox.user(BUYER);
    let title = || InvoiceUserTitle::default().title("李雷");
    user.authorize_invoice(&s_pappid, "ORDER-5010", title())
        .unwrap();
    user.authorize_invoice(&s_pappid, "ORDER-5011", title())
        .unwrap();
    let deliveries = sandbox.flush_pushes().await;
    let pushed: Vec<_> = deliveries
        .iter()
        .filter_map(|d| match &d.event {
            CardEvent::UserAuthorizeInvoice(e) => Some((e.source.clone(), e.app_id.clone())),
            _ => None,
        })
        .collect();
    let wxa = (Some("wxa".to_owned()), Some(appid));
    let app = (Some("app".to_owned()), Some(String::new()));
    assert_eq!(pushed, vec![wxa, app]);
}

#[tokio::test]
async fn a_locked_invoice_cannot_be_submitted_again_until_unlocked() {
    // 执行锁定操作后的电子发票仍然会存在于用户卡包内，但无法重复提交报销.
    let (sandbox, client) = started().await;
    let (mine, ..) =
        an_inserted_invoice(&sandbox, &client, "ORDER-5013", "SANDBX0000000063", None).await;
    let user = sandbox.user(BUYER);
    let reimburse = client.invoice_reimburse();
    reimburse
        .update_invoice_status(&status_of(&mine, Status::Lock))
        .await
        .unwrap();
    assert!(user.choose_invoices().is_empty(), "locked: not offered");
    reimburse
        .update_invoice_status(&status_of(&mine, Status::Init))
        .await
        .unwrap();
    assert_eq!(user.choose_invoices(), vec![mine]);
}
