//! What belongs to the account rather than to a card (the `basic` and `token`
//! endpoints): the colour and category lists, uploaded images (served back under
//! `/sandbox/media/`), access tokens, the card api_ticket and the JS-SDK jsapi_ticket.

use super::{World, reply};
use crate::generated::sandbox::{BasicOperations, TokenOperations};
use crate::sandbox::runtime::Failure;
use crate::{basic, token};
use serde_json::{Value, json};

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

impl BasicOperations for World {
    fn basic_colors(
        &self,
        _: basic::BasicColorsRequest,
    ) -> Result<basic::BasicColorsResponse, Failure> {
        let colors: Vec<Value> = COLORS
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        reply(json!({ "colors": colors }))
    }

    fn basic_categories(
        &self,
        _: basic::BasicCategoriesRequest,
    ) -> Result<basic::BasicCategoriesResponse, Failure> {
        reply(json!({"category": [
            {"primary_category_id": 1, "category_name": "美食", "secondary_category": [
                {"secondary_category_id": 101, "category_name": "粤菜", "need_qualification_stuffs": ["food_service_license_id"], "can_choose_prepaid_card": 1, "can_choose_payment_card": 1}
            ]},
            {"primary_category_id": 2, "category_name": "旅游", "secondary_category": [
                {"secondary_category_id": 201, "category_name": "景点门票", "need_qualification_stuffs": [], "can_choose_prepaid_card": 0, "can_choose_payment_card": 1}
            ]}
        ]}))
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
        reply(json!({"url": format!("{base}/sandbox/media/{name}")}))
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
        reply(json!({"access_token": token, "expires_in": expires_in}))
    }

    fn token_stable(
        &self,
        request: token::TokenStableRequest,
    ) -> Result<token::TokenStableResponse, Failure> {
        let force = request.force_refresh.unwrap_or(false);
        let (token, expires_in) =
            self.tokens
                .stable(&request.appid, &request.secret, force, self.now())?;
        reply(json!({"access_token": token, "expires_in": expires_in}))
    }

    fn token_card_ticket(
        &self,
        _: token::TokenCardTicketRequest,
    ) -> Result<token::TokenCardTicketResponse, Failure> {
        let mut state = self.lock();
        let ticket = Self::id(&mut state, "sandbox_card_ticket_", 48);
        state.card_tickets.push(ticket.clone());
        reply(json!({"ticket": ticket, "expires_in": self.tokens.lifetime_secs}))
    }
}

impl World {
    /// `getticket?type=jsapi`: the JS-SDK's jsapi_ticket, which `wx.config` signs with
    /// (not the card api_ticket, and never equal to one).
    pub(crate) fn jsapi_ticket(&self) -> Result<token::TokenCardTicketResponse, Failure> {
        let ticket = Self::id(&mut self.lock(), "sandbox_jsapi_ticket_", 48);
        reply(json!({"ticket": ticket, "expires_in": self.tokens.lifetime_secs}))
    }
}
