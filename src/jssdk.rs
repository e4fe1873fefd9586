//! JS-SDK card signatures: the `cardExt` of `wx.addCard` and the `cardSign` of
//! `wx.chooseCard` (official JS-SDK docs, 附录4 卡券扩展字段及签名生成算法).
//!
//! Both are the SHA-1 of the **values** concatenated in byte-wise sorted order, signed
//! with the card api_ticket (the clients' `card_ticket()` caches it). They need no network: build them from a ticket you hold.
//!
//! ```
//! use wechat_card::ApiTicket;
//! use wechat_card::jssdk::{CardExtOptions, card_ext};
//!
//! let ticket = ApiTicket::new("ojZ8YtyVyr30HheH3CM73y7h4jJE ");
//! let ext = card_ext(
//!     &ticket,
//!     "pjZ8Yt1XGILfi-FUsewpnnolGgZk",
//!     CardExtOptions::new().code("jonyqin_1434008071").timestamp(1404896688).nonce_str("jonyqin"),
//! );
//! // The official worked example.
//! assert_eq!(ext.signature, "6b81fbf6af16e856334153b39737556063c82689");
//! assert_eq!(
//!     ext.to_json(),
//!     r#"{"code":"jonyqin_1434008071","timestamp":"1404896688","nonce_str":"jonyqin","signature":"6b81fbf6af16e856334153b39737556063c82689"}"#
//! );
//! ```

use crate::credentials::ApiTicket;
use serde::Serialize;
use sha1::{Digest, Sha1};

/// SHA-1 (lowercase hex) of the values sorted byte-wise and concatenated: WeChat's card
/// signature. Absent values are left out by the caller.
pub fn card_signature<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut values: Vec<&str> = values.into_iter().collect();
    values.sort_unstable();
    let digest = Sha1::digest(values.concat().as_bytes());
    format!("{digest:x}")
}

/// Unix seconds now.
fn now() -> u64 {
    crate::store::now_ms() / 1000
}

/// A fresh nonce: 32 random alphanumeric characters (the docs allow up to 32).
pub fn nonce() -> String {
    crate::cache::random_id()
}

/// The optional parts of a `cardExt`; a fresh timestamp and nonce are used unless
/// given (WeChat refuses a repeated pair).
#[derive(Debug, Clone, Default)]
pub struct CardExtOptions {
    code: Option<String>,
    openid: Option<String>,
    timestamp: Option<u64>,
    nonce_str: Option<String>,
    fixed_begintimestamp: Option<i64>,
    outer_str: Option<String>,
}

impl CardExtOptions {
    pub fn new() -> Self {
        CardExtOptions::default()
    }

    /// The code to give out: required for custom-code cards.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// The only user who may claim it: required for `bind_openid` cards.
    pub fn openid(mut self, openid: impl Into<String>) -> Self {
        self.openid = Some(openid.into());
        self
    }

    /// Unix seconds; now unless given.
    pub fn timestamp(mut self, timestamp: u64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// A fresh random one unless given.
    pub fn nonce_str(mut self, nonce: impl Into<String>) -> Self {
        self.nonce_str = Some(nonce.into());
        self
    }

    /// Validity start of a fixed-term card (Unix seconds); not signed.
    pub fn fixed_begintimestamp(mut self, timestamp: i64) -> Self {
        self.fixed_begintimestamp = Some(timestamp);
        self
    }

    /// The claim channel reported in the user_get_card event; not signed.
    pub fn outer_str(mut self, outer_str: impl Into<String>) -> Self {
        self.outer_str = Some(outer_str.into());
        self
    }
}

/// The `cardExt` of `wx.addCard`: pass [`CardExt::to_json`] as the card's `cardExt`.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CardExt {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// A string, as the docs require.
    pub timestamp: String,
    pub nonce_str: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_begintimestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outer_str: Option<String>,
    pub signature: String,
}

impl std::fmt::Debug for CardExt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl CardExt {
    /// The JSON string `wx.addCard` takes as `cardExt`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Signs a `cardExt` for `card_id`: SHA-1 over api_ticket, timestamp, card_id, code,
/// openid and nonce_str (those present).
pub fn card_ext(ticket: &ApiTicket, card_id: &str, options: CardExtOptions) -> CardExt {
    let timestamp = options.timestamp.unwrap_or_else(now).to_string();
    let nonce_str = options.nonce_str.unwrap_or_else(nonce);
    let mut signed = vec![
        ticket.expose(),
        timestamp.as_str(),
        card_id,
        nonce_str.as_str(),
    ];
    signed.extend(options.code.as_deref());
    signed.extend(options.openid.as_deref());
    let signature = card_signature(signed);
    CardExt {
        code: options.code,
        openid: options.openid,
        timestamp,
        nonce_str,
        fixed_begintimestamp: options.fixed_begintimestamp,
        outer_str: options.outer_str,
        signature,
    }
}

/// A card message (`msgtype: wxcard`) carrying a signed `card_ext`: the user who gets it
/// claims the card with that code (and only the user it names, if it names one).
///
/// ```
/// use wechat_card::ApiTicket;
/// use wechat_card::jssdk::{CardExtOptions, card_ext};
/// use wechat_card::types::WxCard;
///
/// let ticket = ApiTicket::new("ticket");
/// let ext = card_ext(&ticket, "pCard", CardExtOptions::new().openid("oUser"));
/// let card = WxCard::signed("pCard", &ext);
/// assert_eq!(card.card_id, "pCard");
/// assert_eq!(card.card_ext.as_deref(), Some(ext.to_json().as_str()));
/// ```
///
/// With a client, `client.card_ext(card_id, options)` signs with the account's cached
/// api_ticket; then send it with `client.message().send_card(openid, WxCard::signed(..))`.
impl crate::types::WxCard {
    /// The card `card_id` with `ext` (signed for this card) as its `card_ext` string.
    pub fn signed(card_id: impl Into<String>, ext: &CardExt) -> Self {
        crate::types::WxCard::new(card_id).card_ext(ext.to_json())
    }
}

/// One entry of `wx.addCard`'s `cardList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddCardItem {
    #[serde(rename = "cardId")]
    pub card_id: String,
    /// The `cardExt` JSON string.
    #[serde(rename = "cardExt")]
    pub card_ext: String,
}

/// The `cardList` of `wx.addCard` for several cards; serialize it with serde_json. Each
/// card gets its own nonce (and the same timestamp unless given).
pub fn add_card_list<I, S>(ticket: &ApiTicket, cards: I) -> Vec<AddCardItem>
where
    I: IntoIterator<Item = (S, CardExtOptions)>,
    S: Into<String>,
{
    cards
        .into_iter()
        .map(|(card_id, options)| {
            let card_id = card_id.into();
            let card_ext = card_ext(ticket, &card_id, options).to_json();
            AddCardItem { card_id, card_ext }
        })
        .collect()
}

/// The filters of `wx.chooseCard`, all optional, and the timestamp and nonce to sign.
#[derive(Debug, Clone, Default)]
pub struct ChooseCardOptions {
    shop_id: Option<String>,
    card_type: Option<String>,
    card_id: Option<String>,
    timestamp: Option<u64>,
    nonce_str: Option<String>,
}

impl ChooseCardOptions {
    pub fn new() -> Self {
        ChooseCardOptions::default()
    }

    /// Only cards usable at this store (`location_id`).
    pub fn shop_id(mut self, shop_id: impl Into<String>) -> Self {
        self.shop_id = Some(shop_id.into());
        self
    }

    /// Only cards of this type (`GROUPON`, `CASH`, …).
    pub fn card_type(mut self, card_type: impl Into<String>) -> Self {
        self.card_type = Some(card_type.into());
        self
    }

    /// Only this card.
    pub fn card_id(mut self, card_id: impl Into<String>) -> Self {
        self.card_id = Some(card_id.into());
        self
    }

    pub fn timestamp(mut self, timestamp: u64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    pub fn nonce_str(mut self, nonce: impl Into<String>) -> Self {
        self.nonce_str = Some(nonce.into());
        self
    }
}

/// The signed parameters of `wx.chooseCard`, named as the JS-SDK takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChooseCardSign {
    pub shop_id: String,
    pub card_type: String,
    pub card_id: String,
    pub timestamp: u64,
    pub nonce_str: String,
    /// Always `SHA1`.
    pub sign_type: &'static str,
    pub card_sign: String,
}

/// Signs `wx.chooseCard`: SHA-1 over api_ticket, app_id, location_id (shop), timestamp,
/// nonce_str, card_id and card_type.
pub fn choose_card_sign(
    ticket: &ApiTicket,
    appid: &str,
    options: ChooseCardOptions,
) -> ChooseCardSign {
    let timestamp = options.timestamp.unwrap_or_else(now);
    let nonce_str = options.nonce_str.unwrap_or_else(nonce);
    let (shop_id, card_type, card_id) = (
        options.shop_id.unwrap_or_default(),
        options.card_type.unwrap_or_default(),
        options.card_id.unwrap_or_default(),
    );
    let ts = timestamp.to_string();
    let card_sign = card_signature([
        ticket.expose(),
        appid,
        &shop_id,
        &ts,
        &nonce_str,
        &card_id,
        &card_type,
    ]);
    ChooseCardSign {
        shop_id,
        card_type,
        card_id,
        timestamp,
        nonce_str,
        sign_type: "SHA1",
        card_sign,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_card_ext_example() {
        // JS-SDK docs, 附录4: code=jonyqin_1434008071, timestamp=1404896688,
        // card_id=pjZ8Yt1XGILfi-FUsewpnnolGgZk, api_ticket="ojZ8YtyVyr30HheH3CM73y7h4jJE "
        // (with its trailing space), nonce_str=jonyqin.
        let signature = card_signature([
            "jonyqin_1434008071",
            "1404896688",
            "pjZ8Yt1XGILfi-FUsewpnnolGgZk",
            "ojZ8YtyVyr30HheH3CM73y7h4jJE ",
            "jonyqin",
        ]);
        assert_eq!(signature, "6b81fbf6af16e856334153b39737556063c82689");
    }

    #[test]
    fn fresh_nonce_and_timestamp_unless_given() {
        let ticket = ApiTicket::new("T");
        let a = card_ext(&ticket, "card", CardExtOptions::new());
        let b = card_ext(&ticket, "card", CardExtOptions::new());
        assert_ne!(a.nonce_str, b.nonce_str);
        assert!(a.timestamp.parse::<u64>().unwrap() > 1_700_000_000);
        assert_ne!(a.signature, b.signature);
        // Unsigned fields do not change the signature.
        let fixed =
            |o: CardExtOptions| card_ext(&ticket, "card", o.timestamp(1).nonce_str("n")).signature;
        assert_eq!(
            fixed(CardExtOptions::new()),
            fixed(CardExtOptions::new().outer_str("x").fixed_begintimestamp(5))
        );
        assert_ne!(
            fixed(CardExtOptions::new()),
            fixed(CardExtOptions::new().openid("o"))
        );
    }

    #[test]
    fn choose_card_sign_signs_the_documented_values() {
        let ticket = ApiTicket::new("ticket");
        let options = ChooseCardOptions::new()
            .shop_id("1234")
            .card_type("GROUPON")
            .timestamp(1404896688)
            .nonce_str("n");
        let sign = choose_card_sign(&ticket, "wxappid", options);
        // Sorted: "1234", "1404896688", "GROUPON", "n", "ticket", "wxappid" (card_id empty).
        let expected = card_signature(["1234", "1404896688", "GROUPON", "n", "ticket", "wxappid"]);
        assert_eq!(sign.card_sign, expected);
        assert_eq!(sign.card_sign, "39da9884d35c9c6126f48fa43db4f8b4a1211460");
        let json = serde_json::to_value(&sign).unwrap();
        assert_eq!(json["signType"], "SHA1");
        assert_eq!(json["shopId"], "1234");
    }

    #[test]
    fn add_card_list_signs_each_card() {
        let ticket = ApiTicket::new("T");
        let list = add_card_list(
            &ticket,
            [
                ("a", CardExtOptions::new()),
                ("b", CardExtOptions::new().code("c")),
            ],
        );
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(json[0]["cardId"], "a");
        let ext: serde_json::Value =
            serde_json::from_str(json[1]["cardExt"].as_str().unwrap()).unwrap();
        assert_eq!(ext["code"], "c");
        let signature = card_signature([
            "T",
            ext["timestamp"].as_str().unwrap(),
            "b",
            ext["nonce_str"].as_str().unwrap(),
            "c",
        ]);
        assert_eq!(ext["signature"], signature.as_str());
    }
}
