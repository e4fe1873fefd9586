//! JS-SDK signatures: the `cardExt` of `wx.addCard` and the `cardSign` of
//! `wx.chooseCard` (official JS-SDK docs, 附录4 卡券扩展字段及签名生成算法), and the
//! `signature` of `wx.config` (附录1 JS-SDK使用权限签名算法).
//!
//! Two tickets, never interchangeable (each is its own type):
//!
//! | signature | ticket | fetched with | client |
//! |---|---|---|---|
//! | `cardExt`, `cardSign` | card [`ApiTicket`] | `getticket?type=wx_card` | `client.card_ticket()` |
//! | `wx.config` | [`JsapiTicket`] | `getticket?type=jsapi` | `client.jsapi_ticket()` |
//!
//! The card signatures are the SHA-1 of the **values** concatenated in byte-wise sorted
//! order; `wx.config`'s is the SHA-1 of `key=value` pairs sorted by key and joined with
//! `&`. They need no network: build them from a ticket you hold. Every signature has an
//! `explain()` showing the string that was hashed, its ticket masked, to compare with
//! WeChat's signature tool (微信 JS 接口签名校验工具) when the page says "invalid
//! signature" (`docs/jssdk.md`).
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
//! // What was signed, the ticket masked (its length and a fingerprint only).
//! assert_eq!(
//!     ext.explain().signed,
//!     r#"1404896688" + "jonyqin" + "jonyqin_1434008071" + "‹api_ticket: 29 bytes, sha1 4088e664›" + "pjZ8Yt1XGILfi-FUsewpnnolGgZk"#
//! );
//! ```

use crate::Error;
use crate::credentials::{ApiTicket, JsapiTicket};
use crate::validate::{Rule, Violation};
use serde::Serialize;
use sha1::{Digest, Sha1};
use std::fmt;

/// SHA-1 (lowercase hex) of the values sorted byte-wise and concatenated: WeChat's card
/// signature. Absent values are left out by the caller.
pub fn card_signature<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut values: Vec<&str> = values.into_iter().collect();
    values.sort_unstable();
    let digest = Sha1::digest(values.concat().as_bytes());
    format!("{digest:x}")
}

/// What a signature signed, for comparing with WeChat's signature tool: the parts in
/// the order they were hashed, the ticket masked. Its `Display` reads
/// `sha1("…") = <signature>`; the ticket shows as `‹api_ticket: N bytes, sha1 1a2b3c4d›`,
/// enough to tell which ticket it was (compare with [`ticket_fingerprint`] of yours)
/// and nothing to sign with.
#[derive(Clone, PartialEq, Eq)]
pub struct Explained {
    /// The hashed string, its ticket masked.
    pub signed: String,
    /// How the parts were joined, in words.
    pub how: &'static str,
    pub signature: String,
}

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sha1(\"{}\") = {} ({})",
            self.signed, self.signature, self.how
        )
    }
}

impl fmt::Debug for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The first 8 hex digits of a ticket's SHA-1: how [`Explained`] names the ticket it
/// masks. Compare it with the fingerprint of the ticket you expected.
pub fn ticket_fingerprint(ticket: &str) -> String {
    let digest = format!("{:x}", Sha1::digest(ticket.as_bytes()));
    digest[..8].to_owned()
}

fn mask(kind: &str, ticket: &str) -> String {
    format!(
        "‹{kind}: {} bytes, sha1 {}›",
        ticket.len(),
        ticket_fingerprint(ticket)
    )
}

/// A card signature and its explanation: the values sorted byte-wise (the ticket among
/// them), hashed concatenated, shown with `+` between them and the ticket masked.
fn sign_values<'a>(ticket: &'a ApiTicket, mut sorted: Vec<&'a str>) -> (String, Explained) {
    sorted.push(ticket.expose());
    sorted.sort_unstable();
    let signature = card_signature(sorted.iter().copied());
    let shown: Vec<String> = sorted
        .iter()
        .map(|v| match *v == ticket.expose() {
            true => mask("api_ticket", v),
            false => (*v).to_owned(),
        })
        .collect();
    let explained = Explained {
        signed: shown.join("\" + \""),
        how: "the values sorted byte-wise and concatenated; \" + \" only shows where they meet",
        signature: signature.clone(),
    };
    (signature, explained)
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
    /// What was signed (not part of the JSON).
    #[serde(skip)]
    signed: Explained,
}

impl fmt::Debug for CardExt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl CardExt {
    /// The JSON string `wx.addCard` takes as `cardExt` (a string, not an object:
    /// `cardList: [{cardId, cardExt: ext.to_json()}]`). Its keys are the docs' own
    /// (`code`, `openid`, `timestamp`, `nonce_str`, `fixed_begintimestamp`, `outer_str`,
    /// `signature`), absent ones left out; `timestamp` is a string, as the docs ask.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// What was signed: the sorted values (timestamp, card_id, code, openid,
    /// nonce_str and the api_ticket, masked) and the signature.
    pub fn explain(&self) -> &Explained {
        &self.signed
    }
}

/// Signs a `cardExt` for `card_id`: SHA-1 over api_ticket, timestamp, card_id, code,
/// openid and nonce_str (those present).
pub fn card_ext(ticket: &ApiTicket, card_id: &str, options: CardExtOptions) -> CardExt {
    let timestamp = options.timestamp.unwrap_or_else(now).to_string();
    let nonce_str = options.nonce_str.unwrap_or_else(nonce);
    let mut values = vec![timestamp.as_str(), card_id, nonce_str.as_str()];
    values.extend(options.code.as_deref());
    values.extend(options.openid.as_deref());
    let (signature, signed) = sign_values(ticket, values);
    CardExt {
        code: options.code,
        openid: options.openid,
        timestamp,
        nonce_str,
        fixed_begintimestamp: options.fixed_begintimestamp,
        outer_str: options.outer_str,
        signature,
        signed,
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
    /// What was signed (not part of the JSON).
    #[serde(skip)]
    signed: Explained,
}

impl ChooseCardSign {
    /// What was signed: the sorted values (app_id, location_id, timestamp, nonce_str,
    /// card_id, card_type and the api_ticket, masked) and the signature.
    pub fn explain(&self) -> &Explained {
        &self.signed
    }
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
    let (card_sign, signed) = sign_values(
        ticket,
        vec![appid, &shop_id, &ts, &nonce_str, &card_id, &card_type],
    );
    ChooseCardSign {
        shop_id,
        card_type,
        card_id,
        timestamp,
        nonce_str,
        sign_type: "SHA1",
        card_sign,
        signed,
    }
}

/// The timestamp and nonce of a `wx.config` signature: fresh unless given.
#[derive(Debug, Clone, Default)]
pub struct WxConfigOptions {
    timestamp: Option<u64>,
    nonce_str: Option<String>,
}

impl WxConfigOptions {
    pub fn new() -> Self {
        WxConfigOptions::default()
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
}

/// The signed part of `wx.config({debug, appId, timestamp, nonceStr, signature,
/// jsApiList})`, named as the JS-SDK takes it; add `jsApiList` on the page.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WxConfig {
    pub app_id: String,
    pub timestamp: u64,
    pub nonce_str: String,
    pub signature: String,
    /// The URL signed: the page's, without its `#fragment` (not part of the JSON).
    #[serde(skip)]
    pub url: String,
    #[serde(skip)]
    signed: Explained,
}

impl fmt::Debug for WxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WxConfig")
            .field("app_id", &self.app_id)
            .field("timestamp", &self.timestamp)
            .field("nonce_str", &self.nonce_str)
            .field("signature", &self.signature)
            .field("signed", &self.signed)
            .finish()
    }
}

impl WxConfig {
    /// What was signed: `jsapi_ticket=‹masked›&noncestr=…&timestamp=…&url=…` and the
    /// signature, to compare with WeChat's signature tool.
    pub fn explain(&self) -> &Explained {
        &self.signed
    }
}

/// Signs `wx.config` for the page at `url` (附录1): SHA-1 of
/// `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` (keys in ASCII order, values raw, not
/// URL-escaped). `url` is the page's full URL as the browser has it
/// (`location.href`); its `#fragment` is left out, as the docs require. A URL that is
/// not `http(s)://…`, or holds a non-ASCII character or a space (which `location.href`
/// holds percent-encoded), is refused: it could never match the page's.
///
/// ```
/// use wechat_card::JsapiTicket;
/// use wechat_card::jssdk::{WxConfigOptions, wx_config};
///
/// // The official example (附录1).
/// let ticket = JsapiTicket::new(
///     "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
/// );
/// let options = WxConfigOptions::new().timestamp(1414587457).nonce_str("Wm3WZYTPz0wzccnW");
/// let config = wx_config(&ticket, "wxappid", "http://mp.weixin.qq.com?params=value", options)?;
/// assert_eq!(config.signature, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
/// assert_eq!(
///     config.explain().signed,
///     "jsapi_ticket=‹jsapi_ticket: 86 bytes, sha1 ec6a6036›&noncestr=Wm3WZYTPz0wzccnW\
///      &timestamp=1414587457&url=http://mp.weixin.qq.com?params=value"
/// );
/// # Ok::<(), wechat_card::Error>(())
/// ```
pub fn wx_config(
    ticket: &JsapiTicket,
    appid: &str,
    url: &str,
    options: WxConfigOptions,
) -> Result<WxConfig, Error> {
    let url = url.split('#').next().unwrap_or_default();
    let refuse = |expected, because| {
        Err(Error::InvalidRequest {
            endpoint: "jssdk.wx_config",
            violations: vec![Violation {
                field: "url".into(),
                rule: Rule::Check { expected, because },
            }],
        })
    };
    let web = url.strip_prefix("https://").or(url.strip_prefix("http://"));
    if web.is_none_or(str::is_empty) {
        return refuse(
            "must be an http:// or https:// URL",
            "wx.config signs the full URL of the page that calls it",
        );
    }
    // The JS-SDK sends `location.href`, which a browser always holds percent-encoded
    // (and an IDN host in punycode): a URL with a raw `卡券` or space never matches it.
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return refuse(
            "must be ASCII without spaces, as the browser's location.href has it",
            "WeChat checks the signature against location.href, where non-ASCII characters \
             and spaces are percent-encoded (%E5%8D%A1, %20): sign that form",
        );
    }
    let timestamp = options.timestamp.unwrap_or_else(now);
    let nonce_str = options.nonce_str.unwrap_or_else(nonce);
    // Keys already in ASCII order: jsapi_ticket < noncestr < timestamp < url.
    let joined = |ticket: &str| {
        format!("jsapi_ticket={ticket}&noncestr={nonce_str}&timestamp={timestamp}&url={url}")
    };
    let signature = format!("{:x}", Sha1::digest(joined(ticket.expose()).as_bytes()));
    let signed = Explained {
        signed: joined(&mask("jsapi_ticket", ticket.expose())),
        how: "key=value pairs sorted by key, joined with &",
        signature: signature.clone(),
    };
    Ok(WxConfig {
        app_id: appid.to_owned(),
        timestamp,
        nonce_str,
        signature,
        url: url.to_owned(),
        signed,
    })
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

    const OFFICIAL_JSAPI_TICKET: &str =
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";

    fn official_wx_config(url: &str) -> Result<WxConfig, Error> {
        let options = WxConfigOptions::new()
            .timestamp(1414587457)
            .nonce_str("Wm3WZYTPz0wzccnW");
        wx_config(
            &JsapiTicket::new(OFFICIAL_JSAPI_TICKET),
            "wxappid",
            url,
            options,
        )
    }

    #[test]
    fn the_official_wx_config_example() {
        // JS-SDK docs, 附录1: jsapi_ticket, noncestr=Wm3WZYTPz0wzccnW, timestamp=1414587457,
        // url=http://mp.weixin.qq.com?params=value -> 0f9de62fce790f9a083d5c99e95740ceb90c27ed.
        let config = official_wx_config("http://mp.weixin.qq.com?params=value").unwrap();
        assert_eq!(config.signature, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "appId": "wxappid",
                "timestamp": 1414587457,
                "nonceStr": "Wm3WZYTPz0wzccnW",
                "signature": "0f9de62fce790f9a083d5c99e95740ceb90c27ed",
            })
        );
    }

    #[test]
    fn wx_config_signs_the_url_without_its_fragment() {
        let plain = official_wx_config("http://mp.weixin.qq.com?params=value").unwrap();
        let fragment = official_wx_config("http://mp.weixin.qq.com?params=value#/cards/7").unwrap();
        assert_eq!(fragment.signature, plain.signature);
        assert_eq!(fragment.url, "http://mp.weixin.qq.com?params=value");
        let other = official_wx_config("http://mp.weixin.qq.com?params=other").unwrap();
        assert_ne!(other.signature, plain.signature);
    }

    #[test]
    fn wx_config_refuses_what_cannot_be_a_page_url() {
        for url in [
            "",
            "#top",
            "mp.weixin.qq.com/page",
            "https://",
            "ftp://host/x",
        ] {
            let err = official_wx_config(url).unwrap_err();
            assert_eq!(
                err.to_string(),
                "invalid jssdk.wx_config request: `url` must be an http:// or https:// URL: \
                 wx.config signs the full URL of the page that calls it",
                "{url:?}"
            );
        }
    }

    #[test]
    fn wx_config_refuses_a_url_the_browser_would_hold_encoded() {
        for url in [
            "https://shop.example/卡券?id=7",
            "https://shop.example/cards?q=a b",
            "https://卡券.example/",
            "https://shop.example/\tcards",
        ] {
            let err = official_wx_config(url).unwrap_err();
            assert!(
                err.to_string().contains(
                    "must be ASCII without spaces, as the browser's location.href has it"
                ),
                "{url:?}: {err}"
            );
        }
        // The form location.href has is signed as it is; a fragment's text is not looked at.
        let encoded =
            official_wx_config("https://shop.example/%E5%8D%A1%E5%88%B8?q=a%20b#卡 券").unwrap();
        assert_eq!(
            encoded.url,
            "https://shop.example/%E5%8D%A1%E5%88%B8?q=a%20b"
        );
    }

    #[test]
    fn explanations_never_show_a_ticket() {
        let config = official_wx_config("https://shop.example/").unwrap();
        let card = ApiTicket::new("CARD_TICKET_SECRET");
        let ext = card_ext(&card, "pCard", CardExtOptions::new().code("c1"));
        let choose = choose_card_sign(&card, "wxappid", ChooseCardOptions::new());
        for shown in [
            config.explain().to_string(),
            format!("{config:?}"),
            ext.explain().to_string(),
            format!("{ext:?}"),
            choose.explain().to_string(),
            format!("{choose:?}"),
        ] {
            assert!(!shown.contains(OFFICIAL_JSAPI_TICKET), "{shown}");
            assert!(!shown.contains("CARD_TICKET_SECRET"), "{shown}");
        }
        assert!(ext.explain().signed.contains(&format!(
            "sha1 {}",
            ticket_fingerprint("CARD_TICKET_SECRET")
        )));
        // The explanation is exactly what was hashed, once the ticket is put back.
        let unmasked = ext.explain().signed.replace(
            &mask("api_ticket", "CARD_TICKET_SECRET"),
            "CARD_TICKET_SECRET",
        );
        let hashed = format!(
            "{:x}",
            Sha1::digest(unmasked.replace("\" + \"", "").as_bytes())
        );
        assert_eq!(hashed, ext.signature);
        let unmasked = config.explain().signed.replace(
            &mask("jsapi_ticket", OFFICIAL_JSAPI_TICKET),
            OFFICIAL_JSAPI_TICKET,
        );
        let hashed = format!("{:x}", Sha1::digest(unmasked.as_bytes()));
        assert_eq!(hashed, config.signature);
    }

    #[test]
    fn choose_card_explains_its_sorted_values() {
        let ticket = ApiTicket::new("ticket");
        let options = ChooseCardOptions::new()
            .shop_id("1234")
            .card_type("GROUPON")
            .timestamp(1404896688)
            .nonce_str("n");
        let sign = choose_card_sign(&ticket, "wxappid", options);
        // card_id is empty: an empty value sorts first and adds nothing.
        assert_eq!(
            sign.explain().signed,
            format!(
                r#"" + "1234" + "1404896688" + "GROUPON" + "n" + "{}" + "wxappid"#,
                mask("api_ticket", "ticket")
            )
        );
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
