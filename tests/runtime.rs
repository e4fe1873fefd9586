//! The hand-written runtime: errors, secrecy, decoding, timeouts — for both clients.

#[path = "support/net.rs"]
mod net;

use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;
use wechat_card::card::{CardBatchGetRequest, CardGetRequest};
use wechat_card::code::CodeGetRequest;
use wechat_card::model::Model;
use wechat_card::types::CardStatus;
use wechat_card::{AccessToken, Config, ErrCode, Error, StaticToken};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "SECRET-TOKEN-must-never-show";

/// The error's Display, Debug and source chain must not contain the token.
fn assert_secret_free(err: &Error) {
    let mut texts = vec![err.to_string(), format!("{err:?}")];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        texts.push(s.to_string());
        texts.push(format!("{s:?}"));
        source = s.source();
    }
    for t in texts {
        assert!(!t.contains(SECRET), "the token leaked: {t}");
        assert!(
            !t.contains("must-never-show"),
            "part of the token leaked: {t}"
        );
    }
}

/// A port nothing listens on.
fn closed_port() -> String {
    format!("http://127.0.0.1:{}", net::free_port())
}

/// Accepts connections and never answers, for timeout tests.
fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(4) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            held.push(stream); // keep it open, say nothing
        }
        std::thread::sleep(Duration::from_secs(10));
    });
    format!("http://{addr}")
}

/// Replies to every request with `status` and `body` (raw HTTP), for replies a
/// well-behaved mock would not send.
fn raw_server(status: &'static str, content_type: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    format!("http://{addr}")
}

fn html_502() -> String {
    raw_server(
        "502 Bad Gateway",
        "text/html",
        "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>",
    )
}

fn token() -> StaticToken {
    StaticToken::new(SECRET)
}

#[test]
fn debug_output_hides_the_token() {
    assert_eq!(
        format!("{:?}", AccessToken::new(SECRET)),
        "AccessToken(***)"
    );
    assert!(!format!("{:?}", token()).contains(SECRET));
    #[cfg(feature = "blocking")]
    {
        let client = wechat_card::blocking::Client::new(Config::default(), token()).unwrap();
        assert!(!format!("{client:?}").contains(SECRET));
    }
}

#[test]
fn bad_configuration_is_an_error_not_a_panic() {
    #[cfg(feature = "blocking")]
    {
        let err = wechat_card::blocking::Client::new(Config::new().base_url("ftp://x"), token())
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
        let err =
            wechat_card::blocking::Client::new(Config::new().timeout(Duration::ZERO), token())
                .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
    }
}

#[test]
fn errcodes_are_typed_and_unknown_ones_kept() {
    assert_eq!(ErrCode::from(40099), ErrCode::CodeConsumed);
    assert_eq!(ErrCode::CodeConsumed.code(), 40099);
    assert_eq!(ErrCode::from(40099).meaning(), Some("卡券已被核销"));
    assert_eq!(ErrCode::from(99_999), ErrCode::Unknown(99_999));
    assert_eq!(ErrCode::Unknown(99_999).code(), 99_999);
    assert!(ErrCode::from(42001).is_token_error());
}

#[test]
fn replies_keep_unknown_fields_and_enum_values() {
    let reply: wechat_card::card::CardGetResponse = serde_json::from_value(json!({
        "card": {
            "card_type": "FUTURE_TYPE",
            "future_type": {"x": 1},
            "discount": {
                "base_info": {
                    "logo_url": "http://x", "code_type": "CODE_TYPE_TEXT", "brand_name": "b", "title": "t",
                    "color": "Color010", "notice": "n", "date_info": {"type": "DATE_TYPE_PERMANENT"},
                    "sku": {"quantity": 1}, "status": "CARD_STATUS_NEW_STATE", "brand_new": true
                },
                "discount": 10
            }
        }
    }))
    .expect("unknown fields and values are accepted");
    let mut unknown = reply.unknown_fields();
    unknown.sort();
    assert_eq!(
        unknown,
        [
            "card.card_type",
            "card.discount.base_info.brand_new",
            "card.discount.base_info.status",
            "card.future_type"
        ]
    );
    let status = &reply
        .card
        .as_ref()
        .unwrap()
        .discount
        .as_ref()
        .unwrap()
        .base_info
        .as_ref()
        .unwrap()
        .status;
    assert_eq!(
        status,
        &Some(CardStatus::Unknown("CARD_STATUS_NEW_STATE".into()))
    );
    // Kept values go back on the wire as they came.
    assert_eq!(
        serde_json::to_value(&reply).unwrap()["card"]["discount"]["base_info"]["brand_new"],
        json!(true)
    );
}

#[test]
fn invalid_requests_list_every_violation() {
    let request: CardBatchGetRequest = serde_json::from_value(json!({
        "offset": -1, "count": 51, "status_list": ["CARD_STATUS_VERIFY_OK", "NOPE"]
    }))
    .unwrap();
    let err =
        wechat_card::validate::Validate::check(&request, wechat_card::validate::china_today())
            .unwrap_err();
    let found: Vec<(String, &str)> = err
        .iter()
        .map(|v| (v.field.clone(), v.rule.name()))
        .collect();
    assert_eq!(
        found,
        [
            ("offset".to_string(), "min"),
            ("count".to_string(), "max"),
            ("status_list[1]".to_string(), "enum")
        ]
    );
}

#[cfg(feature = "blocking")]
mod blocking {
    use super::*;
    use wechat_card::blocking::Client;

    #[test]
    fn closed_port_is_a_transport_error_without_the_token() {
        let client = Client::new(Config::new().base_url(closed_port()), token()).unwrap();
        let err = client
            .card()
            .get(&CardGetRequest::new("pFS7Fjg8kV1IdDz01r4SQwMkuCKc"))
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Transport {
                    maybe_sent: false,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("card.get"), "{err}");
        assert_secret_free(&err);
    }

    #[test]
    fn html_reply_is_a_decode_error_with_status_and_excerpt() {
        let client = Client::new(Config::new().base_url(html_502()), token()).unwrap();
        let err = client.code().get(&CodeGetRequest::new("123")).unwrap_err();
        match &err {
            Error::Decode {
                status,
                excerpt,
                endpoint,
                ..
            } => {
                assert_eq!((*status, *endpoint), (502, "code.get"));
                assert!(excerpt.starts_with("<html><body><h1>502"), "{excerpt}");
            }
            other => panic!("expected a decode error, got {other}"),
        }
        assert_secret_free(&err);
    }

    #[test]
    fn a_reply_quoting_the_token_is_scrubbed() {
        let server = raw_server(
            "200 OK",
            "application/json",
            r#"{"errcode":40001,"errmsg":"invalid credential, access_token is SECRET-TOKEN-must-never-show"}"#,
        );
        let client = Client::new(Config::new().base_url(server), token()).unwrap();
        let err = client.code().get(&CodeGetRequest::new("123")).unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::InvalidCredential), "{err}");
        assert_secret_free(&err);
    }

    #[test]
    fn an_error_reply_keeps_its_other_fields_scrubbed() {
        let server = raw_server(
            "200 OK",
            "application/json",
            r#"{"errcode":45065,"errmsg":"clientmsgid exist","msg_id":34182,"echo":{"url":"x?access_token=SECRET-TOKEN-must-never-show"}}"#,
        );
        let client = Client::new(Config::new().base_url(server), token()).unwrap();
        let err = client.code().get(&CodeGetRequest::new("123")).unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::ClientMsgIdExists), "{err}");
        assert_eq!(err.reply_field("msg_id"), Some(&serde_json::json!(34182)));
        let echo = err
            .reply_field("echo")
            .expect("nested fields kept")
            .to_string();
        assert!(!echo.contains("SECRET-TOKEN"), "{echo}");
        assert_eq!(err.reply_field("errmsg"), None);
        assert_secret_free(&err);
    }

    #[test]
    fn a_silent_server_times_out() {
        let config = Config::new()
            .base_url(silent_server())
            .timeout(Duration::from_millis(300));
        let client = Client::new(config, token()).unwrap();
        let started = std::time::Instant::now();
        let err = client
            .card()
            .modify_stock(&wechat_card::card::CardModifyStockRequest::new("c"))
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no infinite wait"
        );
        match &err {
            Error::Transport {
                maybe_sent: true,
                idempotent: false,
                ..
            } => {
                assert!(
                    err.to_string().contains("the outcome is unknown")
                        && err.to_string().contains("card().get(..)"),
                    "{err}"
                )
            }
            other => panic!("expected an outcome-unknown transport error, got {other}"),
        }
        assert_secret_free(&err);
    }
}

#[cfg(feature = "async")]
mod asynchronous {
    use super::*;
    use wechat_card::Client;

    #[tokio::test]
    async fn closed_port_is_a_transport_error_without_the_token() {
        let client = Client::new(Config::new().base_url(closed_port()), token()).unwrap();
        let err = client
            .card()
            .get(&CardGetRequest::new("pFS7Fjg8kV1IdDz01r4SQwMkuCKc"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Transport {
                    maybe_sent: false,
                    ..
                }
            ),
            "{err}"
        );
        assert_secret_free(&err);
        assert!(!format!("{client:?}").contains(SECRET));
    }

    #[tokio::test]
    async fn garbage_reply_is_a_decode_error_without_the_token() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string("not json at all"))
            .mount(&server)
            .await;
        let client = Client::new(Config::new().base_url(server.uri()), token()).unwrap();
        let err = client
            .code()
            .get(&CodeGetRequest::new("123"))
            .await
            .unwrap_err();
        match &err {
            Error::Decode {
                status: 200,
                excerpt,
                ..
            } => assert_eq!(excerpt, "not json at all"),
            other => panic!("expected a decode error, got {other}"),
        }
        assert_secret_free(&err);
    }

    #[tokio::test]
    async fn html_reply_is_a_decode_error_with_status() {
        let client = Client::new(Config::new().base_url(html_502()), token()).unwrap();
        let err = client
            .code()
            .get(&CodeGetRequest::new("123"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Decode { status: 502, .. }), "{err}");
        assert_secret_free(&err);
    }

    #[tokio::test]
    async fn a_reply_missing_a_documented_field_is_data() {
        let server = MockServer::start().await;
        let reply = json!({"errcode": 0, "errmsg": "ok", "card_id_list": ["a"]});
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(reply))
            .mount(&server)
            .await;
        let client = Client::new(Config::new().base_url(server.uri()), token()).unwrap();
        let reply = client
            .card()
            .batch_get(&CardBatchGetRequest::new(0, 10))
            .await
            .expect("a success without total_num is still a success");
        assert_eq!(reply.card_id_list, Some(vec!["a".to_owned()]));
        assert_eq!(reply.total_num, None);
        assert_eq!(reply.missing_fields(), ["total_num"]);
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let config = Config::new()
            .base_url(silent_server())
            .timeout(Duration::from_millis(300));
        let client = Client::new(config, token()).unwrap();
        let err = client
            .code()
            .get(&CodeGetRequest::new("123"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Transport {
                    maybe_sent: true,
                    idempotent: true,
                    ..
                }
            ),
            "{err}"
        );
        assert_secret_free(&err);
    }
}

/// The token endpoints carry the app secret (in the URL of cgi-bin/token) and return
/// tokens: neither may show in Debug output or errors.
mod credential_endpoints {
    use super::*;
    use wechat_card::token::{TokenGetRequest, TokenGetResponse};

    fn request() -> TokenGetRequest {
        TokenGetRequest::new("client_credential", "wx1234567890abcdef", SECRET)
    }

    #[test]
    fn debug_hides_the_app_secret_and_the_returned_token() {
        assert!(!format!("{:?}", request()).contains(SECRET));
        let reply: TokenGetResponse =
            serde_json::from_value(json!({"access_token": SECRET, "expires_in": 7200})).unwrap();
        let shown = format!("{reply:?}");
        assert!(!shown.contains(SECRET) && shown.contains("7200"), "{shown}");
    }

    #[cfg(feature = "blocking")]
    #[test]
    fn transport_and_reply_errors_hide_the_app_secret() {
        let client =
            wechat_card::blocking::Client::new(Config::new().base_url(closed_port()), token())
                .unwrap();
        let err = client.token().get(&request()).unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err}");
        assert_secret_free(&err);

        let echo = raw_server(
            "200 OK",
            "application/json",
            r#"{"errcode":40125,"errmsg":"invalid appsecret SECRET-TOKEN-must-never-show"}"#,
        );
        let client =
            wechat_card::blocking::Client::new(Config::new().base_url(echo), token()).unwrap();
        let err = client.token().get(&request()).unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::InvalidAppSecret), "{err}");
        assert_secret_free(&err);
    }

    #[cfg(feature = "async")]
    #[tokio::test]
    async fn async_transport_errors_hide_the_app_secret() {
        let client =
            wechat_card::Client::new(Config::new().base_url(closed_port()), token()).unwrap();
        let err = client.token().get(&request()).await.unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err}");
        assert_secret_free(&err);
    }
}
