//! Receiving card events under axum: the server URL verification (GET), safe-mode pushes
//! (POST) turned into typed events, and WeChat's retries de-duplicated.
//!
//! `cargo run --example push_axum` starts the receiver on a local port, has the sandbox
//! verify its URL as WeChat does when the server settings are saved, then points the
//! sandbox at it in safe mode: a card is approved, claimed and consumed, and each event arrives encrypted.
//! The receiver is slow once, so the sandbox retries as WeChat would; the retry is
//! recognised and the redemption handled once. A forged push is refused.
//!
//! In production, mount `receiver_routes` on your HTTPS server and give its URL, your
//! token and EncodingAESKey in the account's server settings.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wechat_card::code::CodeConsumeRequest;
use wechat_card::push::Receiver;
use wechat_card::push::events::CardEvent;
use wechat_card::sandbox::{PushTarget, Sandbox};
use wechat_card::types::{
    BaseInfo, Card, CardType, CodeType, DateInfo, DateType, DiscountCard, Sku,
};

// The values of WeChat's published worked example; use your account's own.
const TOKEN: &str = "spamtest";
const ENCODING_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";

/// Pushes already handled, by (FromUserName, CreateTime) as the docs advise. WeChat
/// retries within about 15 s, so a minute of memory is plenty; older keys are dropped.
struct Seen {
    keys: Mutex<HashMap<(String, i64), Instant>>,
    ttl: Duration,
}

impl Seen {
    /// True the first time a key is offered within `ttl`.
    fn first(&self, key: (String, i64)) -> bool {
        let now = Instant::now();
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.retain(|_, at| now.duration_since(*at) < self.ttl);
        keys.insert(key, now).is_none()
    }
}

struct App {
    receiver: Receiver,
    seen: Seen,
    /// What this demo did with each new event (a real app writes to its database).
    handled: Mutex<Vec<String>>,
    /// Told each time an event is handled (the demo waits on it).
    handled_one: tokio::sync::Notify,
    /// The demo's database is slow once, when the first redemption comes in.
    slow_once: AtomicBool,
}

fn receiver_routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/wechat", get(verify_url).post(push))
        .with_state(app)
}

/// The server URL verification: answer with `echostr` when the signature holds.
async fn verify_url(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> (StatusCode, String) {
    match app.receiver.verify_url(query.as_deref().unwrap_or("")) {
        Ok(echostr) => (StatusCode::OK, echostr),
        Err(refused) => (StatusCode::FORBIDDEN, refused.to_string()),
    }
}

/// A push: authenticate, decrypt, type, de-duplicate, handle; answer "success" fast
/// (WeChat gives up after 5 s and retries).
async fn push(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let event = match app.receiver.event(query.as_deref().unwrap_or(""), &body) {
        Ok(event) => event,
        // Forged, replayed or malformed: refuse it, and say why in the log.
        Err(refused) => {
            eprintln!("refused a push: {refused}");
            return (StatusCode::FORBIDDEN, "");
        }
    };
    if let Some(envelope) = event.envelope() {
        if !app
            .seen
            .first((envelope.from_user_name.clone(), envelope.create_time))
        {
            return (StatusCode::OK, "success"); // a retry of a push already handled
        }
    }
    // The work runs in a task of its own. When WeChat's time is up it hangs up, and the
    // server drops this request's future; a spawned task still finishes. Without it, an
    // event marked as seen above would be lost: cut short here, and its retry answered
    // "already handled".
    let worker = app.clone();
    let _ = tokio::spawn(async move { handle(&worker, event).await }).await;
    (StatusCode::OK, "success")
}

/// What the app does with a new event (a real app writes to its database).
async fn handle(app: &App, event: CardEvent) {
    let note = match &event {
        CardEvent::UserConsumeCard(e) => {
            if app.slow_once.swap(false, Ordering::SeqCst) {
                // A slow database, once: past the sender's timeout, so it retries while
                // we work, and the retry is recognised as seen.
                tokio::time::sleep(Duration::from_millis(1500)).await;
            }
            format!(
                "code {} of card {} consumed ({})",
                e.user_card_code.as_deref().unwrap_or("?"),
                e.card_id,
                e.consume_source.as_ref().map_or("?", |s| s.as_str())
            )
        }
        CardEvent::UserGetCard(e) => format!(
            "card {} claimed by {}",
            e.card_id, e.envelope.from_user_name
        ),
        CardEvent::CardPassCheck(e) => format!("card {} approved", e.card_id),
        CardEvent::Unknown(e) => format!("an event this crate does not type: {}", e.event),
        other => format!("{:?}", other.envelope().map(|e| e.event.as_str())),
    };
    app.handled
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(note);
    app.handled_one.notify_one();
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (app, url) = start_receiver().await?;
    let sandbox = sandbox_pushing_to(&url).await?;
    let (card_id, code) = create_claim_and_consume(&sandbox).await?;
    show_deliveries(&sandbox).await;
    // The first, slow delivery of the redemption may still be being worked on.
    wait_until_handled(&app, 3).await;
    refuse_a_forged_push(&url).await?;

    let handled = app
        .handled
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    println!("handled           {handled:#?}");
    assert_eq!(
        handled,
        [
            format!("card {card_id} approved"),
            format!("card {card_id} claimed by oDemoUser"),
            format!("code {code} of card {card_id} consumed (FROM_API)"),
        ]
    );
    Ok(())
}

/// The receiver, serving `receiver_routes` on a local port; returns the app and the URL
/// to give WeChat.
async fn start_receiver() -> Result<(Arc<App>, String), Box<dyn std::error::Error>> {
    let app = Arc::new(App {
        receiver: Receiver::safe_mode(TOKEN, ENCODING_AES_KEY, APPID)?,
        seen: Seen {
            keys: Mutex::default(),
            ttl: Duration::from_secs(60),
        },
        handled: Mutex::default(),
        handled_one: tokio::sync::Notify::new(),
        slow_once: AtomicBool::new(true),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/wechat", listener.local_addr()?);
    tokio::spawn(axum::serve(listener, receiver_routes(app.clone())).into_future());
    println!("receiver          {url}");
    Ok((app, url))
}

/// The sandbox plays WeChat for the account APPID, in safe mode, with a 1 s timeout
/// (WeChat's is 5 s) so the demo is quick. Saving the server settings, WeChat first
/// verifies the URL (a signed GET whose echostr must come back).
async fn sandbox_pushing_to(url: &str) -> Result<Sandbox, Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder().appid(APPID).start().await?;
    let target =
        PushTarget::safe_mode(url, TOKEN, ENCODING_AES_KEY)?.timeout(Duration::from_secs(1));
    sandbox.verify_server_url(&target).await?;
    println!("URL verification  passed");
    sandbox.push_events_to(target)?;
    Ok(sandbox)
}

/// A card is created (and approved), claimed by a user and consumed: three pushes.
/// Returns the card's id and the code.
async fn create_claim_and_consume(
    sandbox: &Sandbox,
) -> Result<(String, String), Box<dyn std::error::Error>> {
    let client = sandbox.client()?;
    let base = BaseInfo::new(
        "http://mmbiz.qpic.cn/logo.png",
        CodeType::Qrcode,
        "微信餐厅",
        "9折优惠券",
        "Color010",
        "到店使用",
        "凭此券到店消费享9折优惠",
        DateInfo::new(DateType::FixTerm)
            .fixed_term(30)
            .fixed_begin_term(0),
        Sku::new(100),
    );
    let create = wechat_card::card::CardCreateRequest::new(
        Card::new(CardType::Discount).discount(DiscountCard::new(base, 10)),
    );
    let created = client.card().create(&create).await?;
    let card_id = created.card_id.expect("WeChat returns the card_id");
    let code = sandbox.user("oDemoUser").claim(&card_id)?;
    client
        .code()
        .consume(&CodeConsumeRequest::new(&code))
        .await?;
    Ok((card_id, code))
}

/// Delivers the pushes waiting in the sandbox, retries included, and shows each one.
async fn show_deliveries(sandbox: &Sandbox) {
    for delivery in sandbox.flush_pushes().await {
        let event = delivery
            .event
            .envelope()
            .map_or("?", |e| e.event.as_str())
            .to_owned();
        println!(
            "pushed            {event:<18} {} request(s), delivered: {}",
            delivery.attempts,
            delivery.delivered()
        );
        assert!(delivery.delivered());
    }
}

/// Waits (10 s at most) until the app has handled `count` events.
async fn wait_until_handled(app: &App, count: usize) {
    let handled_count = || app.handled.lock().unwrap_or_else(|p| p.into_inner()).len();
    let all = async {
        while handled_count() < count {
            app.handled_one.notified().await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), all).await;
}

/// A forged push is refused.
async fn refuse_a_forged_push(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let forged = reqwest::Client::new()
        .post(format!(
            "{url}?signature=0&timestamp={now}&nonce=1&encrypt_type=aes&msg_signature=0"
        ))
        .body("<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>")
        .send()
        .await?;
    println!("forged push       {}", forged.status());
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    Ok(())
}

// `cargo test` runs the demo (the example is built with `test = true`).
#[test]
fn the_demo_runs() {
    main().unwrap();
}
