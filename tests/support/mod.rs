//! Shared by the generated conformance tests (`tests/conformance/`): a mock WeChat on
//! a local port, and the checks each generated test makes.

#![allow(dead_code)] // each test crate uses a different part

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;
use wechat_card::model::Model;
use wechat_card::{Config, Error, StaticToken};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock as WireMock, MockServer, ResponseTemplate};

/// The token the test clients send; the mock only answers requests carrying it.
pub const TOKEN: &str = "TEST_ACCESS_TOKEN_0123456789";

/// A documented example: the request as built through the generated builders, and the
/// wire exchange the docs show.
pub struct Case<R> {
    pub request: R,
    pub method: &'static str,
    pub path: &'static str,
    pub body: Value,
    pub reply: Value,
}

/// A request that breaks one rule of the spec.
pub struct Negative<R> {
    pub request: R,
    pub field: &'static str,
    pub rule: &'static str,
}

/// Decodes a request from JSON (negative cases are written as JSON).
pub fn request<R: DeserializeOwned>(json: Value) -> R {
    serde_json::from_value(json).expect("negative cases are well-typed JSON")
}

/// Sets the date at `pointer` to today in China (for the `before_today` rule).
pub fn set_today(mut json: Value, pointer: &str) -> Value {
    *json.pointer_mut(pointer).expect("the pointer exists") =
        Value::from(wechat_card::validate::china_today().to_string());
    json
}

fn config(server: &MockServer) -> Config {
    Config::new().base_url(server.uri())
}

/// The builders must produce exactly the documented body.
fn assert_body<R: Serialize>(case: &Case<R>) {
    let built = serde_json::to_value(&case.request).expect("requests serialize");
    assert_eq!(
        built, case.body,
        "the request built by the generated builders differs from the documented body"
    );
}

async fn mount<R: Serialize>(server: &MockServer, case: &Case<R>) {
    assert_body(case);
    WireMock::given(method(case.method))
        .and(path(case.path))
        .and(query_param("access_token", TOKEN))
        .and(body_json(&case.body))
        .respond_with(ResponseTemplate::new(200).set_body_json(&case.reply))
        .expect(1)
        .mount(server)
        .await;
}

/// The reply decodes with every field typed and encodes back to the example; an
/// error example gives `Error::Api` with its errcode.
fn assert_reply<T: Model + Serialize + Debug>(result: Result<T, Error>, documented: &Value) {
    let errcode = documented
        .get("errcode")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if errcode != 0 {
        let err = result.expect_err("an error example must give an error");
        assert_eq!(
            err.errcode().map(|c| c.code()),
            Some(errcode),
            "wrong error: {err}"
        );
        return;
    }
    let reply = result.unwrap_or_else(|e| panic!("the documented reply must decode: {e}"));
    assert_eq!(
        reply.unknown_fields(),
        Vec::<String>::new(),
        "fields or values the spec does not type"
    );
    let mut expected = documented.clone();
    if let Some(map) = expected.as_object_mut() {
        map.remove("errcode");
        map.remove("errmsg");
    }
    assert_eq!(
        serde_json::to_value(&reply).expect("replies serialize"),
        expected,
        "the reply does not round-trip"
    );
}

fn assert_rejected<T: Debug, R>(result: Result<T, Error>, case: &Negative<R>) {
    let err = result.expect_err("a request breaking a rule must be rejected");
    assert!(
        matches!(err, Error::InvalidRequest { .. }),
        "expected InvalidRequest, got {err}"
    );
    let found = err
        .violations()
        .iter()
        .any(|v| v.field == case.field && v.rule.name() == case.rule);
    assert!(
        found,
        "expected `{}` {} among: {err}",
        case.field, case.rule
    );
    assert!(
        err.to_string().contains(case.field),
        "the message must name the field: {err}"
    );
}

/// A mock WeChat for the async client.
pub struct Mock {
    server: MockServer,
}

impl Mock {
    /// Answers exactly the documented request with the documented reply, once.
    pub async fn start<R: Serialize>(case: &Case<R>) -> Self {
        let server = MockServer::start().await;
        mount(&server, case).await;
        Mock { server }
    }

    /// Answers nothing; used to prove nothing is sent.
    pub async fn silent() -> Self {
        Mock {
            server: MockServer::start().await,
        }
    }

    pub fn client(&self) -> wechat_card::Client {
        wechat_card::Client::new(config(&self.server), StaticToken::new(TOKEN))
            .expect("a valid config")
    }

    pub async fn check_reply<T: Model + Serialize + Debug, R>(
        &self,
        result: Result<T, Error>,
        case: &Case<R>,
    ) {
        assert_reply(result, &case.reply);
        self.server.verify().await;
    }

    pub async fn check_rejected<T: Debug, R>(&self, result: Result<T, Error>, case: &Negative<R>) {
        assert_rejected(result, case);
        let received = self
            .server
            .received_requests()
            .await
            .expect("recording is on");
        assert!(
            received.is_empty(),
            "{} request(s) were sent",
            received.len()
        );
    }
}

/// A mock WeChat for the blocking client: the server runs on its own runtime while
/// the test thread blocks.
pub struct BlockingMock {
    runtime: tokio::runtime::Runtime,
    server: MockServer,
}

impl BlockingMock {
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime")
    }

    pub fn start<R: Serialize>(case: &Case<R>) -> Self {
        let runtime = Self::runtime();
        let server = runtime.block_on(async {
            let server = MockServer::start().await;
            mount(&server, case).await;
            server
        });
        BlockingMock { runtime, server }
    }

    pub fn silent() -> Self {
        let runtime = Self::runtime();
        let server = runtime.block_on(MockServer::start());
        BlockingMock { runtime, server }
    }

    #[cfg(feature = "blocking")]
    pub fn client(&self) -> wechat_card::blocking::Client {
        wechat_card::blocking::Client::new(config(&self.server), StaticToken::new(TOKEN))
            .expect("a valid config")
    }

    pub fn check_reply<T: Model + Serialize + Debug, R>(
        &self,
        result: Result<T, Error>,
        case: &Case<R>,
    ) {
        assert_reply(result, &case.reply);
        self.runtime.block_on(self.server.verify());
    }

    pub fn check_rejected<T: Debug, R>(&self, result: Result<T, Error>, case: &Negative<R>) {
        assert_rejected(result, case);
        let received = self
            .runtime
            .block_on(self.server.received_requests())
            .expect("recording is on");
        assert!(
            received.is_empty(),
            "{} request(s) were sent",
            received.len()
        );
    }
}
