//! Shared by the generated conformance tests (`tests/conformance/`): a mock WeChat on
//! a local port, and the checks each generated test makes.

#![allow(dead_code)] // each test crate uses a different part

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;
use wechat_card::model::Model;
use wechat_card::{Binary, Config, Error, StaticToken};
use wiremock::matchers::{body_json, method, path, query_param, query_param_is_missing};
use wiremock::{Match, Mock as WireMock, MockServer, Request, ResponseTemplate};

/// The token the test clients send; the mock only answers requests carrying it.
pub const TOKEN: &str = "TEST_ACCESS_TOKEN_0123456789";

/// A documented example: the request as built through the generated builders, and the
/// wire exchange the docs show.
pub struct Case<R> {
    pub request: R,
    pub method: &'static str,
    pub path: &'static str,
    /// Query parameters the endpoint always sends (`type=wx_card`).
    pub fixed_query: &'static [(&'static str, &'static str)],
    /// Whether the client must add `access_token` (not for the token endpoints).
    pub needs_token: bool,
    pub encoding: Encoding,
    /// The documented request: the JSON body, the query parameters, or the form parts.
    pub body: Value,
    /// The documented reply; for a binary reply `{ content_type, bytes }`.
    pub reply: Value,
}

/// How a request travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Query,
    Multipart,
}

/// A request that breaks one rule of the spec.
pub struct Negative<R> {
    pub request: R,
    pub field: &'static str,
    pub rule: &'static str,
}

/// One edit of a documented example: a value set at a JSON pointer, or a key removed.
pub enum Patch {
    Set(&'static str, Value),
    Remove(&'static str),
}

pub fn set(pointer: &'static str, value: Value) -> Patch {
    Patch::Set(pointer, value)
}

pub fn remove(pointer: &'static str) -> Patch {
    Patch::Remove(pointer)
}

/// Today in China, as a `YYYY-MM-DD` value (for the `before_today` rule).
pub fn today() -> Value {
    Value::from(wechat_card::validate::china_today().to_string())
}

fn apply(doc: &mut Value, patch: &Patch) {
    let pointer = match patch {
        Patch::Set(p, _) | Patch::Remove(p) => *p,
    };
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    let key = key.replace("~1", "/").replace("~0", "~");
    let parent = doc.pointer_mut(parent).expect("the parent exists");
    match (parent, patch) {
        (Value::Object(map), Patch::Set(_, value)) => {
            map.insert(key, value.clone());
        }
        (Value::Object(map), Patch::Remove(_)) => {
            map.remove(&key);
        }
        (Value::Array(items), Patch::Set(_, value)) => {
            items[key.parse::<usize>().expect("an index")] = value.clone();
        }
        (other, _) => panic!("cannot patch {pointer} inside {other}"),
    }
}

/// Negative cases as rows over one documented example (as smithy-rs parameterises
/// malformed requests): each row breaks one rule, and validation must refuse the
/// request naming the field and the rule. The clients run this same validation
/// before anything is sent; `*_is_not_sent` checks that once per endpoint and flavour.
pub struct Rejects<R> {
    base: Value,
    today: time::Date,
    request: std::marker::PhantomData<R>,
}

impl<R: DeserializeOwned + wechat_card::validate::Validate> Rejects<R> {
    pub fn over(base: Value) -> Self {
        Rejects {
            base,
            today: wechat_card::validate::china_today(),
            request: std::marker::PhantomData,
        }
    }

    fn build(&self, field: &str, rule: &str, patches: &[Patch]) -> R {
        let mut doc = self.base.clone();
        for patch in patches {
            apply(&mut doc, patch);
        }
        serde_json::from_value(doc)
            .unwrap_or_else(|e| panic!("`{field}` {rule}: the case is well-typed JSON: {e}"))
    }

    /// The request with `patches` must break `rule` at `field`.
    pub fn row(self, field: &'static str, rule: &'static str, patches: &[Patch]) -> Self {
        let request = self.build(field, rule, patches);
        let Err(violations) = request.check(self.today) else {
            panic!("`{field}` {rule}: the request was accepted");
        };
        assert!(
            violations
                .iter()
                .any(|v| v.field == field && v.rule.name() == rule),
            "expected `{field}` {rule} among: {violations:?}"
        );
        self
    }

    /// The request with `patches`, for a client-level test.
    pub fn negative(
        self,
        field: &'static str,
        rule: &'static str,
        patches: &[Patch],
    ) -> Negative<R> {
        Negative {
            request: self.build(field, rule, patches),
            field,
            rule,
        }
    }
}

fn config(server: &MockServer) -> Config {
    Config::new().all_hosts(server.uri())
}

/// A query parameter or form field's text, as the client writes it.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The builders must produce exactly the documented request.
fn assert_body<R: Serialize>(case: &Case<R>) {
    let built = serde_json::to_value(&case.request).expect("requests serialize");
    assert_eq!(
        built, case.body,
        "the request built by the generated builders differs from the documented one"
    );
}

/// Matches a `multipart/form-data` body carrying the documented parts.
struct MultipartBody(Value);

impl Match for MultipartBody {
    fn matches(&self, request: &Request) -> bool {
        let content_type = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !content_type.starts_with("multipart/form-data; boundary=") {
            return false;
        }
        let body = String::from_utf8_lossy(&request.body);
        let parts = self.0.as_object().into_iter().flatten();
        parts.into_iter().all(|(name, value)| match value {
            Value::Object(file) => {
                let field = |k: &str| file.get(k).and_then(Value::as_str).unwrap_or_default();
                let head = format!("name=\"{name}\"; filename=\"{}\"", field("filename"));
                let data = format!(
                    "Content-Type: {}\r\n\r\n{}\r\n",
                    field("content_type"),
                    field("bytes")
                );
                body.contains(&head) && body.contains(&data)
            }
            other => body.contains(&format!("name=\"{name}\"\r\n\r\n{}\r\n", text(other))),
        })
    }
}

/// `{ content_type, bytes }`: a documented binary reply.
fn binary_reply(reply: &Value) -> Option<(String, Vec<u8>)> {
    let map = reply.as_object().filter(|m| m.len() == 2)?;
    let content_type = map.get("content_type")?.as_str()?.to_owned();
    let bytes = map.get("bytes")?.as_str()?.as_bytes().to_vec();
    Some((content_type, bytes))
}

async fn mount<R: Serialize>(server: &MockServer, case: &Case<R>) {
    assert_body(case);
    let mut mock = WireMock::given(method(case.method)).and(path(case.path));
    mock = if case.needs_token {
        mock.and(query_param("access_token", TOKEN))
    } else {
        mock.and(query_param_is_missing("access_token"))
    };
    for (key, value) in case.fixed_query {
        mock = mock.and(query_param(*key, *value));
    }
    mock = match case.encoding {
        Encoding::Json => mock.and(body_json(&case.body)),
        Encoding::Query => {
            for (key, value) in case.body.as_object().into_iter().flatten() {
                mock = mock.and(query_param(key.as_str(), text(value).as_str()));
            }
            mock
        }
        Encoding::Multipart => mock.and(MultipartBody(case.body.clone())),
    };
    let reply = match binary_reply(&case.reply) {
        Some((content_type, bytes)) => {
            ResponseTemplate::new(200).set_body_raw(bytes, &content_type)
        }
        None => ResponseTemplate::new(200).set_body_json(&case.reply),
    };
    mock.respond_with(reply).expect(1).mount(server).await;
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
    let encoded = serde_json::to_value(&reply).expect("replies serialize");
    assert_eq!(encoded, expected, "the reply does not round-trip");
}

/// A binary reply arrives as sent, with its content type.
fn assert_binary(result: Result<Binary, Error>, documented: &Value) {
    let reply = result.unwrap_or_else(|e| panic!("the documented reply must arrive: {e}"));
    let (content_type, bytes) = binary_reply(documented).expect("a binary example");
    assert_eq!(reply.content_type.as_deref(), Some(content_type.as_str()));
    assert_eq!(reply.bytes, bytes);
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

    pub async fn check_binary<R>(&self, result: Result<Binary, Error>, case: &Case<R>) {
        assert_binary(result, &case.reply);
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

    pub fn check_binary<R>(&self, result: Result<Binary, Error>, case: &Case<R>) {
        assert_binary(result, &case.reply);
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

/// Sets each row's value at its JSON pointer in `base`, decodes the request
/// and asserts it passes validation: every limit at its bound is allowed by the docs.
/// The row names the field and the rule, so a failure says which limit was refused.
pub fn accepts_limits<R>(base: Value, rows: &[(&str, &str, &'static str, Value)])
where
    R: DeserializeOwned + wechat_card::validate::Validate + Model,
{
    let today = wechat_card::validate::china_today();
    for (field, rule, pointer, value) in rows {
        let mut doc = base.clone();
        apply(&mut doc, &set(pointer, value.clone()));
        let request: R = serde_json::from_value(doc).expect("well-typed JSON");
        // The value reached its field (a wrong pointer would land in `extra`).
        assert_eq!(request.unknown_fields(), Vec::<String>::new(), "{pointer}");
        if let Err(violations) = request.check(today) {
            panic!("`{field}` at its {rule} bound was refused: {violations:?}");
        }
    }
}
