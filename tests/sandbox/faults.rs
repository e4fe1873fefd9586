//! Tokens, injected faults and concurrency: tokens expire and are renewed, faults hit
//! the endpoints they name (the same ones for the same seed), a cold client asks for
//! one token, and stock is conserved under 64 concurrent clients.

use super::cards::{create_discount, discount_card};
use super::errcode;
use std::time::Duration;
use wechat_card::card::{CardGetRequest, CardModifyStockRequest};
use wechat_card::code::CodeConsumeRequest;
use wechat_card::sandbox::{Fault, Sandbox};
use wechat_card::{ErrCode, Error};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_on_a_cold_client_request_one_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let card_id = create_discount(&sandbox.client().unwrap(), 5).await;
    assert_eq!(sandbox.token_requests(), 1);
    // A second client starts with an empty cache; 50 calls at once share one fetch.
    let cold = sandbox.client().unwrap();
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let (client, id) = (cold.clone(), card_id.clone());
            tokio::spawn(async move { client.card().get(&CardGetRequest::new(id)).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(sandbox.token_requests(), 2);
}

#[tokio::test]
async fn tokens_expire_and_are_renewed_by_the_client() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 5).await;
    assert_eq!(sandbox.tokens_issued(), 1);
    sandbox.advance_clock(Duration::from_secs(7_300));
    // The sandbox rejects the expired token (42001); the client renews and resends.
    client
        .card()
        .get(&CardGetRequest::new(&card_id))
        .await
        .unwrap();
    assert_eq!(sandbox.tokens_issued(), 2);

    // A wrong secret gets the documented errcode.
    let wrong = wechat_card::AppCredentials::new(sandbox.credentials().appid(), "wrong");
    let stranger = wechat_card::Client::new(sandbox.config(), wrong).unwrap();
    let err = stranger
        .card()
        .get(&CardGetRequest::new(&card_id))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("40125"), "{err}");
}

#[tokio::test]
async fn faults_are_injected_per_endpoint() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 5).await;
    let get = CardGetRequest::new(&card_id);

    sandbox.faults().next("card.get", Fault::ErrCode(-1), 1);
    client
        .card()
        .get(&get)
        .await
        .expect("card/get is idempotent: retried after -1");
    sandbox.faults().next("card.get", Fault::ErrCode(45009), 1);
    assert_eq!(errcode(client.card().get(&get).await), ErrCode::RateLimited);
    sandbox.faults().next("card.get", Fault::ExpiredToken, 1);
    client.card().get(&get).await.expect("renewed after 42001");
    sandbox.faults().next("card.get", Fault::MalformedBody, 3);
    assert!(matches!(
        client.card().get(&get).await,
        Err(Error::Decode { status: 502, .. })
    ));
    sandbox.faults().clear();

    let code = sandbox.user("o_alice").claim(&card_id).unwrap();
    sandbox
        .faults()
        .next("code.consume", Fault::DropConnection, 1);
    let err = client
        .code()
        .consume(&CodeConsumeRequest::new(&code))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                maybe_sent: true,
                idempotent: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("get_unchecked"),
        "says how to check: {err}"
    );

    sandbox
        .faults()
        .next("code.get", Fault::Latency(Duration::from_millis(150)), 1);
    let started = std::time::Instant::now();
    client.code().get_unchecked(&code).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[cfg(feature = "blocking")]
#[test]
fn seeded_faults_repeat() {
    let draws = |seed| {
        let sandbox = Sandbox::builder().seed(seed).start_blocking().unwrap();
        sandbox.faults().rate("card.get", Fault::ErrCode(-1), 0.5);
        let client = sandbox.blocking_client().unwrap();
        let card_id = client
            .card()
            .create(&discount_card(1))
            .unwrap()
            .card_id
            .expect("card_id");
        let strict = wechat_card::blocking::Client::new(
            sandbox.config().retry(wechat_card::RetryPolicy::none()),
            sandbox.credentials(),
        )
        .unwrap();
        (0..20)
            .map(|_| strict.card().get(&CardGetRequest::new(&card_id)).is_ok())
            .collect::<Vec<_>>()
    };
    let (a, b) = (draws(7), draws(7));
    assert_eq!(a, b, "the same seed, the same faults");
    assert!(
        a.iter().any(|ok| *ok) && a.iter().any(|ok| !*ok),
        "about half fail: {a:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stock_is_conserved_under_64_concurrent_clients() {
    let sandbox = std::sync::Arc::new(Sandbox::start().await.unwrap());
    let client = sandbox.client().unwrap();
    let card_id = create_discount(&client, 40).await;
    // 64 users claim and consume at once; each consumes its code twice.
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (sandbox, card_id) = (sandbox.clone(), card_id.clone());
            let client = sandbox.client().unwrap();
            tokio::spawn(async move {
                let claimed = tokio::task::spawn_blocking({
                    let (sandbox, card_id) = (sandbox.clone(), card_id.clone());
                    move || sandbox.user(format!("o_{i}")).claim(&card_id)
                })
                .await
                .unwrap();
                let Ok(code) = claimed else { return (0, 0) };
                let first = client
                    .code()
                    .consume(&CodeConsumeRequest::new(&code))
                    .await
                    .is_ok();
                let second = client
                    .code()
                    .consume(&CodeConsumeRequest::new(&code))
                    .await
                    .is_ok();
                (1, first as usize + second as usize)
            })
        })
        .collect();
    let (mut claims, mut consumptions) = (0, 0);
    for t in tasks {
        let (c, k) = t.await.unwrap();
        claims += c;
        consumptions += k;
    }
    let stock = sandbox.stock(&card_id).unwrap();
    assert_eq!(claims, 40, "exactly the stock was claimed");
    assert_eq!(
        stock.remaining + stock.claimed as i64,
        40,
        "claimed + remaining = total"
    );
    assert_eq!(
        (consumptions, stock.consumed),
        (40, 40),
        "every code consumed exactly once"
    );

    // Bad requests change nothing.
    let bad = CardModifyStockRequest::new(&card_id).reduce_stock_value(-5);
    assert!(matches!(
        client.card().modify_stock(&bad).await,
        Err(Error::InvalidRequest { .. })
    ));
    assert_eq!(sandbox.stock(&card_id).unwrap(), stock);
}
