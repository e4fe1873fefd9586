//! Gift cards end to end: a shelf put on sale, a user's purchase (`giftcard_pay_done`
//! pushed), the gift to a friend and its acceptance (`giftcard_send_to_friend`,
//! `giftcard_user_accept`), the order as the merchant reads it, a refund that happens
//! once and is refused the second time; through the async and the blocking client, and
//! the purchase as another language drives it, over the control API.

use super::cards::discount_card;
use super::errcode;
use super::net::{Http, sandbox_action};
use super::record_pushes;
use serde_json::json;
use wechat_card::gift_card::{
    GiftCardMaintainSetRequest, GiftCardOrderBatchGetRequest, GiftCardOrderGetRequest,
    GiftCardOrderRefundRequest, GiftCardPageAddRequest, GiftCardPageGetRequest,
};
use wechat_card::push::events::CardEvent;
use wechat_card::sandbox::{Delivery, GiftCardPurchase, Sandbox};
use wechat_card::types::{
    GiftCardItem, GiftCardPage, GiftCardPicItem, GiftCardTheme, UserCardStatus,
};
use wechat_card::{Client, ErrCode, code};

const BUYER: &str = "o_gift_buyer";
const FRIEND: &str = "o_gift_friend";

/// A shelf selling `card_id`, one card per order.
fn shelf(card_id: &str) -> GiftCardPageAddRequest {
    let theme = GiftCardTheme::new(
        "http://mmbiz.qpic.cn/theme.png",
        "感恩家人",
        "#FB966E",
        vec![GiftCardItem::new(card_id).title("100元礼品卡")],
        vec![GiftCardPicItem::new(
            "http://mmbiz.qpic.cn/face.png",
            "新年快乐",
        )],
    );
    GiftCardPageAddRequest::new(GiftCardPage::new(
        "礼品卡",
        "http://mmbiz.qpic.cn/banner.png",
        vec![theme],
    ))
}

/// A shelf selling `card_id` with `support_multi`: several cards per order, and sending
/// to a group.
fn multi_shelf(card_id: &str) -> GiftCardPageAddRequest {
    let mut request = shelf(card_id);
    request.page.support_multi = Some(true);
    request
}

/// The gift card events pushed, as (event, sender, order id).
fn gift_events(deliveries: &[Delivery]) -> Vec<(&'static str, String, String)> {
    deliveries
        .iter()
        .filter_map(|d| match &d.event {
            CardEvent::GiftcardPayDone(e) => Some((
                "pay_done",
                e.envelope.from_user_name.clone(),
                e.order_id.clone(),
            )),
            CardEvent::GiftcardSendToFriend(e) => Some((
                "send",
                e.envelope.from_user_name.clone(),
                e.order_id.clone(),
            )),
            CardEvent::GiftcardUserAccept(e) => Some((
                "accept",
                e.envelope.from_user_name.clone(),
                e.order_id.clone(),
            )),
            _ => None,
        })
        .collect()
}

async fn approved_card(sandbox: &Sandbox, client: &Client) -> String {
    let card_id = client.card().create(&discount_card(10)).await.unwrap();
    let card_id = card_id.card_id.expect("card_id");
    sandbox.approve(&card_id).unwrap();
    card_id
}

#[tokio::test]
async fn a_gift_card_is_bought_given_accepted_and_refunded_once() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let client = sandbox.client().unwrap();
    record_pushes(&sandbox);
    let card_id = approved_card(&sandbox, &client).await;
    let gift_card = client.gift_card();

    // The shelf, as the merchant reads it back.
    let page_id = gift_card
        .page_add(&shelf(&card_id))
        .await
        .unwrap()
        .page_id
        .unwrap();
    let page = gift_card
        .page_get(&GiftCardPageGetRequest::new(&page_id))
        .await
        .unwrap();
    let page = page.page.unwrap();
    assert_eq!(page.page_id.as_deref(), Some(page_id.as_str()));
    assert_eq!(page.page_title.as_deref(), Some("礼品卡"));

    // Off sale, nobody buys; back on sale, the buyer pays.
    let off = GiftCardMaintainSetRequest::new(true).page_id(&page_id);
    gift_card.maintain_set(&off).await.unwrap();
    let buyer = sandbox.user(BUYER);
    let purchase = GiftCardPurchase::new(&page_id, &card_id, 10000);
    assert_eq!(
        errcode(buyer.buy_gift_card(&purchase)),
        ErrCode::InvalidArgs
    );
    let on = GiftCardMaintainSetRequest::new(false).page_id(&page_id);
    gift_card.maintain_set(&on).await.unwrap();
    // One card per order unless the shelf says support_multi.
    let two = GiftCardPurchase {
        count: 2,
        ..purchase.clone()
    };
    assert_eq!(errcode(buyer.buy_gift_card(&two)), ErrCode::InvalidArgs);
    let bought = buyer.buy_gift_card(&purchase).unwrap();
    assert_eq!(bought.codes.len(), 1);
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 9);

    // The order: paid by the buyer, nobody accepted it yet.
    let get = GiftCardOrderGetRequest::new(&bought.order_id);
    let order = gift_card.order_get(&get).await.unwrap().order.unwrap();
    assert_eq!(order.open_id.as_deref(), Some(BUYER));
    assert_eq!(order.page_id.as_deref(), Some(page_id.as_str()));
    assert_eq!(order.total_price, Some(10000));
    assert_eq!(order.accepter_openid.as_deref(), Some(""));
    let listed = order.card_list.unwrap();
    assert_eq!(listed[0].code.as_ref(), Some(&bought.codes[0]));
    assert_eq!(listed[0].default_gifting_msg.as_deref(), Some("新年快乐"));

    // Only the buyer sends it; the friend accepts it, once.
    let friend = sandbox.user(FRIEND);
    assert!(friend.send_gift_card(&bought.order_id, false).is_err());
    assert!(
        friend.accept_gift_card(&bought.order_id).is_err(),
        "not sent yet"
    );
    buyer.send_gift_card(&bought.order_id, false).unwrap();
    let codes = friend.accept_gift_card(&bought.order_id).unwrap();
    assert_eq!(codes, bought.codes);
    assert!(friend.accept_gift_card(&bought.order_id).is_err());
    let order = gift_card.order_get(&get).await.unwrap().order.unwrap();
    assert_eq!(order.accepter_openid.as_deref(), Some(FRIEND));
    let held = client
        .code()
        .get(&code::CodeGetRequest::new(&codes[0]))
        .await
        .unwrap();
    assert_eq!(held.openid.as_deref(), Some(FRIEND));

    // The merchant's list of the day's orders holds it.
    let now = order.create_time.unwrap();
    let window = GiftCardOrderBatchGetRequest::new(now - 60, now + 60, 0, 10);
    let listed = gift_card.order_batch_get(&window).await.unwrap();
    assert_eq!(listed.total_count, Some(1));

    // Refunded once; the code is no longer usable; a second refund is refused.
    let refund = GiftCardOrderRefundRequest::new(&bought.order_id);
    gift_card.order_refund(&refund).await.unwrap();
    let held = client
        .code()
        .get(&code::CodeGetRequest::new(&codes[0]))
        .await
        .unwrap();
    assert_eq!(held.user_card_status, Some(UserCardStatus::Unavailable));
    let again = gift_card.order_refund(&refund).await;
    assert_eq!(errcode(again), ErrCode::InvalidArgs);

    // Paid, sent, accepted: pushed in that order, each by who did it.
    let deliveries = sandbox.flush_pushes().await;
    let order_id = bought.order_id.clone();
    assert_eq!(
        gift_events(&deliveries),
        [
            ("pay_done", BUYER.to_owned(), order_id.clone()),
            ("send", BUYER.to_owned(), order_id.clone()),
            ("accept", FRIEND.to_owned(), order_id),
        ]
    );
}

#[test]
fn a_gift_card_is_bought_given_accepted_and_refunded_once_blocking() {
    let sandbox = Sandbox::builder().review(None).start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    record_pushes(&sandbox);
    let card_id = client
        .card()
        .create(&discount_card(10))
        .unwrap()
        .card_id
        .unwrap();
    sandbox.approve(&card_id).unwrap();
    let gift_card = client.gift_card();
    let page_id = gift_card
        .page_add(&multi_shelf(&card_id))
        .unwrap()
        .page_id
        .unwrap();
    let pages = gift_card.page_batch_get(&Default::default()).unwrap();
    assert_eq!(pages.page_id_list.unwrap(), std::slice::from_ref(&page_id));

    let bought = sandbox
        .user(BUYER)
        .buy_gift_card(&GiftCardPurchase::new(&page_id, &card_id, 5000))
        .unwrap();
    sandbox
        .user(BUYER)
        .send_gift_card(&bought.order_id, true)
        .unwrap();
    sandbox
        .user(FRIEND)
        .accept_gift_card(&bought.order_id)
        .unwrap();
    let get = GiftCardOrderGetRequest::new(&bought.order_id);
    let order = gift_card.order_get(&get).unwrap().order.unwrap();
    assert_eq!(order.accepter_openid.as_deref(), Some(FRIEND));
    assert_eq!(order.is_chat_room, Some(true));

    let refund = GiftCardOrderRefundRequest::new(&bought.order_id);
    gift_card.order_refund(&refund).unwrap();
    assert_eq!(
        errcode(gift_card.order_refund(&refund)),
        ErrCode::InvalidArgs
    );

    let deliveries = sandbox.flush_pushes_blocking();
    let kinds: Vec<_> = gift_events(&deliveries).into_iter().map(|e| e.0).collect();
    assert_eq!(kinds, ["pay_done", "send", "accept"]);
    let accepted = deliveries.iter().find_map(|d| match &d.event {
        CardEvent::GiftcardUserAccept(e) => Some(e.is_chat_room),
        _ => None,
    });
    assert_eq!(accepted, Some(Some(true)), "accepted from the group chat");
}

/// The purchase as another language drives it: the control action's strict body, then
/// the order through the WeChat API.
#[test]
fn the_purchase_over_the_control_api() {
    let sandbox = Sandbox::builder().review(None).start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let card_id = client
        .card()
        .create(&discount_card(5))
        .unwrap()
        .card_id
        .unwrap();
    sandbox.approve(&card_id).unwrap();
    let page_id = client
        .gift_card()
        .page_add(&shelf(&card_id))
        .unwrap()
        .page_id
        .unwrap();
    let url = sandbox.url();

    // A malformed body is refused, naming the field; nothing is bought.
    let http = Http::new(url.clone());
    let malformed =
        json!({"openid": BUYER, "page_id": page_id, "card_id": card_id, "price": "100"});
    let (status, refused) = http.post_raw("/sandbox/buy_gift_card", &malformed.to_string());
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "invalid_body");
    assert_eq!(refused["field"], "price");
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 5);

    let body = json!({"openid": BUYER, "page_id": page_id, "card_id": card_id, "price": 100, "outer_str": "menu"});
    let bought = sandbox_action(&url, "buy_gift_card", body);
    assert_eq!(bought["errcode"], 0, "{bought}");
    let order_id = bought["order_id"].as_str().unwrap().to_owned();
    assert_eq!(bought["codes"].as_array().unwrap().len(), 1);
    let sent = sandbox_action(
        &url,
        "send_gift_card",
        json!({"openid": BUYER, "order_id": order_id}),
    );
    assert_eq!(sent["errcode"], 0, "{sent}");
    let accepted = sandbox_action(
        &url,
        "accept_gift_card",
        json!({"openid": FRIEND, "order_id": order_id}),
    );
    assert_eq!(accepted["codes"], bought["codes"]);

    let get = GiftCardOrderGetRequest::new(&order_id);
    let order = client.gift_card().order_get(&get).unwrap().order.unwrap();
    assert_eq!(order.outer_str.as_deref(), Some("menu"));
    assert_eq!(order.accepter_openid.as_deref(), Some(FRIEND));
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 4);
}

/// A shelf on sale, and an order of one card the buyer paid for: (page id, order id, code).
async fn bought(
    sandbox: &Sandbox,
    client: &Client,
    page: fn(&str) -> GiftCardPageAddRequest,
) -> (String, String, String) {
    let card_id = approved_card(sandbox, client).await;
    let page_id = client.gift_card().page_add(&page(&card_id)).await.unwrap();
    let page_id = page_id.page_id.unwrap();
    let purchase = GiftCardPurchase::new(&page_id, &card_id, 100);
    let bought = sandbox.user(BUYER).buy_gift_card(&purchase).unwrap();
    let code = bought.codes[0].clone();
    (page_id, bought.order_id, code)
}

async fn status(client: &Client, code: &str) -> (Option<UserCardStatus>, Option<String>) {
    let got = client
        .code()
        .get(&code::CodeGetRequest::new(code))
        .await
        .unwrap();
    (got.user_card_status, got.openid)
}

/// A code the buyer consumed, or already gave away with an ordinary gift, is not sent
/// again: the send is refused, nothing changes, the friend gets nothing; and the order
/// is not refunded either (40097), its consumed code staying consumed.
#[tokio::test]
async fn a_spent_order_is_neither_sent_nor_refunded() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let client = sandbox.client().unwrap();
    let (buyer, friend) = (sandbox.user(BUYER), sandbox.user(FRIEND));

    // Consumed.
    let (_, order_id, code) = bought(&sandbox, &client, shelf).await;
    client
        .code()
        .consume(&code::CodeConsumeRequest::new(&code))
        .await
        .unwrap();
    assert_eq!(
        errcode(buyer.send_gift_card(&order_id, false)),
        ErrCode::CardDeletedOrGifting
    );
    assert!(friend.accept_gift_card(&order_id).is_err(), "never sent");
    assert_eq!(
        status(&client, &code).await,
        (Some(UserCardStatus::Consumed), Some(BUYER.to_owned()))
    );
    let refund = GiftCardOrderRefundRequest::new(&order_id);
    assert_eq!(
        errcode(client.gift_card().order_refund(&refund).await),
        ErrCode::InvalidArgs
    );
    assert_eq!(
        status(&client, &code).await.0,
        Some(UserCardStatus::Consumed)
    );

    // Given away with the ordinary gift.
    let (_, order_id, code) = bought(&sandbox, &client, shelf).await;
    buyer.gift(&code, "o_someone_else").unwrap();
    assert_eq!(
        errcode(buyer.send_gift_card(&order_id, false)),
        ErrCode::CardDeletedOrGifting
    );
    assert!(friend.accept_gift_card(&order_id).is_err(), "never sent");
    let refund = GiftCardOrderRefundRequest::new(&order_id);
    assert_eq!(
        errcode(client.gift_card().order_refund(&refund).await),
        ErrCode::InvalidArgs
    );

    // Deleted by the buyer.
    let (_, order_id, code) = bought(&sandbox, &client, shelf).await;
    buyer.delete(&code).unwrap();
    assert_eq!(
        errcode(buyer.send_gift_card(&order_id, false)),
        ErrCode::CardDeletedOrGifting
    );
    let get = GiftCardOrderGetRequest::new(&order_id);
    let order = client
        .gift_card()
        .order_get(&get)
        .await
        .unwrap()
        .order
        .unwrap();
    assert_eq!(
        order.accepter_openid.as_deref(),
        Some(""),
        "still the buyer's"
    );

    // Refunded (codes unavailable, order refunded): not sent either.
    let (_, order_id, code) = bought(&sandbox, &client, shelf).await;
    client
        .gift_card()
        .order_refund(&GiftCardOrderRefundRequest::new(&order_id))
        .await
        .unwrap();
    assert!(buyer.send_gift_card(&order_id, false).is_err());
    assert_eq!(
        status(&client, &code).await.0,
        Some(UserCardStatus::Unavailable)
    );
}

/// Sending to a group needs a shelf with support_multi (一次购买多张及发送至群); the
/// refused send changes nothing, and a plain send still works after it.
#[tokio::test]
async fn a_group_send_needs_support_multi() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let client = sandbox.client().unwrap();
    let buyer = sandbox.user(BUYER);
    let (_, order_id, code) = bought(&sandbox, &client, shelf).await;
    assert_eq!(
        errcode(buyer.send_gift_card(&order_id, true)),
        ErrCode::InvalidArgs
    );
    assert_eq!(status(&client, &code).await.0, Some(UserCardStatus::Normal));
    buyer.send_gift_card(&order_id, false).unwrap();

    let (_, order_id, _) = bought(&sandbox, &client, multi_shelf).await;
    buyer.send_gift_card(&order_id, true).unwrap();
    let codes = sandbox.user(FRIEND).accept_gift_card(&order_id).unwrap();
    assert_eq!(
        status(&client, &codes[0]).await,
        (Some(UserCardStatus::Normal), Some(FRIEND.to_owned()))
    );
}

/// count is 1 to GiftCardPurchase::MAX_COUNT (the sandbox's limit), even on a
/// support_multi shelf; a count below 1 is refused for what it is.
#[tokio::test]
async fn an_order_holds_at_most_max_count_cards() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = approved_card(&sandbox, &client).await;
    let page_id = client
        .gift_card()
        .page_add(&multi_shelf(&card_id))
        .await
        .unwrap();
    let page_id = page_id.page_id.unwrap();
    let buyer = sandbox.user(BUYER);
    let purchase = |count| GiftCardPurchase {
        count,
        ..GiftCardPurchase::new(&page_id, &card_id, 1)
    };
    let too_many = buyer.buy_gift_card(&purchase(GiftCardPurchase::MAX_COUNT + 1));
    assert_eq!(errcode(too_many), ErrCode::InvalidArgs);
    let none = buyer.buy_gift_card(&purchase(0)).expect_err("no card");
    assert_eq!(none.errcode(), Some(ErrCode::InvalidArgs));
    assert!(!none.to_string().contains("support_multi"), "{none}");
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 10);
    assert_eq!(buyer.buy_gift_card(&purchase(2)).unwrap().codes.len(), 2);
}

/// Over the control API, count and price out of range are a 400 naming the field.
#[test]
fn the_control_api_names_a_bad_count_or_price() {
    let sandbox = Sandbox::builder().review(None).start_blocking().unwrap();
    let http = Http::new(sandbox.url());
    let base = json!({"openid": BUYER, "page_id": "p=", "card_id": "c", "price": 100});
    for (key, value, field) in [
        ("count", 0, "count"),
        ("count", 101, "count"),
        ("price", 0, "price"),
        ("price", -5, "price"),
    ] {
        let mut body = base.clone();
        body[key] = json!(value);
        let (status, refused) = http.post_raw("/sandbox/buy_gift_card", &body.to_string());
        assert_eq!(status, 400, "{body}");
        assert_eq!(refused["error"], "invalid_body");
        assert_eq!(refused["field"], field, "{refused}");
    }
}

/// order/batchget seeded with begin_time after end_time does not panic.
#[tokio::test]
async fn a_reversed_window_is_seeded_without_panicking() {
    let request = r#"{"begin_time": 1500000000, "end_time": 1400000000, "sort_type": "ASC", "offset": 0, "count": 2}"#;
    let reply = r#"{"errcode": 0, "errmsg": "ok", "total_count": 1, "order_list": [{"order_id": "Z1", "create_time": 123}]}"#;
    let sandbox = Sandbox::for_exchange("gift_card.order_batch_get", request, reply)
        .await
        .unwrap();
    let listed = sandbox
        .client()
        .unwrap()
        .gift_card()
        .order_batch_get(&GiftCardOrderBatchGetRequest::new(
            1400000000, 1500000000, 0, 2,
        ))
        .await
        .unwrap();
    assert!(listed.total_count.is_some());
}

/// What seeded shelves and orders point at exists: the card is approved and in stock,
/// so a user buys from a seeded shelf; a seeded order's code is held by its buyer.
#[tokio::test]
async fn seeded_gift_card_data_is_whole() {
    let request = r#"{}"#;
    let reply = r#"{"errcode": 0, "errmsg": "ok", "page_id_list": ["abcPage="]}"#;
    let sandbox = Sandbox::for_exchange("gift_card.page_batch_get", request, reply)
        .await
        .unwrap();
    let purchase = GiftCardPurchase::new("abcPage=", "pSandboxGiftCard0000000000001", 100);
    let bought = sandbox.user(BUYER).buy_gift_card(&purchase).unwrap();
    assert_eq!(bought.codes.len(), 1);

    let request = r#"{"order_id": "sandboxOrder1"}"#;
    let reply = r#"{"errcode": 0, "errmsg": "ok"}"#;
    let sandbox = Sandbox::for_exchange("gift_card.order_get", request, reply)
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    let get = GiftCardOrderGetRequest::new("sandboxOrder1");
    let order = client
        .gift_card()
        .order_get(&get)
        .await
        .unwrap()
        .order
        .unwrap();
    let code = order.card_list.unwrap()[0].code.clone().unwrap();
    let page_id = order.page_id.unwrap();
    let held = status(&client, &code).await;
    assert_eq!(held, (Some(UserCardStatus::Normal), order.open_id.clone()));
    client
        .gift_card()
        .page_get(&GiftCardPageGetRequest::new(&page_id))
        .await
        .unwrap();
    // And the order goes on: sent and accepted.
    let buyer = order.open_id.unwrap();
    sandbox
        .user(&buyer)
        .send_gift_card("sandboxOrder1", false)
        .unwrap();
    sandbox
        .user(FRIEND)
        .accept_gift_card("sandboxOrder1")
        .unwrap();
}
