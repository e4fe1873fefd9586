//! Distribution (the `distribute` endpoints): QR codes to claim cards by, landing
//! pages, the HTML that puts a card in an article, and the codes a merchant imports
//! for a deposit-mode card.

use super::{World, fail};
use crate::ErrCode;
use crate::distribute;
use crate::generated::sandbox::DistributeOperations;
use crate::sandbox::runtime::Failure;
use std::collections::BTreeSet;

/// A card QR code: what scanning it claims, and until when.
#[derive(Debug, Clone)]
pub(super) struct QrTicket {
    /// (card_id, code, outer_str) per card of the QR code.
    pub(super) card_ids: Vec<(String, Option<String>, Option<String>)>,
    pub(super) url: String,
    pub(super) expires_ms: Option<u64>,
}

/// How long a QR code without `expire_seconds` stays valid: 365 days.
const DEFAULT_QR_LIFETIME_SECS: i64 = 365 * 86_400;

impl DistributeOperations for World {
    fn distribute_create_qrcode(
        &self,
        request: distribute::DistributeCreateQrcodeRequest,
    ) -> Result<distribute::DistributeCreateQrcodeResponse, Failure> {
        let now = self.now();
        let base = &self.settings.base_url;
        let info = *request.action_info;
        let mut entries: Vec<(String, Option<String>, Option<String>)> = Vec::new();
        if let Some(card) = info.card {
            entries.push((card.card_id.unwrap_or_default(), card.code, card.outer_str));
        }
        for card in info.multiple_card.into_iter().flat_map(|m| m.card_list) {
            entries.push((card.card_id.unwrap_or_default(), card.code, card.outer_str));
        }
        let mut state = self.lock();
        for (card_id, code, _) in &entries {
            let card = self.card(&mut state, card_id)?;
            if card.status == crate::types::CardStatus::Delete {
                return Err(fail(ErrCode::InvalidCardStatus, "the card was deleted"));
            }
            if card.custom_code() && !card.deposit_mode() && code.is_none() {
                return Err(fail(
                    ErrCode::MissingRequiredField,
                    "a custom-code card's QR code names its code",
                ));
            }
        }
        let ticket = Self::id(&mut state, "gQ", 64);
        let short = Self::id(&mut state, "", 22);
        let url = format!("http://weixin.qq.com/q/{short}");
        // 不填默认为365天有效: the current official table.
        let expire_seconds = request.expire_seconds.unwrap_or(DEFAULT_QR_LIFETIME_SECS);
        state.qr.insert(
            ticket.clone(),
            QrTicket {
                card_ids: entries,
                url: url.clone(),
                expires_ms: Some(now + expire_seconds.max(0) as u64 * 1000),
            },
        );
        let show = format!(
            "{base}/cgi-bin/showqrcode?ticket={}",
            crate::call::url_encode(&ticket)
        );
        Ok(distribute::DistributeCreateQrcodeResponse {
            ticket: Some(ticket),
            expire_seconds: Some(expire_seconds),
            url: Some(url),
            show_qrcode_url: Some(show),
            ..Default::default()
        })
    }

    fn distribute_show_qrcode(
        &self,
        request: distribute::DistributeShowQrcodeRequest,
    ) -> Result<crate::Binary, Failure> {
        let state = self.lock();
        let qr = state
            .qr
            .get(&request.ticket)
            .filter(|q| q.expires_ms.is_none_or(|t| t > self.now()))
            .ok_or_else(Failure::not_found)?;
        let png = crate::sandbox::qr::png(&qr.url).map_err(|e| fail(ErrCode::SystemBusy, e))?;
        Ok(crate::Binary {
            content_type: Some("image/png".into()),
            bytes: png,
        })
    }

    fn distribute_create_landing_page(
        &self,
        request: distribute::DistributeCreateLandingPageRequest,
    ) -> Result<distribute::DistributeCreateLandingPageResponse, Failure> {
        let base = &self.settings.base_url;
        let mut state = self.lock();
        for entry in &request.card_list {
            if self.card(&mut state, &entry.card_id)?.custom_code() {
                return Err(fail(
                    ErrCode::InvalidArgs,
                    "landing pages take non-custom-code cards only",
                ));
            }
        }
        state.landing_pages += 1;
        let page_id = state.landing_pages;
        Ok(distribute::DistributeCreateLandingPageResponse {
            url: Some(format!("{base}/sandbox/landing/{page_id}")),
            page_id: Some(page_id as i64),
            ..Default::default()
        })
    }

    fn distribute_mpnews_html(
        &self,
        request: distribute::DistributeMpnewsHtmlRequest,
    ) -> Result<distribute::DistributeMpnewsHtmlResponse, Failure> {
        let base = &self.settings.base_url;
        // Optional in the official table, but there is nothing to render without it.
        let card_id = request.card_id.unwrap_or_default();
        let mut state = self.lock();
        let card = self.card(&mut state, &card_id)?;
        if card.custom_code() && !card.deposit_mode() {
            return Err(fail(
                ErrCode::InvalidArgs,
                "custom-code cards cannot be sent in articles",
            ));
        }
        let content = format!(
            "<iframe class=\"res_iframe card_iframe js_editor_card\" data-src=\"{base}/sandbox/card?card_id={card_id}\"></iframe>"
        );
        Ok(distribute::DistributeMpnewsHtmlResponse {
            content: Some(content),
            ..Default::default()
        })
    }

    fn distribute_deposit_codes(
        &self,
        request: distribute::DistributeDepositCodesRequest,
    ) -> Result<distribute::DistributeDepositCodesResponse, Failure> {
        let mut state = self.lock();
        if !self.card(&mut state, &request.card_id)?.custom_code() {
            return Err(fail(
                ErrCode::NoCustomCodePermission,
                "codes are imported for custom-code cards",
            ));
        }
        let (mut succ, mut duplicate) = (Vec::new(), Vec::new());
        for code in request.code {
            let imported = state.imported.entry(request.card_id.clone()).or_default();
            if imported.insert(code.clone()) {
                state
                    .deposited
                    .entry(request.card_id.clone())
                    .or_default()
                    .insert(code.clone());
                succ.push(code);
            } else {
                duplicate.push(code);
            }
        }
        Ok(distribute::DistributeDepositCodesResponse {
            succ_code: Some(succ),
            duplicate_code: Some(duplicate),
            fail_code: Some(Vec::new()),
            ..Default::default()
        })
    }

    fn distribute_deposit_count(
        &self,
        request: distribute::DistributeDepositCountRequest,
    ) -> Result<distribute::DistributeDepositCountResponse, Failure> {
        let mut state = self.lock();
        self.card(&mut state, &request.card_id)?;
        let count = state
            .deposited
            .get(&request.card_id)
            .map_or(0, BTreeSet::len);
        Ok(distribute::DistributeDepositCountResponse {
            count: Some(count as i64),
            ..Default::default()
        })
    }

    fn distribute_check_codes(
        &self,
        request: distribute::DistributeCheckCodesRequest,
    ) -> Result<distribute::DistributeCheckCodesResponse, Failure> {
        let mut state = self.lock();
        self.card(&mut state, &request.card_id)?;
        let imported = state.imported.get(&request.card_id);
        let (exist, missing): (Vec<String>, Vec<String>) = request
            .code
            .into_iter()
            .partition(|c| imported.is_some_and(|set| set.contains(c)));
        Ok(distribute::DistributeCheckCodesResponse {
            exist_code: Some(exist),
            not_exist_code: Some(missing),
            ..Default::default()
        })
    }
}
