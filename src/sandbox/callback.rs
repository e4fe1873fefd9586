//! The sandbox's event pushes: what WeChat posts to the account's server URL when a
//! card is reviewed, claimed, gifted, consumed or deleted, or its stock runs low.
//!
//! The world queues typed events ([`CardEvent`]); one task delivers them in order, each
//! as WeChat would: signed (`signature`, `timestamp`, `nonce`, `openid` in the query),
//! encrypted in safe mode, given `timeout` to answer and retried `retries` times with
//! the same body — so a receiver's de-duplication is exercised for real.

use crate::jssdk::{card_signature, nonce};
use crate::push::events::CardEvent;
use crate::push::events::Envelope;
use crate::push::{PushError, SafeMode};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// Where the sandbox posts card events, and how: the account's server settings
/// (URL, Token and, in safe mode, EncodingAESKey) as entered on the WeChat console.
///
/// ```
/// use wechat_card::sandbox::PushTarget;
/// use std::time::Duration;
///
/// let plain = PushTarget::plain("http://127.0.0.1:3000/wechat", "my-token");
/// let safe = PushTarget::safe_mode(
///     "http://127.0.0.1:3000/wechat",
///     "my-token",
///     "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
/// )?
/// .timeout(Duration::from_millis(500))
/// .retries(1);
/// assert!(!format!("{safe:?}").contains("my-token"));
/// # Ok::<(), wechat_card::push::PushError>(())
/// ```
#[derive(Clone)]
pub struct PushTarget {
    url: String,
    token: String,
    encoding_aes_key: Option<String>,
    timeout: Duration,
    retries: u32,
}

impl fmt::Debug for PushTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushTarget")
            .field("url", &self.url)
            .field(
                "mode",
                &if self.encoding_aes_key.is_some() {
                    "safe"
                } else {
                    "plain"
                },
            )
            .field("token", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .finish()
    }
}

impl PushTarget {
    /// Plain mode (明文模式): signed, not encrypted.
    pub fn plain(url: impl Into<String>, token: impl Into<String>) -> Self {
        PushTarget {
            url: url.into(),
            token: token.into(),
            encoding_aes_key: None,
            timeout: crate::push::events::DELIVERY_TIMEOUT,
            retries: crate::push::events::DELIVERY_RETRIES,
        }
    }

    /// Safe mode (安全模式): every event encrypted with the 43-character EncodingAESKey
    /// for the sandbox's appid.
    pub fn safe_mode(
        url: impl Into<String>,
        token: impl Into<String>,
        encoding_aes_key: &str,
    ) -> Result<Self, PushError> {
        let token = token.into();
        // Checked now, so a bad key is refused where it is given.
        SafeMode::new(token.clone(), encoding_aes_key, "")?;
        Ok(PushTarget {
            encoding_aes_key: Some(encoding_aes_key.to_owned()),
            ..PushTarget::plain(url, token)
        })
    }

    /// How long the receiver has to answer each request (by default WeChat's,
    /// [`DELIVERY_TIMEOUT`](crate::push::events::DELIVERY_TIMEOUT): 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times an unanswered, failed or non-2xx request is repeated (by default
    /// WeChat's, [`DELIVERY_RETRIES`](crate::push::events::DELIVERY_RETRIES): 3).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The target with everything checked and the key bound to `appid`.
    pub(crate) fn resolve(self, appid: &str) -> Result<Target, String> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| format!("push target url {:?}: {e}", self.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "push target url {:?}: must be http or https",
                self.url
            ));
        }
        let safe = match &self.encoding_aes_key {
            Some(key) => {
                Some(SafeMode::new(self.token.clone(), key, appid).map_err(|e| e.to_string())?)
            }
            None => None,
        };
        Ok(Target {
            url,
            token: self.token,
            safe,
            timeout: self.timeout,
            retries: self.retries,
        })
    }
}

/// A [`PushTarget`] ready to post to.
pub(crate) struct Target {
    url: reqwest::Url,
    token: String,
    safe: Option<SafeMode>,
    timeout: Duration,
    retries: u32,
}

/// One event the sandbox pushed, and how it went.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// The event, as the receiver should have read it.
    pub event: CardEvent,
    /// Requests made: 1 when the first was answered with a 2xx, at most 1 + retries.
    pub attempts: u32,
    /// The HTTP status of the last request, when it was answered.
    pub status: Option<u16>,
    /// Why the last request failed; `None` when the event was delivered.
    pub error: Option<String>,
}

impl Delivery {
    /// The receiver answered with a 2xx.
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// Deliveries kept for the next flush; older ones are dropped, so a sandbox pushing
/// for days without being flushed keeps its memory bounded.
const KEPT_DELIVERIES: usize = 10_000;

#[derive(Default)]
struct Log {
    /// Queued and not yet delivered or given up on.
    pending: usize,
    done: Vec<Delivery>,
}

/// The world's side of pushing: a queue to the delivery task, and its log.
pub(crate) struct Outbox {
    /// The account's original id (gh_…): every event's ToUserName.
    pub(crate) original_id: String,
    target: Mutex<Option<Arc<Target>>>,
    /// The last CreateTime given per FromUserName.
    last_time: Mutex<HashMap<String, i64>>,
    queue: mpsc::UnboundedSender<(CardEvent, Arc<Target>)>,
    log: Mutex<Log>,
    settled: Condvar,
    settled_async: Notify,
}

pub(crate) type Queue = mpsc::UnboundedReceiver<(CardEvent, Arc<Target>)>;

impl Outbox {
    pub(crate) fn new(original_id: String) -> (Arc<Outbox>, Queue) {
        let (queue, receiver) = mpsc::unbounded_channel();
        let outbox = Outbox {
            original_id,
            target: Mutex::new(None),
            last_time: Mutex::default(),
            queue,
            log: Mutex::default(),
            settled: Condvar::new(),
            settled_async: Notify::new(),
        };
        (Arc::new(outbox), receiver)
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The registered target, if anyone listens (the world builds no event otherwise).
    pub(crate) fn target(&self) -> Option<Arc<Target>> {
        self.target
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn set_target(&self, target: Option<Target>) {
        *self.target.lock().unwrap_or_else(|e| e.into_inner()) = target.map(Arc::new);
    }

    /// The envelope of an event from `from` at `now_ms` (the sandbox's clock). Two
    /// events of one sender never share a CreateTime (a later one moves on a second), so
    /// a receiver de-duplicating on FromUserName + CreateTime, as WeChat advises, never
    /// drops a distinct event.
    pub(crate) fn envelope(&self, from: &str, now_ms: u64) -> Envelope {
        let mut last = self.last_time.lock().unwrap_or_else(|e| e.into_inner());
        let previous = last.get(from).copied().unwrap_or(i64::MIN);
        let create_time = ((now_ms / 1000) as i64).max(previous.saturating_add(1));
        last.insert(from.to_owned(), create_time);
        Envelope {
            to_user_name: self.original_id.clone(),
            from_user_name: from.to_owned(),
            create_time,
            msg_type: "event".into(),
            // Named by the event built on it (card_events).
            event: String::new(),
        }
    }

    /// Queues an event for `target` (from [`Outbox::target`]; with none, events are
    /// dropped, as WeChat drops those of an account without a server URL).
    pub(crate) fn send(&self, event: CardEvent, target: Arc<Target>) {
        self.log().pending += 1;
        if self.queue.send((event, target)).is_err() {
            // The delivery task is gone (the sandbox is shutting down).
            self.finish(None);
        }
    }

    fn finish(&self, delivery: Option<Delivery>) {
        let mut log = self.log();
        log.pending = log.pending.saturating_sub(1);
        log.done.extend(delivery);
        if log.done.len() > KEPT_DELIVERIES {
            let excess = log.done.len() - KEPT_DELIVERIES;
            log.done.drain(..excess);
        }
        drop(log);
        self.settled.notify_all();
        self.settled_async.notify_waiters();
    }

    /// What the log holds now, without waiting or taking: events queued and not yet
    /// settled, and the deliveries the next flush will return (for the console).
    pub(crate) fn recorded(&self) -> (usize, Vec<Delivery>) {
        let log = self.log();
        (log.pending, log.done.clone())
    }

    /// Waits until every queued event is delivered or given up on; returns the
    /// deliveries since the last flush (the last 10,000 of them).
    pub(crate) async fn flush(&self) -> Vec<Delivery> {
        loop {
            let notified = self.settled_async.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut log = self.log();
                if log.pending == 0 {
                    return std::mem::take(&mut log.done);
                }
            }
            notified.await;
        }
    }

    /// [`Outbox::flush`] for threads outside the sandbox's runtime.
    pub(crate) fn flush_blocking(&self) -> Vec<Delivery> {
        let mut log = self.log();
        while log.pending > 0 {
            log = self.settled.wait(log).unwrap_or_else(|e| e.into_inner());
        }
        std::mem::take(&mut log.done)
    }
}

/// The delivery task: one event at a time, in order, until the sandbox is dropped.
pub(crate) async fn deliver(outbox: std::sync::Weak<Outbox>, mut queue: Queue) {
    let client = http_client();
    while let Some((event, target)) = queue.recv().await {
        let delivery = deliver_one(&client, &target, event).await;
        match outbox.upgrade() {
            Some(outbox) => outbox.finish(Some(delivery)),
            None => return,
        }
    }
}

async fn deliver_one(client: &reqwest::Client, target: &Target, event: CardEvent) -> Delivery {
    let xml = event.to_xml();
    let (to, from, name) = match event.envelope() {
        Some(e) => (
            e.to_user_name.clone(),
            e.from_user_name.clone(),
            e.event.clone(),
        ),
        None => Default::default(),
    };
    let mut delivery = Delivery {
        event,
        attempts: 0,
        status: None,
        error: None,
    };
    while delivery.attempts <= target.retries {
        delivery.attempts += 1;
        let outcome = post(client, target, &xml, &to, &from).await;
        tracing::debug!(
            event = %name,
            attempt = delivery.attempts,
            outcome = ?outcome,
            "sandbox push"
        );
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                (delivery.status, delivery.error) = (Some(status), None);
                break;
            }
            Ok(status) => {
                let error = format!("the receiver answered HTTP {status}");
                (delivery.status, delivery.error) = (Some(status), Some(error));
            }
            Err(error) => (delivery.status, delivery.error) = (None, Some(error)),
        }
    }
    delivery
}

/// A client of our own: no proxy from the environment for a local receiver, and no
/// timeout but each target's.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_default()
}

impl Target {
    /// What every request from WeChat carries: a timestamp, a fresh nonce and their
    /// signature. The wall clock, not the sandbox's: receivers check freshness against
    /// their own.
    fn signed(&self) -> (String, String, String) {
        let timestamp = (crate::store::now_ms() / 1000).to_string();
        let nonce = nonce();
        let signature = card_signature([self.token.as_str(), &timestamp, &nonce]);
        (timestamp, nonce, signature)
    }

    /// Sends with this target's timeout; a failure as text: no answer in time, or
    /// `who` cannot be reached, and why.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        who: &str,
    ) -> Result<reqwest::Response, String> {
        request
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| match e.is_timeout() {
                true => format!("no answer within {:?}", self.timeout),
                false => format!(
                    "{who} cannot be reached: {}",
                    source_chain(&e.without_url())
                ),
            })
    }
}

/// The server URL verification WeChat makes when the server settings are saved: a GET
/// signed with the token, whose answer must be the `echostr` it carries. The error is
/// the whole sentence, for the API and the HTTP action alike.
pub(crate) async fn verify_url(target: &Target) -> Result<(), String> {
    let refused = |why: String| format!("server URL verification failed: {why}");
    let (timestamp, nonce, signature) = target.signed();
    let echostr = crate::jssdk::nonce();
    let query = [
        ("signature", signature.as_str()),
        ("timestamp", &timestamp),
        ("nonce", &nonce),
        ("echostr", &echostr),
    ];
    let request = http_client().get(target.url.clone()).query(&query);
    let response = target.send(request, "the URL").await.map_err(refused)?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if status == 200 && body.trim() == echostr {
        return Ok(());
    }
    let shown: String = body.chars().take(80).collect();
    Err(refused(format!(
        "the URL answered HTTP {status} {shown:?}, not the echostr (is the token right?)"
    )))
}

/// One request: signed now, with a fresh nonce (and, in safe mode, freshly encrypted).
async fn post(
    client: &reqwest::Client,
    target: &Target,
    xml: &str,
    to: &str,
    openid: &str,
) -> Result<u16, String> {
    let (timestamp, nonce, signature) = target.signed();
    let mut query = vec![
        ("signature", signature),
        ("timestamp", timestamp.clone()),
        ("nonce", nonce.clone()),
        ("openid", openid.to_owned()),
    ];
    let body = match &target.safe {
        None => xml.to_owned(),
        Some(safe) => {
            let (encrypt, msg_signature) = safe.encrypt(xml, &timestamp, &nonce);
            query.push(("encrypt_type", "aes".into()));
            query.push(("msg_signature", msg_signature));
            let mut envelope = crate::push::XmlWriter::new();
            envelope.text("ToUserName", to);
            envelope.text("Encrypt", &encrypt);
            envelope.finish()
        }
    };
    let request = client
        .post(target.url.clone())
        .query(&query)
        .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
        .body(body);
    let response = target.send(request, "the receiver").await?;
    let status = response.status().as_u16();
    // Read the answer so the connection is reused ("success" or empty, per WeChat).
    let _ = response.bytes().await;
    Ok(status)
}

/// An error and its causes on one line ("error sending request" alone says little).
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
