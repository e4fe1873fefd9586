//! The seeds' workflows end to end, with the async and the blocking client: a coupon
//! and a member card from creation to redemption.

use super::cards::{create_discount, create_member_card, discount_card, member_card};
use super::errcode;
use std::time::Duration;
use wechat_card::card::{CardGetRequest, CardModifyStockRequest};
use wechat_card::code::CodeConsumeRequest;
use wechat_card::datacube::DatacubeCardInfoRequest;
use wechat_card::distribute::{
    DistributeCreateQrcodeRequest, DistributeShowQrcodeRequest, QrcodeActionInfo, QrcodeCard,
};
use wechat_card::member_card::{
    MemberCardActivateRequest, MemberCardUpdateUserRequest, MemberCardUserInfoRequest,
};
use wechat_card::sandbox::{Sandbox, Stock};
use wechat_card::types::{CardStatus, CondSource, UserCardStatus};
use wechat_card::{Client, ErrCode, Error};

#[tokio::test]
async fn the_lifecycle_of_a_coupon() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_an_approved_coupon(&client).await;
    let code = claim_it_by_qr_code(&sandbox, &client, &card_id).await;
    consume_it_once_not_twice(&client, &code).await;
    run_the_stock_down_and_up(&sandbox, &client, &card_id).await;
    read_yesterdays_statistics(&sandbox, &client, &card_id).await;
}

/// Create: under review, then approved (the sandbox approves at once by default).
/// Two in stock.
async fn create_an_approved_coupon(client: &Client) -> String {
    let card_id = create_discount(client, 2).await;
    let card = client
        .card()
        .get(&CardGetRequest::new(&card_id))
        .await
        .unwrap()
        .card
        .expect("card");
    let base = card.discount.as_ref().unwrap().base_info.as_ref().unwrap();
    assert_eq!(base.status, Some(CardStatus::VerifyOk));
    assert_eq!(base.sku.as_ref().unwrap().quantity, Some(2));
    card_id
}

/// Distribute by QR code; a user (o_alice) scans it and claims the card. Returns her code.
async fn claim_it_by_qr_code(sandbox: &Sandbox, client: &Client, card_id: &str) -> String {
    let qr = DistributeCreateQrcodeRequest::new(
        wechat_card::types::QrActionName::Card,
        QrcodeActionInfo::new().card(QrcodeCard::new().card_id(card_id)),
    );
    let ticket = client
        .distribute()
        .create_qrcode(&qr)
        .await
        .unwrap()
        .ticket
        .expect("ticket");
    let image = client
        .distribute()
        .show_qrcode(&DistributeShowQrcodeRequest::new(&ticket))
        .await
        .unwrap();
    assert_eq!(image.content_type.as_deref(), Some("image/png"));
    assert!(image.bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a real PNG");
    sandbox.user("o_alice").scan_qrcode(&ticket).unwrap()
}

/// Query, consume once, not twice.
async fn consume_it_once_not_twice(client: &Client, code: &str) {
    let got = client.code().get_checked(code).await.unwrap();
    assert_eq!(
        (got.openid.as_deref(), got.can_consume),
        (Some("o_alice"), Some(true))
    );
    client
        .code()
        .consume(&CodeConsumeRequest::new(code))
        .await
        .unwrap();
    assert_eq!(
        errcode(client.code().consume(&CodeConsumeRequest::new(code)).await),
        ErrCode::CodeConsumed
    );
    assert_eq!(
        errcode(client.code().get_checked(code).await),
        ErrCode::CardDeletedOrGifting
    );
    let unchecked = client.code().get_unchecked(code).await.unwrap();
    assert_eq!(unchecked.user_card_status, Some(UserCardStatus::Consumed));
}

/// Stock: one left; never below zero; a claim on an empty stock is 45031. Restocked,
/// o_bob claims one.
async fn run_the_stock_down_and_up(sandbox: &Sandbox, client: &Client, card_id: &str) {
    assert_eq!(
        sandbox.stock(card_id),
        Some(Stock {
            remaining: 1,
            claimed: 1,
            consumed: 1
        })
    );
    let too_much = CardModifyStockRequest::new(card_id).reduce_stock_value(2);
    assert_eq!(
        errcode(client.card().modify_stock(&too_much).await),
        ErrCode::InvalidStockQuantity
    );
    client.card().reduce_stock(card_id, 1).await.unwrap();
    assert_eq!(
        errcode(sandbox.user("o_bob").claim(card_id)),
        ErrCode::OutOfStock
    );
    client.card().increase_stock(card_id, 5).await.unwrap();
    sandbox.user("o_bob").claim(card_id).unwrap();
}

/// Statistics: yesterday's figures, once the day is over (China time).
async fn read_yesterdays_statistics(sandbox: &Sandbox, client: &Client, card_id: &str) {
    sandbox.advance_clock(Duration::from_secs(86_400));
    let yesterday = (sandbox.today() - time::Duration::days(1)).to_string();
    let stats = client
        .datacube()
        .card_info(
            &DatacubeCardInfoRequest::new(&yesterday, &yesterday, CondSource::Api).card_id(card_id),
        )
        .await
        .unwrap();
    let row = &stats.list.as_ref().unwrap()[0];
    assert_eq!(
        (row.view_cnt, row.receive_cnt, row.verify_cnt),
        (Some(1), Some(2), Some(1))
    );
    assert_eq!(row.receive_user, Some(2));
    let today = sandbox.today().to_string();
    let not_yet = DatacubeCardInfoRequest::new(&yesterday, &today, CondSource::Api);
    // The client refuses before sending; the sandbox would answer 61501 as well.
    assert!(matches!(
        client.datacube().card_info(&not_yet).await,
        Err(Error::InvalidRequest { .. })
    ));
}

#[tokio::test]
async fn the_lifecycle_of_a_member_card() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_member_card(&client).await;
    let code = sandbox.user("o_member").claim(&card_id).unwrap();
    let activate = MemberCardActivateRequest::new("M-0001", &code)
        .init_bonus(100)
        .init_balance(500);
    client.member_card().activate(&activate).await.unwrap();
    let info = client
        .member_card()
        .user_info(&MemberCardUserInfoRequest::new(&card_id, &code))
        .await
        .unwrap();
    assert_eq!(
        (info.bonus, info.balance, info.has_active),
        (Some(100), Some(500), Some(true))
    );
    let add = client
        .member_card()
        .add_balance(&code, &card_id, -200, "消费200")
        .await
        .unwrap();
    assert_eq!(add.result_balance, Some(300));
    let too_much = MemberCardUpdateUserRequest::new(&code, &card_id)
        .add_bonus(5)
        .add_balance(-1000);
    assert_eq!(
        errcode(client.member_card().update_user(&too_much).await),
        ErrCode::InvalidArgs
    );
    // Activating a coupon's code as a member card is refused, and changes nothing:
    // asked again, the answer is the same (not "already activated").
    let coupon = create_discount(&client, 5).await;
    let coupon_code = sandbox.user("o_member").claim(&coupon).unwrap();
    for _ in 0..2 {
        let activate = MemberCardActivateRequest::new("M-0002", &coupon_code);
        assert_eq!(
            errcode(client.member_card().activate(&activate).await),
            ErrCode::InvalidCardType
        );
    }
    // A refused update changes nothing, the bonus included.
    let info = client
        .member_card()
        .user_info(&MemberCardUserInfoRequest::new(&card_id, &code))
        .await
        .unwrap();
    assert_eq!((info.bonus, info.balance), (Some(100), Some(300)));
}

#[cfg(feature = "blocking")]
#[test]
fn the_lifecycle_of_a_member_card_blocking() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let card_id = client
        .card()
        .create(&member_card())
        .unwrap()
        .card_id
        .expect("card_id");
    let code = sandbox.user("o_member").claim(&card_id).unwrap();

    client
        .member_card()
        .activate(
            &MemberCardActivateRequest::new("M-0001", &code)
                .init_bonus(100)
                .init_balance(500),
        )
        .unwrap();
    assert_eq!(
        errcode(
            client
                .member_card()
                .activate(&MemberCardActivateRequest::new("M-0002", &code))
        ),
        ErrCode::InvalidCardStatus,
        "activated once"
    );
    let info = client
        .member_card()
        .user_info(&MemberCardUserInfoRequest::new(&card_id, &code))
        .unwrap();
    assert_eq!(
        (info.bonus, info.balance, info.has_active),
        (Some(100), Some(500), Some(true))
    );

    // add_bonus is relative; bonus is absolute and wins over add_bonus.
    let add = client
        .member_card()
        .add_bonus(&code, &card_id, 20, "消费20元")
        .unwrap();
    assert_eq!(add.result_bonus, Some(120));
    let both = MemberCardUpdateUserRequest::new(&code, &card_id)
        .bonus(300)
        .add_bonus(20);
    assert_eq!(
        client
            .member_card()
            .update_user(&both)
            .unwrap()
            .result_bonus,
        Some(300)
    );
}

#[cfg(feature = "blocking")]
#[test]
fn the_lifecycle_of_a_coupon_blocking() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let client = sandbox.blocking_client().unwrap();
    let card_id = client
        .card()
        .create(&discount_card(1))
        .unwrap()
        .card_id
        .expect("card_id");
    let qr = DistributeCreateQrcodeRequest::new(
        wechat_card::types::QrActionName::Card,
        QrcodeActionInfo::new().card(QrcodeCard::new().card_id(&card_id)),
    );
    let ticket = client
        .distribute()
        .create_qrcode(&qr)
        .unwrap()
        .ticket
        .expect("ticket");
    let url = client
        .distribute()
        .show_qrcode_url(&DistributeShowQrcodeRequest::new(&ticket))
        .unwrap();
    assert!(url.ends_with(&format!("ticket={ticket}")), "{url}");
    let code = sandbox.user("o_alice").scan_qrcode(&ticket).unwrap();
    client
        .code()
        .consume(&CodeConsumeRequest::new(&code))
        .unwrap();
    assert_eq!(
        errcode(client.code().consume(&CodeConsumeRequest::new(&code))),
        ErrCode::CodeConsumed
    );
    assert_eq!(
        errcode(sandbox.user("o_bob").claim(&card_id)),
        ErrCode::OutOfStock
    );
}
