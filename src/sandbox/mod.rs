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
//! `/sandbox/…` on its HTTP port: see [`actions`] and `docs/sandbox.md`), never on the
//! WeChat API.

// Where things are: this file starts a sandbox and is its Rust API (`Sandbox`, `User`);
// `http` serves it (the WeChat API, `control`'s `/sandbox/…` actions and the
// `console` page at `/`); `runtime` is the gate every API call passes (token,
// validation, faults); `world/` the state and what each endpoint does; `callback` and
// `card_events` push events; `examples` seeds the state documentation examples
// expect; `faults` holds the fault plans, `wire` cuts connections and mangles replies
// for them; `clock`, `tokens`, `counters` and `qr` are small parts.

mod callback;
mod card_events;
mod clock;
mod console;
mod control;
mod counters;
mod examples;
mod faults;
mod http;
mod qr;
mod quota;
pub(crate) mod runtime;
mod tokens;
mod wire;
mod world;

pub use callback::{Delivery, PushTarget};
pub use control::{Action, actions};
pub use faults::{Fault, FaultPlan, Faults, PlanReport};
pub use runtime::Failure;
pub use world::GiftCardPurchase;
pub use world::InvoiceTitle;
pub use world::WECHAT_SENDER;
pub use world::{CardMessage, MessageKind};

use crate::error::Error;
use crate::{AppCredentials, Client, Config};
use callback::Outbox;
use clock::Clock;
use counters::Counters;
use runtime::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokens::Tokens;
use world::{Settings, World};

struct Engine {
    world: World,
    context: Context,
    /// WeChat API requests received, per endpoint id.
    counters: Counters,
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

/// How to start a sandbox. Its `Debug` leaves the app secret out.
#[derive(Clone)]
pub struct SandboxBuilder {
    appid: String,
    secret: String,
    review: Option<Duration>,
    seed: u64,
    addr: SocketAddr,
    original_id: String,
    token_lifetime: Duration,
    daily_quota: u64,
}

impl std::fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxBuilder")
            .field("appid", &self.appid)
            .field("secret", &"***")
            .field("review", &self.review)
            .field("seed", &self.seed)
            .field("addr", &self.addr)
            .field("original_id", &self.original_id)
            .field("token_lifetime", &self.token_lifetime)
            .finish()
    }
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
            token_lifetime: Duration::from_secs(tokens::DEFAULT_LIFETIME_SECS),
            daily_quota: quota::DEFAULT_DAILY_LIMIT,
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

    /// How long access tokens (and card api_tickets) live: their `expires_in`, and
    /// when the sandbox refuses them with 42001. Default WeChat's 7,200 s; whole
    /// seconds, at least one. Shorten it to see a client refresh ahead of expiry.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// How many calls a day each API path takes before it answers 45009 (reach max
    /// api daily quota limit) until the next China day or a `clear_quota`; what
    /// `openapi/quota/get` reports as `daily_limit`. Default 100,000 — the sandbox's
    /// own figure (WeChat's differ per API and account).
    pub fn daily_quota(mut self, calls: u64) -> Self {
        self.daily_quota = calls;
        self
    }

    /// The seed of the fault draws (same seed, same calls hit; see [`Faults`]).
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
        // Served through a listener whose connections an injected fault can cut.
        let app = http::router(engine.clone()).into_make_service_with_connect_info::<wire::Conn>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            let _ = axum::serve(wire::Listener(listener), app)
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
        let lifetime = self.token_lifetime.as_secs_f64().ceil() as u64;
        let tokens = Arc::new(Tokens::new(
            self.appid.clone(),
            self.secret.clone(),
            lifetime,
        ));
        let faults = Arc::new(Faults::new(self.seed));
        let quota = Arc::new(quota::Quota::new(self.daily_quota));
        let settings = Settings {
            review: self.review,
            base_url: format!("http://{addr}"),
        };
        let (outbox, queue) = Outbox::new(self.original_id.clone());
        let world = World::new(
            clock.clone(),
            tokens.clone(),
            quota.clone(),
            settings,
            outbox,
        );
        let engine = Arc::new(Engine {
            world,
            context: Context {
                clock,
                faults,
                tokens,
                quota,
            },
            counters: Counters::default(),
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

/// The Reason of a rejected sub-merchant when the control action gives none.
const DEFAULT_SUB_MERCHANT_REASON: &str = "子商户资料不符合规范（sandbox）";

/// The RefuseReason of [`Sandbox::reject`].
const DEFAULT_REFUSE_REASON: &str = "卡券信息不符合规范（sandbox）";

/// A sandbox action WeChat refused, as an [`Error::Api`].
fn refused(action: &'static str, f: Failure) -> Error {
    Error::api(
        action,
        crate::ErrCode::from(f.errcode),
        f.errmsg,
        None,
        true,
    )
    .with_details(f.fields)
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

    /// Pays a coin recharge order (`coin().recharge(..)`), as the merchant does by
    /// scanning its QR code with WeChat: the order becomes `ORDER_STATUS_FINANCE_SUCC`
    /// and its coins are added to the paid coins. An order is paid once.
    pub fn pay_recharge(&self, order_id: &str) -> Result<(), Error> {
        self.engine
            .world
            .pay_recharge(order_id, world::PAYER)
            .map_err(|f| refused("sandbox.pay_recharge", f))
    }

    /// Ends a sub-merchant's review with approval (status `APPROVED`); pushes
    /// `card_merchant_check_result` with IsPass 1. Errcode 40097 for an unknown
    /// `merchant_id`.
    pub fn approve_sub_merchant(&self, merchant_id: i64) -> Result<(), Error> {
        self.engine
            .world
            .review_sub_merchant(merchant_id, None)
            .map_err(|f| refused("sandbox.approve_sub_merchant", f))
    }

    /// Ends a sub-merchant's review with rejection for `reason` (status `REJECTED`);
    /// pushes `card_merchant_check_result` with IsPass 0 and that Reason.
    pub fn reject_sub_merchant(&self, merchant_id: i64, reason: &str) -> Result<(), Error> {
        self.engine
            .world
            .review_sub_merchant(merchant_id, Some(reason))
            .map_err(|f| refused("sandbox.reject_sub_merchant", f))
    }

    /// Adds a store (`poi_id`) to the account's store mini-program, for
    /// `store_wxa().get/set` (the sandbox does not simulate the 门店 API that creates
    /// stores; a poi listed in a card's `location_id_list` is a store too).
    pub fn add_store(&self, poi_id: i64) {
        self.engine.world.add_store(poi_id);
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
    /// a card, for member cards `user_view_card`, `submit_membercard_user_info`
    /// and `update_member_card`, and `card_merchant_check_result` when a
    /// sub-merchant's review ends. Replaces any earlier target; events queued before
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

    /// How many requests of one endpoint (by id, e.g. `code.consume`) the sandbox
    /// received, whatever their outcome.
    pub fn requests(&self, endpoint: &str) -> u64 {
        self.engine.counters.of(endpoint)
    }
}

/// A card's stock as the sandbox sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock {
    pub remaining: i64,
    pub claimed: usize,
    pub consumed: usize,
}

/// A gift card order a sandbox user placed: its id and the codes it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftCardBought {
    pub order_id: String,
    pub codes: Vec<String>,
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

    /// The card messages this user received (mass messages, previews and
    /// customer-service messages), oldest first.
    pub fn messages(&self) -> Vec<CardMessage> {
        self.sandbox.engine.world.messages(&self.openid)
    }

    /// Claims the card of a message this user received (by its `msg_id`): with the code
    /// its card_ext gives, if it gives one. Returns the code.
    pub fn claim_from_message(&self, msg_id: i64) -> Result<String, Error> {
        self.sandbox
            .engine
            .world
            .claim_message(&self.openid, msg_id)
            .map_err(|f| refused("sandbox.claim_message", f))
    }

    /// Adds this user to a tag (mass messages to the tag reach them).
    pub fn tag(&self, tag_id: i64) {
        self.sandbox.engine.world.tag_user(&self.openid, tag_id);
    }

    /// Gives this user a WeChat name (a preview by `towxname` reaches them).
    pub fn set_wechat_name(&self, wechat_name: &str) {
        self.sandbox
            .engine
            .world
            .name_user(&self.openid, wechat_name);
    }

    /// Fills in a member card's activation form; returns the `activate_ticket`. Each
    /// field is (name, value): WeChat's own by its `USER_FORM_INFO_FLAG_…` name, the
    /// merchant's questions by theirs.
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

    /// Buys gift cards on a shelf and pays: WeChat creates the order, gives the user the
    /// codes and pushes `giftcard_pay_done`.
    pub fn buy_gift_card(&self, purchase: &GiftCardPurchase) -> Result<GiftCardBought, Error> {
        let (order_id, codes) = self
            .sandbox
            .engine
            .world
            .buy_gift_card(&self.openid, purchase)
            .map_err(|f| refused("sandbox.buy_gift_card", f))?;
        Ok(GiftCardBought { order_id, codes })
    }

    /// Sends the cards of an order this user bought to a friend (or, `chat_room`, to a
    /// group chat); pushes `giftcard_send_to_friend`.
    pub fn send_gift_card(&self, order_id: &str, chat_room: bool) -> Result<(), Error> {
        self.sandbox
            .engine
            .world
            .send_gift_card(&self.openid, order_id, chat_room)
            .map_err(|f| refused("sandbox.send_gift_card", f))
    }

    /// Accepts gift cards sent to this user; pushes `giftcard_user_accept`. Returns the
    /// codes, now this user's.
    pub fn accept_gift_card(&self, order_id: &str) -> Result<Vec<String>, Error> {
        self.sandbox
            .engine
            .world
            .accept_gift_card(&self.openid, order_id)
            .map_err(|f| refused("sandbox.accept_gift_card", f))
    }

    /// Authorises invoicing an order on the invoicing platform `s_pappid` (the
    /// sandbox's own, from `invoice_platform().set_url`, or the one
    /// `invoice().set_pay_mch` linked), with a personal title, as on the page
    /// `invoice().get_auth_url` links to; pushes `user_authorize_invoice`. Refused
    /// (72031) for an order another user authorised.
    pub fn authorize_invoice(
        &self,
        s_pappid: &str,
        order_id: &str,
        title: crate::types::InvoiceUserTitle,
    ) -> Result<(), Error> {
        self.sandbox
            .engine
            .world
            .authorize_invoice(&self.openid, s_pappid, order_id, title)
            .map_err(|f| refused("sandbox.authorize_invoice", f))
    }

    /// The invoices in this user's card package they can submit for reimbursement, as
    /// JS-SDK chooseInvoice hands them to a reimburser (card_id and encrypt_code, for
    /// `invoice_reimburse()`): not a locked one until it is unlocked (无法重复提交报销),
    /// nor a reimbursed or red-flushed one.
    pub fn choose_invoices(&self) -> Vec<crate::types::InvoiceCardRef> {
        self.sandbox.engine.world.choose_invoices(&self.openid)
    }

    /// The text of the QR code of a title this user keeps in WeChat (我的—个人信息—我的发票抬头),
    /// for the seller's `invoice().scan_title`.
    pub fn invoice_title_qr(&self, title: &InvoiceTitle) -> String {
        self.sandbox.engine.world.invoice_title_qr(title)
    }

    /// Scans the seller's title link (`invoice().get_select_title_url`) and submits a
    /// title; pushes `submit_invoice_title`, with the link's `attach`.
    pub fn submit_invoice_title(&self, url: &str, title: &InvoiceTitle) -> Result<(), Error> {
        self.sandbox
            .engine
            .world
            .submit_invoice_title(&self.openid, url, title)
            .map_err(|f| refused("sandbox.submit_invoice_title", f))
    }
}
