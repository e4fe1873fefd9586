//! Electronic invoices (电子发票): the seller's side (`invoice`: the authorisation page,
//! refusals, unified invoicing, settings, quick titles), the invoicing platform's
//! (`invoice_platform`: templates, PDFs, invoices into the card package, 冲红) and the
//! reimburser's (`invoice_reimburse`: reading, locking, reimbursing).
//!
//! One account plays the three parties, as a sandbox should: its own platform id
//! (`s_pappid`, from seturl) is always known. An invoice in the card package is kept as
//! the reimburser reads it (`InvoiceInfo`), its status in `user_info.reimburse_status`;
//! the reimburser names it by `encrypt_code`, the sandbox's reversible encryption of
//! its code (`User::choose_invoices` hands them out, as JS-SDK chooseInvoice would).

use super::codes::{crypt, decrypt};
use super::{State, World, fail};
use crate::ErrCode;
use crate::generated::sandbox::{
    InvoiceOperations, InvoicePlatformOperations, InvoiceReimburseOperations,
};
use crate::sandbox::card_events as push;
use crate::sandbox::runtime::Failure;
use crate::types::{
    InvoiceAuthField, InvoiceBizField, InvoiceCardRef, InvoiceContact, InvoiceDetail, InvoiceInfo,
    InvoiceItem, InvoiceMakeOut, InvoicePayMchInfo, InvoiceReimburseStatus as Status,
    InvoiceTemplate, InvoiceUserAuthInfo, InvoiceUserField, InvoiceUserInfo,
};
use crate::{invoice, invoice_platform, invoice_reimburse};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Who holds what a documentation example refers to without naming a user.
pub(crate) const SEEDED_HOLDER: &str = "o_example";

/// How long an uploaded PDF waits to be inserted: s_media_id有效期有3天.
const PDF_LIFETIME_SECS: i64 = 3 * 24 * 3600;

/// How long a pdf_url works: pdf_url 过期时间，7200 秒.
const PDF_URL_LIFETIME_SECS: i64 = 7200;

/// Where WeChat serves invoice PDFs (the documented pdf_url's host and path).
const WECHAT_PDF_HOST: &str = "https://mp.weixin.qq.com/intp/invoice/getpdf";

/// What the invoice family remembers.
#[derive(Debug, Default)]
pub(super) struct Invoicing {
    pub(super) pay_mch: Option<InvoicePayMchInfo>,
    pub(super) auth_field: Option<InvoiceAuthField>,
    /// (s_pappid, order_id) -> who authorised, when, and the title they filled in.
    pub(super) authorizations: HashMap<(String, String), Authorization>,
    /// (s_pappid, order_id) -> the source the authorisation page was asked for.
    requested: HashMap<(String, String), String>,
    contact: Option<InvoiceContact>,
    /// Order ids refused (rejectinsert): never invoiced.
    rejected: BTreeSet<String>,
    /// Platform ids known besides the sandbox's own and the merchant number's.
    platforms: BTreeSet<String>,
    /// (fpqqlsh, nsrsbh) -> an invoice made out (or red-flushed) through the unified API.
    made_out: BTreeMap<(String, String), MadeOut>,
    /// card_id -> an invoice card template.
    templates: BTreeMap<String, InvoiceTemplate>,
    /// s_media_id -> when the PDF was uploaded.
    pdfs: HashMap<String, i64>,
    /// code -> an invoice in a user's card package.
    cards: BTreeMap<String, InvoiceCard>,
    /// (order_id, nonce_str) -> the code insert gave (a repeat gives it again).
    nonces: HashMap<(String, String), String>,
    /// scan_text -> the title behind a user's title QR code.
    titles: HashMap<String, invoice::InvoiceScanTitleResponse>,
    /// select_title_key of the seller's title links -> their attach.
    select_keys: HashMap<String, Option<String>>,
}

/// A title a sandbox user keeps in WeChat (我的—个人信息—我的发票抬头).
#[derive(Debug, Clone)]
pub enum InvoiceTitle {
    /// 个人抬头.
    Person(crate::types::InvoiceUserTitle),
    /// 单位抬头.
    Business(crate::types::InvoiceBizTitle),
}

impl InvoiceTitle {
    /// The title as scantitle answers it (title_type 0 单位, 1 个人).
    fn scanned(&self) -> invoice::InvoiceScanTitleResponse {
        match self {
            InvoiceTitle::Person(t) => invoice::InvoiceScanTitleResponse {
                title_type: Some(1),
                title: t.title.clone(),
                phone: t.phone.clone(),
                ..Default::default()
            },
            InvoiceTitle::Business(t) => invoice::InvoiceScanTitleResponse {
                title_type: Some(0),
                title: t.title.clone(),
                phone: t.phone.clone(),
                tax_no: t.tax_no.clone(),
                addr: t.addr.clone(),
                bank_type: t.bank_type.clone(),
                bank_no: t.bank_no.clone(),
                ..Default::default()
            },
        }
    }
}

/// A user's authorisation of invoicing an order.
#[derive(Debug, Clone)]
pub(crate) struct Authorization {
    pub(crate) at: i64,
    pub(crate) info: InvoiceUserAuthInfo,
    pub(crate) openid: String,
}

/// An invoice made out through makeoutinvoice, or a red one through clearoutinvoice.
#[derive(Debug, Clone)]
struct MadeOut {
    detail: InvoiceDetail,
    /// Red-flushed (the blue invoice), or itself red.
    red: bool,
    /// What the request serial (fpqqlsh) was given for: a repeat of it must ask the same.
    asked: Asked,
}

/// What an fpqqlsh was used for.
#[derive(Debug, Clone, PartialEq)]
enum Asked {
    /// A blue invoice for the order `ddh` (None: seeded from an example, any order).
    Blue { ddh: Option<String> },
    /// The red invoice of the blue one (yfpdm, yfphm).
    Red { yfpdm: String, yfphm: String },
}

fn serial_reused() -> Failure {
    fail(
        ErrCode::InvoiceInvalidParams,
        "this fpqqlsh names another invoice request: each request needs its own serial",
    )
}

/// An invoice in a user's card package, as the reimburser reads it.
#[derive(Debug, Clone)]
struct InvoiceCard {
    info: InvoiceInfo,
    order_id: String,
}

impl InvoiceCard {
    fn status(&self) -> Status {
        let user_info = self.info.user_info.as_deref();
        user_info
            .and_then(|u| u.reimburse_status.clone())
            .unwrap_or(Status::Init)
    }

    fn holder(&self) -> &str {
        self.info.openid.as_deref().unwrap_or_default()
    }

    fn card_id(&self) -> &str {
        self.info.card_id.as_deref().unwrap_or_default()
    }
}

fn no_invoice() -> Failure {
    fail(ErrCode::InvalidCode, "invalid invoice card_id or code")
}

/// Who changes an invoice's status.
#[derive(Clone, Copy, PartialEq)]
enum Party {
    /// The reimburser, in WeChat: it locks before it reimburses.
    Reimburser,
    /// The invoicing platform, syncing what it learnt (如被冲红、被报销): an invoice
    /// reimbursed outside WeChat was never locked in it.
    Platform,
}

/// Whether an invoice may go from `from` to `to`: lock from the initial state, unlock
/// or reimburse a locked one (the platform also an unlocked one), red-flush one not
/// reimbursed; reimbursed and red-flushed invoices are final.
fn transition(by: Party, from: &Status, to: &Status) -> Result<(), Failure> {
    match (from, to) {
        (Status::Init, Status::Lock)
        | (Status::Lock, Status::Init)
        | (Status::Lock, Status::Closure)
        | (Status::Init | Status::Lock, Status::Cancel) => Ok(()),
        (Status::Init, Status::Closure) if by == Party::Platform => Ok(()),
        (Status::Init, Status::Closure) => Err(fail(
            ErrCode::InvoiceNotLocked,
            "invoice must be lock first",
        )),
        (from, to) => Err(fail(
            ErrCode::InvoiceStatusError,
            format!(
                "invoice status error: {} cannot become {}",
                from.as_str(),
                to.as_str()
            ),
        )),
    }
}

/// The download link of the PDF WeChat keeps under `media_key`.
fn pdf_url(media_key: &str) -> String {
    format!("{WECHAT_PDF_HOST}?action=media_pdf&media_key={media_key}")
}

/// The next invoice the platform makes out for request `fpqqlsh`: a fresh number
/// (and code, unless a red invoice keeps its blue one's `fpdm`), check code, date
/// and PDF.
fn made_out_detail(
    state: &mut State,
    fpqqlsh: &str,
    fpdm: Option<String>,
    now: i64,
) -> InvoiceDetail {
    state.serial += 1;
    let n = state.serial;
    InvoiceDetail {
        fpqqlsh: Some(fpqqlsh.to_owned()),
        fpdm: Some(fpdm.unwrap_or_else(|| format!("{:012}", 44_000_000_000 + n))),
        fphm: Some(format!("{:08}", n % 100_000_000)),
        jym: Some(format!("{:020}", n * 7_919_879)),
        kprq: Some(kprq(now)),
        pdfurl: Some(pdf_url(&format!("fp{n}"))),
        ..Default::default()
    }
}

/// The UTC+8 date and time of `secs` as kprq writes it (yyyyMMddHHmmss).
fn kprq(secs: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(secs + 8 * 3600)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

impl World {
    /// The sandbox's own invoicing platform id (what seturl's link carries).
    fn own_pappid(&self) -> String {
        format!("sandbox{}", self.tokens.appid)
    }

    /// Whether `s_pappid` names a platform the account may use.
    fn known_platform(&self, state: &State, s_pappid: &str) -> bool {
        let linked = state.invoice.pay_mch.as_ref();
        s_pappid == self.own_pappid()
            || linked.and_then(|p| p.s_pappid.as_deref()) == Some(s_pappid)
            || state.invoice.platforms.contains(s_pappid)
    }

    /// A user authorises invoicing an order on the platform `s_pappid` (sandbox only),
    /// with a personal title; pushes `user_authorize_invoice`. Refused for a platform
    /// the account does not know (neither its own nor the one `set_pay_mch` linked), for
    /// an order refused already and for one another user authorised.
    pub(crate) fn authorize_invoice(
        &self,
        openid: &str,
        s_pappid: &str,
        order_id: &str,
        title: crate::types::InvoiceUserTitle,
    ) -> Result<(), Failure> {
        let at = self.secs();
        let mut state = self.lock();
        if !self.known_platform(&state, s_pappid) {
            return Err(fail(
                ErrCode::InvoicePayMchNotSet,
                "no merchant number is linked to this invoicing platform (set_pay_mch)",
            ));
        }
        if state.invoice.rejected.contains(order_id) {
            return Err(fail(ErrCode::InvoiceRejected, "biz reject insert"));
        }
        // An order is one user's: another user's authorisation would take its invoice.
        let taken = Self::authorization(&state, order_id).filter(|a| a.openid != openid);
        if taken.is_some() {
            return Err(fail(
                ErrCode::InvoiceInvalidParams,
                "another user authorised invoicing this order",
            ));
        }
        let info = InvoiceUserAuthInfo {
            user_field: Some(Box::new(title)),
            ..Default::default()
        };
        let key = (s_pappid.to_owned(), order_id.to_owned());
        let source = state.invoice.requested.get(&key).cloned();
        let authorization = Authorization {
            at,
            info,
            openid: openid.to_owned(),
        };
        state.invoice.authorizations.insert(key, authorization);
        drop(state);
        let source = source.unwrap_or_else(|| "web".to_owned());
        // The mini program that opened the page (getauthurl's reply names it for wxa).
        let app_id = if source == "wxa" {
            self.tokens.appid.as_str()
        } else {
            ""
        };
        self.push(openid, |e| {
            push::invoice_authorized(e, order_id, true, &source, app_id)
        });
        Ok(())
    }

    /// The invoices in `openid`'s card package the user can submit for reimbursement,
    /// as JS-SDK chooseInvoice hands them to a reimburser: card_id and encrypt_code.
    /// Not a locked one (锁定后…仍然会存在于用户卡包内，但无法重复提交报销) until it is
    /// unlocked, nor a reimbursed or red-flushed one.
    pub(crate) fn choose_invoices(&self, openid: &str) -> Vec<InvoiceCardRef> {
        let state = self.lock();
        let held = state
            .invoice
            .cards
            .iter()
            .filter(|(_, c)| c.holder() == openid && c.status() == Status::Init);
        held.map(|(code, c)| InvoiceCardRef::new(c.card_id(), crypt(code, &self.tokens.secret)))
            .collect()
    }

    /// The QR code of a title the user keeps in WeChat (sandbox only): its text, which
    /// the seller sends to scantitle.
    pub(crate) fn invoice_title_qr(&self, title: &InvoiceTitle) -> String {
        let mut state = self.lock();
        let key = Self::id(&mut state, "", 16);
        let scan_text = format!(
            "https://mp.weixin.qq.com/intp/invoice/usertitlewxa?action=list_auth&invoice_key={key}"
        );
        state
            .invoice
            .titles
            .insert(scan_text.clone(), title.scanned());
        scan_text
    }

    /// A user scans the seller's title link (`get_select_title_url`) and submits a title
    /// (sandbox only); pushes `submit_invoice_title` with the link's attach. Refused for
    /// a link the seller never got.
    pub(crate) fn submit_invoice_title(
        &self,
        openid: &str,
        url: &str,
        title: &InvoiceTitle,
    ) -> Result<(), Failure> {
        let key = url.split("select_title_key=").nth(1).unwrap_or_default();
        let key = key.split(['#', '&']).next().unwrap_or_default();
        let attach = self.lock().invoice.select_keys.get(key).cloned();
        let attach = attach.ok_or_else(|| {
            fail(
                ErrCode::InvoiceInvalidParams,
                "no title link of the seller has this select_title_key",
            )
        })?;
        let scanned = title.scanned();
        self.push(openid, |e| {
            push::invoice_title_submitted(e, &scanned, attach.as_deref())
        });
        Ok(())
    }

    /// The authorisation of `order_id` on any platform.
    fn authorization(state: &State, order_id: &str) -> Option<Authorization> {
        let all = state.invoice.authorizations.iter();
        let mut found = all.filter(|((_, o), _)| o == order_id);
        found.next().map(|(_, a)| a.clone())
    }

    /// The order may be invoiced: authorised and not refused.
    fn invoiceable(state: &State, order_id: &str) -> Result<Authorization, Failure> {
        if state.invoice.rejected.contains(order_id) {
            return Err(fail(ErrCode::InvoiceRejected, "biz reject insert"));
        }
        Self::authorization(state, order_id).ok_or_else(|| {
            fail(
                ErrCode::InvoiceOrderNotAuthorized,
                "invoice order never auth",
            )
        })
    }

    /// The code behind an encrypt_code (seeded, or the sandbox's own encryption).
    fn invoice_code(
        &self,
        state: &State,
        card_id: &str,
        encrypted: &str,
    ) -> Result<String, Failure> {
        let code = state
            .seeded_encrypted
            .get(encrypted)
            .cloned()
            .or_else(|| decrypt(encrypted, &self.tokens.secret))
            .ok_or_else(no_invoice)?;
        let card = state.invoice.cards.get(&code).ok_or_else(no_invoice)?;
        if card.card_id() != card_id {
            return Err(no_invoice());
        }
        Ok(code)
    }

    /// Moves the invoices `codes` to `to`, all or none, and pushes `update_invoice_status`
    /// for each from its holder (once for an invoice listed twice).
    fn set_invoice_status(
        &self,
        state: &mut State,
        by: Party,
        codes: &[String],
        to: &Status,
    ) -> Result<(), Failure> {
        // An invoice listed twice changes once (and is pushed once).
        let mut unique: Vec<&String> = Vec::with_capacity(codes.len());
        for code in codes {
            if !unique.contains(&code) {
                unique.push(code);
            }
        }
        for code in &unique {
            let card = state.invoice.cards.get(*code).ok_or_else(no_invoice)?;
            transition(by, &card.status(), to)?;
        }
        let mut changed = Vec::new();
        for code in unique {
            let card = state.invoice.cards.get_mut(code).expect("checked above");
            let user_info = card.info.user_info.get_or_insert_with(Default::default);
            user_info.reimburse_status = Some(to.clone());
            if matches!(to, Status::Closure | Status::Cancel) {
                // Reimbursed or red-flushed: 从用户的卡包中移除, shown as consumed.
                card.info.user_card_status = Some("CONSUMED".to_owned());
            }
            changed.push((
                card.holder().to_owned(),
                card.card_id().to_owned(),
                code.clone(),
            ));
        }
        for (holder, card_id, code) in changed {
            self.push(&holder, |e| push::invoice_status(e, &card_id, &code, to));
        }
        Ok(())
    }
}

impl InvoiceOperations for World {
    fn invoice_set_pay_mch(
        &self,
        request: invoice::InvoiceSetPayMchRequest,
    ) -> Result<invoice::InvoiceSetPayMchResponse, Failure> {
        self.lock().invoice.pay_mch = Some(*request.paymch_info);
        Ok(Default::default())
    }

    fn invoice_get_pay_mch(
        &self,
        _request: invoice::InvoiceGetPayMchRequest,
    ) -> Result<invoice::InvoiceGetPayMchResponse, Failure> {
        let state = self.lock();
        let linked = state.invoice.pay_mch.clone().ok_or_else(|| {
            fail(
                ErrCode::InvoicePayMchNotSet,
                "no merchant number is linked to an invoicing platform",
            )
        })?;
        Ok(invoice::InvoiceGetPayMchResponse {
            paymch_info: Some(Box::new(linked)),
            ..Default::default()
        })
    }

    fn invoice_set_auth_field(
        &self,
        request: invoice::InvoiceSetAuthFieldRequest,
    ) -> Result<invoice::InvoiceSetAuthFieldResponse, Failure> {
        self.lock().invoice.auth_field = Some(*request.auth_field);
        Ok(Default::default())
    }

    fn invoice_get_auth_field(
        &self,
        _request: invoice::InvoiceGetAuthFieldRequest,
    ) -> Result<invoice::InvoiceGetAuthFieldResponse, Failure> {
        let state = self.lock();
        // Never set: the page asks nothing (both kinds of title shown empty).
        let fields = state.invoice.auth_field.clone().unwrap_or_else(|| {
            InvoiceAuthField::new(InvoiceUserField::new(), InvoiceBizField::new())
        });
        Ok(invoice::InvoiceGetAuthFieldResponse {
            auth_field: Some(Box::new(fields)),
            ..Default::default()
        })
    }

    fn invoice_get_auth_data(
        &self,
        request: invoice::InvoiceGetAuthDataRequest,
    ) -> Result<invoice::InvoiceGetAuthDataResponse, Failure> {
        let state = self.lock();
        let key = (request.s_pappid, request.order_id);
        let found = state.invoice.authorizations.get(&key).ok_or_else(|| {
            fail(
                ErrCode::InvoiceOrderNotAuthorized,
                "the order is not authorised",
            )
        })?;
        Ok(invoice::InvoiceGetAuthDataResponse {
            invoice_status: Some("auth success".to_owned()),
            auth_time: Some(found.at),
            user_auth_info: Some(Box::new(found.info.clone())),
            ..Default::default()
        })
    }

    fn invoice_set_contact(
        &self,
        request: invoice::InvoiceSetContactRequest,
    ) -> Result<invoice::InvoiceSetContactResponse, Failure> {
        self.lock().invoice.contact = Some(*request.contact);
        Ok(Default::default())
    }

    fn invoice_get_contact(
        &self,
        _request: invoice::InvoiceGetContactRequest,
    ) -> Result<invoice::InvoiceGetContactResponse, Failure> {
        let contact = self.lock().invoice.contact.clone();
        Ok(invoice::InvoiceGetContactResponse {
            contact: contact.map(Box::new),
            ..Default::default()
        })
    }

    fn invoice_get_auth_url(
        &self,
        request: invoice::InvoiceGetAuthUrlRequest,
    ) -> Result<invoice::InvoiceGetAuthUrlResponse, Failure> {
        let mut state = self.lock();
        // 商户获取授权链接之前，需要先设置商户的联系方式.
        if state.invoice.contact.is_none() {
            return Err(fail(
                ErrCode::InvoiceInvalidParams,
                "set the seller's contact (setbizattr set_contact) before asking for an authorisation link",
            ));
        }
        if request.r#type == 1 && state.invoice.auth_field.is_none() {
            return Err(fail(
                ErrCode::InvoiceAuthFieldNotSet,
                "invoice never set auth field",
            ));
        }
        if !self.known_platform(&state, &request.s_pappid) {
            return Err(fail(
                ErrCode::InvoiceInvalidParams,
                format!("unknown invoicing platform {}", request.s_pappid),
            ));
        }
        if state.invoice.rejected.contains(&request.order_id) {
            return Err(fail(ErrCode::InvoiceRejected, "biz reject insert"));
        }
        let url = format!(
            "https://mp.weixin.qq.com/bizmall/authinvoice?action=auth&s_pappid={}&order_id={}&type={}",
            request.s_pappid, request.order_id, request.r#type
        );
        let wxa = request.source == "wxa";
        let key = (request.s_pappid, request.order_id);
        state.invoice.requested.insert(key, request.source);
        Ok(invoice::InvoiceGetAuthUrlResponse {
            auth_url: Some(url),
            appid: wxa.then(|| self.tokens.appid.clone()),
            ..Default::default()
        })
    }

    fn invoice_reject_insert(
        &self,
        request: invoice::InvoiceRejectInsertRequest,
    ) -> Result<invoice::InvoiceRejectInsertResponse, Failure> {
        let mut state = self.lock();
        let key = (request.s_pappid, request.order_id.clone());
        if !state.invoice.authorizations.contains_key(&key) {
            return Err(fail(
                ErrCode::InvoiceOrderNotAuthorized,
                "invoice order never auth",
            ));
        }
        // Refusing comes before invoicing: an inserted invoice is cancelled by 冲红 instead.
        let mut invoiced = state.invoice.cards.values();
        if invoiced.any(|c| c.order_id == request.order_id) {
            return Err(fail(
                ErrCode::InvoiceStatusError,
                "the order's invoice is in the user's card package already",
            ));
        }
        if !state.invoice.rejected.insert(request.order_id) {
            return Err(fail(ErrCode::InvoiceRejected, "biz reject insert"));
        }
        Ok(Default::default())
    }

    fn invoice_make_out_invoice(
        &self,
        request: invoice::InvoiceMakeOutInvoiceRequest,
    ) -> Result<invoice::InvoiceMakeOutInvoiceResponse, Failure> {
        let now = self.secs();
        let mut state = self.lock();
        let info: InvoiceMakeOut = *request.invoiceinfo;
        let holder = Self::invoiceable(&state, &info.ddh)?.openid;
        let key = (info.fpqqlsh.clone(), info.nsrsbh.clone());
        // 73105: 请使用相同的发票请求流水号重试开票 — a repeat of one fpqqlsh makes out nothing
        // more; the serial of another request (another order, a red invoice) is refused.
        if let Some(made) = state.invoice.made_out.get(&key) {
            return match &made.asked {
                Asked::Blue { ddh } if ddh.as_ref().is_none_or(|d| *d == info.ddh) => {
                    Ok(Default::default())
                }
                _ => Err(serial_reused()),
            };
        }
        let detail = made_out_detail(&mut state, &info.fpqqlsh, None, now);
        let asked = Asked::Blue {
            ddh: Some(info.ddh.clone()),
        };
        let record = MadeOut {
            detail,
            red: false,
            asked,
        };
        state.invoice.made_out.insert(key, record);
        drop(state);
        self.push(&holder, |e| {
            push::invoice_made_out(e, &info.fpqqlsh, &info.nsrsbh)
        });
        Ok(Default::default())
    }

    fn invoice_clear_out_invoice(
        &self,
        request: invoice::InvoiceClearOutInvoiceRequest,
    ) -> Result<invoice::InvoiceClearOutInvoiceResponse, Failure> {
        let now = self.secs();
        let mut state = self.lock();
        let info = *request.invoiceinfo;
        let key = (info.fpqqlsh.clone(), info.nsrsbh.clone());
        let asked = Asked::Red {
            yfpdm: info.yfpdm.clone(),
            yfphm: info.yfphm.clone(),
        };
        if let Some(made) = state.invoice.made_out.get(&key) {
            // The same red request again, or the serial of another request.
            return if made.asked == asked {
                Ok(Default::default())
            } else {
                Err(serial_reused())
            };
        }
        let blue = state.invoice.made_out.iter_mut().find(|((_, nsrsbh), m)| {
            *nsrsbh == info.nsrsbh
                && m.detail.fpdm.as_deref() == Some(info.yfpdm.as_str())
                && m.detail.fphm.as_deref() == Some(info.yfphm.as_str())
        });
        let Some((_, blue)) = blue else {
            return Err(fail(
                ErrCode::InvoiceInvalidParams,
                "no invoice of this taxpayer has that yfpdm and yfphm",
            ));
        };
        if blue.red {
            return Err(fail(
                ErrCode::InvoiceStatusError,
                "the invoice was red-flushed already",
            ));
        }
        blue.red = true;
        let detail = made_out_detail(&mut state, &info.fpqqlsh, Some(info.yfpdm.clone()), now);
        let record = MadeOut {
            detail,
            red: true,
            asked,
        };
        state.invoice.made_out.insert(key, record);
        // The blue invoice's card, if the platform inserted it: 冲红 shows as CANCEL.
        let cards = state.invoice.cards.iter();
        let inserted: Vec<String> = cards
            .filter(|(_, c)| {
                let data = c.info.user_info.as_deref();
                data.and_then(|u| u.billing_no.as_deref()) == Some(info.yfphm.as_str())
                    && data.and_then(|u| u.billing_code.as_deref()) == Some(info.yfpdm.as_str())
                    && matches!(c.status(), Status::Init | Status::Lock)
            })
            .map(|(code, _)| code.clone())
            .collect();
        self.set_invoice_status(&mut state, Party::Platform, &inserted, &Status::Cancel)?;
        drop(state);
        self.push(&info.wxopenid, |e| {
            push::invoice_made_out(e, &info.fpqqlsh, &info.nsrsbh)
        });
        Ok(Default::default())
    }

    fn invoice_query_invoice_info(
        &self,
        request: invoice::InvoiceQueryInvoiceInfoRequest,
    ) -> Result<invoice::InvoiceQueryInvoiceInfoResponse, Failure> {
        let state = self.lock();
        let key = (request.fpqqlsh, request.nsrsbh);
        let found = state.invoice.made_out.get(&key).ok_or_else(|| {
            fail(
                ErrCode::InvoiceInvalidParams,
                "no invoice has this fpqqlsh and nsrsbh",
            )
        })?;
        Ok(invoice::InvoiceQueryInvoiceInfoResponse {
            invoicedetail: Some(Box::new(found.detail.clone())),
            ..Default::default()
        })
    }

    fn invoice_get_user_title_url(
        &self,
        _request: invoice::InvoiceGetUserTitleUrlRequest,
    ) -> Result<invoice::InvoiceGetUserTitleUrlResponse, Failure> {
        let mut state = self.lock();
        let key = Self::id(&mut state, "", 6);
        Ok(invoice::InvoiceGetUserTitleUrlResponse {
            url: Some(format!(
                "https://mp.weixin.qq.com/intp/invoice/usertitle?action=list_auth&biz_title_key={key}#wechat_redirect"
            )),
            ..Default::default()
        })
    }

    fn invoice_get_select_title_url(
        &self,
        request: invoice::InvoiceGetSelectTitleUrlRequest,
    ) -> Result<invoice::InvoiceGetSelectTitleUrlResponse, Failure> {
        let mut state = self.lock();
        let key = Self::id(&mut state, "", 22);
        state
            .invoice
            .select_keys
            .insert(key.clone(), request.attach);
        Ok(invoice::InvoiceGetSelectTitleUrlResponse {
            url: Some(format!(
                "https://mp.weixin.qq.com/intp/invoice/usertitle?action=select_title&select_title_key={key}#wechat_redirect"
            )),
            ..Default::default()
        })
    }

    fn invoice_scan_title(
        &self,
        request: invoice::InvoiceScanTitleRequest,
    ) -> Result<invoice::InvoiceScanTitleResponse, Failure> {
        let state = self.lock();
        let found = state.invoice.titles.get(&request.scan_text).cloned();
        found.ok_or_else(|| fail(ErrCode::InvoiceTitleQrExpired, "scan text out of time"))
    }
}

impl InvoicePlatformOperations for World {
    fn invoice_platform_set_url(
        &self,
        _request: invoice_platform::InvoicePlatformSetUrlRequest,
    ) -> Result<invoice_platform::InvoicePlatformSetUrlResponse, Failure> {
        Ok(invoice_platform::InvoicePlatformSetUrlResponse {
            invoice_url: Some(format!(
                "https://mp.weixin.qq.com/bizmall/authinvoice?action=list&s_pappid={}",
                self.own_pappid()
            )),
            ..Default::default()
        })
    }

    fn invoice_platform_create_card(
        &self,
        request: invoice_platform::InvoicePlatformCreateCardRequest,
    ) -> Result<invoice_platform::InvoicePlatformCreateCardResponse, Failure> {
        let mut state = self.lock();
        let card_id = Self::id(&mut state, "p", 27);
        let template = *request.invoice_info;
        state.invoice.templates.insert(card_id.clone(), template);
        Ok(invoice_platform::InvoicePlatformCreateCardResponse {
            card_id: Some(card_id),
            ..Default::default()
        })
    }

    fn invoice_platform_set_pdf(
        &self,
        request: invoice_platform::InvoicePlatformSetPdfRequest,
    ) -> Result<invoice_platform::InvoicePlatformSetPdfResponse, Failure> {
        if !request.pdf.bytes.starts_with(b"%PDF") {
            return Err(fail(
                ErrCode::InvoicePdfInvalid,
                "invoice pdf error: the file is not a PDF (%PDF header)",
            ));
        }
        let now = self.secs();
        let mut state = self.lock();
        state.serial += 1;
        // 64位整数, written as a string.
        let media_id = (3_015_806_758_683_707 + state.serial * 7_919).to_string();
        state.invoice.pdfs.insert(media_id.clone(), now);
        Ok(invoice_platform::InvoicePlatformSetPdfResponse {
            s_media_id: Some(media_id),
            ..Default::default()
        })
    }

    fn invoice_platform_get_pdf(
        &self,
        request: invoice_platform::InvoicePlatformGetPdfRequest,
    ) -> Result<invoice_platform::InvoicePlatformGetPdfResponse, Failure> {
        let state = self.lock();
        let live = Self::pdf_fresh(&state, &request.s_media_id, self.secs())
            || Self::pdf_linked(&state, &request.s_media_id);
        if !live {
            return Err(fail(
                ErrCode::InvoicePdfInvalid,
                "no live PDF has this s_media_id (3 days unless linked to an invoice)",
            ));
        }
        Ok(invoice_platform::InvoicePlatformGetPdfResponse {
            pdf_url: Some(pdf_url(&request.s_media_id)),
            pdf_url_expire_time: Some(PDF_URL_LIFETIME_SECS),
            ..Default::default()
        })
    }

    fn invoice_platform_insert(
        &self,
        request: invoice_platform::InvoicePlatformInsertRequest,
    ) -> Result<invoice_platform::InvoicePlatformInsertResponse, Failure> {
        let (now, now_ms) = (self.secs(), self.now());
        let mut state = self.lock();
        let ext = *request.card_ext;
        let nonce = (request.order_id.clone(), ext.nonce_str.clone());
        let template = state.invoice.templates.get(&request.card_id).cloned();
        let template = template.ok_or_else(|| {
            fail(
                ErrCode::InvalidCardStatus,
                "card_id未授权: no invoice template has this card_id (platform/createcard)",
            )
        })?;
        let holder = Self::invoiceable(&state, &request.order_id)?.openid;
        // 随机字符串，防止重复: the same nonce for the same order inserts nothing more.
        let inserted = |code, openid| invoice_platform::InvoicePlatformInsertResponse {
            code: Some(code),
            openid: Some(openid),
            ..Default::default()
        };
        if let Some(code) = state.invoice.nonces.get(&nonce).cloned() {
            return Ok(inserted(code, holder));
        }
        let data = *ext.user_card.invoice_user_data;
        let pdfs = [
            Some(&data.s_pdf_media_id),
            data.s_trip_pdf_media_id.as_ref(),
        ];
        for media_id in pdfs.into_iter().flatten() {
            if !Self::pdf_fresh(&state, media_id, now) {
                return Err(fail(
                    ErrCode::InvoicePdfInvalid,
                    format!("invoice pdf error: {media_id} is unknown or older than 3 days"),
                ));
            }
        }
        let numbers = (Some(&data.billing_no), data.billing_code.as_ref());
        let repeated = state.invoice.cards.values().any(|c| {
            let u = c.info.user_info.as_deref();
            (
                u.and_then(|u| u.billing_no.as_ref()),
                u.and_then(|u| u.billing_code.as_ref()),
            ) == numbers
        });
        if repeated {
            return Err(fail(
                ErrCode::InvoiceNumberRepeated,
                "billing_code and billing_no repeated",
            ));
        }
        let code = Self::fresh_code(&mut state, now_ms);
        let trip_pdf_url = data.s_trip_pdf_media_id.as_deref().map(pdf_url);
        let user_info = InvoiceUserInfo {
            fee: Some(data.fee),
            title: Some(data.title),
            billing_time: Some(data.billing_time),
            billing_no: Some(data.billing_no),
            billing_code: data.billing_code,
            info: data.info,
            fee_without_tax: Some(data.fee_without_tax),
            tax: Some(data.tax),
            pdf_url: Some(pdf_url(&data.s_pdf_media_id)),
            trip_pdf_url,
            reimburse_status: Some(Status::Init),
            check_code: data.check_code,
            buyer_number: data.buyer_number,
            buyer_address_and_phone: data.buyer_address_and_phone,
            buyer_bank_account: data.buyer_bank_account,
            seller_number: data.seller_number,
            seller_address_and_phone: data.seller_address_and_phone,
            seller_bank_account: data.seller_bank_account,
            remarks: data.remarks,
            cashier: data.cashier,
            maker: data.maker,
            order_id: Some(request.order_id.clone()),
            ..Default::default()
        };
        let info = InvoiceInfo {
            card_id: Some(request.card_id),
            begin_time: Some(now),
            end_time: Some(now + 10 * 365 * 24 * 3600),
            user_card_status: Some("NORMAL".to_owned()),
            openid: Some(holder.clone()),
            r#type: Some(template.r#type),
            payee: Some(template.payee),
            detail: Some(String::new()),
            user_info: Some(Box::new(user_info)),
            ..Default::default()
        };
        let card = InvoiceCard {
            info,
            order_id: request.order_id,
        };
        state.invoice.cards.insert(code.clone(), card);
        state.invoice.nonces.insert(nonce, code.clone());
        Ok(inserted(code, holder))
    }

    fn invoice_platform_update_status(
        &self,
        request: invoice_platform::InvoicePlatformUpdateStatusRequest,
    ) -> Result<invoice_platform::InvoicePlatformUpdateStatusResponse, Failure> {
        let mut state = self.lock();
        let card = state.invoice.cards.get(&request.code);
        if card.is_none_or(|c| c.card_id() != request.card_id) {
            return Err(no_invoice());
        }
        let codes = [request.code];
        self.set_invoice_status(
            &mut state,
            Party::Platform,
            &codes,
            &request.reimburse_status,
        )?;
        Ok(Default::default())
    }
}

impl World {
    /// Whether the PDF `media_id` was uploaded less than 3 days ago.
    fn pdf_fresh(state: &State, media_id: &str, now: i64) -> bool {
        let at = state.invoice.pdfs.get(media_id);
        at.is_some_and(|at| now - at < PDF_LIFETIME_SECS)
    }

    /// Whether an inserted invoice uses the PDF `s_media_id`, as its invoice or its
    /// receipt (行程单、水单): linked PDFs stay.
    fn pdf_linked(state: &State, media_id: &str) -> bool {
        let key = format!("media_key={media_id}");
        let mut urls = state.invoice.cards.values().flat_map(|c| {
            let u = c.info.user_info.as_deref();
            let pdfs = u.map(|u| [u.pdf_url.as_deref(), u.trip_pdf_url.as_deref()]);
            pdfs.into_iter().flatten().flatten()
        });
        urls.any(|u| u.ends_with(&key))
    }
}

impl InvoiceReimburseOperations for World {
    fn invoice_reimburse_get_invoice_info(
        &self,
        request: invoice_reimburse::InvoiceReimburseGetInvoiceInfoRequest,
    ) -> Result<invoice_reimburse::InvoiceReimburseGetInvoiceInfoResponse, Failure> {
        let state = self.lock();
        let code = self.invoice_code(&state, &request.card_id, &request.encrypt_code)?;
        let info = state.invoice.cards[&code].info.clone();
        let mut user_info = info.user_info;
        // getinvoiceinfo's table has no order_id (getinvoicebatch's example does).
        if let Some(u) = user_info.as_mut() {
            u.order_id = None;
        }
        Ok(invoice_reimburse::InvoiceReimburseGetInvoiceInfoResponse {
            card_id: info.card_id,
            begin_time: info.begin_time,
            end_time: info.end_time,
            user_card_status: info.user_card_status,
            openid: info.openid,
            r#type: info.r#type,
            payee: info.payee,
            detail: info.detail,
            user_info,
            ..Default::default()
        })
    }

    fn invoice_reimburse_get_invoice_batch(
        &self,
        request: invoice_reimburse::InvoiceReimburseGetInvoiceBatchRequest,
    ) -> Result<invoice_reimburse::InvoiceReimburseGetInvoiceBatchResponse, Failure> {
        let state = self.lock();
        let mut items = Vec::new();
        for item in &request.item_list {
            let code = self.invoice_code(&state, &item.card_id, &item.encrypt_code)?;
            items.push(state.invoice.cards[&code].info.clone());
        }
        Ok(invoice_reimburse::InvoiceReimburseGetInvoiceBatchResponse {
            item_list: Some(items),
            ..Default::default()
        })
    }

    fn invoice_reimburse_update_invoice_status(
        &self,
        request: invoice_reimburse::InvoiceReimburseUpdateInvoiceStatusRequest,
    ) -> Result<invoice_reimburse::InvoiceReimburseUpdateInvoiceStatusResponse, Failure> {
        let mut state = self.lock();
        let code = self.invoice_code(&state, &request.card_id, &request.encrypt_code)?;
        self.set_invoice_status(
            &mut state,
            Party::Reimburser,
            &[code],
            &request.reimburse_status,
        )?;
        Ok(Default::default())
    }

    fn invoice_reimburse_update_status_batch(
        &self,
        request: invoice_reimburse::InvoiceReimburseUpdateStatusBatchRequest,
    ) -> Result<invoice_reimburse::InvoiceReimburseUpdateStatusBatchResponse, Failure> {
        let mut state = self.lock();
        let mut codes = Vec::new();
        for item in &request.invoice_list {
            let code = self.invoice_code(&state, &item.card_id, &item.encrypt_code)?;
            if state.invoice.cards[&code].holder() != request.openid {
                return Err(fail(
                    ErrCode::InvoiceInvalidParams,
                    format!("the invoice {} is not the user's", item.card_id),
                ));
            }
            codes.push(code);
        }
        // 事务性操作: set_invoice_status checks every invoice before changing any.
        let to = &request.reimburse_status;
        self.set_invoice_status(&mut state, Party::Reimburser, &codes, to)?;
        Ok(Default::default())
    }
}

/// What a documentation example of the invoice endpoints refers to, as its documented
/// reply shows it when it does.
#[derive(Debug, Default)]
pub(crate) struct InvoiceSeed {
    pub contact: Option<InvoiceContact>,
    /// Platform ids an example names (getauthurl's s_pappid).
    pub platforms: Vec<String>,
    /// An example asks for a type=1 authorisation page: the page's fields are set.
    pub auth_field: bool,
    /// (s_pappid, or the sandbox's own; order_id; who authorised)
    pub orders: Vec<(Option<String>, String, String)>,
    /// (fpqqlsh, nsrsbh, the invoice as shown or with fpdm and fphm)
    pub made_out: Vec<(String, String, InvoiceDetail)>,
    /// Invoice template card ids.
    pub templates: Vec<String>,
    /// Uploaded PDFs' s_media_id.
    pub pdfs: Vec<String>,
    pub cards: Vec<SeedInvoiceCard>,
    /// (scan_text, the title as shown)
    pub titles: Vec<(String, Option<invoice::InvoiceScanTitleResponse>)>,
}

/// An invoice in a card package an example names.
#[derive(Debug)]
pub(crate) struct SeedInvoiceCard {
    pub card_id: String,
    /// The code, or (`encrypted`) the encrypt_code a reimburser names it by.
    pub code: String,
    pub encrypted: bool,
    pub openid: Option<String>,
    /// Its status before the example runs (what the example's change starts from).
    pub status: Option<Status>,
    pub shown: Option<InvoiceInfo>,
}

/// The status an invoice has before an example moves it to `to`.
pub(crate) fn before(to: &Status) -> Status {
    match to {
        Status::Init | Status::Closure => Status::Lock,
        _ => Status::Init,
    }
}

impl World {
    /// Puts the invoice records an example names in place; what is there already stays.
    pub(super) fn seed_invoices(&self, state: &mut State, seed: InvoiceSeed) {
        let (now, now_ms) = (self.secs(), self.now());
        if let Some(contact) = seed.contact {
            state.invoice.contact = Some(contact);
        }
        state.invoice.platforms.extend(seed.platforms);
        if seed.auth_field && state.invoice.auth_field.is_none() {
            let fields = InvoiceAuthField::new(InvoiceUserField::new(), InvoiceBizField::new());
            state.invoice.auth_field = Some(fields);
        }
        for (s_pappid, order_id, openid) in seed.orders {
            let s_pappid = s_pappid.unwrap_or_else(|| self.own_pappid());
            let info = InvoiceUserAuthInfo {
                user_field: Some(Box::new(crate::types::InvoiceUserTitle {
                    title: Some("沙盒用户".to_owned()),
                    ..Default::default()
                })),
                ..Default::default()
            };
            let authorization = Authorization {
                at: now,
                info,
                openid,
            };
            let entry = state.invoice.authorizations.entry((s_pappid, order_id));
            entry.or_insert(authorization);
        }
        for (fpqqlsh, nsrsbh, detail) in seed.made_out {
            let asked = Asked::Blue { ddh: None };
            let record = MadeOut {
                detail,
                red: false,
                asked,
            };
            state
                .invoice
                .made_out
                .entry((fpqqlsh, nsrsbh))
                .or_insert(record);
        }
        for card_id in seed.templates {
            let base = crate::types::InvoiceTemplateBaseInfo::new(
                "http://mmbiz.qpic.cn/sandbox-logo.png",
                "沙盒商户",
            );
            let template = InvoiceTemplate::new(base, "沙盒收款方", "增值税电子普通发票");
            state.invoice.templates.entry(card_id).or_insert(template);
        }
        for media_id in seed.pdfs {
            state.invoice.pdfs.entry(media_id).or_insert(now);
        }
        for card in seed.cards {
            let code = if card.encrypted {
                let code = Self::fresh_code(state, now_ms);
                state.seeded_encrypted.insert(card.code, code.clone());
                code
            } else {
                card.code
            };
            let mut info = card.shown.unwrap_or_else(|| seeded_invoice(now));
            info.card_id = Some(card.card_id);
            let openid = card.openid.or(info.openid.take());
            info.openid = Some(openid.unwrap_or_else(|| SEEDED_HOLDER.to_owned()));
            let user_info = info.user_info.get_or_insert_with(Default::default);
            if let Some(status) = card.status {
                user_info.reimburse_status = Some(status);
            }
            let order_id = user_info.order_id.clone().unwrap_or_default();
            let record = InvoiceCard { info, order_id };
            state.invoice.cards.entry(code).or_insert(record);
        }
        for (scan_text, shown) in seed.titles {
            let title = shown.unwrap_or_else(|| invoice::InvoiceScanTitleResponse {
                title_type: Some(1),
                title: Some("沙盒用户".to_owned()),
                ..Default::default()
            });
            state.invoice.titles.entry(scan_text).or_insert(title);
        }
    }
}

/// A seeded invoice when the example shows none: one item, 1.00 yuan.
fn seeded_invoice(now: i64) -> InvoiceInfo {
    let user_info = InvoiceUserInfo {
        fee: Some(100),
        title: Some("沙盒用户".to_owned()),
        billing_time: Some(now),
        billing_no: Some("00000001".to_owned()),
        billing_code: Some("044000000001".to_owned()),
        info: Some(vec![InvoiceItem::new("沙盒商品", 100)]),
        fee_without_tax: Some(94),
        tax: Some(6),
        pdf_url: Some(pdf_url("sandbox")),
        reimburse_status: Some(Status::Init),
        ..Default::default()
    };
    InvoiceInfo {
        begin_time: Some(now),
        end_time: Some(now + 10 * 365 * 24 * 3600),
        user_card_status: Some("NORMAL".to_owned()),
        r#type: Some("增值税电子普通发票".to_owned()),
        payee: Some("沙盒收款方".to_owned()),
        detail: Some(String::new()),
        user_info: Some(Box::new(user_info)),
        ..Default::default()
    }
}

/// An invoice in a card package as the console shows it.
#[derive(Debug, Clone)]
pub(crate) struct InvoiceSnapshot {
    pub(crate) code: String,
    pub(crate) card_id: String,
    pub(crate) openid: String,
    /// The invoice's title (抬头) and payee (收款方).
    pub(crate) title: String,
    pub(crate) payee: String,
    /// 价税合计 in fen.
    pub(crate) fee: i64,
    pub(crate) status: Status,
}

impl World {
    /// Every invoice in a card package, by code, its status now.
    pub(crate) fn invoice_snapshots(&self) -> Vec<InvoiceSnapshot> {
        let state = self.lock();
        let cards = state.invoice.cards.iter();
        cards
            .map(|(code, c)| {
                let user_info = c.info.user_info.as_deref();
                InvoiceSnapshot {
                    code: code.clone(),
                    card_id: c.card_id().to_owned(),
                    openid: c.holder().to_owned(),
                    title: user_info.and_then(|u| u.title.clone()).unwrap_or_default(),
                    payee: c.info.payee.clone().unwrap_or_default(),
                    fee: user_info.and_then(|u| u.fee).unwrap_or_default(),
                    status: c.status(),
                }
            })
            .collect()
    }
}
