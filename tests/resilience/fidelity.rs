//! Spec fidelity at the edges: what WeChat accepts is sent, what it refuses is refused
//! first, what it answers is handed back, and a failed reply is never a success.
//! Both clients, against a mock that answers one fixed body, and the sandbox over raw
//! HTTP as a client in another language would use it.

use serde_json::{Value, json};
use std::time::Duration;
use wechat_card::card::{
    CardBatchGetRequest, CardCreateRequest, CardDeleteRequest, CardGetRequest,
    CardSetPayCellRequest,
};
use wechat_card::code::CodeGetRequest;
use wechat_card::model::Model;
use wechat_card::sandbox::Sandbox;
use wechat_card::types::{CardStatus, DateInfo, DateType};
use wechat_card::validate::{Validate, china_today};
use wechat_card::{ErrCode, Error, StaticToken};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fake;

/// A WeChat that answers every request with `body` (HTTP 200, JSON), `expect` times.
async fn answering(body: Value, expect: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(expect)
        .mount(&server)
        .await;
    server
}

use crate::config;

fn async_client(server: &MockServer) -> wechat_card::Client {
    wechat_card::Client::new(config(server), StaticToken::new("TOKEN")).unwrap()
}

/// Runs `call` with a blocking client outside the mock's runtime.
fn with_blocking<T: Send>(
    body: Value,
    expect: u64,
    call: impl FnOnce(&wechat_card::blocking::Client) -> T + Send,
) -> T {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(answering(body, expect));
    let client =
        wechat_card::blocking::Client::new(config(&server), StaticToken::new("TOKEN")).unwrap();
    let out = std::thread::scope(|s| s.spawn(|| call(&client)).join().unwrap());
    rt.block_on(server.verify());
    out
}

fn api_code<T: std::fmt::Debug>(result: Result<T, Error>) -> i64 {
    match result {
        Err(Error::Api { code, .. }) => code.code(),
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

// ------------------------------------------------------------------ replies

/// A card/get reply as WeChat may send it: documented fields left out or `null`,
/// numbers written as strings, a status and a field the docs do not list.
fn sparse_card_reply() -> Value {
    json!({
        "errcode": 0, "errmsg": "ok",
        "card": {
            "card_type": "DISCOUNT",
            "discount": {
                "base_info": {
                    "id": "pFS7Fjg8kV1IdDz01r4SQwMkuCKc",
                    "title": "8折券",
                    "color": null,
                    "date_info": { "type": 1, "begin_timestamp": "1397577600", "end_timestamp": 1472724261 },
                    "sku": { "quantity": "100", "total_quantity": 100.0 },
                    "can_share": "true",
                    "status": "CARD_STATUS_SOMETHING_NEW",
                    "new_in_2026": { "x": 1 }
                },
                "discount": null
            }
        }
    })
}

fn assert_sparse_card(reply: wechat_card::card::CardGetResponse) {
    let card = reply.card.as_ref().expect("card");
    let discount = card.discount.as_ref().expect("discount");
    let base = discount.base_info.as_ref().expect("base_info");
    assert_eq!(base.title.as_deref(), Some("8折券"));
    assert_eq!(base.color, None, "null is absent");
    assert_eq!(
        base.logo_url, None,
        "absent stays absent: nothing is made up"
    );
    let date = base.date_info.as_ref().unwrap();
    assert_eq!(date.r#type, Some(DateType::FixTimeRange), "legacy 1");
    assert_eq!(date.begin_timestamp, Some(1_397_577_600), "numeric string");
    let sku = base.sku.as_ref().unwrap();
    assert_eq!((sku.quantity, sku.total_quantity), (Some(100), Some(100)));
    assert_eq!(base.can_share, Some(true));
    assert_eq!(
        base.status,
        Some(CardStatus::Unknown("CARD_STATUS_SOMETHING_NEW".into()))
    );
    assert_eq!(discount.discount, None);
    // What was missing and what was new are both observable.
    let missing = reply.missing_fields();
    for field in [
        "card.discount.base_info.logo_url",
        "card.discount.base_info.color",
        "card.discount.base_info.notice",
        "card.discount.discount",
    ] {
        assert!(
            missing.iter().any(|m| m == field),
            "{field} not in {missing:?}"
        );
    }
    let unknown = reply.unknown_fields();
    assert!(unknown.contains(&"card.discount.base_info.new_in_2026".to_owned()));
    assert!(unknown.contains(&"card.discount.base_info.status".to_owned()));
}

#[tokio::test]
async fn a_sparse_success_is_data_async() {
    let server = answering(sparse_card_reply(), 1).await;
    let reply = async_client(&server)
        .card()
        .get(&CardGetRequest::new("pFS7Fjg8kV1IdDz01r4SQwMkuCKc"))
        .await
        .expect("a success reply is a success");
    assert_sparse_card(reply);
}

#[test]
fn a_sparse_success_is_data_blocking() {
    let reply = with_blocking(sparse_card_reply(), 1, |client| {
        client
            .card()
            .get(&CardGetRequest::new("pFS7Fjg8kV1IdDz01r4SQwMkuCKc"))
    });
    assert_sparse_card(reply.expect("a success reply is a success"));
}

#[tokio::test]
async fn a_reply_without_errcode_or_any_documented_field_is_data() {
    let server = answering(json!({ "surprise": true }), 1).await;
    let reply = async_client(&server)
        .code()
        .get(&CodeGetRequest::new("110201201245"))
        .await
        .expect("no errcode means success");
    assert_eq!(reply.openid, None);
    assert!(reply.missing_fields().contains(&"openid".to_owned()));
    assert_eq!(reply.unknown_fields(), ["surprise"]);
}

#[tokio::test(flavor = "current_thread")]
async fn what_a_reply_lacked_is_logged() {
    let (subscriber, output) = fake::capture();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = answering(json!({"errcode": 0, "card_id_list": []}), 1).await;
    async_client(&server)
        .card()
        .batch_get(&CardBatchGetRequest::new(0, 10))
        .await
        .unwrap();
    let log = output.lock().unwrap().clone();
    assert!(
        // WARN the first time in this process, DEBUG after (another test may have
        // been first).
        log.contains("reply lacks documented fields") && log.contains("total_num"),
        "{log}"
    );
}

#[tokio::test]
async fn a_reply_that_is_not_an_object_is_a_decode_error() {
    for body in [json!([1, 2]), json!("ok"), json!(null)] {
        let server = answering(body.clone(), 1).await;
        let result = async_client(&server)
            .card()
            .get(&CardGetRequest::new("p1"))
            .await;
        assert!(
            matches!(result, Err(Error::Decode { .. })),
            "{body}: {result:?}"
        );
    }
}

// ------------------------------------------------------------------ errcode

/// Replies whose errcode says failure, however it is written: never `Ok`.
fn failures() -> Vec<(Value, i64)> {
    vec![
        (
            json!({"errcode": "45009", "errmsg": "api freq out of limit"}),
            45009,
        ),
        (json!({"errcode": " 40001 "}), 40001),
        (json!({"errcode": 45009.0}), 45009),
        (json!({"errcode": -1, "errmsg": "system error"}), -1),
        // A body the typed decode would refuse still carries WeChat's verdict.
        (
            json!({"errcode": "40073", "card": 5, "openid": ["x"]}),
            40073,
        ),
    ]
}

#[tokio::test]
async fn errcode_as_a_string_is_an_error_async() {
    for (body, code) in failures() {
        let server = answering(body.clone(), 1).await;
        let client = async_client(&server);
        let deleted = client.card().delete(&CardDeleteRequest::new("p1")).await;
        assert_eq!(api_code(deleted), code, "{body}");
    }
    for (body, code) in failures() {
        let server = answering(body.clone(), 1).await;
        let got = async_client(&server)
            .card()
            .get(&CardGetRequest::new("p1"))
            .await;
        assert_eq!(api_code(got), code, "{body}");
    }
}

#[test]
fn errcode_as_a_string_is_an_error_blocking() {
    for (body, code) in failures() {
        let deleted = with_blocking(body.clone(), 1, |client| {
            client.card().delete(&CardDeleteRequest::new("p1"))
        });
        assert_eq!(api_code(deleted), code, "{body}");
    }
}

#[tokio::test]
async fn errcode_zero_in_any_form_is_success_and_garbage_is_not() {
    for body in [
        json!({"errcode": "0", "errmsg": "ok", "card_id": "p1"}),
        json!({"errcode": 0.0, "card_id": "p1"}),
        json!({"errcode": null, "card_id": "p1"}),
    ] {
        let server = answering(body.clone(), 1).await;
        let created = async_client(&server).card().create(&minimal_card()).await;
        assert_eq!(created.unwrap().card_id.as_deref(), Some("p1"), "{body}");
    }
    for body in [json!({"errcode": "busy"}), json!({"errcode": true})] {
        let server = answering(body.clone(), 1).await;
        let created = async_client(&server).card().create(&minimal_card()).await;
        assert!(
            matches!(created, Err(Error::Decode { .. })),
            "{body}: {created:?}"
        );
    }
}

// ------------------------------------------------------------------ extra

#[tokio::test]
async fn a_described_field_in_extra_is_refused_and_nothing_is_sent() {
    let server = answering(json!({"errcode": 0}), 0).await;
    let mut request = CardBatchGetRequest::new(0, 10);
    request.extra.insert("count".into(), json!(51));
    let result = async_client(&server).card().batch_get(&request).await;
    let Err(Error::InvalidRequest { violations, .. }) = result else {
        panic!("expected InvalidRequest, got {result:?}");
    };
    assert_eq!(violations[0].field, "count");
    assert_eq!(violations[0].rule.name(), "extra");
    // Nested models too.
    let mut card = minimal_card();
    let base = card
        .card
        .discount
        .as_mut()
        .unwrap()
        .base_info
        .as_mut()
        .unwrap();
    base.extra.insert("title".into(), json!("x".repeat(100)));
    let violations = card.check(china_today()).unwrap_err();
    assert_eq!(violations[0].field, "card.discount.base_info.title");
    assert_eq!(violations[0].rule.name(), "extra");
}

#[test]
fn a_request_from_json_is_checked_like_one_built_with_setters() {
    // A key given twice is refused by name: which one was meant is anybody's guess.
    let twice =
        serde_json::from_str::<CardBatchGetRequest>(r#"{"offset":0,"count":10,"count":51}"#);
    assert!(twice.unwrap_err().to_string().contains("`count`"));
    let request: CardBatchGetRequest = serde_json::from_str(r#"{"offset":0,"count":51}"#).unwrap();
    let violations = request.check(china_today()).unwrap_err();
    assert_eq!(
        (violations[0].field.as_str(), violations[0].rule.name()),
        ("count", "max")
    );
    // A required field missing from JSON is named too.
    let card: CardCreateRequest = serde_json::from_value(json!({
        "card": {"card_type": "DISCOUNT", "discount": {"discount": 30, "base_info": {}}}
    }))
    .unwrap();
    let violations = card.check(china_today()).unwrap_err();
    assert!(
        violations
            .iter()
            .any(|v| v.field == "card.discount.base_info.logo_url" && v.rule.name() == "required")
    );
}

// ------------------------------------------------------------------ requests the docs allow

fn minimal_card() -> CardCreateRequest {
    serde_json::from_value(card_json(json!({
        "type": "DATE_TYPE_FIX_TIME_RANGE", "begin_timestamp": 1_397_577_600, "end_timestamp": 1_472_724_261
    })))
    .unwrap()
}

fn card_json(date_info: Value) -> Value {
    json!({ "card": { "card_type": "DISCOUNT", "discount": {
        "discount": 30,
        "base_info": {
            "logo_url": "http://mmbiz.qpic.cn/logo.png", "code_type": "CODE_TYPE_TEXT",
            "brand_name": "微信餐厅", "title": "8折券", "color": "Color010",
            "notice": "使用时向服务员出示此券", "description": "不可与其他优惠同享",
            "date_info": date_info, "sku": { "quantity": 100 }
        }
    }}})
}

#[test]
fn requests_the_docs_allow_are_not_refused() {
    let today = china_today();
    for date_info in [
        // 创建卡券: end_timestamp 可用于DATE_TYPE_FIX_TERM时间类型，表示卡券统一过期时间.
        json!({"type": "DATE_TYPE_FIX_TERM", "fixed_term": 30, "fixed_begin_term": 0, "end_timestamp": 1_893_427_199}),
        // 管理卡券: 领取后当天有效填写0.
        json!({"type": "DATE_TYPE_FIX_TERM", "fixed_term": 0, "fixed_begin_term": 0}),
        // 旧文档采用的1和2依然生效: read as the strings, sent as the strings.
        json!({"type": 1, "begin_timestamp": 1_397_577_600, "end_timestamp": 1_472_724_261}),
        json!({"type": 2, "fixed_term": 7, "fixed_begin_term": 1}),
        // Timestamps "最终需转换为字符串形态传入".
        json!({"type": "DATE_TYPE_FIX_TIME_RANGE", "begin_timestamp": "1397577600", "end_timestamp": "1472724261"}),
    ] {
        let request: CardCreateRequest = serde_json::from_value(card_json(date_info.clone()))
            .unwrap_or_else(|e| panic!("{date_info}: {e}"));
        assert_eq!(request.check(today), Ok(()), "{date_info}");
        let sent = serde_json::to_value(&request).unwrap();
        let sent_type = &sent["card"]["discount"]["base_info"]["date_info"]["type"];
        assert!(
            sent_type
                .as_str()
                .is_some_and(|t| t.starts_with("DATE_TYPE_"))
        );
    }
    // 设置买单: is_open 不填默认true.
    assert_eq!(CardSetPayCellRequest::new("p1").check(today), Ok(()));
    // Built with setters too.
    let fix_term = DateInfo::new(DateType::FixTerm)
        .fixed_term(0)
        .fixed_begin_term(0)
        .end_timestamp(1_893_427_199);
    assert_eq!(fix_term.check(today), Ok(()));
}

#[test]
fn what_the_docs_refuse_is_refused_before_sending() {
    let today = china_today();
    let refused = |date_info: Value, field: &str, rule: &str| {
        let request: CardCreateRequest = serde_json::from_value(card_json(date_info)).unwrap();
        let violations = request.check(today).unwrap_err();
        assert!(
            violations
                .iter()
                .any(|v| v.field.ends_with(field) && v.rule.name() == rule),
            "{field} {rule}: {violations:?}"
        );
    };
    refused(
        json!({"type": "DATE_TYPE_FIX_TERM", "fixed_term": -1, "fixed_begin_term": 0}),
        "date_info.fixed_term",
        "min",
    );
    refused(
        json!({"type": "DATE_TYPE_FIX_TIME_RANGE", "begin_timestamp": -5, "end_timestamp": 10}),
        "date_info.begin_timestamp",
        "min",
    );
    // 创建卡券: fixed_begin_term 是 (领取后当天生效填写0).
    refused(
        json!({"type": "DATE_TYPE_FIX_TERM", "fixed_term": 30}),
        "date_info.fixed_begin_term",
        "check",
    );
    // A legacy number that names no type is not a documented value.
    refused(
        json!({"type": 3, "fixed_term": 1, "fixed_begin_term": 0}),
        "date_info.type",
        "enum",
    );
    let mut colour =
        card_json(json!({"type": "DATE_TYPE_FIX_TERM", "fixed_term": 1, "fixed_begin_term": 0}));
    colour["card"]["discount"]["base_info"]["color"] = json!("#10AD61");
    let request: CardCreateRequest = serde_json::from_value(colour).unwrap();
    let violations = request.check(today).unwrap_err();
    assert_eq!(violations[0].rule.name(), "format");
}

// ------------------------------------------------------------------ the escape hatch

#[tokio::test]
async fn send_unchecked_sends_what_a_rule_would_refuse_async() {
    let server = answering(json!({"errcode": 0, "card_id_list": [], "total_num": 0}), 1).await;
    let client = async_client(&server);
    let request = CardBatchGetRequest::new(0, 51);
    assert!(matches!(
        client.send(&request).await,
        Err(Error::InvalidRequest { .. })
    ));
    let reply = client.send_unchecked(&request).await.unwrap();
    assert_eq!(reply.total_num, Some(0));
}

#[test]
fn send_unchecked_sends_what_a_rule_would_refuse_blocking() {
    let reply = with_blocking(json!({"errcode": 0, "total_num": 3}), 1, |client| {
        let request = CardBatchGetRequest::new(0, 51);
        assert!(client.send(&request).is_err());
        client.send_unchecked(&request)
    });
    assert_eq!(reply.unwrap().total_num, Some(3));
}

// ------------------------------------------------------------------ the sandbox

/// POSTs raw JSON to the sandbox, as a client in another language would.
async fn post(sandbox: &Sandbox, token: &str, path: &str, body: Value) -> Value {
    let reply = reqwest::Client::new()
        .post(format!("{}{path}?access_token={token}", sandbox.url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice(&reply).unwrap()
}

#[tokio::test]
async fn the_sandbox_accepts_what_wechat_accepts() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let token = client.access_token().await.unwrap();
    let token = token.expose();
    for date_info in [
        json!({"type": 1, "begin_timestamp": "1397577600", "end_timestamp": "1893427199"}),
        json!({"type": 2, "fixed_term": "7", "fixed_begin_term": "0"}),
        json!({"type": "DATE_TYPE_FIX_TERM", "fixed_term": 0, "fixed_begin_term": 0, "end_timestamp": 1_893_427_199}),
    ] {
        let reply = post(
            &sandbox,
            token,
            "/card/create",
            card_json(date_info.clone()),
        )
        .await;
        assert_eq!(reply["errcode"], 0, "{date_info}: {reply}");
        let card_id = reply["card_id"].as_str().unwrap();
        let got = post(&sandbox, token, "/card/get", json!({"card_id": card_id})).await;
        let stored = &got["card"]["discount"]["base_info"]["date_info"];
        assert!(
            stored["type"].as_str().unwrap().starts_with("DATE_TYPE_"),
            "{got}"
        );
    }
    // What WeChat refuses, the sandbox refuses with WeChat's errcode.
    let reply = post(
        &sandbox,
        token,
        "/card/create",
        card_json(json!({"type": 9, "fixed_term": 1, "fixed_begin_term": 0})),
    )
    .await;
    assert_ne!(reply["errcode"], 0, "{reply}");
    let mut no_title = card_json(json!({"type": 2, "fixed_term": 1, "fixed_begin_term": 0}));
    no_title["card"]["discount"]["base_info"]
        .as_object_mut()
        .unwrap()
        .remove("title");
    let reply = post(&sandbox, token, "/card/create", no_title).await;
    assert_eq!(
        reply["errcode"],
        ErrCode::MissingRequiredField.code(),
        "{reply}"
    );
}

#[tokio::test]
async fn a_fixed_term_code_expires_at_the_earlier_of_its_term_and_end_timestamp() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let common_end = now + 2 * 86_400; // everyone's codes end in two days…
    let request: CardCreateRequest = serde_json::from_value(card_json(json!({
        "type": "DATE_TYPE_FIX_TERM", "fixed_term": 30, "fixed_begin_term": 0, "end_timestamp": common_end
    })))
    .unwrap();
    let card_id = client
        .card()
        .create(&request)
        .await
        .unwrap()
        .card_id
        .unwrap();
    let code = sandbox.user("o-fix-term").claim(&card_id).unwrap();
    let status = |reply: wechat_card::code::CodeGetResponse| reply.user_card_status;
    let get = CodeGetRequest::new(&code);
    let before = client.code().get(&get).await.unwrap();
    assert_eq!(
        status(before),
        Some(wechat_card::types::UserCardStatus::Normal)
    );
    // …although its 30-day term would run on: it has expired after three days.
    sandbox.advance_clock(Duration::from_secs(3 * 86_400));
    let after = client.code().get(&get).await.unwrap();
    assert_eq!(
        status(after),
        Some(wechat_card::types::UserCardStatus::Expire)
    );
}

#[tokio::test]
async fn empty_values_in_the_wrong_shape_are_absent_and_long_numbers_keep_their_digits() {
    let reply = json!({
        "errcode": 0,
        "card": { "card_type": "DISCOUNT", "discount": {
            "base_info": {
                "title": "8折券", "get_limit": "", "can_share": "",
                "location_id_list": {}, "sku": "", "date_info": []
            },
            "advanced_info": ""
        }}
    });
    let server = answering(reply, 1).await;
    let got = async_client(&server)
        .card()
        .get(&CardGetRequest::new("p1"))
        .await
        .expect("blank values are absent, not an error");
    let discount = got.card.as_ref().unwrap().discount.as_ref().unwrap();
    let base = discount.base_info.as_ref().unwrap();
    assert_eq!(
        (base.get_limit, base.can_share, &base.location_id_list),
        (None, None, &None)
    );
    assert!(base.sku.is_none() && base.date_info.is_none() && discount.advanced_info.is_none());

    // A code written as a number: its exact digits, beyond i64 too.
    let reply = json!({"errcode": 0, "openid": 12345678901234567890u64, "card": {"card_id": "p1"}});
    let server = answering(reply, 1).await;
    let got = async_client(&server)
        .code()
        .get(&CodeGetRequest::new("1"))
        .await
        .unwrap();
    assert_eq!(got.openid.as_deref(), Some("12345678901234567890"));
}
