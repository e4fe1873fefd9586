//! The sandbox (feature `sandbox`): a stateful local WeChat card server.
//!
//! WeChat's test accounts cannot use the card API, so the sandbox stands in for it:
//! every endpoint of the spec, with behaviour rather than canned replies — cards go
//! through review, stock runs out, codes are claimed, gifted, consumed (once), made
//! unavailable or expire, statistics count what happened per China day. Requests are
//! checked with the same generated validators the clients use and answered with the
//! documented errcodes.
//!
//! ```
//! use wechat_card::sandbox::Sandbox;
//! use wechat_card::card::CardGetRequest;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), wechat_card::Error> {
//! let sandbox = Sandbox::start().await?;
//! let client = sandbox.client()?;
//! let err = client.card().get(&CardGetRequest::new("pNoSuchCard")).await.unwrap_err();
//! assert_eq!(err.errcode(), Some(wechat_card::ErrCode::InvalidCardId));
//! # Ok(()) }
//! ```
//!
//! What only the sandbox can do — a user claiming, gifting or deleting a card, moving
//! the clock, injecting faults — is on [`Sandbox`] (and, for other languages, under
//! `/sandbox/…` on its HTTP port), never on the WeChat API.

mod callback;
mod card_events;
mod clock;
mod examples;
mod faults;
mod qr;
pub(crate) mod runtime;
mod tokens;
mod world;

pub use callback::{Delivery, PushTarget};
pub use faults::{Fault, Faults};
pub use runtime::Failure;
pub use world::WECHAT_SENDER;

use crate::error::Error;
use crate::generated::sandbox::dispatch;
use crate::{AppCredentials, Client, Config};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use callback::Outbox;
use clock::Clock;
use runtime::{Call, Context, Reply};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokens::Tokens;
use world::{Settings, World};

struct Engine {
    world: World,
    context: Context,
}

impl Engine {
    fn outbox(&self) -> &Outbox {
        &self.world.outbox
    }

    /// A push target, checked and bound to this sandbox's appid.
    fn resolve(&self, target: PushTarget) -> Result<callback::Target, String> {
        target.resolve(&self.context.tokens.appid)
    }

    /// Moves the clock forward; reviews that fall due end (and are pushed).
    fn advance_clock(&self, by: Duration) {
        self.context.clock.advance(by);
        self.world.sweep_reviews();
    }
}

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    appid: String,
    secret: String,
    review: Option<Duration>,
    seed: u64,
    addr: SocketAddr,
    original_id: String,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            appid: "wxsandbox000000001".into(),
            secret: "sandbox-app-secret-0123456789".into(),
            review: Some(Duration::ZERO),
            seed: 1,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            original_id: "gh_sandbox000001".into(),
        }
    }
}

impl SandboxBuilder {
    /// The app id the sandbox's token endpoints accept.
    pub fn appid(mut self, appid: impl Into<String>) -> Self {
        self.appid = appid.into();
        self
    }

    /// The app secret the sandbox's token endpoints accept.
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = secret.into();
        self
    }

    /// How long review takes before a card is approved (default: at once); `None`
    /// leaves every card CARD_STATUS_NOT_VERIFY until [`Sandbox::approve`].
    pub fn review(mut self, review: Option<Duration>) -> Self {
        self.review = review;
        self
    }

    /// The seed of the fault generator (same seed, same faults).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Where to listen (default `127.0.0.1` on a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The account's original id (gh_…), the `ToUserName` of pushed events.
    pub fn original_id(mut self, original_id: impl Into<String>) -> Self {
        self.original_id = original_id.into();
        self
    }

    /// Starts the sandbox on the current tokio runtime.
    pub async fn start(self) -> Result<Sandbox, Error> {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|e| {
                Error::Config(format!("the sandbox cannot listen on {}: {e}", self.addr))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Config(e.to_string()))?;
        let (engine, queue) = self.engine(addr);
        // The pusher holds the engine weakly: it ends with the sandbox.
        tokio::spawn(pusher(Arc::downgrade(&engine), queue));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(engine.clone());
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Ok(Sandbox {
            engine,
            addr,
            stop: Some(stop),
            runtime: None,
            handle: tokio::runtime::Handle::current(),
        })
    }

    /// Starts the sandbox on a runtime of its own, for blocking code and tests.
    pub fn start_blocking(self) -> Result<Sandbox, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("the sandbox cannot start its runtime: {e}")))?;
        let mut sandbox = runtime.block_on(self.start())?;
        sandbox.runtime = Some(runtime);
        Ok(sandbox)
    }

    fn engine(&self, addr: SocketAddr) -> (Arc<Engine>, callback::Queue) {
        let clock = Arc::new(Clock::default());
        let tokens = Arc::new(Tokens::new(self.appid.clone(), self.secret.clone()));
        let faults = Arc::new(Faults::new(self.seed));
        let settings = Settings {
            review: self.review,
            base_url: format!("http://{addr}"),
        };
        let (outbox, queue) = Outbox::new(self.original_id.clone());
        let world = World::new(clock.clone(), tokens.clone(), settings, outbox);
        let engine = Arc::new(Engine {
            world,
            context: Context {
                clock,
                faults,
                tokens,
            },
        });
        (engine, queue)
    }
}

/// Delivers queued events, and ends reviews that fall due with the passing of time so
/// their events go out on time.
async fn pusher(engine: std::sync::Weak<Engine>, queue: callback::Queue) {
    let outbox = match engine.upgrade() {
        Some(engine) => Arc::downgrade(&engine.world.outbox),
        None => return,
    };
    let sweeper = async {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tick.tick().await;
            let Some(engine) = engine.upgrade() else {
                return;
            };
            if engine.outbox().target().is_some() {
                engine.world.sweep_reviews();
            }
        }
    };
    tokio::select! {
        () = callback::deliver(outbox, queue) => {}
        () = sweeper => {}
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    engine: Arc<Engine>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
    /// The runtime the sandbox runs on (its own, or the caller's).
    handle: tokio::runtime::Handle,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The RefuseReason of [`Sandbox::reject`].
const DEFAULT_REFUSE_REASON: &str = "卡券信息不符合规范（sandbox）";

/// A sandbox action WeChat refused, as an [`Error::Api`].
fn refused(action: &'static str, f: Failure) -> Error {
    Error::Api {
        endpoint: action,
        code: crate::ErrCode::from(f.errcode),
        message: f.errmsg,
        check: None,
    }
}

impl Sandbox {
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// A sandbox with the defaults, on the current tokio runtime.
    pub async fn start() -> Result<Sandbox, Error> {
        SandboxBuilder::default().start().await
    }

    /// A sandbox with the defaults, on a runtime of its own.
    pub fn start_blocking() -> Result<Sandbox, Error> {
        SandboxBuilder::default().start_blocking()
    }

    /// `http://127.0.0.1:PORT`: both WeChat hosts are served there.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client configuration pointing at the sandbox.
    /// A client configuration pointing at the sandbox, sharing its clock (so "today"
    /// agrees when the clock was moved).
    pub fn config(&self) -> Config {
        let clock = self.engine.context.clock.clone();
        Config::new()
            .all_hosts(self.url())
            .today(Arc::new(move || clock.china_today()))
    }

    /// The sandbox's app credentials (tokens from its stable_token).
    pub fn credentials(&self) -> AppCredentials {
        let tokens = &self.engine.context.tokens;
        AppCredentials::new(tokens.appid.clone(), tokens.secret.clone())
    }

    /// An async client of the sandbox.
    pub fn client(&self) -> Result<Client, Error> {
        Client::new(self.config(), self.credentials())
    }

    /// A blocking client of the sandbox.
    #[cfg(feature = "blocking")]
    pub fn blocking_client(&self) -> Result<crate::blocking::Client, Error> {
        crate::blocking::Client::new(self.config(), self.credentials())
    }

    /// A user of WeChat, for the actions only users take.
    pub fn user(&self, openid: impl Into<String>) -> User<'_> {
        User {
            sandbox: self,
            openid: openid.into(),
        }
    }

    /// Ends a card's review with approval (for `review(None)` sandboxes); pushes
    /// `card_pass_check`.
    pub fn approve(&self, card_id: &str) -> Result<(), Error> {
        self.engine
            .world
            .review(card_id, None)
            .map_err(|f| refused("sandbox.approve", f))
    }

    /// Ends a card's review with rejection; pushes `card_not_pass_check` with a
    /// generic reason (see [`Sandbox::reject_because`]).
    pub fn reject(&self, card_id: &str) -> Result<(), Error> {
        self.reject_because(card_id, DEFAULT_REFUSE_REASON)
    }

    /// Ends a card's review with rejection for `reason` (the event's RefuseReason).
    pub fn reject_because(&self, card_id: &str, reason: &str) -> Result<(), Error> {
        self.engine
            .world
            .review(card_id, Some(reason))
            .map_err(|f| refused("sandbox.reject", f))
    }

    /// Moves the sandbox's clock forward: tokens expire, codes lapse, days pass,
    /// reviews that fall due end (and are pushed).
    pub fn advance_clock(&self, by: Duration) {
        self.engine.advance_clock(by);
    }

    /// Posts card events to the account's server from now on, as WeChat would (see
    /// [`PushTarget`]): `card_pass_check` / `card_not_pass_check` when review ends,
    /// `user_get_card` when a user claims a card or accepts a gift,
    /// `user_gifting_card` when they give one, `user_consume_card` (FROM_API) on
    /// code/consume, `user_del_card` when they delete one, `card_sku_remind` when
    /// stock runs low, `user_enter_session_from_card` when a user opens the chat from
    /// a card, and for member cards `user_view_card`, `submit_membercard_user_info`
    /// and `update_member_card`. Replaces any earlier target; events queued before
    /// still go to theirs.
    ///
    /// Events are delivered one at a time, in order. `CreateTime` is the sandbox's
    /// clock (never repeated for one sender), the signature's `timestamp` the wall
    /// clock, so receivers check freshness as they will in production. Events no
    /// user causes come from [`WECHAT_SENDER`]; `ToUserName` is the original id
    /// ([`SandboxBuilder::original_id`]).
    ///
    /// ```
    /// use wechat_card::push::{Receiver, events::CardEvent};
    /// use wechat_card::sandbox::{PushTarget, Sandbox};
    /// # use wechat_card::card::CardCreateRequest;
    /// # use wechat_card::types::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let url = format!("http://{}/wechat", listener.local_addr()?);
    /// # let (seen, mut events) = tokio::sync::mpsc::unbounded_channel();
    /// # let receiver = Receiver::plain("my-token");
    /// # let app = axum::Router::new().route("/wechat", axum::routing::post(
    /// #     move |axum::extract::RawQuery(query): axum::extract::RawQuery, body: axum::body::Bytes| async move {
    /// #         seen.send(receiver.event(&query.unwrap_or_default(), &body).unwrap()).unwrap();
    /// #         "success"
    /// #     }));
    /// # tokio::spawn(async move { axum::serve(listener, app).await });
    /// let sandbox = Sandbox::start().await?;
    /// // `url` serves a wechat_card::push::Receiver::plain("my-token").
    /// sandbox.push_events_to(PushTarget::plain(url, "my-token"))?;
    /// # let base = BaseInfo::new("http://mmbiz.qpic.cn/logo.png", CodeType::Qrcode, "微信餐厅", "9折优惠券", "Color010", "到店使用", "凭此券到店消费享9折优惠", DateInfo::new(DateType::FixTerm).fixed_term(30).fixed_begin_term(0), Sku::new(100));
    /// # let create = CardCreateRequest::new(Card::new(CardType::Discount).discount(DiscountCard::new(base, 10)));
    /// # let card_id = sandbox.client()?.card().create(&create).await?.card_id.expect("a card_id");
    ///
    /// let code = sandbox.user("oUser").claim(&card_id)?;
    ///
    /// // The card passed review (card_pass_check), then the user claimed it.
    /// let deliveries = sandbox.flush_pushes().await;
    /// assert!(deliveries.iter().all(|d| d.delivered()));
    /// let CardEvent::UserGetCard(claimed) = &deliveries[1].event else { panic!() };
    /// assert_eq!(claimed.user_card_code.as_deref(), Some(code.as_str()));
    /// # assert_eq!(events.recv().await.unwrap(), deliveries[0].event);
    /// # assert_eq!(events.recv().await.unwrap(), deliveries[1].event);
    /// # Ok(()) }
    /// ```
    pub fn push_events_to(&self, target: PushTarget) -> Result<(), Error> {
        let target = self.engine.resolve(target).map_err(Error::Config)?;
        self.engine.outbox().set_target(Some(target));
        Ok(())
    }

    /// Verifies the target's URL as WeChat does when the server settings are saved: a
    /// signed GET with an `echostr` the receiver must send back (see
    /// [`crate::push::Receiver::verify_url`]). Pushing does not require it.
    pub async fn verify_server_url(&self, target: &PushTarget) -> Result<(), Error> {
        let target = self.engine.resolve(target.clone()).map_err(Error::Config)?;
        callback::verify_url(&target).await.map_err(Error::Config)
    }

    /// [`Sandbox::verify_server_url`] for blocking code (from a thread that is not
    /// running the sandbox).
    pub fn verify_server_url_blocking(&self, target: &PushTarget) -> Result<(), Error> {
        let target = self.engine.resolve(target.clone()).map_err(Error::Config)?;
        let (done, result) = std::sync::mpsc::channel();
        self.handle.spawn(async move {
            let _ = done.send(callback::verify_url(&target).await);
        });
        result
            .recv()
            .map_err(|_| Error::Config("the sandbox stopped".into()))?
            .map_err(Error::Config)
    }

    /// Stops posting events (queued ones are still delivered).
    pub fn stop_pushing(&self) {
        self.engine.outbox().set_target(None);
    }

    /// Waits until every event queued so far has been delivered or given up on, and
    /// returns the deliveries since the last flush, in order (the last 10,000: a
    /// sandbox never flushed keeps no more).
    pub async fn flush_pushes(&self) -> Vec<Delivery> {
        self.engine.outbox().flush().await
    }

    /// [`Sandbox::flush_pushes`] for blocking code: call it from a thread that is not
    /// running the sandbox (any thread, for a sandbox from
    /// [`Sandbox::start_blocking`]).
    pub fn flush_pushes_blocking(&self) -> Vec<Delivery> {
        self.engine.outbox().flush_blocking()
    }

    /// The account's original id (gh_…): `ToUserName` of every pushed event.
    pub fn original_id(&self) -> &str {
        &self.engine.outbox().original_id
    }

    /// Today in China by the sandbox's clock.
    pub fn today(&self) -> time::Date {
        self.engine.context.clock.china_today()
    }

    /// Faults to inject, per endpoint id.
    pub fn faults(&self) -> &Faults {
        &self.engine.context.faults
    }

    /// The `encrypt_code` a card page's URL would carry for `code` (decrypt it with
    /// `code().decrypt(..)`).
    pub fn encrypt_code(&self, code: &str) -> Result<String, Error> {
        self.engine
            .world
            .encrypt_code(code)
            .map_err(|f| refused("sandbox.encrypt_code", f))
    }

    /// A card's stock left, codes claimed (not gifted away) and codes consumed.
    pub fn stock(&self, card_id: &str) -> Option<Stock> {
        self.engine
            .world
            .stock(card_id)
            .map(|(remaining, claimed, consumed)| Stock {
                remaining,
                claimed,
                consumed,
            })
    }

    /// How many access tokens the sandbox issued.
    pub fn tokens_issued(&self) -> u64 {
        self.engine.context.tokens.issued()
    }

    /// How many token requests (cgi-bin/token and stable_token) the sandbox served;
    /// stable_token may serve the same token several times.
    pub fn token_requests(&self) -> u64 {
        self.engine.context.tokens.requests()
    }
}

/// A card's stock as the sandbox sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock {
    pub remaining: i64,
    pub claimed: usize,
    pub consumed: usize,
}

/// What a WeChat user does in the sandbox.
#[derive(Debug)]
pub struct User<'s> {
    sandbox: &'s Sandbox,
    openid: String,
}

impl User<'_> {
    pub fn openid(&self) -> &str {
        &self.openid
    }

    /// Claims a card (a non-custom-code card gets a code from WeChat; a deposit-mode
    /// card one of the imported codes); returns the code.
    pub fn claim(&self, card_id: &str) -> Result<String, Error> {
        self.sandbox
            .engine
            .world
            .claim(&self.openid, card_id, None, None)
            .map_err(|f| refused("sandbox.claim", f))
    }

    /// Claims a custom-code card with its code (as `wx.addCard` with a cardExt does).
    pub fn claim_code(
        &self,
        card_id: &str,
        code: &str,
        outer_str: Option<&str>,
    ) -> Result<String, Error> {
        self.sandbox
            .engine
            .world
            .claim(&self.openid, card_id, Some(code), outer_str)
            .map_err(|f| refused("sandbox.claim", f))
    }

    /// Scans a card QR code (from `distribute().create_qrcode`) and claims the card.
    pub fn scan_qrcode(&self, ticket: &str) -> Result<String, Error> {
        self.sandbox
            .engine
            .world
            .claim_qr(&self.openid, ticket)
            .map_err(|f| refused("sandbox.scan_qrcode", f))
    }

    /// Opens a card's page (a view in the statistics).
    pub fn view(&self, card_id: &str) -> Result<(), Error> {
        self.sandbox
            .engine
            .world
            .view(&self.openid, card_id)
            .map_err(|f| refused("sandbox.view", f))
    }

    /// Gifts a code to `friend`, who accepts; returns the friend's code.
    pub fn gift(&self, code: &str, friend: &str) -> Result<String, Error> {
        self.sandbox
            .engine
            .world
            .gift(code, friend)
            .map_err(|f| refused("sandbox.gift", f))
    }

    /// Deletes a code from the card pack.
    pub fn delete(&self, code: &str) -> Result<(), Error> {
        self.sandbox
            .engine
            .world
            .user_delete(code)
            .map_err(|f| refused("sandbox.delete", f))
    }

    /// Opens the account's chat from a card the user holds (pushes
    /// `user_enter_session_from_card`).
    pub fn enter_chat_from_card(&self, card_id: &str) -> Result<(), Error> {
        self.sandbox
            .engine
            .world
            .enter_chat(&self.openid, card_id)
            .map_err(|f| refused("sandbox.enter_chat_from_card", f))
    }

    /// Fills in a member card's activation form; returns the `activate_ticket`.
    pub fn fill_activation_form(
        &self,
        card_id: &str,
        fields: &[(&str, &str)],
    ) -> Result<String, Error> {
        self.sandbox
            .engine
            .world
            .fill_activation_form(card_id, &self.openid, fields)
            .map_err(|f| refused("sandbox.fill_activation_form", f))
    }
}

// ---------------------------------------------------------------- the HTTP server

fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/sandbox/media/{name}", get(media))
        .route("/sandbox/{action}", post(action))
        .fallback(api)
        .with_state(engine)
}

/// The WeChat API: everything but `/sandbox/…`.
async fn api(
    State(engine): State<Arc<Engine>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = match method {
        axum::http::Method::GET => crate::endpoint::Method::Get,
        axum::http::Method::POST => crate::endpoint::Method::Post,
        _ => return StatusCode::METHOD_NOT_ALLOWED.into_response(),
    };
    let call = Call {
        method,
        path: uri.path().to_owned(),
        query: uri
            .query()
            .map(crate::push::query_pairs)
            .unwrap_or_default(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.to_vec(),
    };
    respond(dispatch(&engine.world, &engine.context, &call).await)
}

fn respond(reply: Reply) -> Response {
    match reply {
        Reply::Json(status, value) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (
                status,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                value.to_string(),
            )
                .into_response()
        }
        Reply::Raw {
            status,
            content_type,
            body,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Reply::Drop => Response::new(axum::body::Body::new(Broken)),
    }
}

/// A body that fails at once: the server drops the connection mid-reply.
struct Broken;

impl http_body::Body for Broken {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "dropped by the sandbox",
        ))))
    }
}

async fn media(State(engine): State<Arc<Engine>>, Path(name): Path<String>) -> Response {
    match engine.world.media(&name) {
        Some((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The sandbox-only actions over HTTP, for tests written in other languages:
/// `POST /sandbox/{claim,scan_qrcode,view,gift,delete,enter_chat_from_card,approve,reject,advance_clock,
/// fault,encrypt_code,credentials,push_events_to,verify_url,stop_pushing,flush_pushes}`
/// with a JSON body.
async fn action(
    State(engine): State<Arc<Engine>>,
    Path(action): Path<String>,
    body: Bytes,
) -> Response {
    let args: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    let text = |k: &str| args[k].as_str().unwrap_or_default().to_owned();
    let world = &engine.world;
    let result: Result<Value, Failure> = match action.as_str() {
        "claim" => world
            .claim(
                &text("openid"),
                &text("card_id"),
                args["code"].as_str(),
                args["outer_str"].as_str(),
            )
            .map(|code| json!({ "code": code })),
        "scan_qrcode" => world
            .claim_qr(&text("openid"), &text("ticket"))
            .map(|code| json!({ "code": code })),
        "view" => world
            .view(&text("openid"), &text("card_id"))
            .map(|_| json!({})),
        "gift" => world
            .gift(&text("code"), &text("friend"))
            .map(|code| json!({ "code": code })),
        "delete" => world.user_delete(&text("code")).map(|_| json!({})),
        "enter_chat_from_card" => world
            .enter_chat(&text("openid"), &text("card_id"))
            .map(|_| json!({})),
        "approve" => world.review(&text("card_id"), None).map(|_| json!({})),
        "reject" => {
            let reason = args["reason"].as_str().unwrap_or(DEFAULT_REFUSE_REASON);
            world
                .review(&text("card_id"), Some(reason))
                .map(|_| json!({}))
        }
        "push_events_to" => push_target_from_json(&args)
            .and_then(|t| engine.resolve(t))
            .map(|target| {
                engine.outbox().set_target(Some(target));
                json!({})
            })
            .map_err(|e| Failure::new(crate::ErrCode::InvalidArgs, e)),
        "verify_url" => {
            let verified = match push_target_from_json(&args).and_then(|t| engine.resolve(t)) {
                Ok(target) => callback::verify_url(&target).await,
                Err(e) => Err(e),
            };
            verified
                .map(|()| json!({}))
                .map_err(|e| Failure::new(crate::ErrCode::InvalidArgs, e))
        }
        "stop_pushing" => {
            engine.outbox().set_target(None);
            Ok(json!({}))
        }
        "flush_pushes" => {
            let deliveries = engine.outbox().flush().await;
            Ok(json!({ "deliveries": deliveries.iter().map(delivery_json).collect::<Vec<_>>() }))
        }
        "encrypt_code" => world
            .encrypt_code(&text("code"))
            .map(|e| json!({ "encrypt_code": e })),
        "advance_clock" => {
            engine.advance_clock(Duration::from_secs(args["seconds"].as_u64().unwrap_or(0)));
            Ok(json!({}))
        }
        "credentials" => Ok(
            json!({"appid": engine.context.tokens.appid, "secret": engine.context.tokens.secret}),
        ),
        "fault" => fault_from_json(&args).map(|(endpoint, fault, times, rate)| {
            match rate {
                Some(rate) => engine.context.faults.rate(&endpoint, fault, rate),
                None => engine.context.faults.next(&endpoint, fault, times),
            }
            json!({})
        }),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let body = match result {
        Ok(mut value) => {
            value["errcode"] = json!(0);
            value["errmsg"] = json!("ok");
            value
        }
        Err(f) => json!({"errcode": f.errcode, "errmsg": f.errmsg}),
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `{"url": "http://…", "token": "…", "encoding_aes_key": "…" (safe mode),
/// "timeout_ms": 5000, "retries": 3}`.
fn push_target_from_json(args: &Value) -> Result<PushTarget, String> {
    let text = |k: &str| {
        args[k]
            .as_str()
            .map(str::to_owned)
            .ok_or(format!("push_events_to needs `{k}`"))
    };
    let (url, token) = (text("url")?, text("token")?);
    let mut target = match args["encoding_aes_key"].as_str() {
        Some(key) => PushTarget::safe_mode(url, token, key).map_err(|e| e.to_string())?,
        None => PushTarget::plain(url, token),
    };
    if let Some(ms) = args["timeout_ms"].as_u64() {
        target = target.timeout(Duration::from_millis(ms));
    }
    if let Some(retries) = args["retries"].as_u64() {
        target = target.retries(u32::try_from(retries).map_err(|e| format!("retries: {e}"))?);
    }
    Ok(target)
}

/// A delivery for tests in other languages: the event's name and XML, and how it went.
fn delivery_json(delivery: &Delivery) -> Value {
    let event = match &delivery.event {
        crate::push::events::CardEvent::Unknown(e) => e.event.clone(),
        known => known
            .envelope()
            .map(|e| e.event.clone())
            .unwrap_or_default(),
    };
    json!({
        "event": event,
        "xml": delivery.event.to_xml(),
        "attempts": delivery.attempts,
        "status": delivery.status,
        "error": delivery.error,
    })
}

/// `{"endpoint": "code.consume", "kind": "errcode", "errcode": -1, "times": 1}` or
/// `{"endpoint": "*", "kind": "latency", "ms": 200, "rate": 0.5}`.
fn fault_from_json(args: &Value) -> Result<(String, Fault, u32, Option<f64>), Failure> {
    let endpoint = args["endpoint"].as_str().unwrap_or("*").to_owned();
    let fault = match args["kind"].as_str().unwrap_or_default() {
        "errcode" => Fault::ErrCode(args["errcode"].as_i64().unwrap_or(-1)),
        "expired_token" => Fault::ExpiredToken,
        "latency" => Fault::Latency(Duration::from_millis(args["ms"].as_u64().unwrap_or(100))),
        "malformed_body" => Fault::MalformedBody,
        "drop_connection" => Fault::DropConnection,
        other => {
            return Err(Failure::new(
                crate::ErrCode::InvalidArgs,
                format!("unknown fault kind `{other}`"),
            ));
        }
    };
    let times = args["times"].as_u64().unwrap_or(1) as u32;
    Ok((endpoint, fault, times, args["rate"].as_f64()))
}
