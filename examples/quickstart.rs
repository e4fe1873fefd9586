//! The whole life of a coupon against the embedded sandbox: create it, have it
//! approved, hand it out by QR code, let a user claim it, look the code up, consume
//! it, restock, and read the day's statistics.
//!
//! `cargo run --features sandbox --example quickstart` — no WeChat account needed. To
//! run the same calls against WeChat, build the client with `Client::new(Config::default(),
//! AppCredentials::new(appid, secret))` instead of `sandbox.client()`.

use std::time::Duration;
use wechat_card::card::{CardCreateRequest, CardGetRequest};
use wechat_card::code::CodeConsumeRequest;
use wechat_card::datacube::DatacubeCardInfoRequest;
use wechat_card::distribute::{
    DistributeCreateQrcodeRequest, DistributeShowQrcodeRequest, QrcodeActionInfo, QrcodeCard,
};
use wechat_card::sandbox::{Sandbox, Stock};
use wechat_card::types::{
    BaseInfo, Card, CardType, CodeType, CondSource, DateInfo, DateType, DiscountCard, QrActionName,
    Sku,
};
use wechat_card::{Client, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sandbox = Sandbox::builder()
        .review(Some(Duration::from_secs(60)))
        .start()
        .await?;
    let client = sandbox.client()?;
    println!(
        "sandbox           {} (appid {})",
        sandbox.url(),
        sandbox.credentials().appid()
    );

    // The steps, in order; each prints its numbered line.
    let card_id = create_coupon(&client).await?;
    await_review(&sandbox, &client, &card_id).await?;
    let ticket = make_qr_code(&client, &card_id).await?;

    // 4. A user scans it and claims the card.
    let code = sandbox.user("o_quickstart_user").scan_qrcode(&ticket)?;
    println!("4. claimed        code {code}");

    look_up(&client, &code).await?;
    consume_once(&client, &code).await?;
    restock(&sandbox, &client, &card_id).await?;
    read_statistics(&sandbox, &client, &card_id).await?;
    println!("done: {} access token(s) issued", sandbox.tokens_issued());
    Ok(())
}

/// 1. Create a 9折 coupon valid 30 days after the claim, 100 in stock.
async fn create_coupon(client: &Client) -> Result<String, Error> {
    let base = BaseInfo::new(
        "http://mmbiz.qpic.cn/logo.png",
        CodeType::Qrcode,
        "微信餐厅",
        "9折优惠券",
        "Color010",
        "到店使用",
        "凭此券到店消费享9折优惠",
        DateInfo::new(DateType::FixTerm)
            .fixed_term(30)
            .fixed_begin_term(0),
        Sku::new(100),
    )
    .get_limit(2);
    let create =
        CardCreateRequest::new(Card::new(CardType::Discount).discount(DiscountCard::new(base, 10)));
    let created = client.card().create(&create).await?;
    let card_id = created.card_id.expect("WeChat returns the card_id");
    println!("1. created        {card_id}");
    Ok(card_id)
}

/// 2. Review: pending for a minute of sandbox time, then approved.
async fn await_review(sandbox: &Sandbox, client: &Client, card_id: &str) -> Result<(), Error> {
    println!(
        "2. status         {}",
        review_status(client, card_id).await?
    );
    sandbox.advance_clock(Duration::from_secs(61));
    println!(
        "   a minute later {}",
        review_status(client, card_id).await?
    );
    Ok(())
}

/// The card's review status, as `card/get` reports it.
async fn review_status(client: &Client, card_id: &str) -> Result<String, Error> {
    let reply = client.card().get(&CardGetRequest::new(card_id)).await?;
    Ok(reply
        .card
        .and_then(|card| card.discount)
        .and_then(|discount| discount.base_info)
        .and_then(|base| base.status)
        .map(|s| s.to_string())
        .unwrap_or_default())
}

/// 3. A QR code users scan to claim it; returns its ticket.
async fn make_qr_code(client: &Client, card_id: &str) -> Result<String, Error> {
    let qr = DistributeCreateQrcodeRequest::new(
        QrActionName::Card,
        QrcodeActionInfo::new().card(QrcodeCard::new().card_id(card_id)),
    )
    .expire_seconds(1800);
    let qr_code = client.distribute().create_qrcode(&qr).await?;
    let ticket = qr_code.ticket.expect("WeChat returns the ticket");
    let image = client
        .distribute()
        .show_qrcode(&DistributeShowQrcodeRequest::new(&ticket))
        .await?;
    println!(
        "3. QR code        {} bytes of {}",
        image.bytes.len(),
        image.content_type.unwrap_or_default()
    );
    Ok(ticket)
}

/// 5. At the till: can it be consumed?
async fn look_up(client: &Client, code: &str) -> Result<(), Error> {
    let found = client.code().get_checked(code).await?;
    println!(
        "5. looked up      holder {}, can consume: {:?}",
        found.openid.unwrap_or_default(),
        found.can_consume
    );
    Ok(())
}

/// 6. Consume it — once. A second time is refused.
async fn consume_once(client: &Client, code: &str) -> Result<(), Error> {
    client
        .code()
        .consume(&CodeConsumeRequest::new(code))
        .await?;
    let again = client
        .code()
        .consume(&CodeConsumeRequest::new(code))
        .await
        .unwrap_err();
    println!(
        "6. consumed       (again: errcode {})",
        again.errcode().map(|c| c.code()).unwrap_or_default()
    );
    Ok(())
}

/// 7. Stock: one left the stock; add ten.
async fn restock(sandbox: &Sandbox, client: &Client, card_id: &str) -> Result<(), Error> {
    client.card().increase_stock(card_id, 10).await?;
    let stock = sandbox.stock(card_id).unwrap_or(Stock {
        remaining: 0,
        claimed: 0,
        consumed: 0,
    });
    println!(
        "7. stock          {} left, {} claimed, {} consumed",
        stock.remaining, stock.claimed, stock.consumed
    );
    Ok(())
}

/// 8. Statistics are available the next day (China time).
async fn read_statistics(sandbox: &Sandbox, client: &Client, card_id: &str) -> Result<(), Error> {
    sandbox.advance_clock(Duration::from_secs(86_400));
    let yesterday = sandbox
        .today()
        .previous_day()
        .expect("a day before")
        .to_string();
    let stats = client
        .datacube()
        .card_info(
            &DatacubeCardInfoRequest::new(&yesterday, &yesterday, CondSource::Api).card_id(card_id),
        )
        .await?;
    for row in stats.list.unwrap_or_default() {
        println!(
            "8. statistics     {}: {} viewed, {} claimed, {} consumed",
            row.ref_date.unwrap_or_default(),
            row.view_cnt.unwrap_or(0),
            row.receive_cnt.unwrap_or(0),
            row.verify_cnt.unwrap_or(0)
        );
    }
    Ok(())
}
