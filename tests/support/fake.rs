//! A scripted mock WeChat for the credential and fleet tests: it issues numbered
//! tokens, accepts only those it has not revoked, answers scripted errcodes, and
//! counts every request.

#![allow(dead_code)] // each test crate uses a different part

use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const APP_SECRET: &str = "APP-SECRET-never-printed-0123456789";

/// A client configuration for `server` whose retries are quick (short backoffs keep the
/// retry tests fast).
pub fn config(server: &MockServer) -> wechat_card::Config {
    let retry = wechat_card::RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    };
    wechat_card::Config::new()
        .all_hosts(server.uri())
        .retry(retry)
}

/// The fake's account: its appid and [`APP_SECRET`].
pub fn app() -> wechat_card::AppCredentials {
    wechat_card::AppCredentials::new("wx1234567890abcdef", APP_SECRET)
}

/// A scripted WeChat: issues TOKEN-1, TOKEN-2, … (valid for `expires_in` seconds),
/// accepts only the tokens it has not revoked, and counts everything. Like WeChat's
/// stable_token, normal mode hands back the current token while it is valid; a forced
/// refresh, `cgi-bin/token`, or a revoked current token mint a new one.
#[derive(Clone)]
pub struct FakeWeChat {
    /// Token requests served.
    pub issued: Arc<AtomicUsize>,
    minted: Arc<AtomicUsize>,
    current: Arc<Mutex<Option<String>>>,
    /// Tokens business calls refuse although the token endpoint still hands them out.
    refused: Arc<Mutex<HashSet<String>>>,
    pub forced: Arc<AtomicUsize>,
    pub tickets: Arc<AtomicUsize>,
    pub valid: Arc<Mutex<HashSet<String>>>,
    pub expires_in: u64,
    /// errcodes to answer business calls with, in order, before answering normally.
    pub script: Arc<Mutex<Vec<i64>>>,
    pub business_calls: Arc<AtomicUsize>,
}

impl FakeWeChat {
    pub fn new(expires_in: u64) -> Self {
        FakeWeChat {
            issued: Arc::default(),
            minted: Arc::default(),
            current: Arc::default(),
            refused: Arc::default(),
            forced: Arc::default(),
            tickets: Arc::default(),
            valid: Arc::default(),
            expires_in,
            script: Arc::default(),
            business_calls: Arc::default(),
        }
    }

    pub fn revoke_all(&self) {
        self.valid.lock().unwrap().clear();
    }

    /// Business calls refuse the current token (40001) while stable_token's normal mode
    /// still hands it out: only a forced refresh replaces it.
    pub fn refuse_current_in_calls(&self) {
        if let Some(token) = self.current.lock().unwrap().clone() {
            self.refused.lock().unwrap().insert(token);
        }
    }

    pub fn then_reply(&self, errcodes: &[i64]) {
        self.script.lock().unwrap().extend_from_slice(errcodes);
    }

    fn token_of(request: &Request) -> Option<String> {
        request
            .url
            .query_pairs()
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
    }
}

impl Respond for FakeWeChat {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        if path == "/cgi-bin/stable_token" || path == "/cgi-bin/token" {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let secret_ok = body["secret"] == APP_SECRET
                || request.url.query().is_some_and(|q| q.contains("secret="));
            if !secret_ok {
                return ResponseTemplate::new(200)
                    .set_body_json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
            }
            let force = body["force_refresh"] == true;
            if force {
                self.forced.fetch_add(1, Ordering::SeqCst);
            }
            self.issued.fetch_add(1, Ordering::SeqCst);
            let stable = path == "/cgi-bin/stable_token";
            let mut current = self.current.lock().unwrap();
            let reusable = current
                .clone()
                .filter(|t| stable && !force && self.valid.lock().unwrap().contains(t));
            let token = reusable.unwrap_or_else(|| {
                let n = self.minted.fetch_add(1, Ordering::SeqCst) + 1;
                let token = format!("TOKEN-{n}");
                self.valid.lock().unwrap().insert(token.clone());
                token
            });
            *current = Some(token.clone());
            drop(current);
            // A real fetch takes a while: make concurrent callers overlap.
            return ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": token, "expires_in": self.expires_in}))
                .set_delay(Duration::from_millis(50));
        }
        let token = Self::token_of(request).unwrap_or_default();
        if !self.valid.lock().unwrap().contains(&token)
            || self.refused.lock().unwrap().contains(&token)
        {
            return ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
        }
        if path == "/cgi-bin/ticket/getticket" {
            let n = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
            return ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 0, "errmsg": "ok", "ticket": format!("TICKET-{n}"), "expires_in": 7200}))
                .set_delay(Duration::from_millis(50));
        }
        self.business_calls.fetch_add(1, Ordering::SeqCst);
        let scripted = {
            let mut script = self.script.lock().unwrap();
            (!script.is_empty()).then(|| script.remove(0))
        };
        match scripted {
            Some(code) => ResponseTemplate::new(200).set_body_json(json!({"errcode": code, "errmsg": "scripted"})),
            None if path == "/card/modifystock" => ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok"})),
            None if path == "/card/code/consume" => ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 0, "errmsg": "ok", "card": {"card_id": "c"}, "openid": "o"})),
            None => ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok", "card": {
                "card_type": "GIFT",
                "gift": {"base_info": {"logo_url": "http://x", "code_type": "CODE_TYPE_TEXT", "brand_name": "b",
                    "title": "t", "color": "Color010", "notice": "n", "date_info": {"type": "DATE_TYPE_FIX_TERM", "fixed_term": 1},
                    "sku": {"quantity": 1}}, "gift": "a gift"}
            }})),
        }
    }
}

pub async fn start(fake: &FakeWeChat) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    server
}

/// The mock on a runtime of its own, for blocking clients on the test thread.
pub fn serve_blocking(fake: &FakeWeChat) -> (tokio::runtime::Runtime, MockServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(start(fake));
    (rt, server)
}

/// The call the credential tests make: any authenticated endpoint would do.
pub fn card() -> wechat_card::card::CardGetRequest {
    wechat_card::card::CardGetRequest::new("pFS7Fjg8kV1IdDz01r4SQwMkuCKc")
}

/// A subscriber that writes every event and span (at TRACE, with all fields) to a
/// shared buffer.
pub fn capture() -> (impl tracing::Subscriber + Send + Sync, Arc<Mutex<String>>) {
    #[derive(Clone)]
    struct Buffer(Arc<Mutex<String>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(bytes));
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let output = Arc::new(Mutex::new(String::new()));
    let writer = Buffer(output.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (subscriber, output)
}
