//! Which calls a fault hits, through the clients: by call number, by appid, a seeded
//! share that hits the same calls however concurrent clients interleave, and the
//! token lifetime that lets a client refresh ahead of expiry.

use super::cards::create_discount;
use super::errcode;
use std::time::Duration;
use wechat_card::card::CardGetRequest;
use wechat_card::sandbox::{Fault, FaultPlan, Sandbox};
use wechat_card::{Client, ErrCode, RetryPolicy};

/// A client that never sends a call again: each error is the fault's.
fn strict(sandbox: &Sandbox) -> Client {
    Client::new(
        sandbox.config().retry(RetryPolicy::none()),
        sandbox.credentials(),
    )
    .unwrap()
}

const BUSY: Fault = Fault::ServerError {
    status: 503,
    errcode: -1,
};

#[tokio::test]
async fn a_plan_hits_the_kth_call_of_its_endpoint_only() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = strict(&sandbox);
    let get = CardGetRequest::new(create_discount(&client, 1).await);
    let k = sandbox.faults().calls("card.get") + 2;
    sandbox
        .faults()
        .add(FaultPlan::new(BUSY).endpoint("card.get").call(k));
    client.card().get(&get).await.unwrap();
    assert_eq!(errcode(client.card().get(&get).await), ErrCode::SystemBusy);
    client.card().get(&get).await.unwrap();
    assert_eq!(sandbox.faults().plans()[0].fired, 1);

    // A retrying client sends the idempotent card/get again, as call k + 2 + 1.
    let k = sandbox.faults().calls("card.get") + 1;
    sandbox
        .faults()
        .add(FaultPlan::new(Fault::Reset).endpoint("card.get").call(k));
    sandbox.client().unwrap().card().get(&get).await.unwrap();
    assert_eq!(sandbox.faults().calls("card.get"), k + 1);
}

#[tokio::test]
async fn a_plan_for_another_appid_leaves_this_ones_calls_alone() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = strict(&sandbox);
    let get = CardGetRequest::new(create_discount(&client, 1).await);
    let plan = FaultPlan::new(BUSY).endpoint("card.get");
    sandbox.faults().add(plan.clone().appid("wxsomeoneelse"));
    client.card().get(&get).await.unwrap();
    sandbox
        .faults()
        .add(plan.appid(sandbox.credentials().appid()));
    assert_eq!(errcode(client.card().get(&get).await), ErrCode::SystemBusy);
    let fired: Vec<_> = sandbox.faults().plans().iter().map(|r| r.fired).collect();
    assert_eq!(fired, [0, 1]);
}

/// How many of `calls` card/get calls a seeded share of -1 hits, sent `together` or
/// one after the other.
async fn hit_by_a_seeded_share(seed: u64, calls: usize, together: bool) -> (usize, Vec<u32>) {
    let sandbox = Sandbox::builder().seed(seed).start().await.unwrap();
    let client = strict(&sandbox);
    let get = CardGetRequest::new(create_discount(&client, 1).await);
    let first = sandbox.faults().calls("card.get");
    let plan = FaultPlan::new(Fault::ErrCode(-1)).endpoint("card.get");
    sandbox.faults().add(plan.rate(0.5));
    let mut failed = 0;
    if together {
        let tasks: Vec<_> = (0..calls)
            .map(|_| {
                let (client, get) = (client.clone(), get.clone());
                tokio::spawn(async move { client.card().get(&get).await })
            })
            .collect();
        for task in tasks {
            failed += usize::from(task.await.unwrap().is_err());
        }
    } else {
        for _ in 0..calls {
            failed += usize::from(client.card().get(&get).await.is_err());
        }
    }
    assert_eq!(sandbox.faults().calls("card.get"), first + calls as u64);
    let fired = sandbox.faults().plans().iter().map(|r| r.fired).collect();
    (failed, fired)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_seeded_share_hits_the_same_calls_whatever_the_interleaving() {
    let one_by_one = hit_by_a_seeded_share(11, 40, false).await;
    for _ in 0..3 {
        assert_eq!(hit_by_a_seeded_share(11, 40, true).await, one_by_one);
    }
    let (failed, _) = one_by_one;
    assert!(failed > 5 && failed < 35, "about half: {failed}");
}

#[tokio::test]
async fn a_short_token_lifetime_lets_a_client_refresh_ahead_of_expiry() {
    let lifetime = Duration::from_secs(2);
    let sandbox = Sandbox::builder()
        .token_lifetime(lifetime)
        .start()
        .await
        .unwrap();
    let client = sandbox.client().unwrap();
    let get = CardGetRequest::new(create_discount(&client, 1).await);
    assert_eq!(sandbox.tokens_issued(), 1);
    // Past half the lifetime the client refreshes first: no call is refused.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let calls = sandbox.faults().calls("card.get");
    client.card().get(&get).await.unwrap();
    assert_eq!(sandbox.tokens_issued(), 2, "refreshed ahead");
    assert_eq!(
        sandbox.faults().calls("card.get"),
        calls + 1,
        "not refused first"
    );

    // Past the lifetime by the sandbox's clock, the token is refused (42001): the
    // client renews it and sends the call again.
    sandbox.advance_clock(Duration::from_secs(3));
    let calls = sandbox.faults().calls("card.get");
    client.card().get(&get).await.unwrap();
    assert_eq!(
        sandbox.faults().calls("card.get"),
        calls + 2,
        "refused, renewed, resent"
    );
    assert_eq!(sandbox.tokens_issued(), 3);
}
