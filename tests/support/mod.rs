//! Shared by the generated conformance tests (`tests/conformance/`): a mock WeChat on
//! a local port, and the checks each generated test makes.
//!
//! # Validation tables
//!
//! The validation tests are tables of cases over one documented example (as smithy-rs
//! parameterises malformed requests over one request): [`Rejects::rows`] (each row
//! breaks one rule), [`accepts_limits`] (each row sets one limit exactly at its bound).
//! One row a line, three columns separated by `|`:
//!
//! ```text
//! card.groupon.base_info.title | max_chars       | /card/groupon/base_info/title = "券" * 10
//! {openid, username}           | max_total_items | /openid = ["o1", "o1"]; /username = []
//! end_date                     | before_today    | /end_date = today
//! card.card_type               | required        | /card/card_type removed
//! ```
//!
//! - the field's path and the rule's name, as validation reports them;
//! - the edits that make the case from the example, applied in order, separated by `;`:
//!   `/pointer = value` sets the value at a JSON pointer (RFC 6901), and
//!   `/pointer removed` removes that key. A value is JSON, where `"s" * N` is the
//!   string `s` repeated N times, and `today` (a whole value) is today's date in China
//!   (for the `before_today` rule).
//!
//! Blank lines and the spaces that align the columns are ignored. A row that fails
//! names its field, rule and patches, and what happened (an edit that does not apply
//! included); every row of a table runs, and the test
//! fails listing all the rows that failed.

#![allow(dead_code)] // each test crate uses a different part

pub mod documented;

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
    pub field: String,
    pub rule: String,
}

/// One case of a validation table (see the module docs).
struct Row {
    field: String,
    rule: String,
    patches: Vec<Patch>,
    /// The patches column as written, to tell apart rows of one field and rule.
    text: String,
}

/// One edit of a documented example: a value set at a JSON pointer, or a key removed.
enum Patch {
    Set(String, Value),
    Remove(String),
}

impl Row {
    /// Reads a row; a row that does not read is a bug of the generator.
    fn parse(line: &str) -> Row {
        let parsed = match line.splitn(3, '|').collect::<Vec<_>>()[..] {
            [field, rule, text] => parse_patches(text).map(|patches| Row {
                field: field.trim().to_owned(),
                rule: rule.trim().to_owned(),
                patches,
                text: text.trim().to_owned(),
            }),
            _ => Err("expected `field | rule | patches`".to_owned()),
        };
        parsed.unwrap_or_else(|why| panic!("unreadable table row `{}`: {why}", line.trim()))
    }

    /// The example with this row's edits, or why an edit does not apply.
    fn apply_to(&self, base: &Value) -> Result<Value, String> {
        let mut doc = base.clone();
        for patch in &self.patches {
            apply(&mut doc, patch)?;
        }
        Ok(doc)
    }

    /// The request the row makes, or why it is not one.
    fn request<R: DeserializeOwned>(&self, base: &Value) -> Result<R, String> {
        serde_json::from_value(self.apply_to(base)?)
            .map_err(|e| format!("the case is not well-typed JSON: {e}"))
    }
}

/// The rows of a table, one a line.
fn parse_table(table: &str) -> Vec<Row> {
    let rows: Vec<Row> = table
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(Row::parse)
        .collect();
    assert!(!rows.is_empty(), "an empty table tests nothing");
    rows
}

/// Runs `case` on every row of `table`; fails listing each row that failed, by field
/// and rule.
fn each_row(table: &str, case: impl Fn(&Row) -> Result<(), String>) {
    let rows = parse_table(table);
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let why = case(row).err()?;
            Some(format!(
                "`{}` {} [{}]: {why}",
                row.field, row.rule, row.text
            ))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// `/pointer = value; /pointer removed; …`
fn parse_patches(text: &str) -> Result<Vec<Patch>, String> {
    let text = expand_repeats(text)?;
    split_outside_strings(&text, ';')?
        .into_iter()
        .map(parse_patch)
        .collect()
}

fn parse_patch(text: &str) -> Result<Patch, String> {
    let text = text.trim();
    let (pointer, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let (pointer, rest) = (pointer.to_owned(), rest.trim());
    if rest == "removed" {
        return Ok(Patch::Remove(pointer));
    }
    let value = rest
        .strip_prefix('=')
        .ok_or_else(|| format!("`{text}`: expected `= value` or `removed`"))?
        .trim();
    let value = if value == "today" {
        Value::from(wechat_card::validate::china_today().to_string())
    } else {
        serde_json::from_str(value).map_err(|e| format!("`{value}` is not JSON: {e}"))?
    };
    Ok(Patch::Set(pointer, value))
}

/// `text` cut at each `separator` outside JSON string literals.
fn split_outside_strings(text: &str, separator: char) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut start, mut at) = (0, 0);
    while let Some(c) = text[at..].chars().next() {
        if c == '"' {
            at += string_literal_len(&text[at..])?;
            continue;
        }
        if c == separator {
            parts.push(&text[start..at]);
            start = at + 1;
        }
        at += c.len_utf8();
    }
    parts.push(&text[start..]);
    Ok(parts)
}

/// Writes out each `"s" * N` as the string `s` repeated N times: a limit of a
/// megabyte does not belong in a test's source.
fn expand_repeats(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..start]);
        let literal_len = string_literal_len(&rest[start..])?;
        let (literal, after) = rest[start..].split_at(literal_len);
        let Some(count) = after.trim_start().strip_prefix('*') else {
            out.push_str(literal);
            rest = after;
            continue;
        };
        let count = count.trim_start();
        let digits = count
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(count.len());
        let times: usize = count[..digits]
            .parse()
            .map_err(|e| format!("`{literal} *` needs a count: {e}"))?;
        let inner = &literal[1..literal.len() - 1];
        out.push('"');
        out.push_str(&inner.repeat(times));
        out.push('"');
        rest = &count[digits..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The length of the JSON string literal `text` starts with, quotes included.
fn string_literal_len(text: &str) -> Result<usize, String> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Ok(i + 1),
            _ => {}
        }
    }
    Err(format!("unterminated string: {text}"))
}

/// One edit; an edit that does not apply (a pointer into nothing) is the row's failure.
fn apply(doc: &mut Value, patch: &Patch) -> Result<(), String> {
    let pointer = match patch {
        Patch::Set(p, _) | Patch::Remove(p) => p.as_str(),
    };
    let (parent, key) = pointer
        .rsplit_once('/')
        .ok_or_else(|| format!("`{pointer}` is not a JSON pointer"))?;
    let key = key.replace("~1", "/").replace("~0", "~");
    let parent = doc
        .pointer_mut(parent)
        .ok_or_else(|| format!("`{pointer}`: the example has nothing at `{parent}`"))?;
    match (parent, patch) {
        (Value::Object(map), Patch::Set(_, value)) => {
            map.insert(key, value.clone());
        }
        (Value::Object(map), Patch::Remove(_)) => {
            map.remove(&key);
        }
        (Value::Array(items), Patch::Set(_, value)) => {
            let slot = key
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get_mut(i))
                .ok_or_else(|| format!("`{pointer}`: no such element"))?;
            *slot = value.clone();
        }
        (other, _) => return Err(format!("cannot patch `{pointer}` inside {other}")),
    }
    Ok(())
}

/// Negative cases as rows over one documented example: each row breaks one rule, and
/// validation must refuse the request naming the field and the rule. The clients run
/// this same validation before anything is sent; `*_is_not_sent` checks that once per
/// endpoint and flavour.
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

    /// Each row of `table` (see the module docs) must break its rule at its field.
    pub fn rows(self, table: &str) {
        each_row(table, |row| {
            let request: R = row.request(&self.base)?;
            match request.check(self.today) {
                Ok(()) => Err("the request was accepted".to_owned()),
                Err(violations) if !has(&violations, &row.field, &row.rule) => {
                    Err(format!("not among: {violations:?}"))
                }
                Err(_) => Ok(()),
            }
        });
    }

    /// The request of one row, for a client-level test.
    pub fn negative(self, row: &str) -> Negative<R> {
        let row = Row::parse(row);
        let request = row
            .request(&self.base)
            .unwrap_or_else(|why| panic!("`{}` {}: {why}", row.field, row.rule));
        Negative {
            request,
            field: row.field,
            rule: row.rule,
        }
    }
}

/// Whether validation named `field` and `rule`.
fn has(violations: &[wechat_card::validate::Violation], field: &str, rule: &str) -> bool {
    violations
        .iter()
        .any(|v| v.field == field && v.rule.name() == rule)
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
    assert!(
        has(err.violations(), &case.field, &case.rule),
        "expected `{}` {} among: {err}",
        case.field,
        case.rule
    );
    assert!(
        err.to_string().contains(&case.field),
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

/// Each row of `table` (see the module docs) sets one limit exactly at its bound over
/// `base`: the docs allow it, so the request must pass validation.
pub fn accepts_limits<R>(base: Value, table: &str)
where
    R: DeserializeOwned + wechat_card::validate::Validate + Model,
{
    let today = wechat_card::validate::china_today();
    each_row(table, |row| {
        let request: R = row.request(&base)?;
        // The value reached its field (a wrong pointer would land in `extra`).
        let unknown = request.unknown_fields();
        if !unknown.is_empty() {
            return Err(format!(
                "the edit landed outside the typed fields: {unknown:?}"
            ));
        }
        request
            .check(today)
            .map_err(|violations| format!("refused at its bound: {violations:?}"))
    });
}
