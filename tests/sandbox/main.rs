//! The sandbox: the seeds' workflows end to end in both flavours, the semantics it
//! promises, faults, and stock under concurrency.

use std::time::Duration;
use wechat_card::card::{
    CardBatchGetRequest, CardGetRequest, CardModifyStockRequest, CardUpdateRequest,
};
use wechat_card::code::{
    CodeConsumeRequest, CodeDecryptRequest, CodeUnavailableRequest, CodeUpdateRequest,
};
use wechat_card::datacube::DatacubeCardInfoRequest;
use wechat_card::distribute::{
    DistributeCheckCodesRequest, DistributeCreateQrcodeRequest, DistributeDepositCodesRequest,
    DistributeShowQrcodeRequest, QrcodeActionInfo, QrcodeCard,
};
use wechat_card::member_card::{
    MemberCardActivateRequest, MemberCardUpdateUserRequest, MemberCardUserInfoRequest,
};
use wechat_card::sandbox::{Fault, Sandbox, Stock};
use wechat_card::types::{
    BaseInfoUpdate, CardStatus, CommonUpdate, CondSource, DateInfoUpdate, DateType,
    GetCustomCodeMode, UserCardStatus,
};
use wechat_card::{ErrCode, Error};

#[path = "../support/cards.rs"]
mod cards;
#[path = "../support/net.rs"]
mod net;
use cards::{create_discount, discount_card, member_card};
use net::{free_port, sandbox_action};

fn errcode<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrCode {
    result
        .expect_err("an error")
        .errcode()
        .expect("an API error")
}

#[tokio::test]
async fn the_lifecycle_of_a_coupon() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();

    // Create: under review, then approved (the sandbox approves at once by default).
    let card_id = create_discount(&client, 2).await;
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

    // Distribute by QR code; a user scans it and claims the card.
    let qr = DistributeCreateQrcodeRequest::new(
        wechat_card::types::QrActionName::Card,
        QrcodeActionInfo::new().card(QrcodeCard::new().card_id(&card_id)),
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
    let code = sandbox.user("o_alice").scan_qrcode(&ticket).unwrap();

    // Query, consume once, not twice.
    let got = client.code().get_checked(&code).await.unwrap();
    assert_eq!(
        (got.openid.as_deref(), got.can_consume),
        (Some("o_alice"), Some(true))
    );
    client
        .code()
        .consume(&CodeConsumeRequest::new(&code))
        .await
        .unwrap();
    assert_eq!(
        errcode(client.code().consume(&CodeConsumeRequest::new(&code)).await),
        ErrCode::CodeConsumed
    );
    assert_eq!(
        errcode(client.code().get_checked(&code).await),
        ErrCode::CardDeletedOrGifting
    );
    let unchecked = client.code().get_unchecked(&code).await.unwrap();
    assert_eq!(unchecked.user_card_status, Some(UserCardStatus::Consumed));

    // Stock: one left; never below zero; a claim on an empty stock is 45031.
    assert_eq!(
        sandbox.stock(&card_id),
        Some(Stock {
            remaining: 1,
            claimed: 1,
            consumed: 1
        })
    );
    let too_much = CardModifyStockRequest::new(&card_id).reduce_stock_value(2);
    assert_eq!(
        errcode(client.card().modify_stock(&too_much).await),
        ErrCode::InvalidStockQuantity
    );
    client.card().reduce_stock(&card_id, 1).await.unwrap();
    assert_eq!(
        errcode(sandbox.user("o_bob").claim(&card_id)),
        ErrCode::OutOfStock
    );
    client.card().increase_stock(&card_id, 5).await.unwrap();
    sandbox.user("o_bob").claim(&card_id).unwrap();

    // Statistics: yesterday's figures, once the day is over (China time).
    sandbox.advance_clock(Duration::from_secs(86_400));
    let yesterday = (sandbox.today() - time::Duration::days(1)).to_string();
    let stats = client
        .datacube()
        .card_info(
            &DatacubeCardInfoRequest::new(&yesterday, &yesterday, CondSource::Api)
                .card_id(&card_id),
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

#[tokio::test]
async fn codes_gifted_made_unavailable_and_custom() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 10).await;

    // Gifting: the old code is gone, the friend holds a new one.
    let code = sandbox.user("o_alice").claim(&card_id).unwrap();
    let friends = sandbox.user("o_alice").gift(&code, "o_bob").unwrap();
    assert_eq!(
        errcode(client.code().get_unchecked(&code).await),
        ErrCode::InvalidCode
    );
    assert_eq!(
        client.code().get_checked(&friends).await.unwrap().openid,
        Some("o_bob".to_owned())
    );

    // Unavailable is irreversible; consuming it afterwards fails.
    client
        .code()
        .unavailable(&CodeUnavailableRequest::new(&friends))
        .await
        .unwrap();
    assert_eq!(
        errcode(
            client
                .code()
                .unavailable(&CodeUnavailableRequest::new(&friends))
                .await
        ),
        ErrCode::InvalidCardStatus
    );
    assert_eq!(
        errcode(
            client
                .code()
                .consume(&CodeConsumeRequest::new(&friends))
                .await
        ),
        ErrCode::CardDeletedOrGifting
    );

    // A user deletes a code: check_consume reports it.
    let other = sandbox.user("o_carol").claim(&card_id).unwrap();
    sandbox.user("o_carol").delete(&other).unwrap();
    let got = client.code().get_unchecked(&other).await.unwrap();
    assert_eq!(
        (got.user_card_status, got.can_consume),
        (Some(UserCardStatus::Delete), Some(false))
    );

    // decrypt turns the sandbox's own encrypt_code back into the code.
    let encrypted = sandbox.encrypt_code(&other).unwrap();
    assert_eq!(
        client
            .code()
            .decrypt(&CodeDecryptRequest::new(encrypted))
            .await
            .unwrap()
            .code,
        Some(other)
    );
    assert_eq!(
        errcode(
            client
                .code()
                .decrypt(&CodeDecryptRequest::new("00ff"))
                .await
        ),
        ErrCode::InvalidCode
    );

    // Codes of a fixed-term card expire.
    let later = sandbox.user("o_dan").claim(&card_id).unwrap();
    sandbox.advance_clock(Duration::from_secs(31 * 86_400));
    assert_eq!(
        client
            .code()
            .get_unchecked(&later)
            .await
            .unwrap()
            .user_card_status,
        Some(UserCardStatus::Expire)
    );
}

#[tokio::test]
async fn deposit_mode_imports_dedupes_and_gives_out_imported_codes() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let mut request = discount_card(0);
    let base = request
        .card
        .discount
        .as_mut()
        .unwrap()
        .base_info
        .as_mut()
        .unwrap();
    base.use_custom_code = Some(true);
    base.get_custom_code_mode = Some(GetCustomCodeMode::Deposit);
    let card_id = client
        .card()
        .create(&request)
        .await
        .unwrap()
        .card_id
        .expect("card_id");

    let deposit = client
        .distribute()
        .deposit_codes(&DistributeDepositCodesRequest::new(&card_id, ["A1", "A2"]))
        .await
        .unwrap();
    assert_eq!(deposit.succ_code.unwrap(), ["A1", "A2"]);
    let again = client
        .distribute()
        .deposit_codes(&DistributeDepositCodesRequest::new(&card_id, ["A2", "A3"]))
        .await
        .unwrap();
    assert_eq!(
        (again.succ_code.unwrap(), again.duplicate_code.unwrap()),
        (vec!["A3".to_owned()], vec!["A2".to_owned()])
    );
    // The stock may not exceed the imported codes.
    let over = CardModifyStockRequest::new(&card_id).increase_stock_value(4);
    assert_eq!(
        errcode(client.card().modify_stock(&over).await),
        ErrCode::InvalidStockQuantity
    );
    client.card().increase_stock(&card_id, 3).await.unwrap();
    let code = sandbox.user("o_alice").claim(&card_id).unwrap();
    assert!(["A1", "A2", "A3"].contains(&code.as_str()));
    let check = client
        .distribute()
        .check_codes(&DistributeCheckCodesRequest::new(&card_id, ["A1", "B9"]))
        .await
        .unwrap();
    assert_eq!(check.not_exist_code.unwrap(), ["B9"]);
    // Custom codes are named with their card; and may be changed after a gift.
    assert_eq!(
        errcode(client.code().consume(&CodeConsumeRequest::new(&code)).await),
        ErrCode::MissingCardId
    );
    client
        .code()
        .update(&CodeUpdateRequest::new(&code, "NEW-1").card_id(&card_id))
        .await
        .unwrap();
    client
        .code()
        .consume(&CodeConsumeRequest::new("NEW-1").card_id(&card_id))
        .await
        .unwrap();
}

#[tokio::test]
async fn review_updates_and_listing() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 5).await;
    let pending = CardBatchGetRequest::new(0, 10).status_list([CardStatus::NotVerify]);
    assert_eq!(
        client
            .card()
            .batch_get(&pending)
            .await
            .unwrap()
            .card_id_list,
        Some(vec![card_id.clone()])
    );
    assert_eq!(
        errcode(sandbox.user("o_alice").claim(&card_id)),
        ErrCode::InvalidCardStatus,
        "not approved yet"
    );
    sandbox.approve(&card_id).unwrap();
    sandbox.user("o_alice").claim(&card_id).unwrap();

    // A reviewed field sends the card back to review; service_phone does not.
    let phone = CardUpdateRequest::new(&card_id)
        .discount(CommonUpdate::new().base_info(BaseInfoUpdate::new().service_phone("020-1")));
    assert_eq!(
        client.card().update(&phone).await.unwrap().send_check,
        Some(false)
    );
    let notice = CardUpdateRequest::new(&card_id)
        .discount(CommonUpdate::new().base_info(BaseInfoUpdate::new().notice("新提醒")));
    assert_eq!(
        client.card().update(&notice).await.unwrap().send_check,
        Some(true)
    );
    let card = client
        .card()
        .get(&CardGetRequest::new(&card_id))
        .await
        .unwrap()
        .card
        .expect("card");
    let base = card.discount.unwrap().base_info.unwrap();
    assert_eq!(
        (base.notice.as_deref(), base.status.clone()),
        (Some("新提醒"), Some(CardStatus::NotVerify))
    );

    // A fixed-term card's validity cannot be changed (only FIX_TIME_RANGE widens).
    let range = DateInfoUpdate::new()
        .r#type(DateType::FixTimeRange)
        .begin_timestamp(1)
        .end_timestamp(2);
    let dates = CardUpdateRequest::new(&card_id)
        .discount(CommonUpdate::new().base_info(BaseInfoUpdate::new().date_info(range)));
    assert_eq!(
        errcode(client.card().update(&dates).await),
        ErrCode::InvalidTimeRange
    );

    // The wrong type key is refused.
    let wrong = CardUpdateRequest::new(&card_id).cash(wechat_card::types::CommonUpdate::new());
    assert_eq!(
        errcode(client.card().update(&wrong).await),
        ErrCode::InvalidCardType
    );

    // Deleted: listed as such.
    client
        .card()
        .delete(&wechat_card::card::CardDeleteRequest::new(&card_id))
        .await
        .unwrap();
    let deleted = CardBatchGetRequest::new(0, 10).status_list([CardStatus::Delete]);
    assert_eq!(
        client.card().batch_get(&deleted).await.unwrap().total_num,
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_on_a_cold_client_request_one_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let card_id = create_discount(&sandbox.client().unwrap(), 5).await;
    assert_eq!(sandbox.token_requests(), 1);
    // A second client starts with an empty cache; 50 calls at once share one fetch.
    let cold = sandbox.client().unwrap();
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let (client, id) = (cold.clone(), card_id.clone());
            tokio::spawn(async move { client.card().get(&CardGetRequest::new(id)).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(sandbox.token_requests(), 2);
}

#[tokio::test]
async fn tokens_expire_and_are_renewed_by_the_client() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 5).await;
    assert_eq!(sandbox.tokens_issued(), 1);
    sandbox.advance_clock(Duration::from_secs(7_300));
    // The sandbox rejects the expired token (42001); the client renews and resends.
    client
        .card()
        .get(&CardGetRequest::new(&card_id))
        .await
        .unwrap();
    assert_eq!(sandbox.tokens_issued(), 2);

    // A wrong secret gets the documented errcode.
    let wrong = wechat_card::AppCredentials::new(sandbox.credentials().appid(), "wrong");
    let stranger = wechat_card::Client::new(sandbox.config(), wrong).unwrap();
    let err = stranger
        .card()
        .get(&CardGetRequest::new(&card_id))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("40125"), "{err}");
}

#[tokio::test]
async fn faults_are_injected_per_endpoint() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 5).await;
    let get = CardGetRequest::new(&card_id);

    sandbox.faults().next("card.get", Fault::ErrCode(-1), 1);
    client
        .card()
        .get(&get)
        .await
        .expect("card/get is idempotent: retried after -1");
    sandbox.faults().next("card.get", Fault::ErrCode(45009), 1);
    assert_eq!(errcode(client.card().get(&get).await), ErrCode::RateLimited);
    sandbox.faults().next("card.get", Fault::ExpiredToken, 1);
    client.card().get(&get).await.expect("renewed after 42001");
    sandbox.faults().next("card.get", Fault::MalformedBody, 3);
    assert!(matches!(
        client.card().get(&get).await,
        Err(Error::Decode { status: 502, .. })
    ));
    sandbox.faults().clear();

    let code = sandbox.user("o_alice").claim(&card_id).unwrap();
    sandbox
        .faults()
        .next("code.consume", Fault::DropConnection, 1);
    let err = client
        .code()
        .consume(&CodeConsumeRequest::new(&code))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                maybe_sent: true,
                idempotent: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("get_unchecked"),
        "says how to check: {err}"
    );

    sandbox
        .faults()
        .next("code.get", Fault::Latency(Duration::from_millis(150)), 1);
    let started = std::time::Instant::now();
    client.code().get_unchecked(&code).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[cfg(feature = "blocking")]
#[test]
fn seeded_faults_repeat() {
    let draws = |seed| {
        let sandbox = Sandbox::builder().seed(seed).start_blocking().unwrap();
        sandbox.faults().rate("card.get", Fault::ErrCode(-1), 0.5);
        let client = sandbox.blocking_client().unwrap();
        let card_id = client
            .card()
            .create(&discount_card(1))
            .unwrap()
            .card_id
            .expect("card_id");
        let strict = wechat_card::blocking::Client::new(
            sandbox.config().retry(wechat_card::RetryPolicy::none()),
            sandbox.credentials(),
        )
        .unwrap();
        (0..20)
            .map(|_| strict.card().get(&CardGetRequest::new(&card_id)).is_ok())
            .collect::<Vec<_>>()
    };
    let (a, b) = (draws(7), draws(7));
    assert_eq!(a, b, "the same seed, the same faults");
    assert!(
        a.iter().any(|ok| *ok) && a.iter().any(|ok| !*ok),
        "about half fail: {a:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stock_is_conserved_under_64_concurrent_clients() {
    let sandbox = std::sync::Arc::new(Sandbox::start().await.unwrap());
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 40).await;
    // 64 users claim and consume at once; each consumes its code twice.
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (sandbox, card_id) = (sandbox.clone(), card_id.clone());
            let client = sandbox.client().unwrap();
            tokio::spawn(async move {
                let claimed = tokio::task::spawn_blocking({
                    let (sandbox, card_id) = (sandbox.clone(), card_id.clone());
                    move || sandbox.user(format!("o_{i}")).claim(&card_id)
                })
                .await
                .unwrap();
                let Ok(code) = claimed else { return (0, 0) };
                let first = client
                    .code()
                    .consume(&CodeConsumeRequest::new(&code))
                    .await
                    .is_ok();
                let second = client
                    .code()
                    .consume(&CodeConsumeRequest::new(&code))
                    .await
                    .is_ok();
                (1, first as usize + second as usize)
            })
        })
        .collect();
    let (mut claims, mut consumptions) = (0, 0);
    for t in tasks {
        let (c, k) = t.await.unwrap();
        claims += c;
        consumptions += k;
    }
    let stock = sandbox.stock(&card_id).unwrap();
    assert_eq!(claims, 40, "exactly the stock was claimed");
    assert_eq!(
        stock.remaining + stock.claimed as i64,
        40,
        "claimed + remaining = total"
    );
    assert_eq!(
        (consumptions, stock.consumed),
        (40, 40),
        "every code consumed exactly once"
    );

    // Bad requests change nothing.
    let bad = CardModifyStockRequest::new(&card_id).reduce_stock_value(-5);
    assert!(matches!(
        client.card().modify_stock(&bad).await,
        Err(Error::InvalidRequest { .. })
    ));
    assert_eq!(sandbox.stock(&card_id).unwrap(), stock);
}

/// The standalone server: other languages drive it over HTTP.
#[cfg(feature = "blocking")]
#[test]
fn the_binary_serves_the_api_and_the_sandbox_actions() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechat-card-sandbox"))
        .args([
            "--port",
            &port.to_string(),
            "--appid",
            "wxbinarytest0001",
            "--secret",
            "binary-secret",
            // Nobody listens there: the pushes are attempted, and reported.
            "--push-url",
            &format!("http://127.0.0.1:{}/wechat", free_port()),
            "--push-token",
            "binary-token",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // It says where it listens once it does.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains(&format!("127.0.0.1:{port}")), "{first}");

    let url = format!("http://127.0.0.1:{port}");
    let post = |action: &str, body| sandbox_action(&url, action, body);
    let credentials = post("credentials", serde_json::json!({}));
    assert_eq!(credentials["appid"], "wxbinarytest0001");

    let config = wechat_card::Config::new().all_hosts(&url);
    let app = wechat_card::AppCredentials::new("wxbinarytest0001", "binary-secret");
    let client = wechat_card::blocking::Client::new(config, app).unwrap();
    let card_id = client
        .card()
        .create(&discount_card(3))
        .unwrap()
        .card_id
        .expect("card_id");
    let claimed = post(
        "claim",
        serde_json::json!({"openid": "o_remote", "card_id": card_id}),
    );
    let code = claimed["code"].as_str().unwrap();
    client
        .code()
        .consume(&CodeConsumeRequest::new(code))
        .unwrap();
    let refused = post(
        "claim",
        serde_json::json!({"openid": "o_remote", "card_id": "nope"}),
    );
    assert_eq!(refused["errcode"], 40073);
    let flushed = post("flush_pushes", serde_json::json!({}));
    let events: Vec<_> = flushed["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["event"].as_str().unwrap(),
                d["attempts"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("card_pass_check", 4),
            ("user_get_card", 4),
            ("user_consume_card", 4)
        ]
    );

    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn the_lifecycle_of_a_member_card() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = client
        .card()
        .create(&member_card())
        .await
        .unwrap()
        .card_id
        .expect("card_id");
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

#[tokio::test]
async fn whitelisted_users_test_unapproved_cards_and_users_list_their_cards() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 5).await;
    assert_eq!(
        errcode(sandbox.user("o_tester").claim(&card_id)),
        ErrCode::InvalidCardStatus
    );
    client
        .card()
        .set_test_whitelist_openids(["o_tester"])
        .await
        .unwrap();
    let code = sandbox.user("o_tester").claim(&card_id).unwrap();
    let list = client
        .code()
        .list_user_cards(&wechat_card::code::CodeListUserCardsRequest::new(
            "o_tester",
        ))
        .await
        .unwrap();
    let cards = list.card_list.as_ref().unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(
        (cards[0].code.as_deref(), cards[0].card_id.as_deref()),
        (Some(code.as_str()), Some(card_id.as_str()))
    );
    client
        .code()
        .consume(&CodeConsumeRequest::new(&code))
        .await
        .unwrap();
    let after = client
        .code()
        .list_user_cards(&wechat_card::code::CodeListUserCardsRequest::new(
            "o_tester",
        ))
        .await
        .unwrap();
    assert!(
        after.card_list.as_ref().unwrap().is_empty(),
        "consumed codes leave the card pack"
    );
}

/// Clients in other languages bypass this crate's validation: the sandbox applies the
/// same rules itself and answers with WeChat's errcodes.
#[tokio::test]
async fn the_sandbox_checks_requests_itself() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = sandbox.client().unwrap().access_token().await.unwrap();
    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value, with_token: bool| {
        let url = match with_token {
            true => format!("{}{path}?access_token={}", sandbox.url(), token.expose()),
            false => format!("{}{path}", sandbox.url()),
        };
        let request = http.post(url).body(body.to_string());
        async move {
            let bytes = request.send().await.unwrap().bytes().await.unwrap();
            let reply: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            reply["errcode"].as_i64().unwrap()
        }
    };
    let window = |begin: &str, end: &str| serde_json::json!({"begin_date": begin, "end_date": end, "cond_source": 1});
    assert_eq!(
        post(
            "/datacube/getcardbizuininfo",
            window("2015/06/15", "2015-06-30"),
            true
        )
        .await,
        61500
    );
    assert_eq!(
        post(
            "/datacube/getcardbizuininfo",
            window("2015-01-01", "2015-06-30"),
            true
        )
        .await,
        61501
    );
    let today = sandbox.today().to_string();
    assert_eq!(
        post("/datacube/getcardbizuininfo", window(&today, &today), true).await,
        61501,
        "not today"
    );
    assert_eq!(
        post(
            "/card/batchget",
            serde_json::json!({"offset": 0, "count": 51}),
            true
        )
        .await,
        40097
    );
    assert_eq!(
        post(
            "/card/code/get",
            serde_json::json!({"code": "x".repeat(21)}),
            true
        )
        .await,
        45021
    );
    assert_eq!(
        post("/card/code/get", serde_json::json!({}), true).await,
        41011
    );
    assert_eq!(
        post("/card/code/get", serde_json::json!({"code": "1"}), false).await,
        41001
    );
    let reply = http
        .post(format!("{}/card/nothing?access_token=x", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
}
