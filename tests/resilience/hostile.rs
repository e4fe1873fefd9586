//! Hostile and flaky servers: redirects are refused and followed nowhere, secrets are
//! scrubbed wherever a reply quotes them, timeouts say where, and a reply that does not
//! tell whether a non-idempotent call took effect says the outcome is unknown.
//! Both clients, against loopback servers only.

use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wechat_card::card::CardGetRequest;
use wechat_card::code::CodeConsumeRequest;
use wechat_card::error::TimeoutPhase;
use wechat_card::{AppCredentials, Config, Error, RetryPolicy, StaticToken};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::fake;

const TOKEN: &str = "HOSTILE_TOKEN_7f3a9c2e1b4d8f6a0c5e9b3d7a1f4c8e2b6d0a9f3c7e1b5d";
const SECRET: &str = "HOSTILE-SECRET/never+seen=0123456789abcdef";

/// A loopback server that only counts the connections it gets: where a followed
/// redirect would go.
fn trap() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (format!("127.0.0.1:{}", addr.port()), hits)
}

async fn redirecting(status: u16, to: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("location", format!("http://{to}/steal?from=wechat-card"))
                .set_body_string("moved"),
        )
        .mount(&server)
        .await;
    server
}

use crate::config;

fn assert_refused_redirect(result: Result<impl std::fmt::Debug, Error>, trap_host: &str) {
    let err = result.expect_err("a redirect is an error");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("redirect") && text.contains(trap_host),
        "{text}"
    );
    assert!(
        !text.contains(TOKEN) && !text.contains("never+seen"),
        "{text}"
    );
}

#[tokio::test]
async fn redirects_are_refused_and_followed_nowhere_async() {
    let (trap_host, hits) = trap();
    for status in [301, 302, 303, 307, 308] {
        let server = redirecting(status, &trap_host).await;
        // An API call: the URL carries the token.
        let client = wechat_card::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
        let got = client.card().get(&CardGetRequest::new("p1")).await;
        assert_refused_redirect(got, &trap_host);
        // The token call: its body carries the app secret (a 307 would re-post it).
        let client =
            wechat_card::Client::new(config(&server), AppCredentials::new("wx-hostile", SECRET))
                .unwrap();
        let token = client.access_token().await;
        assert_refused_redirect(token, &trap_host);
        for request in server.received_requests().await.unwrap() {
            assert!(
                request.headers.get("referer").is_none(),
                "no Referer is sent"
            );
        }
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing reached the redirect's target"
    );
}

#[test]
fn redirects_are_refused_and_followed_nowhere_blocking() {
    let (trap_host, hits) = trap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for status in [301, 302, 303, 307, 308] {
        let server = rt.block_on(redirecting(status, &trap_host));
        let client =
            wechat_card::blocking::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
        assert_refused_redirect(client.card().get(&CardGetRequest::new("p1")), &trap_host);
        let client = wechat_card::blocking::Client::new(
            config(&server),
            AppCredentials::new("wx-hostile", SECRET),
        )
        .unwrap();
        assert_refused_redirect(client.access_token(), &trap_host);
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing reached the redirect's target"
    );
}

/// A proxy's error page that echoes the request, with the token (raw, URL-encoded
/// or JSON-escaped) at a different offset on every call.
struct Echo {
    calls: AtomicUsize,
    form: fn(&str) -> String,
}

impl Respond for Echo {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let offset = self.calls.fetch_add(1, Ordering::SeqCst);
        let body = format!(
            "{}{}?access_token={} was refused</p></body></html>",
            "<html><body><p>502 Bad Gateway "
                .repeat(8)
                .chars()
                .take(offset)
                .collect::<String>(),
            "/card/get",
            (self.form)(TOKEN),
        );
        ResponseTemplate::new(502)
            .insert_header("content-type", "text/html")
            .set_body_string(body)
    }
}

/// No 8-character run of the token anywhere in `text`.
fn assert_no_token_part(text: &str) {
    for window in TOKEN.as_bytes().windows(8) {
        let part = std::str::from_utf8(window).unwrap();
        assert!(!text.contains(part), "`{part}` of the token leaked: {text}");
    }
}

fn forms() -> Vec<fn(&str) -> String> {
    vec![
        |t| t.to_owned(),
        |t| t.replace('_', "%5F"),
        |t| t.replace('_', "%5f"),
        |t| format!("\"{t}\""),
    ]
}

#[tokio::test(flavor = "current_thread")]
async fn a_token_echoed_at_any_offset_is_scrubbed_before_the_excerpt_is_cut() {
    let (subscriber, log) = fake::capture();
    let _guard = tracing::subscriber::set_default(subscriber);
    for form in forms() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(Echo {
                calls: AtomicUsize::new(0),
                form,
            })
            .mount(&server)
            .await;
        let client = wechat_card::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
        // Every offset from the start of the excerpt to well past its 200 characters.
        for _ in 0..=260 {
            let err = client
                .card()
                .get(&CardGetRequest::new("p1"))
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Decode { status: 502, .. }), "{err}");
            assert_no_token_part(&format!("{err} {err:?}"));
        }
    }
    assert_no_token_part(&log.lock().unwrap());
}

#[test]
fn a_token_echoed_at_any_offset_is_scrubbed_blocking() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(Echo {
                calls: AtomicUsize::new(0),
                form: |t| t.to_owned(),
            })
            .mount(&server)
            .await;
        server
    });
    let client =
        wechat_card::blocking::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
    for _ in 0..=260 {
        let err = client.card().get(&CardGetRequest::new("p1")).unwrap_err();
        assert_no_token_part(&format!("{err} {err:?}"));
    }
}

/// A server that answers every connection with `head`, then waits (holding the
/// connection open) without sending anything more.
fn stalling(head: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(head.as_bytes());
                std::thread::sleep(Duration::from_secs(3));
            });
        }
    });
    format!("http://{addr}")
}

const HEADERS_ONLY: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"errcode\":";

fn quick(url: &str) -> Config {
    Config::new()
        .all_hosts(url)
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::none())
}

#[tokio::test]
async fn timeouts_say_where_async() {
    let client = wechat_card::Client::new(quick(&stalling("")), StaticToken::new(TOKEN)).unwrap();
    let err = client
        .card()
        .get(&CardGetRequest::new("p1"))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(err.timeout_phase(), Some(TimeoutPhase::Call));
    assert!(err.to_string().contains("timed out"), "{err}");
    let client =
        wechat_card::Client::new(quick(&stalling(HEADERS_ONLY)), StaticToken::new(TOKEN)).unwrap();
    let err = client
        .card()
        .get(&CardGetRequest::new("p1"))
        .await
        .unwrap_err();
    assert_eq!(err.timeout_phase(), Some(TimeoutPhase::Read), "{err}");
    assert!(
        err.to_string().contains("timed out reading the reply"),
        "{err}"
    );
    // Not a timeout: an HTML page.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .mount(&server)
        .await;
    let client = wechat_card::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
    let err = client
        .card()
        .get(&CardGetRequest::new("p1"))
        .await
        .unwrap_err();
    assert!(!err.is_timeout());
}

#[test]
fn timeouts_say_where_blocking() {
    let client =
        wechat_card::blocking::Client::new(quick(&stalling("")), StaticToken::new(TOKEN)).unwrap();
    let err = client.card().get(&CardGetRequest::new("p1")).unwrap_err();
    assert_eq!(err.timeout_phase(), Some(TimeoutPhase::Wait), "{err}");
    assert!(
        err.to_string().contains("timed out waiting for the reply"),
        "{err}"
    );
    let client =
        wechat_card::blocking::Client::new(quick(&stalling(HEADERS_ONLY)), StaticToken::new(TOKEN))
            .unwrap();
    let err = client.card().get(&CardGetRequest::new("p1")).unwrap_err();
    assert_eq!(err.timeout_phase(), Some(TimeoutPhase::Read), "{err}");
}

async fn answering(status: u16, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_string(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn an_unreadable_reply_to_a_consume_leaves_its_outcome_unknown() {
    let consume = CodeConsumeRequest::new("110201201245");
    for (status, body) in [
        (502, "<html>502 Bad Gateway</html>"),
        (200, "<html>maintenance</html>"),
        (503, ""),
        (500, r#"{"message":"upstream failed"}"#),
    ] {
        let server = answering(status, body).await;
        let client = wechat_card::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
        let err = client.code().consume(&consume).await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err}");
        let check = err.outcome_check().expect("the outcome is unknown");
        assert!(check.contains("get_unchecked"), "{check}");
        assert!(err.to_string().contains("outcome is unknown"), "{err}");
        // The same page to a query: it may simply be asked again.
        let got = client
            .card()
            .get(&CardGetRequest::new("p1"))
            .await
            .unwrap_err();
        assert_eq!(got.outcome_check(), None, "{got}");
    }
    // errcode 0 says it went through, even if the rest cannot be read.
    let server = answering(200, r#"{"errcode":0,"errmsg":"ok","card":5}"#).await;
    let client = wechat_card::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
    let err = client.code().consume(&consume).await.unwrap_err();
    assert_eq!(err.outcome_check(), None, "{err}");
    assert!(err.to_string().contains("reported success"), "{err}");
}

#[test]
fn an_unreadable_reply_to_a_consume_leaves_its_outcome_unknown_blocking() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(answering(502, "<html>502 Bad Gateway</html>"));
    let client =
        wechat_card::blocking::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
    let err = client
        .code()
        .consume(&CodeConsumeRequest::new("110201201245"))
        .unwrap_err();
    assert!(err.outcome_check().is_some(), "{err}");
}

#[tokio::test]
async fn a_gateway_error_to_a_query_is_retried() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>502</html>"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "card_id_list": []})),
        )
        .mount(&server)
        .await;
    let config = Config::new()
        .all_hosts(server.uri())
        .retry(RetryPolicy::default());
    let client = wechat_card::Client::new(config, StaticToken::new(TOKEN)).unwrap();
    let list = client
        .card()
        .batch_get(&wechat_card::card::CardBatchGetRequest::new(0, 10))
        .await
        .unwrap();
    assert_eq!(list.card_id_list, Some(vec![]));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

mod decoder {
    //! The reply decoder (`wechat_card::response::decode`, what both clients run) on
    //! any bytes and any status: a value or an error, never a panic; a non-zero
    //! errcode is never a success.
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use wechat_card::card::CardGetRequest;
    use wechat_card::code::CodeConsumeRequest;
    use wechat_card::distribute::DistributeShowQrcodeRequest;
    use wechat_card::response::decode;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|x| json!(x)),
            "[a-zA-Z0-9_ #\\-]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("card".to_owned()),
                        Just("openid".to_owned()),
                        Just("discount".to_owned()),
                        Just("base_info".to_owned()),
                        Just("date_info".to_owned()),
                        Just("type".to_owned()),
                        Just("sku".to_owned()),
                        Just("quantity".to_owned()),
                        "[a-z_]{1,8}",
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_bytes_any_status(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode::<CardGetRequest>(status, Some("application/json"), &body);
            let _ = decode::<CodeConsumeRequest>(status, None, &body);
            let _ = decode::<DistributeShowQrcodeRequest>(status, Some("image/jpeg"), &body);
        }

        #[test]
        fn any_json_with_an_errcode(card in json_value(), code in prop_oneof![Just(0i64), -1i64..100_000], as_text in any::<bool>()) {
            let errcode = if as_text { json!(code.to_string()) } else { json!(code) };
            let body = json!({"errcode": errcode, "card": card, "openid": "o1"}).to_string();
            let got = decode::<CardGetRequest>(200, None, body.as_bytes());
            if code != 0 {
                let err = got.expect_err("a non-zero errcode is never a success");
                prop_assert_eq!(err.errcode().map(|c| c.code()), Some(code));
            } else if let Err(err) = got {
                // errcode 0: data, or a reply WeChat reported as a success.
                prop_assert!(err.reported_success(), "{}", err);
            }
        }
    }
}

// ------------------------------------------------------------------ found in review

const FRESH: &str = "FRESH_TOKEN_SHOULD_NEVER_BE_SEEN_0123456789abcdef";

#[tokio::test]
async fn a_new_credential_in_an_unreadable_reply_is_not_quoted() {
    for body in [
        json!({"access_token": FRESH, "expires_in": [7200]}).to_string(),
        format!("{{\"access_token\":\"{FRESH}\",\"expires_in\":"),
    ] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
            .mount(&server)
            .await;
        let client =
            wechat_card::Client::new(config(&server), AppCredentials::new("wx-hostile", SECRET))
                .unwrap();
        let err = client.access_token().await.unwrap_err();
        let text = format!("{err} {err:?}");
        for window in FRESH.as_bytes().windows(8) {
            let part = std::str::from_utf8(window).unwrap();
            assert!(!text.contains(part), "`{part}` leaked from {body}: {text}");
        }
    }
}

#[tokio::test]
async fn an_errcode_that_is_no_number_is_not_quoted_in_the_reason() {
    let body = json!({"errcode": format!("token {TOKEN} bad")}).to_string();
    let server = answering(200, &body).await;
    let client = wechat_card::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
    let err = client
        .card()
        .get(&CardGetRequest::new("p1"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("errcode is text, not a number"),
        "{err}"
    );
    assert_no_token_part(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn a_redirect_is_not_retried() {
    let (trap_host, _) = trap();
    let server = redirecting(302, &trap_host).await;
    let config = Config::new()
        .all_hosts(server.uri())
        .retry(RetryPolicy::default());
    let client = wechat_card::Client::new(config, StaticToken::new(TOKEN)).unwrap();
    let err = client
        .card()
        .get(&CardGetRequest::new("p1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Redirect { status: 302, .. }), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_callers_client_that_follows_a_redirect_is_not_believed() {
    // The redirect's target answers as if it were WeChat.
    let target = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 0, "card": {"card_id": "p1"}, "openid": "evil"})),
        )
        .mount(&target)
        .await;
    let origin = redirecting(307, target.address().to_string().as_str()).await;
    // reqwest's defaults follow redirects: the caller's choice, refused all the same.
    let client = wechat_card::Client::with_http_client(
        reqwest::Client::new(),
        config(&origin),
        StaticToken::new(TOKEN),
    )
    .unwrap();
    let consumed = client
        .code()
        .consume(&CodeConsumeRequest::new("110201201245"))
        .await;
    let err = consumed.expect_err("another server's word is not WeChat's");
    assert!(matches!(err, Error::Redirect { .. }), "{err}");
    assert!(err.outcome_check().is_some(), "{err}");
}

#[tokio::test]
async fn a_json_reply_without_errcode_to_a_consume_is_not_a_success() {
    let portal = r#"{"status":"login required","redirect":"http://portal.local/"}"#;
    let server = answering(200, portal).await;
    let client = wechat_card::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
    let err = client
        .code()
        .consume(&CodeConsumeRequest::new("110201201245"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert!(err.outcome_check().is_some(), "{err}");
}

#[tokio::test]
async fn an_unreadable_success_says_so() {
    let server = answering(200, r#"{"errcode":0,"card":"p1","openid":"o1"}"#).await;
    let client = wechat_card::Client::new(config(&server), StaticToken::new(TOKEN)).unwrap();
    let err = client
        .code()
        .consume(&CodeConsumeRequest::new("110201201245"))
        .await
        .unwrap_err();
    assert!(err.reported_success(), "{err}");
    assert!(err.to_string().contains("do not send it again"), "{err}");
}

#[test]
fn a_reply_of_exactly_the_limit_is_read_by_both_clients() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = r#"{"errcode":0,"card_id_list":[],"total_num":0}"#;
    let server = rt.block_on(answering(200, body));
    let at = |limit: usize| {
        Config::new()
            .all_hosts(server.uri())
            .retry(RetryPolicy::none())
            .max_reply_bytes(limit)
    };
    let list = wechat_card::card::CardBatchGetRequest::new(0, 10);
    let blocking = |limit| {
        wechat_card::blocking::Client::new(at(limit), StaticToken::new(TOKEN))
            .unwrap()
            .card()
            .batch_get(&list)
    };
    let asynchronous = |limit| {
        let client = wechat_card::Client::new(at(limit), StaticToken::new(TOKEN)).unwrap();
        rt.block_on(async { client.card().batch_get(&list).await })
    };
    assert!(blocking(body.len()).is_ok());
    assert!(asynchronous(body.len()).is_ok());
    assert!(blocking(body.len() - 1).is_err());
    assert!(asynchronous(body.len() - 1).is_err());
    assert!(wechat_card::Client::new(at(0), StaticToken::new(TOKEN)).is_err());
}
