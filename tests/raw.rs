//! Untyped calls (`client.raw(..)`), both clients, against a scripted mock WeChat: the
//! token added and renewed, errcodes read, retries only when declared idempotent,
//! requests checked before sending, and the token never shown.

#[path = "support/fake.rs"]
mod fake;

use fake::{FakeWeChat, capture, serve_blocking, start};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use wechat_card::raw::RawRequest;
use wechat_card::{ErrCode, Error, StaticToken};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "SECRET-TOKEN-must-never-show";

use fake::{app, config};

/// An endpoint the spec does not describe: a POST whose reply has an extra field.
fn unknown_post() -> RawRequest {
    RawRequest::post("/card/newthing/set", json!({ "card_id": "c", "level": 3 }))
}

fn assert_secret_free(err: &Error) {
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(
            !text.contains("must-never-show"),
            "the token leaked: {text}"
        );
    }
}

/// What both clients must answer, given the result of each scenario.
mod expect {
    use super::*;

    pub fn invalid(err: Error, field: &str) {
        match &err {
            Error::InvalidRequest {
                endpoint,
                violations,
                ..
            } => {
                assert_eq!(*endpoint, "raw");
                assert!(violations.iter().any(|v| v.field == field), "{err}");
            }
            other => panic!("expected an invalid request naming `{field}`, got {other}"),
        }
    }

    /// "System busy" to a call not declared idempotent: it may have taken effect, and
    /// the error says so rather than only "retry later".
    pub fn busy_outcome_unknown(result: &Result<Value, Error>) {
        let err = result.as_ref().expect_err("-1 is an error");
        assert_eq!(
            err.outcome_check(),
            Some("check whether it took effect"),
            "{err}"
        );
        assert!(err.to_string().contains("the outcome is unknown"), "{err}");
    }

    pub fn api(result: Result<Value, Error>, code: i64) {
        let err = result.expect_err("a non-zero errcode is never a success");
        assert!(
            matches!(
                err,
                Error::Api {
                    endpoint: "raw",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.errcode().map(|c| c.code()), Some(code), "{err}");
    }
}

/// A gateway's 502 page: the request may have reached WeChat, nothing says whether it
/// took effect.
async fn gateway_down() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html>502 Bad Gateway</html>", "text/html"),
        )
        .mount(&server)
        .await;
    server
}

/// After a 502: sent once and the outcome left open unless declared idempotent, then
/// sent 1 + `max_retries` times.
fn expect_gateway(once: Result<Value, Error>, retried: Result<Value, Error>, requests: usize) {
    match once.unwrap_err() {
        Error::Decode {
            status: 502, check, ..
        } => assert!(check.is_some(), "says how to check"),
        other => panic!("expected the 502 as a decode error, got {other}"),
    }
    assert!(matches!(
        retried,
        Err(Error::Decode {
            status: 502,
            check: None,
            ..
        })
    ));
    assert_eq!(requests, 1 + 3, "once, then three times");
}

/// The requests the validation tests send: each breaks one rule, and none is sent.
fn broken_requests() -> Vec<(RawRequest, &'static str)> {
    vec![
        (RawRequest::get("card/getcolors"), "path"),
        (RawRequest::get("/"), "path"),
        (RawRequest::get("/card/getcolors?x=1"), "path"),
        (RawRequest::get("/card/get colors"), "path"),
        // Nothing a URL parser would resolve against the base URL, nor a host of its own.
        (RawRequest::get("//evil.example/card/getcolors"), "path"),
        (RawRequest::get("/card/../cgi-bin/token"), "path"),
        (RawRequest::get("/.."), "path"),
        (RawRequest::get("/card/%2E%2e/x"), "path"),
        (RawRequest::get("/card/./getcolors"), "path"),
        (RawRequest::get("/card\\evil"), "path"),
        (RawRequest::get("/card/getcolors/"), "path"),
        (RawRequest::get("/card/卡券"), "path"),
        (
            RawRequest::get("/card/getcolors").query("access_token", "T"),
            "query",
        ),
        (RawRequest::post("/card/get", json!(["card_id"])), "body"),
        (RawRequest::post("/card/get", Value::Null), "body"),
    ]
}

#[test]
fn debug_shows_keys_never_values() {
    let request = RawRequest::post("/cgi-bin/stable_token", json!({ "secret": SECRET }))
        .query("key", "must-never-show-either");
    let debug = format!("{request:?}");
    assert!(
        debug.contains("/cgi-bin/stable_token") && debug.contains("secret"),
        "{debug}"
    );
    assert!(!debug.contains("must-never-show"), "{debug}");
    assert!(
        !request.is_idempotent(),
        "not idempotent unless declared so"
    );
    assert!(request.clone().idempotent().is_idempotent());
}

#[cfg(feature = "async")]
mod asynchronous {
    use super::*;
    use wechat_card::Client;

    #[tokio::test]
    async fn a_reply_is_json_without_its_envelope() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        let reply = client.raw(&unknown_post()).await.unwrap();
        // The fake's default reply: a card, whatever was asked.
        assert_eq!(reply["card"]["card_type"], "GIFT");
        assert!(reply.get("errcode").is_none() && reply.get("errmsg").is_none());
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn get_sends_its_query_and_the_token() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/cgi-bin/ticket/getticket"))
            .and(query_param("type", "wx card&more"))
            .and(query_param("access_token", SECRET))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "ticket": "TICKET"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let client = Client::new(config(&server), StaticToken::new(SECRET)).unwrap();
        let request = RawRequest::get("/cgi-bin/ticket/getticket").query("type", "wx card&more");
        let reply = client.raw(&request).await.unwrap();
        assert_eq!(reply, json!({ "ticket": "TICKET" }));
    }

    #[tokio::test]
    async fn post_sends_its_body_as_is() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/card/newthing/set"))
            .and(body_json(json!({ "card_id": "c", "level": 3 })))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"errcode": 0, "errmsg": "ok", "new": 1})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let client = Client::new(config(&server), StaticToken::new(SECRET)).unwrap();
        assert_eq!(
            client.raw(&unknown_post()).await.unwrap(),
            json!({ "new": 1 })
        );
    }

    #[tokio::test]
    async fn a_nonzero_errcode_is_an_api_error() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        fake.then_reply(&[40056]);
        expect::api(client.raw(&unknown_post()).await, 40056);
    }

    #[tokio::test]
    async fn a_rejected_token_is_renewed_and_the_call_sent_once_more() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        client.raw(&unknown_post()).await.unwrap();
        fake.revoke_all();
        // Not idempotent, yet resent: WeChat refused the token, so nothing happened.
        client.raw(&unknown_post()).await.unwrap();
        assert_eq!(fake.issued.load(Ordering::SeqCst), 2);
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn only_a_call_declared_idempotent_is_retried() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        fake.then_reply(&[-1]);
        let busy = client.raw(&unknown_post()).await;
        expect::busy_outcome_unknown(&busy);
        expect::api(busy, -1);
        assert_eq!(
            fake.business_calls.load(Ordering::SeqCst),
            1,
            "never re-sent"
        );
        fake.then_reply(&[-1]);
        client.raw(&unknown_post().idempotent()).await.unwrap();
        assert_eq!(
            fake.business_calls.load(Ordering::SeqCst),
            3,
            "sent again after -1"
        );
    }

    #[tokio::test]
    async fn a_lost_outcome_is_not_sent_again_unless_idempotent() {
        let server = gateway_down().await;
        let client = Client::new(config(&server), StaticToken::new(SECRET)).unwrap();
        let once = client.raw(&unknown_post()).await;
        let retried = client.raw(&unknown_post().idempotent()).await;
        let requests = server.received_requests().await.unwrap().len();
        expect_gateway(once, retried, requests);
    }

    #[tokio::test]
    async fn a_broken_request_is_refused_before_sending() {
        let fake = FakeWeChat::new(7200);
        let server = start(&fake).await;
        let client = Client::new(config(&server), app()).unwrap();
        for (request, field) in broken_requests() {
            expect::invalid(client.raw(&request).await.unwrap_err(), field);
        }
        assert_eq!(fake.issued.load(Ordering::SeqCst), 0, "not even a token");
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_token_is_in_no_error_and_no_log() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"errcode": 40056, "errmsg": format!("invalid code, access_token {SECRET}")}),
            ))
            .mount(&server)
            .await;
        let client = Client::new(config(&server), StaticToken::new(SECRET)).unwrap();
        let (subscriber, logs) = capture();
        let _guard = tracing::subscriber::set_default(subscriber);
        let err = client.raw(&unknown_post()).await.unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::InvalidCode));
        assert_secret_free(&err);
        let logs = logs.lock().unwrap();
        assert!(logs.contains("raw"), "the call is logged: {logs}");
        assert!(!logs.contains("must-never-show"), "{logs}");
    }
}

#[cfg(feature = "blocking")]
mod blocking {
    use super::*;
    use wechat_card::blocking::Client;

    #[test]
    fn a_reply_is_json_without_its_envelope() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let client = Client::new(config(&server), app()).unwrap();
        let reply = client.raw(&unknown_post()).unwrap();
        assert_eq!(reply["card"]["card_type"], "GIFT");
        assert!(reply.get("errcode").is_none() && reply.get("errmsg").is_none());
    }

    #[test]
    fn a_nonzero_errcode_is_an_api_error() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let client = Client::new(config(&server), app()).unwrap();
        fake.then_reply(&[40056]);
        expect::api(client.raw(&unknown_post()), 40056);
    }

    #[test]
    fn a_rejected_token_is_renewed_and_the_call_sent_once_more() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let client = Client::new(config(&server), app()).unwrap();
        client.raw(&unknown_post()).unwrap();
        fake.revoke_all();
        client.raw(&unknown_post()).unwrap();
        assert_eq!(fake.issued.load(Ordering::SeqCst), 2);
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn only_a_call_declared_idempotent_is_retried() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let client = Client::new(config(&server), app()).unwrap();
        fake.then_reply(&[-1]);
        let busy = client.raw(&unknown_post());
        expect::busy_outcome_unknown(&busy);
        expect::api(busy, -1);
        assert_eq!(
            fake.business_calls.load(Ordering::SeqCst),
            1,
            "never re-sent"
        );
        fake.then_reply(&[-1]);
        client.raw(&unknown_post().idempotent()).unwrap();
        assert_eq!(
            fake.business_calls.load(Ordering::SeqCst),
            3,
            "sent again after -1"
        );
    }

    #[test]
    fn a_lost_outcome_is_not_sent_again_unless_idempotent() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt.block_on(gateway_down());
        let client = Client::new(config(&server), StaticToken::new(SECRET)).unwrap();
        let once = client.raw(&unknown_post());
        let retried = client.raw(&unknown_post().idempotent());
        let requests = rt.block_on(server.received_requests()).unwrap().len();
        expect_gateway(once, retried, requests);
    }

    #[test]
    fn a_broken_request_is_refused_before_sending() {
        let fake = FakeWeChat::new(7200);
        let (_rt, server) = serve_blocking(&fake);
        let client = Client::new(config(&server), app()).unwrap();
        for (request, field) in broken_requests() {
            expect::invalid(client.raw(&request).unwrap_err(), field);
        }
        assert_eq!(fake.issued.load(Ordering::SeqCst), 0, "not even a token");
        assert_eq!(fake.business_calls.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn the_token_is_in_no_error_and_no_log() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(query_param("type", "wx_card"))
                .respond_with(ResponseTemplate::new(200).set_body_json(
                    json!({"errcode": 40056, "errmsg": format!("invalid code, access_token {SECRET}")}),
                ))
                .mount(&server)
                .await;
            server
        });
        let client = Client::new(config(&server), StaticToken::new(SECRET)).unwrap();
        let (subscriber, logs) = capture();
        let _guard = tracing::subscriber::set_default(subscriber);
        let request = RawRequest::get("/cgi-bin/ticket/getticket").query("type", "wx_card");
        let err = client.raw(&request).unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::InvalidCode));
        assert_secret_free(&err);
        let logs = logs.lock().unwrap();
        assert!(logs.contains("raw"), "the call is logged: {logs}");
        assert!(!logs.contains("must-never-show"), "{logs}");
    }
}
