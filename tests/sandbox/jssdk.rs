//! The two JS-SDK tickets, kept apart: the card api_ticket (`type=wx_card`) signs
//! cardExt, the jsapi_ticket (`type=jsapi`) signs wx.config; each client caches them
//! separately, and a cardExt signed with the jsapi_ticket is refused like a forged one.

use super::cards::create_discount;
use super::errcode;
use wechat_card::jssdk::{CardExtOptions, WxConfigOptions, card_ext, ticket_fingerprint};
use wechat_card::sandbox::Sandbox;
use wechat_card::types::WxCard;
use wechat_card::{ApiTicket, ErrCode};

#[tokio::test]
async fn the_jsapi_ticket_is_not_the_card_ticket_and_signs_no_card() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 10).await;

    let jsapi = client.jsapi_ticket().await.unwrap();
    let card = client.card_ticket().await.unwrap();
    assert_ne!(jsapi.expose(), card.expose());
    assert!(jsapi.expose().starts_with("sandbox_jsapi_ticket_"));
    // Cached: asked again, the same tickets, and no other request.
    let before = sandbox.requests("token.jsapi_ticket");
    assert_eq!(before, 1);
    assert_eq!(client.jsapi_ticket().await.unwrap(), jsapi);
    assert_eq!(client.card_ticket().await.unwrap(), card);
    assert_eq!(sandbox.requests("token.jsapi_ticket"), before);
    assert_eq!(sandbox.requests("token.card_ticket"), 1);

    // The types keep them apart; a caller who forces the jsapi_ticket into a card
    // signature gets WeChat's refusal (40080), and the explanation shows which ticket.
    let mixed = card_ext(
        &ApiTicket::new(jsapi.expose()),
        &card_id,
        CardExtOptions::new().openid("o_gina"),
    );
    assert!(
        mixed
            .explain()
            .signed
            .contains(&ticket_fingerprint(jsapi.expose()))
    );
    let refused = client
        .message()
        .send_card("o_gina", WxCard::signed(&card_id, &mixed))
        .await;
    assert_eq!(errcode(refused), ErrCode::InvalidCardExt);
    let right = client
        .card_ext(&card_id, CardExtOptions::new().openid("o_gina"))
        .await
        .unwrap();
    client
        .message()
        .send_card("o_gina", WxCard::signed(&card_id, &right))
        .await
        .unwrap();

    // wx.config signs with the jsapi_ticket: the explanation names it, masked.
    let appid = sandbox.credentials().appid().to_owned();
    let config = client
        .wx_config(
            &appid,
            "https://shop.example/c?id=1#x",
            WxConfigOptions::new(),
        )
        .await
        .unwrap();
    let explained = config.explain().to_string();
    assert!(
        explained.contains(&ticket_fingerprint(jsapi.expose())),
        "{explained}"
    );
    assert!(!explained.contains(jsapi.expose()), "{explained}");
    assert!(explained.ends_with(&format!(
        "&url=https://shop.example/c?id=1\") = {} (key=value pairs sorted by key, joined with &)",
        config.signature
    )));

    // Forgetting one ticket leaves the other cached.
    client.invalidate_jsapi_ticket().await.unwrap();
    assert_ne!(client.jsapi_ticket().await.unwrap(), jsapi);
    assert_eq!(client.card_ticket().await.unwrap(), card);
}

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_client_keeps_the_tickets_apart_too() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let jsapi = client.jsapi_ticket().unwrap();
    let card = client.card_ticket().unwrap();
    assert_ne!(jsapi.expose(), card.expose());
    assert_eq!(client.jsapi_ticket().unwrap(), jsapi);
    let config = client
        .wx_config(
            "wxappid",
            "http://mp.weixin.qq.com?params=value",
            WxConfigOptions::new(),
        )
        .unwrap();
    assert_eq!(config.url, "http://mp.weixin.qq.com?params=value");
    client.invalidate_jsapi_ticket();
    assert_ne!(client.jsapi_ticket().unwrap(), jsapi);
    assert_eq!(client.card_ticket().unwrap(), card);
}

/// Clients sharing a store (a `RedisStore` across a fleet, here a `MemoryStore`) share
/// each ticket, one fetch for all, each under its own key.
#[tokio::test]
async fn clients_sharing_a_store_share_each_ticket_apart() {
    use std::sync::Arc;
    use wechat_card::Client;
    use wechat_card::store::{MemoryStore, TokenStore};

    let sandbox = Sandbox::start().await.unwrap();
    let store = Arc::new(MemoryStore::new());
    let client = || {
        let credentials = sandbox.credentials().store(store.clone());
        Client::new(sandbox.config(), credentials).unwrap()
    };
    let (a, b) = (client(), client());
    let jsapi = a.jsapi_ticket().await.unwrap();
    assert_eq!(b.jsapi_ticket().await.unwrap(), jsapi);
    let card = b.card_ticket().await.unwrap();
    assert_eq!(a.card_ticket().await.unwrap(), card);
    assert_eq!(sandbox.requests("token.jsapi_ticket"), 1);
    assert_eq!(sandbox.requests("token.card_ticket"), 1);
    let appid = sandbox.credentials().appid().to_owned();
    let stored = |kind: &str| {
        store
            .get(&format!("wechat-card:{appid}:{kind}"))
            .unwrap()
            .map(|t| t.value)
    };
    assert_eq!(stored("jsapi_ticket").as_deref(), Some(jsapi.expose()));
    assert_eq!(stored("wx_card_ticket").as_deref(), Some(card.expose()));
}
