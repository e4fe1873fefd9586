//! The coin account (券点) that buys Friends' coupons' stock: opened once with 200 free
//! coins; a quote is priced per voucher, good once and for 60 seconds; confirm spends
//! exactly the quote (free coins first) and adds exactly its stock, or changes nothing;
//! a recharge arrives when it is paid; every movement is an order the queries list.
//! Through the async and the blocking client, and the control action over HTTP.

use super::cards::{create_discount, discount_card};
use super::errcode;
use super::net::Http;
use std::time::Duration;
use wechat_card::ErrCode;
use wechat_card::coin::{
    CoinActivateRequest, CoinConfirmRequest, CoinGetCoinsInfoRequest, CoinGetOrderListRequest,
    CoinGetOrderRequest, CoinGetPayPriceRequest, CoinOrderFilter, CoinOrderSort,
    CoinRechargeRequest,
};
use wechat_card::sandbox::Sandbox;
use wechat_card::types::{CoinOrderStatus, CoinOrderType, CoinSortKey, CoinSortType, UseCondition};

/// (free, paid, total) coins as the account reports them.
async fn balance(client: &wechat_card::Client) -> (String, String, String) {
    let info = client
        .coin()
        .get_coins_info(&CoinGetCoinsInfoRequest::new())
        .await
        .unwrap();
    (
        info.free_coin.unwrap(),
        info.pay_coin.unwrap(),
        info.total_coin.unwrap(),
    )
}

fn coins(free: &str, paid: &str, total: &str) -> (String, String, String) {
    (free.into(), paid.into(), total.into())
}

fn orders_of(kind: CoinOrderType) -> CoinGetOrderListRequest {
    CoinGetOrderListRequest::new(50).order_type(kind)
}

#[tokio::test]
async fn a_quote_confirmed_spends_its_coins_and_adds_its_stock_once() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let coin = client.coin();
    let card_id = create_discount(&client, 10).await;

    // Nothing before the account is open.
    let quote = CoinGetPayPriceRequest::new(card_id.as_str(), 5);
    assert_eq!(
        errcode(coin.get_pay_price(&quote).await),
        ErrCode::ApiUnauthorized
    );
    let opened = coin.activate(&CoinActivateRequest::new()).await.unwrap();
    assert_eq!(opened.reward, Some(200));
    assert_eq!(balance(&client).await, coins("200", "0", "200"));
    // The reward is given once.
    assert_eq!(
        errcode(coin.activate(&CoinActivateRequest::new()).await),
        ErrCode::InvalidArgs
    );

    // 0.2 券点 a voucher without threshold.
    let priced = coin.get_pay_price(&quote).await.unwrap();
    assert_eq!(priced.price.as_deref(), Some("1"));
    assert_eq!(priced.free_coin.as_deref(), Some("1"));
    assert_eq!(priced.pay_coin.as_deref(), Some("0"));
    let order_id = priced.order_id.unwrap();
    // A quote is for its card and quantity only.
    let other_quantity = CoinConfirmRequest::new(card_id.as_str(), order_id.as_str(), 6);
    assert_eq!(
        errcode(coin.confirm(&other_quantity).await),
        ErrCode::InvalidArgs
    );
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 10);

    let confirm = CoinConfirmRequest::new(card_id.as_str(), order_id.as_str(), 5);
    coin.confirm(&confirm).await.unwrap();
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 15);
    assert_eq!(balance(&client).await, coins("199", "0", "199"));

    // Used once: a second confirm changes nothing.
    assert_eq!(errcode(coin.confirm(&confirm).await), ErrCode::InvalidArgs);
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 15);
    assert_eq!(balance(&client).await, coins("199", "0", "199"));

    // The spending is an order, under the quote's id.
    let spent = coin
        .get_order(&CoinGetOrderRequest::new(order_id.as_str()))
        .await
        .unwrap()
        .order_info
        .unwrap();
    assert_eq!(spent.order_type, Some(CoinOrderType::Reduce));
    assert_eq!(spent.status, Some(CoinOrderStatus::QuantitySucc));
    assert_eq!(spent.free_coin_count.as_deref(), Some("1"));
    assert_eq!(spent.pay_coin_count.as_deref(), Some("0"));
    let listed = coin
        .get_order_list(&orders_of(CoinOrderType::Reduce))
        .await
        .unwrap();
    assert_eq!(listed.total_num, Some(1));
    assert_eq!(
        listed.order_list.unwrap()[0].order_id.as_deref(),
        Some(order_id.as_str())
    );
}

#[tokio::test]
async fn a_short_balance_or_a_stale_quote_is_refused_and_changes_nothing() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let coin = client.coin();
    let card_id = create_discount(&client, 10).await;
    coin.activate(&CoinActivateRequest::new()).await.unwrap();

    // 1001 vouchers cost 200.2 券点: 0.2 more than the free coins.
    let priced = coin
        .get_pay_price(&CoinGetPayPriceRequest::new(card_id.as_str(), 1001))
        .await
        .unwrap();
    assert_eq!(priced.price.as_deref(), Some("200.2"));
    assert_eq!(priced.free_coin.as_deref(), Some("200"));
    assert_eq!(priced.pay_coin.as_deref(), Some("0.2"));
    let order_id = priced.order_id.unwrap();
    let confirm = CoinConfirmRequest::new(card_id.as_str(), order_id.as_str(), 1001);
    assert_eq!(errcode(coin.confirm(&confirm).await), ErrCode::InvalidArgs);
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 10);
    assert_eq!(balance(&client).await, coins("200", "0", "200"));
    let reduced = coin
        .get_order_list(&orders_of(CoinOrderType::Reduce))
        .await
        .unwrap();
    assert_eq!(reduced.total_num, Some(0));

    // A quote lasts 60 seconds.
    let priced = coin
        .get_pay_price(&CoinGetPayPriceRequest::new(card_id.as_str(), 5))
        .await
        .unwrap();
    sandbox.advance_clock(Duration::from_secs(60));
    let late = CoinConfirmRequest::new(card_id.as_str(), priced.order_id.unwrap(), 5);
    assert_eq!(errcode(coin.confirm(&late).await), ErrCode::InvalidArgs);
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 10);
    assert_eq!(balance(&client).await, coins("200", "0", "200"));

    // Nor can a made-up order id buy anything.
    let made_up = CoinConfirmRequest::new(card_id.as_str(), "P-not-a-quote", 5);
    assert_eq!(errcode(coin.confirm(&made_up).await), ErrCode::InvalidArgs);
}

#[tokio::test]
async fn a_recharge_arrives_when_paid_and_is_spent_after_the_free_coins() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let coin = client.coin();
    let card_id = create_discount(&client, 10).await;
    coin.activate(&CoinActivateRequest::new()).await.unwrap();

    let recharge = coin.recharge(&CoinRechargeRequest::new(5)).await.unwrap();
    let order_id = recharge.order_id.unwrap();
    assert!(recharge.qrcode_url.unwrap().contains(&order_id));
    assert!(!recharge.qrcode_buffer.unwrap().is_empty());
    let order = |id: &str| {
        let request = CoinGetOrderRequest::new(id);
        let coin = client.coin();
        async move { coin.get_order(&request).await.unwrap().order_info.unwrap() }
    };
    let waiting = order(&order_id).await;
    assert_eq!(waiting.status, Some(CoinOrderStatus::Waiting));
    assert_eq!(waiting.order_type, Some(CoinOrderType::Wxpay));
    assert_eq!(waiting.pay_finish_time, Some(0));
    assert_eq!(balance(&client).await, coins("200", "0", "200"));

    sandbox.pay_recharge(&order_id).unwrap();
    let paid = order(&order_id).await;
    assert_eq!(paid.status, Some(CoinOrderStatus::FinanceSucc));
    assert!(paid.pay_finish_time.unwrap() > 0);
    assert!(paid.openid.is_some());
    assert_eq!(balance(&client).await, coins("200", "5", "205"));
    // Paid once.
    assert!(sandbox.pay_recharge(&order_id).is_err());
    assert_eq!(balance(&client).await, coins("200", "5", "205"));

    // 1001 vouchers now fit: the free coins go first, then 0.2 paid ones.
    let priced = coin
        .get_pay_price(&CoinGetPayPriceRequest::new(card_id.as_str(), 1001))
        .await
        .unwrap();
    let confirm = CoinConfirmRequest::new(card_id.as_str(), priced.order_id.unwrap(), 1001);
    coin.confirm(&confirm).await.unwrap();
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 1011);
    assert_eq!(balance(&client).await, coins("0", "4.8", "4.8"));
}

#[tokio::test]
async fn a_card_with_a_threshold_costs_twice_as_much() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let mut request = discount_card(10);
    let discount = request.card.discount.as_mut().unwrap();
    let advanced = discount.advanced_info.get_or_insert_with(Default::default);
    advanced.use_condition = Some(Box::new(UseCondition::default().least_cost(10_000)));
    let card_id = client
        .card()
        .create(&request)
        .await
        .unwrap()
        .card_id
        .unwrap();
    client
        .coin()
        .activate(&CoinActivateRequest::new())
        .await
        .unwrap();
    let priced = client
        .coin()
        .get_pay_price(&CoinGetPayPriceRequest::new(card_id.as_str(), 5))
        .await
        .unwrap();
    assert_eq!(priced.price.as_deref(), Some("2"));
}

#[tokio::test]
async fn orders_are_listed_by_type_state_time_and_page() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let coin = client.coin();
    coin.activate(&CoinActivateRequest::new()).await.unwrap();
    let mut recharges = Vec::new();
    for count in [1, 2, 3] {
        sandbox.advance_clock(Duration::from_secs(10));
        let made = coin
            .recharge(&CoinRechargeRequest::new(count))
            .await
            .unwrap();
        recharges.push(made.order_id.unwrap());
    }
    sandbox.pay_recharge(&recharges[1]).unwrap();
    let list = |request: CoinGetOrderListRequest| {
        let coin = client.coin();
        async move {
            let reply = coin.get_order_list(&request).await.unwrap();
            let ids: Vec<String> = reply
                .order_list
                .unwrap()
                .into_iter()
                .map(|o| o.order_id.unwrap())
                .collect();
            (reply.total_num.unwrap(), ids)
        }
    };

    // The reward and the three recharges, oldest first.
    let (total, ids) = list(CoinGetOrderListRequest::new(10)).await;
    assert_eq!(total, 4);
    assert_eq!(ids[1..], recharges[..]);
    let (total, ids) = list(orders_of(CoinOrderType::Wxpay)).await;
    assert_eq!((total, ids), (3, recharges.clone()));
    // Leaving out the unpaid ones.
    let paid = orders_of(CoinOrderType::Wxpay)
        .nor_filter(CoinOrderFilter::default().status(CoinOrderStatus::Waiting));
    assert_eq!(list(paid).await, (1, vec![recharges[1].clone()]));
    // Newest first, a page of one after the first.
    let mut newest = orders_of(CoinOrderType::Wxpay)
        .sort_info(
            CoinOrderSort::default()
                .sort_key(CoinSortKey::SortByTime)
                .sort_type(CoinSortType::Desc),
        )
        .offset(1);
    newest.count = 1;
    assert_eq!(list(newest).await, (3, vec![recharges[1].clone()]));
    // A window: only the first recharge's second.
    let first = coin
        .get_order(&CoinGetOrderRequest::new(recharges[0].as_str()))
        .await
        .unwrap()
        .order_info
        .unwrap()
        .create_time
        .unwrap();
    let window = orders_of(CoinOrderType::Wxpay)
        .begin_time(first)
        .end_time(first);
    assert_eq!(list(window).await, (1, vec![recharges[0].clone()]));
    // Without a window, a week back: a week later only what came since.
    sandbox.advance_clock(Duration::from_secs(8 * 24 * 3600));
    assert_eq!(
        list(CoinGetOrderListRequest::new(10)).await,
        (0, Vec::new())
    );
}

#[test]
fn the_whole_life_through_the_blocking_client() {
    let sandbox = Sandbox::builder().start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let coin = client.coin();
    let card_id = client
        .card()
        .create(&discount_card(10))
        .unwrap()
        .card_id
        .unwrap();
    assert_eq!(
        coin.activate(&CoinActivateRequest::new()).unwrap().reward,
        Some(200)
    );
    let recharge = coin.recharge(&CoinRechargeRequest::new(1)).unwrap();
    sandbox.pay_recharge(&recharge.order_id.unwrap()).unwrap();
    let priced = coin
        .get_pay_price(&CoinGetPayPriceRequest::new(card_id.as_str(), 1005))
        .unwrap();
    assert_eq!(priced.price.as_deref(), Some("201"));
    let order_id = priced.order_id.unwrap();
    let confirm = CoinConfirmRequest::new(card_id.as_str(), order_id.as_str(), 1005);
    coin.confirm(&confirm).unwrap();
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 1015);
    let info = coin
        .get_coins_info(&CoinGetCoinsInfoRequest::new())
        .unwrap();
    assert_eq!(info.total_coin.as_deref(), Some("0"));
    assert_eq!(errcode(coin.confirm(&confirm)), ErrCode::InvalidArgs);
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 1015);
    let listed = coin
        .get_order_list(&CoinGetOrderListRequest::new(10))
        .unwrap();
    let kinds: Vec<_> = listed
        .order_list
        .unwrap()
        .into_iter()
        .map(|o| o.order_type.unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            CoinOrderType::SysAdd,
            CoinOrderType::Wxpay,
            CoinOrderType::Reduce
        ]
    );
}

#[tokio::test]
async fn pay_recharge_over_http_is_read_strictly() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    client
        .coin()
        .activate(&CoinActivateRequest::new())
        .await
        .unwrap();
    let order_id = client
        .coin()
        .recharge(&CoinRechargeRequest::new(7))
        .await
        .unwrap()
        .order_id
        .unwrap();
    let url = format!("{}/sandbox/pay_recharge", sandbox.url());
    let post = |body: String| http(url.clone(), Some(body));
    let (status, reply) = post(r#"{"orderid": "1"}"#.into()).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (400, Some("invalid_body"))
    );
    let body = format!(r#"{{"order_id": "{order_id}", "openid": "o_boss"}}"#);
    let (status, reply) = post(body.clone()).await;
    assert_eq!((status, reply["errcode"].as_i64()), (200, Some(0)));
    let paid = client
        .coin()
        .get_order(&CoinGetOrderRequest::new(order_id.as_str()))
        .await
        .unwrap()
        .order_info
        .unwrap();
    assert_eq!(paid.openid.as_deref(), Some("o_boss"));
    assert_eq!(balance(&client).await, coins("200", "7", "207"));
    // Paid already: WeChat's kind of refusal, HTTP 200 with the errcode.
    let (status, reply) = post(body).await;
    assert_eq!((status, reply["errcode"].as_i64()), (200, Some(40097)));
}

/// `GET` (no body) or `POST` `body` to `url` on a blocking thread: the status and JSON.
async fn http(url: String, body: Option<String>) -> (u16, serde_json::Value) {
    tokio::task::spawn_blocking(move || {
        let http = Http::new(String::new());
        match body {
            Some(body) => http.post_raw(&url, &body),
            None => http.get(&url),
        }
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_pages_quote_example_is_taken_as_written() {
    // Its POST数据 writes the quantity as a string ("1"), its table as an int.
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 10).await;
    let base = sandbox.url();
    let token = raw_token(&sandbox).await;
    let (_, opened) = http(
        format!("{base}/card/pay/activate?access_token={token}"),
        None,
    )
    .await;
    assert_eq!(opened["reward"], 200);
    let body = format!(r#"{{"card_id": "{card_id}", "quantity": "1"}}"#);
    let url = format!("{base}/card/pay/getpayprice?access_token={token}");
    let (status, quote) = http(url, Some(body)).await;
    assert_eq!((status, quote["errcode"].as_i64()), (200, Some(0)));
    assert_eq!(quote["price"], "0.2");
}

/// An access token for raw HTTP calls to the sandbox.
async fn raw_token(sandbox: &Sandbox) -> String {
    let base = sandbox.url();
    let (_, credentials) = http(format!("{base}/sandbox/credentials"), None).await;
    let token_url = format!(
        "{base}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        credentials["appid"].as_str().unwrap(),
        credentials["secret"].as_str().unwrap()
    );
    let (_, token) = http(token_url, None).await;
    token["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_quantity_or_coin_count_past_the_ceiling_is_refused_naming_it() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    client
        .coin()
        .activate(&CoinActivateRequest::new())
        .await
        .unwrap();
    let card_id = create_discount(&client, 10).await;
    let (base, token) = (sandbox.url(), raw_token(&sandbox).await);
    // Sent raw, past the client's own check: the price would overflow.
    let body = format!(r#"{{"card_id": "{card_id}", "quantity": {}}}"#, i64::MAX);
    let url = format!("{base}/card/pay/getpayprice?access_token={token}");
    let (status, reply) = http(url, Some(body)).await;
    assert_eq!((status, reply["errcode"].as_i64()), (200, Some(40097)));
    assert!(
        reply["errmsg"].as_str().unwrap().contains("quantity"),
        "{reply}"
    );
    let body = format!(r#"{{"coin_count": {}}}"#, i64::MAX);
    let url = format!("{base}/card/pay/recharge?access_token={token}");
    let (status, reply) = http(url, Some(body)).await;
    assert_eq!((status, reply["errcode"].as_i64()), (200, Some(40097)));
    assert!(
        reply["errmsg"].as_str().unwrap().contains("coin_count"),
        "{reply}"
    );
    // No order was made, and the ceiling itself is accepted.
    let listed = client
        .coin()
        .get_order_list(&orders_of(CoinOrderType::Wxpay))
        .await
        .unwrap();
    assert_eq!(listed.total_num, Some(0));
    let quote = CoinGetPayPriceRequest::new(card_id.as_str(), 100_000_000);
    let priced = client.coin().get_pay_price(&quote).await.unwrap();
    assert_eq!(priced.price.as_deref(), Some("20000000"));
}

#[tokio::test]
async fn stock_past_the_cards_ceiling_is_refused_before_coins_are_spent() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let coin = client.coin();
    coin.activate(&CoinActivateRequest::new()).await.unwrap();
    let card_id = create_discount(&client, 100_000_000).await;
    let quote = CoinGetPayPriceRequest::new(card_id.as_str(), 1);
    let order_id = coin.get_pay_price(&quote).await.unwrap().order_id.unwrap();
    let confirm = CoinConfirmRequest::new(card_id.as_str(), order_id.as_str(), 1);
    let refused = coin.confirm(&confirm).await.unwrap_err();
    assert_eq!(refused.errcode(), Some(ErrCode::InvalidArgs));
    assert!(refused.to_string().contains("quantity"), "{refused}");
    assert_eq!(sandbox.stock(&card_id).unwrap().remaining, 100_000_000);
    assert_eq!(balance(&client).await, coins("200", "0", "200"));
}

#[tokio::test]
async fn a_deleted_card_is_neither_priced_nor_stocked() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let coin = client.coin();
    coin.activate(&CoinActivateRequest::new()).await.unwrap();
    let card_id = create_discount(&client, 10).await;
    let quote = CoinGetPayPriceRequest::new(card_id.as_str(), 5);
    let order_id = coin.get_pay_price(&quote).await.unwrap().order_id.unwrap();
    client
        .card()
        .delete(&wechat_card::card::CardDeleteRequest::new(&card_id))
        .await
        .unwrap();
    let confirm = CoinConfirmRequest::new(card_id.as_str(), order_id.as_str(), 5);
    assert_eq!(
        errcode(coin.confirm(&confirm).await),
        ErrCode::InvalidCardStatus
    );
    assert_eq!(balance(&client).await, coins("200", "0", "200"));
    assert_eq!(
        errcode(coin.get_pay_price(&quote).await),
        ErrCode::InvalidCardStatus
    );
    let spent = coin
        .get_order_list(&orders_of(CoinOrderType::Reduce))
        .await
        .unwrap();
    assert_eq!(spent.total_num, Some(0));
}
