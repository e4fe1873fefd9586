//! Credentials under faults: token and ticket fetches retry transient faults and say
//! how often they tried; clients with their own caches renew a rejected token without
//! ending each other's; a token-store outage degrades to direct stable_token fetches.

use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wechat_card::card::CardBatchGetRequest;
use wechat_card::sandbox::Sandbox;
use wechat_card::store::{StoreError, StoredToken, TokenStore};
use wechat_card::token::TokenStableRequest;
use wechat_card::{AppCredentials, Config, Error, RetryPolicy};
use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A WeChat whose stable_token first answers `faults` (in order), then a token.
async fn flaky_token(faults: Vec<ResponseTemplate>) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(move |_: &wiremock::Request| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            faults.get(n).cloned().unwrap_or_else(|| {
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token": "T-after-faults", "expires_in": 7200}))
            })
        })
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "total_num": 0})),
        )
        .mount(&server)
        .await;
    (server, calls)
}

fn config(server: &MockServer) -> Config {
    Config::new()
        .all_hosts(server.uri())
        .retry(RetryPolicy::default())
}

fn faults() -> Vec<ResponseTemplate> {
    vec![
        ResponseTemplate::new(200).set_body_json(json!({"errcode": -1, "errmsg": "system error"})),
        ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"),
    ]
}

#[tokio::test]
async fn a_token_fetch_retries_transient_faults_async() {
    let (server, calls) = flaky_token(faults()).await;
    let client =
        wechat_card::Client::new(config(&server), AppCredentials::new("wx-flaky", "S")).unwrap();
    let list = client
        .card()
        .batch_get(&CardBatchGetRequest::new(0, 10))
        .await
        .expect("two transient faults are within the default policy's retries");
    assert_eq!(list.total_num, Some(0));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn a_token_fetch_retries_transient_faults_blocking() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (server, calls) = rt.block_on(flaky_token(faults()));
    let client =
        wechat_card::blocking::Client::new(config(&server), AppCredentials::new("wx-flaky", "S"))
            .unwrap();
    client.access_token().expect("retried");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_token_fetch_that_keeps_failing_says_how_often_it_tried() {
    let busy = ResponseTemplate::new(200).set_body_json(json!({"errcode": -1}));
    let (server, calls) = flaky_token(vec![busy; 10]).await;
    let client =
        wechat_card::Client::new(config(&server), AppCredentials::new("wx-flaky", "S")).unwrap();
    let err = client.access_token().await.unwrap_err();
    assert!(matches!(err, Error::Credentials { .. }), "{err}");
    assert!(err.to_string().contains("3 tries"), "{err}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "1 try + the policy's 2 retries"
    );
    // A wrong secret is not transient: one try.
    let wrong = ResponseTemplate::new(200)
        .set_body_json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
    let (server, calls) = flaky_token(vec![wrong; 10]).await;
    let client =
        wechat_card::Client::new(config(&server), AppCredentials::new("wx-flaky", "S")).unwrap();
    let err = client.access_token().await.unwrap_err();
    assert!(err.to_string().contains("1 try"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_clients_with_their_own_caches_renew_without_a_fight() {
    let sandbox = Sandbox::builder()
        .secret("the-secret")
        .start()
        .await
        .unwrap();
    let clients: Vec<_> = (0..8).map(|_| sandbox.client().unwrap()).collect();
    for client in &clients {
        client.access_token().await.unwrap();
    }
    // Somebody forces a refresh: the token all eight hold stops working at once.
    let admin = sandbox.client().unwrap();
    let appid = sandbox.credentials().appid().to_owned();
    let forced =
        TokenStableRequest::new("client_credential", appid, "the-secret").force_refresh(true);
    admin.send(&forced).await.unwrap();
    let issued = sandbox.tokens_issued();

    // 160 calls: each client meets one 40001, renews in normal mode and gets the token
    // that is now current — nobody forces again, nobody fails.
    let mut tasks = Vec::new();
    for client in &clients {
        for _ in 0..20 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                client
                    .card()
                    .batch_get(&CardBatchGetRequest::new(0, 10))
                    .await
            }));
        }
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let failed: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
    assert!(
        failed.is_empty(),
        "{} calls failed: {:?}",
        failed.len(),
        failed.first()
    );
    assert!(
        sandbox.tokens_issued() - issued <= 1,
        "renewals issued {} new tokens",
        sandbox.tokens_issued() - issued
    );
}

/// A store that is always down.
#[derive(Debug)]
struct Down;

impl TokenStore for Down {
    fn get(&self, _: &str) -> Result<Option<StoredToken>, StoreError> {
        Err(StoreError("connection refused".into()))
    }
    fn put(&self, _: &str, _: &StoredToken) -> Result<(), StoreError> {
        Err(StoreError("connection refused".into()))
    }
    fn remove_if(&self, _: &str, _: &str) -> Result<(), StoreError> {
        Err(StoreError("connection refused".into()))
    }
    fn try_lock(&self, _: &str, _: &str, _: Duration) -> Result<bool, StoreError> {
        Err(StoreError("connection refused".into()))
    }
    fn unlock(&self, _: &str, _: &str) -> Result<(), StoreError> {
        Err(StoreError("connection refused".into()))
    }
}

#[tokio::test]
async fn a_store_outage_degrades_to_direct_stable_token_fetches() {
    let sandbox = Sandbox::start().await.unwrap();
    let stable = sandbox.credentials().store(Arc::new(Down));
    let client = wechat_card::Client::new(sandbox.config(), stable).unwrap();
    let list = client
        .card()
        .batch_get(&CardBatchGetRequest::new(0, 10))
        .await;
    assert!(list.is_ok(), "{list:?}");
    // The blocking client too.
    let stable = sandbox.credentials().store(Arc::new(Down));
    let blocking = wechat_card::blocking::Client::new(sandbox.config(), stable).unwrap();
    let token = tokio::task::spawn_blocking(move || blocking.access_token())
        .await
        .unwrap();
    assert!(token.is_ok(), "{token:?}");
    // Classic tokens would end each other's: the outage is reported instead.
    let classic = sandbox.credentials().classic().store(Arc::new(Down));
    let client = wechat_card::Client::new(sandbox.config(), classic).unwrap();
    let err = client.access_token().await.unwrap_err();
    assert!(err.to_string().contains("connection refused"), "{err}");
}
