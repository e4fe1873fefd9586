//! What belongs to the account rather than to a card (the `basic` and `token`
//! endpoints): the colour and category lists, uploaded images (served back under
//! `/sandbox/media/`), access tokens, the card api_ticket and the JS-SDK jsapi_ticket,
//! and the daily API quotas (`quota`, counted by the gate: `sandbox/quota.rs`).

use super::{World, fail};
use crate::ErrCode;
use crate::generated::sandbox::{BasicOperations, QuotaOperations, ROUTES, TokenOperations};
use crate::sandbox::runtime::Failure;
use crate::{basic, quota, token};

/// The card colours WeChat offers (basic/getcolors): name and RGB value.
pub(crate) const COLORS: [(&str, &str); 10] = [
    ("Color010", "#63b359"),
    ("Color020", "#2c9f67"),
    ("Color030", "#509fc9"),
    ("Color040", "#5885cf"),
    ("Color050", "#9062c0"),
    ("Color060", "#d09a45"),
    ("Color070", "#e4b138"),
    ("Color080", "#ee903c"),
    ("Color090", "#dd6549"),
    ("Color100", "#cc463d"),
];

/// A first-level category of card/getapplyprotocol and its second-level ones.
struct Category {
    id: i64,
    name: &'static str,
    secondary: &'static [SubCategory],
}

struct SubCategory {
    id: i64,
    name: &'static str,
    /// The qualification papers an account applying for cards in it must show.
    stuffs: &'static [&'static str],
    /// Whether prepaid (储值) and paid (付费) cards may be made in it.
    prepaid: bool,
    payment: bool,
}

/// The categories WeChat opens cards to: only the one the official example shows, as
/// it shows it (the real list is longer, and changes over time).
const CATEGORIES: [Category; 1] = [Category {
    id: 1,
    name: "美食",
    secondary: &[SubCategory {
        id: 101,
        name: "粤菜",
        stuffs: &[
            "food_service_license_id",
            "food_service_license_bizmedia_id",
        ],
        prepaid: true,
        payment: true,
    }],
}];

impl BasicOperations for World {
    fn basic_colors(
        &self,
        _: basic::BasicColorsRequest,
    ) -> Result<basic::BasicColorsResponse, Failure> {
        let colors = COLORS
            .iter()
            .map(|(name, value)| basic::CardColor {
                name: Some((*name).to_owned()),
                value: Some((*value).to_owned()),
                ..Default::default()
            })
            .collect();
        Ok(basic::BasicColorsResponse {
            colors: Some(colors),
            ..Default::default()
        })
    }

    fn basic_categories(
        &self,
        _: basic::BasicCategoriesRequest,
    ) -> Result<basic::BasicCategoriesResponse, Failure> {
        let category = CATEGORIES
            .iter()
            .map(|c| basic::ApplyCategory {
                primary_category_id: Some(c.id),
                category_name: Some(c.name.to_owned()),
                secondary_category: Some(
                    c.secondary
                        .iter()
                        .map(|s| basic::ApplySubCategory {
                            secondary_category_id: Some(s.id),
                            category_name: Some(s.name.to_owned()),
                            need_qualification_stuffs: Some(
                                s.stuffs.iter().map(|q| (*q).to_owned()).collect(),
                            ),
                            can_choose_prepaid_card: Some(i64::from(s.prepaid)),
                            can_choose_payment_card: Some(i64::from(s.payment)),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            })
            .collect();
        Ok(basic::BasicCategoriesResponse {
            category: Some(category),
            ..Default::default()
        })
    }

    fn basic_upload_image(
        &self,
        request: basic::BasicUploadImageRequest,
    ) -> Result<basic::BasicUploadImageResponse, Failure> {
        let base = &self.settings.base_url;
        let mut state = self.lock();
        let id = Self::id(&mut state, "m", 24);
        let ext = if request.buffer.content_type == "image/png" {
            "png"
        } else {
            "jpg"
        };
        let name = format!("{id}.{ext}");
        state.media.insert(
            name.clone(),
            (request.buffer.content_type, request.buffer.bytes),
        );
        Ok(basic::BasicUploadImageResponse {
            url: Some(format!("{base}/sandbox/media/{name}")),
            ..Default::default()
        })
    }
}

impl World {
    /// An uploaded image by its name in the URL: (content type, bytes).
    pub(crate) fn media(&self, id: &str) -> Option<(String, Vec<u8>)> {
        self.lock().media.get(id).cloned()
    }
}

impl TokenOperations for World {
    fn token_get(
        &self,
        request: token::TokenGetRequest,
    ) -> Result<token::TokenGetResponse, Failure> {
        let (token, expires_in) =
            self.tokens
                .classic(&request.appid, &request.secret, self.now())?;
        Ok(token::TokenGetResponse {
            access_token: Some(token),
            expires_in: Some(expires_in as i64),
            ..Default::default()
        })
    }

    fn token_stable(
        &self,
        request: token::TokenStableRequest,
    ) -> Result<token::TokenStableResponse, Failure> {
        let force = request.force_refresh.unwrap_or(false);
        let (token, expires_in) =
            self.tokens
                .stable(&request.appid, &request.secret, force, self.now())?;
        Ok(token::TokenStableResponse {
            access_token: Some(token),
            expires_in: Some(expires_in as i64),
            ..Default::default()
        })
    }

    fn token_card_ticket(
        &self,
        _: token::TokenCardTicketRequest,
    ) -> Result<token::TokenCardTicketResponse, Failure> {
        let mut state = self.lock();
        let ticket = Self::id(&mut state, "sandbox_card_ticket_", 48);
        state.card_tickets.push(ticket.clone());
        Ok(token::TokenCardTicketResponse {
            ticket: Some(ticket),
            expires_in: Some(self.tokens.lifetime_secs as i64),
            ..Default::default()
        })
    }

    /// `getticket?type=jsapi`: the JS-SDK's jsapi_ticket, which `wx.config` signs with.
    /// Never one of `card_tickets`: a card_ext signed with it fails the check.
    fn token_jsapi_ticket(
        &self,
        _: token::TokenJsapiTicketRequest,
    ) -> Result<token::TokenJsapiTicketResponse, Failure> {
        let ticket = Self::id(&mut self.lock(), "sandbox_jsapi_ticket_", 48);
        Ok(token::TokenJsapiTicketResponse {
            ticket: Some(ticket),
            expires_in: Some(self.tokens.lifetime_secs as i64),
            ..Default::default()
        })
    }
}

impl QuotaOperations for World {
    /// Today's count of an API path this sandbox serves (or was seeded with); any
    /// other path is 76021.
    fn quota_get(
        &self,
        request: quota::QuotaGetRequest,
    ) -> Result<quota::QuotaGetResponse, Failure> {
        let path = request.cgi_path.as_str();
        let served = ROUTES
            .iter()
            .any(|(_, route, _)| route.split('?').next() == Some(path));
        if !served && !self.quota.knows(path) {
            return Err(fail(
                ErrCode::CgiPathNotFound,
                "cgi_path not found, please check",
            ));
        }
        let (daily_limit, used, remain) = self.quota.usage(path, self.clock.china_today());
        Ok(quota::QuotaGetResponse {
            quota: Some(Box::new(quota::QuotaGetResponseQuota {
                daily_limit: Some(daily_limit as i64),
                used: Some(used as i64),
                remain: Some(remain as i64),
                ..Default::default()
            })),
            ..Default::default()
        })
    }

    /// Clears today's counts of every path, for this sandbox's own appid only.
    fn quota_clear(
        &self,
        request: quota::QuotaClearRequest,
    ) -> Result<quota::QuotaClearResponse, Failure> {
        if request.appid != self.tokens.appid {
            return Err(fail(
                ErrCode::InvalidAppId,
                format!("invalid appid {}", request.appid),
            ));
        }
        self.quota.clear(self.clock.china_today())?;
        Ok(quota::QuotaClearResponse::default())
    }
}
