//! The shortcuts with a signed or a keyed argument, beyond their generated conformance
//! tests: a type the spec does not know, the rules still checked through `extra`, and the
//! edges of a signed number. Both clients.

#[path = "support/cards.rs"]
#[allow(dead_code)] // the member card is for the sandbox tests
mod cards;

use serde_json::{Value, json};
use wechat_card::types::{BaseInfoUpdate, CardType};
use wechat_card::{Config, Error, StaticToken};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CARD: &str = "pFS7Fjg8kV1IdDz01r4SQwMkuCKc";

/// A WeChat that answers `path` with errcode 0 only for exactly `body`.
async fn expecting(at: &str, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at))
        .and(body_json(body))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    server
}

fn config(server: &MockServer) -> Config {
    Config::new().base_url(server.uri())
}

fn assert_refused(err: Error, field: &str, rule: &str) {
    match &err {
        Error::InvalidRequest { violations, .. } => assert!(
            violations
                .iter()
                .any(|v| v.field == field && v.rule.name() == rule),
            "expected `{field}` {rule}: {err}"
        ),
        other => panic!("expected an invalid request, got {other}"),
    }
}

#[cfg(feature = "async")]
mod asynchronous {
    use super::*;
    use wechat_card::Client;

    #[tokio::test]
    async fn an_unknown_card_type_is_keyed_by_its_lowercase_value() {
        let body = json!({ "card_id": CARD, "new_type": { "base_info": { "notice": "出示" } } });
        let server = expecting("/card/update", body).await;
        let client = Client::new(config(&server), StaticToken::new("T")).unwrap();
        let base_info = BaseInfoUpdate::new().notice("出示");
        client
            .card()
            .update_base_info(CARD, CardType::Unknown("NEW_TYPE".into()), base_info)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn base_info_under_an_undescribed_key_is_still_checked() {
        let server = MockServer::start().await;
        let client = Client::new(config(&server), StaticToken::new("T")).unwrap();
        let too_long = BaseInfoUpdate::new().notice("一二三四五六七八九十一二三四五六七");
        let err = client
            .card()
            .update_base_info(CARD, CardType::LuckyMoney, too_long)
            .await
            .unwrap_err();
        assert_refused(err, "lucky_money.base_info.notice", "max_chars");
        // The described keys' rule holds as well: the same value under a typed key.
        let too_long = BaseInfoUpdate::new().notice("一二三四五六七八九十一二三四五六七");
        let err = client
            .card()
            .update_base_info(CARD, CardType::Cash, too_long)
            .await
            .unwrap_err();
        assert_refused(err, "cash.base_info.notice", "max_chars");
        let err = client
            .card()
            .update_base_info("", CardType::GeneralCard, BaseInfoUpdate::new())
            .await
            .unwrap_err();
        assert_refused(err, "card_id", "required");
        let err = client
            .card()
            .update_base_info(
                CARD,
                CardType::Unknown(String::new()),
                BaseInfoUpdate::new(),
            )
            .await
            .unwrap_err();
        assert_refused(err, "", "check");
        // A type whose key the request already sends would put that key in twice.
        for taken in ["CARD_ID", "card_id"] {
            let err = client
                .card()
                .update_base_info(CARD, CardType::Unknown(taken.into()), BaseInfoUpdate::new())
                .await
                .unwrap_err();
            assert_refused(err, "", "check");
        }
        assert!(
            server.received_requests().await.unwrap().is_empty(),
            "nothing sent"
        );
    }

    #[tokio::test]
    async fn a_negative_delta_reduces_the_stock() {
        let body = json!({ "card_id": CARD, "reduce_stock_value": 5 });
        let server = expecting("/card/modifystock", body).await;
        let client = Client::new(config(&server), StaticToken::new("T")).unwrap();
        client.card().change_stock(CARD, -5).await.unwrap();
    }

    #[tokio::test]
    async fn the_smallest_i64_has_no_opposite_and_is_refused() {
        let server = MockServer::start().await;
        let client = Client::new(config(&server), StaticToken::new("T")).unwrap();
        let err = client
            .card()
            .change_stock(CARD, i64::MIN)
            .await
            .unwrap_err();
        assert_refused(err, "delta", "min");
        let err = client.card().change_stock(CARD, 0).await.unwrap_err();
        assert!(err.to_string().contains("`delta` must not be 0"), "{err}");
        assert!(
            server.received_requests().await.unwrap().is_empty(),
            "nothing sent"
        );
    }
}

/// The sandbox agrees: the shortcuts change what card/get reads back.
#[cfg(feature = "async")]
#[tokio::test]
async fn the_sandbox_applies_both_shortcuts() {
    use wechat_card::card::CardGetRequest;
    let sandbox = wechat_card::sandbox::Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = cards::create_discount(&client, 10).await;
    client.card().change_stock(&card_id, -3).await.unwrap();
    client.card().change_stock(&card_id, 5).await.unwrap();
    let notice = BaseInfoUpdate::new().notice("请出示二维码");
    client
        .card()
        .update_base_info(&card_id, CardType::Discount, notice)
        .await
        .unwrap();
    let card = client
        .card()
        .get(&CardGetRequest::new(&card_id))
        .await
        .unwrap()
        .card;
    let base = card
        .and_then(|c| c.discount)
        .and_then(|d| d.base_info)
        .unwrap();
    assert_eq!(base.notice.as_deref(), Some("请出示二维码"));
    assert_eq!(base.sku.and_then(|s| s.quantity), Some(12));
}

#[cfg(feature = "blocking")]
mod blocking {
    use super::*;
    use wechat_card::blocking::Client;

    fn serve(at: &str, body: Value) -> (tokio::runtime::Runtime, MockServer) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt.block_on(expecting(at, body));
        (rt, server)
    }

    #[test]
    fn general_card_and_lucky_money_are_keyed_too() {
        for (card_type, key) in [
            (CardType::GeneralCard, "general_card"),
            (CardType::LuckyMoney, "lucky_money"),
        ] {
            let body = json!({ "card_id": CARD, key: { "base_info": { "can_share": false } } });
            let (rt, server) = serve("/card/update", body);
            let client = Client::new(config(&server), StaticToken::new("T")).unwrap();
            let base_info = BaseInfoUpdate::new().can_share(false);
            client
                .card()
                .update_base_info(CARD, card_type, base_info)
                .unwrap();
            rt.block_on(server.verify());
        }
    }

    #[test]
    fn a_negative_delta_reduces_the_stock() {
        let body = json!({ "card_id": CARD, "reduce_stock_value": 5 });
        let (rt, server) = serve("/card/modifystock", body);
        let client = Client::new(config(&server), StaticToken::new("T")).unwrap();
        client.card().change_stock(CARD, -5).unwrap();
        rt.block_on(server.verify());
    }
}
