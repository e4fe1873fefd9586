//! The sandbox pushing card events to a receiver, end to end: a real HTTP server
//! checking every push with `push::Receiver`, in plain and safe mode, through WeChat's
//! retries, timeouts and an unreachable server.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wechat_card::code::CodeConsumeRequest;
use wechat_card::member_card::{MemberCardActivateRequest, MemberCardUpdateUserRequest};
use wechat_card::push::Receiver;
use wechat_card::push::events::{CardEvent, ConsumeSource};
use wechat_card::sandbox::{PushTarget, Sandbox, WECHAT_SENDER};

const TOKEN: &str = "receiver-token";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

#[path = "../support/cards.rs"]
mod cards;
#[path = "../support/net.rs"]
mod net;
use cards::{create_discount, create_member_card, discount_card};

/// A new discount card (approved at once unless the sandbox reviews by hand).
async fn new_card(sandbox: &Sandbox, stock: i64) -> String {
    create_discount(&sandbox.client().unwrap(), stock).await
}

/// What the receiver saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    query: String,
    body: String,
    /// The event, or why the receiver refused the request.
    event: Result<CardEvent, String>,
}

/// A receiver under axum: checks each push with `Receiver`, records it, and answers
/// 500 to the first `fail_first` requests (or sleeps through them when `stall` is set).
struct App {
    receiver: Receiver,
    seen: Mutex<Vec<Seen>>,
    fail_first: usize,
    stall: Option<Duration>,
    requests: AtomicUsize,
}

async fn push(State(app): State<Arc<App>>, RawQuery(query): RawQuery, body: Bytes) -> StatusCode {
    let n = app.requests.fetch_add(1, Ordering::SeqCst);
    let query = query.unwrap_or_default();
    let event = app.receiver.event(&query, &body).map_err(|e| e.to_string());
    let refused = event.is_err();
    app.seen.lock().unwrap().push(Seen {
        query,
        body: String::from_utf8_lossy(&body).into_owned(),
        event,
    });
    if n < app.fail_first {
        match app.stall {
            Some(stall) => tokio::time::sleep(stall).await,
            None => return StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    if refused {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    }
}

/// The server URL verification: `echostr` back when the signature holds.
async fn verify_url(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> (StatusCode, String) {
    match app.receiver.verify_url(&query.unwrap_or_default()) {
        Ok(echostr) => (StatusCode::OK, echostr),
        Err(refused) => (StatusCode::FORBIDDEN, refused.to_string()),
    }
}

struct Server {
    url: String,
    app: Arc<App>,
}

impl Server {
    async fn start(receiver: Receiver, fail_first: usize, stall: Option<Duration>) -> Server {
        let app = Arc::new(App {
            receiver,
            seen: Mutex::default(),
            fail_first,
            stall,
            requests: AtomicUsize::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/wechat", listener.local_addr().unwrap());
        let router = Router::new()
            .route("/wechat", get(verify_url).post(push))
            .with_state(app.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Server { url, app }
    }

    fn seen(&self) -> Vec<Seen> {
        self.app.seen.lock().unwrap().clone()
    }

    /// The events the receiver accepted, in order.
    fn events(&self) -> Vec<CardEvent> {
        self.seen()
            .into_iter()
            .map(|s| s.event.expect("every push is accepted"))
            .collect()
    }
}

mod lifecycle;
mod sub_merchants;
use lifecycle::{lifecycle, name};

#[tokio::test]
async fn the_server_url_is_verified_as_wechat_does() {
    let sandbox = Sandbox::start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    let target = PushTarget::safe_mode(&server.url, TOKEN, KEY).unwrap();
    sandbox.verify_server_url(&target).await.unwrap();

    let wrong = PushTarget::plain(&server.url, "not-the-token");
    let err = sandbox.verify_server_url(&wrong).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("answered HTTP 403 \"push rejected: signature does not match"),
        "{err}"
    );
    let gone = PushTarget::plain("http://127.0.0.1:1/wechat", TOKEN);
    let err = sandbox.verify_server_url(&gone).await.unwrap_err();
    assert!(err.to_string().contains("cannot be reached"), "{err}");
    assert!(
        server.seen().is_empty(),
        "verification is a GET, not a push"
    );
}

#[tokio::test]
async fn plain_mode_pushes_every_event_signed() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();
    lifecycle(&sandbox, &server).await;
    let first = &server.seen()[2];
    assert!(
        first.query.contains("openid=o_alice"),
        "the query names the user: {}",
        first.query
    );
    assert!(
        first
            .body
            .contains("<Event><![CDATA[user_get_card]]></Event>")
    );
}

#[tokio::test]
async fn safe_mode_pushes_are_encrypted_for_the_appid() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let appid = sandbox.credentials().appid().to_owned();
    let receiver = Receiver::safe_mode(TOKEN, KEY, &appid).unwrap();
    let server = Server::start(receiver, 0, None).await;
    sandbox
        .push_events_to(PushTarget::safe_mode(&server.url, TOKEN, KEY).unwrap())
        .unwrap();
    lifecycle(&sandbox, &server).await;
    for seen in server.seen() {
        assert!(seen.query.contains("encrypt_type=aes"), "{}", seen.query);
        assert!(seen.body.contains("<Encrypt>"), "{}", seen.body);
        assert!(
            !seen.body.contains("CardId"),
            "nothing in clear: {}",
            seen.body
        );
    }

    // A receiver for another account refuses them (the appid is checked).
    let other = Receiver::safe_mode(TOKEN, KEY, "wxAnotherAccount0001").unwrap();
    let seen = &server.seen()[0];
    let err = other.event(&seen.query, seen.body.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("not this account's"), "{err}");
}

#[tokio::test]
async fn a_wrong_token_is_refused_by_the_receiver_and_reported() {
    let sandbox = Sandbox::start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    sandbox
        .push_events_to(PushTarget::plain(&server.url, "not-the-token").retries(0))
        .unwrap();
    let card_id = new_card(&sandbox, 10).await;
    sandbox.user("o_alice").claim(&card_id).unwrap();
    let deliveries = sandbox.flush_pushes().await;
    assert_eq!(deliveries.len(), 2, "{deliveries:#?}");
    for delivery in &deliveries {
        assert!(!delivery.delivered());
        assert_eq!(delivery.status, Some(403));
        assert_eq!(
            delivery.error.as_deref(),
            Some("the receiver answered HTTP 403")
        );
    }
    let refusal = server.seen()[0].event.clone().unwrap_err();
    assert!(refusal.contains("signature does not match"), "{refusal}");
}

#[tokio::test]
async fn failed_pushes_are_retried_with_the_same_event() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    // The receiver answers 500 twice: WeChat's first retries.
    let server = Server::start(Receiver::plain(TOKEN), 2, None).await;
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();
    let card_id = new_card(&sandbox, 10).await;
    sandbox.approve(&card_id).unwrap();
    let deliveries = sandbox.flush_pushes().await;
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].delivered());
    assert_eq!(
        (deliveries[0].attempts, deliveries[0].status),
        (3, Some(200))
    );

    // Three requests, each freshly signed, one event: the dedupe key repeats.
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    let keys: Vec<_> = server
        .events()
        .iter()
        .map(|e| {
            let e = e.envelope().unwrap();
            (e.from_user_name.clone(), e.create_time)
        })
        .collect();
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    assert_ne!(seen[0].query, seen[1].query, "a fresh nonce per request");
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_gets_the_retry() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 1, Some(Duration::from_secs(2))).await;
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN).timeout(Duration::from_millis(300)))
        .unwrap();
    let card_id = new_card(&sandbox, 10).await;
    sandbox.approve(&card_id).unwrap();
    let deliveries = sandbox.flush_pushes().await;
    assert_eq!(
        (deliveries[0].attempts, deliveries[0].delivered()),
        (2, true)
    );
    assert_eq!(server.events().len(), 2, "the slow request arrived too");
}

#[tokio::test]
async fn an_unreachable_receiver_is_given_up_on_after_the_retries() {
    let sandbox = Sandbox::builder().review(None).start().await.unwrap();
    // A port that was just free: nobody listens there.
    let port = net::free_port();
    sandbox
        .push_events_to(PushTarget::plain(
            format!("http://127.0.0.1:{port}/wechat"),
            TOKEN,
        ))
        .unwrap();
    let card_id = new_card(&sandbox, 10).await;
    sandbox.approve(&card_id).unwrap();
    let deliveries = sandbox.flush_pushes().await;
    assert_eq!(deliveries[0].attempts, 4, "the first request and 3 retries");
    assert_eq!(deliveries[0].status, None);
    let error = deliveries[0].error.clone().unwrap();
    assert!(
        error.starts_with("the receiver cannot be reached"),
        "{error}"
    );
    assert!(
        !error.contains(TOKEN) && !error.contains("signature="),
        "{error}"
    );

    // The sandbox carries on: the next receiver gets the next event.
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();
    sandbox.user("o_alice").claim(&card_id).unwrap();
    assert!(sandbox.flush_pushes().await[0].delivered());
    assert_eq!(name(&server.events()[0]), "user_get_card");
}

#[tokio::test]
async fn a_qr_code_claim_carries_its_channel() {
    use wechat_card::distribute::{DistributeCreateQrcodeRequest, QrcodeActionInfo, QrcodeCard};
    let sandbox = Sandbox::start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    let card_id = new_card(&sandbox, 10).await;
    let qr = DistributeCreateQrcodeRequest::new(
        wechat_card::types::QrActionName::Card,
        QrcodeActionInfo::new().card(QrcodeCard::new().card_id(&card_id).outer_str("poster-42")),
    );
    let ticket = sandbox
        .client()
        .unwrap()
        .distribute()
        .create_qrcode(&qr)
        .await
        .unwrap()
        .ticket
        .expect("ticket");
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();
    sandbox.user("o_alice").scan_qrcode(&ticket).unwrap();
    sandbox.flush_pushes().await;
    let CardEvent::UserGetCard(claim) = &server.events()[0] else {
        panic!()
    };
    assert_eq!(claim.outer_str.as_deref(), Some("poster-42"));
}

#[tokio::test]
async fn stock_alarms_follow_the_documented_triggers() {
    let sandbox = Sandbox::start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    let client = sandbox.client().unwrap();
    let last_one = create_discount(&client, 1).await;
    let big = create_discount(&client, 203).await;
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();
    sandbox.user("o_alice").claim(&last_one).unwrap();

    // 203 in stock: the alarm goes at 100 left, not again at 99 or 98 within 12 hours,
    // again after 12 hours.
    for i in 0..105 {
        sandbox.user(format!("o_user{i}")).claim(&big).unwrap();
    }
    sandbox.advance_clock(Duration::from_secs(12 * 3600));
    sandbox.user("o_late").claim(&big).unwrap();
    sandbox.flush_pushes().await;

    let alarms: Vec<_> = server
        .events()
        .into_iter()
        .filter_map(|e| match e {
            CardEvent::CardSkuRemind(r) => Some((r.card_id, r.detail.unwrap_or_default())),
            _ => None,
        })
        .collect();
    let low = "the card's quantity is less than or equal to 100".to_owned();
    assert_eq!(
        alarms,
        [
            (last_one, "the card's quantity is equal to 0".to_owned()),
            (big.clone(), low.clone()),
            (big, low),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_push_one_event_each() {
    let sandbox = Sandbox::start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    let card_id = new_card(&sandbox, 64).await;
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();
    // 80 users race for 64 cards.
    let codes: Vec<String> = std::thread::scope(|scope| {
        let claims: Vec<_> = (0..80)
            .map(|i| {
                let (sandbox, card_id) = (&sandbox, &card_id);
                scope.spawn(move || sandbox.user(format!("o_user{i}")).claim(card_id))
            })
            .collect();
        claims
            .into_iter()
            .filter_map(|claim| claim.join().unwrap().ok())
            .collect()
    });
    assert_eq!(codes.len(), 64);
    let deliveries = sandbox.flush_pushes().await;
    assert!(deliveries.iter().all(|d| d.delivered() && d.attempts == 1));

    let mut pushed: Vec<String> = Vec::new();
    let mut alarms = 0;
    for event in server.events() {
        match event {
            CardEvent::UserGetCard(e) => pushed.push(e.user_card_code.unwrap()),
            CardEvent::CardSkuRemind(_) => alarms += 1,
            other => panic!("{other:?}"),
        }
    }
    pushed.sort();
    let mut claimed = codes.clone();
    claimed.sort();
    assert_eq!(
        pushed, claimed,
        "one user_get_card per code, none lost or doubled"
    );
    assert_eq!(alarms, 1, "the last card went once");
}

#[tokio::test]
async fn a_review_that_falls_due_is_pushed_without_looking_at_the_card() {
    let sandbox = Sandbox::builder()
        .review(Some(Duration::from_secs(600)))
        .start()
        .await
        .unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();
    let card_id = new_card(&sandbox, 10).await;
    assert!(sandbox.flush_pushes().await.is_empty(), "still in review");
    sandbox.advance_clock(Duration::from_secs(601));
    let deliveries = sandbox.flush_pushes().await;
    let CardEvent::CardPassCheck(pass) = &deliveries[0].event else {
        panic!("{deliveries:#?}")
    };
    assert_eq!(pass.card_id, card_id);
    // Approving an approved card says nothing new.
    sandbox.approve(&card_id).unwrap();
    assert!(sandbox.flush_pushes().await.is_empty());
}

#[tokio::test]
async fn member_card_events() {
    let sandbox = Sandbox::start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    let client = sandbox.client().unwrap();
    let card_id = create_member_card(&client).await;
    let code = sandbox.user("o_member").claim(&card_id).unwrap();
    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();

    sandbox.user("o_member").view(&card_id).unwrap();
    sandbox
        .user("o_member")
        .fill_activation_form(&card_id, &[("USER_FORM_INFO_FLAG_MOBILE", "13800000000")])
        .unwrap();
    client
        .member_card()
        .activate(&MemberCardActivateRequest::new("M-1", &code).init_bonus(10))
        .await
        .unwrap();
    let update = MemberCardUpdateUserRequest::new(&code, &card_id)
        .add_bonus(5)
        .add_balance(-1);
    assert!(client.member_card().update_user(&update).await.is_err());
    let update = MemberCardUpdateUserRequest::new(&code, &card_id)
        .add_bonus(5)
        .balance(300);
    client.member_card().update_user(&update).await.unwrap();
    sandbox.flush_pushes().await;

    let events = server.events();
    assert_eq!(
        events.iter().map(name).collect::<Vec<_>>(),
        [
            "user_view_card",
            "submit_membercard_user_info",
            "update_member_card"
        ],
        "a refused update pushes nothing"
    );
    let CardEvent::UserViewCard(view) = &events[0] else {
        panic!()
    };
    assert_eq!(
        view.user_card_code.as_deref(),
        Some(""),
        "empty for a WeChat-made code"
    );
    let CardEvent::SubmitMembercardUserInfo(submit) = &events[1] else {
        panic!()
    };
    assert_eq!(submit.user_card_code.as_deref(), Some(code.as_str()));
    let CardEvent::UpdateMemberCard(update) = &events[2] else {
        panic!()
    };
    assert_eq!(
        (update.modify_bonus, update.modify_balance),
        (Some(5), Some(300))
    );
}

#[tokio::test]
async fn nothing_is_queued_without_a_target_or_after_stop() {
    let sandbox = Sandbox::start().await.unwrap();
    let server = Server::start(Receiver::plain(TOKEN), 0, None).await;
    let card_id = new_card(&sandbox, 10).await;
    sandbox.user("o_alice").claim(&card_id).unwrap();
    assert!(sandbox.flush_pushes().await.is_empty());

    sandbox
        .push_events_to(PushTarget::plain(&server.url, TOKEN))
        .unwrap();
    sandbox.user("o_bob").claim(&card_id).unwrap();
    sandbox.stop_pushing();
    sandbox.user("o_carol").claim(&card_id).unwrap();
    let deliveries = sandbox.flush_pushes().await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0].event.envelope().unwrap().from_user_name,
        "o_bob"
    );
}

#[test]
fn targets_are_checked_where_they_are_given() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let err = sandbox
        .push_events_to(PushTarget::plain("not a url", TOKEN))
        .unwrap_err();
    assert!(err.to_string().contains("push target url"), "{err}");
    let err = sandbox
        .push_events_to(PushTarget::plain("ftp://127.0.0.1/wechat", TOKEN))
        .unwrap_err();
    assert!(err.to_string().contains("must be http or https"), "{err}");
    let err = PushTarget::safe_mode("http://127.0.0.1/wechat", TOKEN, "short").unwrap_err();
    assert!(err.to_string().contains("EncodingAESKey"), "{err}");
    let target = PushTarget::safe_mode("http://127.0.0.1/wechat", TOKEN, KEY).unwrap();
    let debug = format!("{target:?}");
    assert!(!debug.contains(TOKEN) && !debug.contains(KEY), "{debug}");
}

#[test]
fn a_blocking_sandbox_pushes_too() {
    let sandbox = Sandbox::builder().review(None).start_blocking().unwrap();
    // The receiver runs on a runtime of its own, as a separate service would.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(Server::start(Receiver::plain(TOKEN), 0, None));
    let target = PushTarget::plain(&server.url, TOKEN);
    sandbox.verify_server_url_blocking(&target).unwrap();
    sandbox.push_events_to(target).unwrap();
    let card_id = sandbox
        .blocking_client()
        .unwrap()
        .card()
        .create(&discount_card(10))
        .unwrap()
        .card_id
        .expect("card_id");
    sandbox.approve(&card_id).unwrap();
    let deliveries = sandbox.flush_pushes_blocking();
    assert!(deliveries[0].delivered());
    assert_eq!(name(&server.events()[0]), "card_pass_check");
}

#[test]
fn other_languages_drive_pushes_over_http() {
    let sandbox = Sandbox::start_blocking().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(Server::start(Receiver::plain(TOKEN), 0, None));
    let client = sandbox.blocking_client().unwrap();
    let card_id = client
        .card()
        .create(&discount_card(10))
        .unwrap()
        .card_id
        .expect("card_id");
    let base = sandbox.url();
    let action = |name: &str, body| net::sandbox_action(&base, name, body);
    let verified = action(
        "verify_url",
        serde_json::json!({"url": server.url, "token": "wrong"}),
    );
    assert_eq!(verified["errcode"], 40097, "{verified}");
    assert!(
        verified["errmsg"]
            .as_str()
            .unwrap()
            .contains("server URL verification failed"),
        "{verified}"
    );
    let verified = action(
        "verify_url",
        serde_json::json!({"url": server.url, "token": TOKEN}),
    );
    assert_eq!(verified["errcode"], 0, "{verified}");
    let set = action(
        "push_events_to",
        serde_json::json!({"url": server.url, "token": TOKEN, "encoding_aes_key": KEY, "retries": 1}),
    );
    assert_eq!(set["errcode"], 0, "{set}");
    action(
        "claim",
        serde_json::json!({"openid": "o_alice", "card_id": card_id}),
    );
    let flushed = action("flush_pushes", serde_json::json!({}));
    let delivery = &flushed["deliveries"][0];
    assert_eq!(delivery["event"], "user_get_card", "{flushed}");
    assert_eq!(
        delivery["attempts"], 2,
        "refused, and retried once as asked"
    );
    assert!(
        delivery["xml"]
            .as_str()
            .unwrap()
            .contains("<FromUserName><![CDATA[o_alice]]></FromUserName>")
    );
    // The receiver was told safe mode, and is plain: it refused, and says why.
    assert_eq!(delivery["status"], 403);
    let bad = action(
        "push_events_to",
        serde_json::json!({"url": server.url, "token": TOKEN, "encoding_aes_key": "short"}),
    );
    assert_eq!(bad["errcode"], 40097, "{bad}");
    assert!(bad["errmsg"].as_str().unwrap().contains("EncodingAESKey"));
}
