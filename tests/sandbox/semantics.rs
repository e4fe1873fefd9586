//! What the sandbox promises beyond single calls: gifts, unavailable and custom codes,
//! deposit mode, review after updates, listing, the test whitelist, and the checks it
//! makes itself for clients in other languages.

use super::cards::{create_discount, create_member_card, discount_card};
use super::errcode;
use std::time::Duration;
use wechat_card::card::{
    CardBatchGetRequest, CardGetRequest, CardModifyStockRequest, CardUpdateRequest,
};
use wechat_card::code::{
    CodeConsumeRequest, CodeDecryptRequest, CodeUnavailableRequest, CodeUpdateRequest,
};
use wechat_card::distribute::{DistributeCheckCodesRequest, DistributeDepositCodesRequest};
use wechat_card::sandbox::Sandbox;
use wechat_card::types::{
    BaseInfoUpdate, CardStatus, CommonUpdate, DateInfoUpdate, DateType, GetCustomCodeMode,
    UserCardStatus,
};
use wechat_card::{Client, ErrCode};

#[tokio::test]
async fn codes_gifted_made_unavailable_and_custom() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 10).await;

    let friends = a_gift_replaces_the_code(&sandbox, &client, &card_id).await;
    unavailable_is_irreversible(&client, &friends).await;
    let deleted = check_consume_reports_a_deleted_code(&sandbox, &client, &card_id).await;
    decrypt_reverses_encrypt_code(&sandbox, &client, deleted).await;
    fixed_term_codes_expire(&sandbox, &client, &card_id).await;
}

/// Gifting: the old code is gone, the friend holds a new one. Returns the friend's code.
async fn a_gift_replaces_the_code(sandbox: &Sandbox, client: &Client, card_id: &str) -> String {
    let code = sandbox.user("o_alice").claim(card_id).unwrap();
    let friends = sandbox.user("o_alice").gift(&code, "o_bob").unwrap();
    assert_eq!(
        errcode(client.code().get_unchecked(&code).await),
        ErrCode::InvalidCode
    );
    assert_eq!(
        client.code().get_checked(&friends).await.unwrap().openid,
        Some("o_bob".to_owned())
    );
    friends
}

/// Unavailable is irreversible; consuming it afterwards fails.
async fn unavailable_is_irreversible(client: &Client, code: &str) {
    client
        .code()
        .unavailable(&CodeUnavailableRequest::new(code))
        .await
        .unwrap();
    assert_eq!(
        errcode(
            client
                .code()
                .unavailable(&CodeUnavailableRequest::new(code))
                .await
        ),
        ErrCode::InvalidCardStatus
    );
    assert_eq!(
        errcode(client.code().consume(&CodeConsumeRequest::new(code)).await),
        ErrCode::CardDeletedOrGifting
    );
}

/// A user deletes a code: check_consume reports it. Returns the deleted code.
async fn check_consume_reports_a_deleted_code(
    sandbox: &Sandbox,
    client: &Client,
    card_id: &str,
) -> String {
    let other = sandbox.user("o_carol").claim(card_id).unwrap();
    sandbox.user("o_carol").delete(&other).unwrap();
    let got = client.code().get_unchecked(&other).await.unwrap();
    assert_eq!(
        (got.user_card_status, got.can_consume),
        (Some(UserCardStatus::Delete), Some(false))
    );
    other
}

/// decrypt turns the sandbox's own encrypt_code back into the code.
async fn decrypt_reverses_encrypt_code(sandbox: &Sandbox, client: &Client, code: String) {
    let encrypted = sandbox.encrypt_code(&code).unwrap();
    assert_eq!(
        client
            .code()
            .decrypt(&CodeDecryptRequest::new(encrypted))
            .await
            .unwrap()
            .code,
        Some(code)
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
}

/// Codes of a fixed-term card expire.
async fn fixed_term_codes_expire(sandbox: &Sandbox, client: &Client, card_id: &str) {
    let later = sandbox.user("o_dan").claim(card_id).unwrap();
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
    assert_eq!(
        errcode(client.code().get_checked(&code).await),
        ErrCode::MissingCardId
    );
    let looked_up = client.code().get_checked_with_card(&card_id, &code).await;
    assert_eq!(looked_up.unwrap().can_consume, Some(true));
    let looked_up = client.code().get_unchecked_with_card(&card_id, &code).await;
    assert_eq!(
        looked_up.unwrap().user_card_status,
        Some(UserCardStatus::Normal)
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

/// card/get shows the card as WeChat keeps it: what the merchant left out comes back
/// with its documented default (can_share, can_give_friend, get_limit), and the lists
/// of the official example come back empty; the default get_limit is enforced.
#[tokio::test]
async fn card_get_shows_the_defaults_and_claims_respect_them() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_member_card(&client).await;
    let card = client
        .card()
        .get(&CardGetRequest::new(&card_id))
        .await
        .unwrap()
        .card
        .expect("card");
    let member = card.member_card.as_deref().expect("member_card");
    let base = member.base_info.as_deref().expect("base_info");
    assert_eq!(
        (base.can_share, base.can_give_friend, base.get_limit),
        (Some(true), Some(true), Some(50))
    );
    assert_eq!(base.area_code_list.as_deref(), Some(&[][..]));
    let advanced = member.advanced_info.as_deref().expect("advanced_info");
    assert_eq!(advanced.time_limit.as_deref(), Some(&[][..]));
    assert_eq!(advanced.text_image_list.as_deref(), Some(&[][..]));

    // A value the merchant set stays its own.
    let discount_id = create_discount(&client, 5).await;
    let discount = client
        .card()
        .get(&CardGetRequest::new(&discount_id))
        .await
        .unwrap()
        .card
        .expect("card");
    let base = discount.discount.as_deref().unwrap().base_info.as_deref();
    assert_eq!(base.unwrap().get_limit, Some(3));

    let user = sandbox.user("o_collector");
    for _ in 0..50 {
        user.claim(&card_id).unwrap();
    }
    assert_eq!(errcode(user.claim(&card_id)), ErrCode::GetLimitExceeded);
}
