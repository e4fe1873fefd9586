//! Receiving card events under axum: the server URL verification (GET), safe-mode pushes
//! (POST) turned into typed events, and WeChat's retries de-duplicated.
//!
//! `cargo run --example push_axum` starts the receiver on a local port, then plays
//! WeChat: it verifies the URL and pushes one encrypted `user_consume_card` event four
//! times (the original and WeChat's 3 retries). The event is handled once.
//!
//! In production, mount `receiver_routes` on your HTTPS server and give its URL, your
//! token and EncodingAESKey in the account's server settings.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wechat_card::push::events::CardEvent;
use wechat_card::push::{Receiver, SafeMode};

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
    let note = match &event {
        CardEvent::UserConsumeCard(e) => {
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
        CardEvent::Unknown(e) => format!("an event this crate does not type: {}", e.event),
        other => format!("{:?}", other.envelope().map(|e| e.event.as_str())),
    };
    app.handled
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(note);
    (StatusCode::OK, "success")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = Arc::new(App {
        receiver: Receiver::safe_mode(TOKEN, ENCODING_AES_KEY, APPID)?,
        seen: Seen {
            keys: Mutex::default(),
            ttl: Duration::from_secs(60),
        },
        handled: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/wechat", listener.local_addr()?);
    tokio::spawn(axum::serve(listener, receiver_routes(app.clone())).into_future());
    println!("receiver          {url}");

    // Play WeChat: first the URL verification…
    let http = reqwest::Client::new();
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .as_secs()
        .to_string();
    let signature = wechat_card::jssdk::card_signature([TOKEN, timestamp.as_str(), "1320562132"]);
    let query = format!("signature={signature}&timestamp={timestamp}&nonce=1320562132");
    let echo = http
        .get(format!("{url}?{query}&echostr=hello"))
        .send()
        .await?
        .text()
        .await?;
    println!("URL verification  answered {echo:?}");
    assert_eq!(echo, "hello");

    // …then one encrypted event, delivered four times.
    let event = format!(
        "<xml><ToUserName><![CDATA[gh_fc0a06a20993]]></ToUserName><FromUserName><![CDATA[oZI8Fj040-be6rlDohc6gkoPOQTQ]]></FromUserName><CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[user_consume_card]]></Event><CardId><![CDATA[pZI8Fjwsy5fVPRBeD78J4RmqVvBc]]></CardId><UserCardCode><![CDATA[226009850808]]></UserCardCode><ConsumeSource><![CDATA[FROM_API]]></ConsumeSource></xml>"
    );
    let (encrypt, msg_signature) =
        SafeMode::new(TOKEN, ENCODING_AES_KEY, APPID)?.encrypt(&event, &timestamp, "1320562132");
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_fc0a06a20993]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    );
    for attempt in 1..=4 {
        let reply = http
            .post(format!(
                "{url}?{query}&encrypt_type=aes&msg_signature={msg_signature}"
            ))
            .body(body.clone())
            .send()
            .await?;
        println!(
            "push {attempt}            {} {:?}",
            reply.status(),
            reply.text().await?
        );
    }
    // A forged push is refused.
    let forged = http
        .post(format!("{url}?{query}&encrypt_type=aes&msg_signature=0"))
        .body(body)
        .send()
        .await?;
    println!("forged push       {}", forged.status());
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let handled = app
        .handled
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    println!("handled           {handled:?}");
    assert_eq!(
        handled,
        ["code 226009850808 of card pZI8Fjwsy5fVPRBeD78J4RmqVvBc consumed (FROM_API)"]
    );
    Ok(())
}
