//! The blocking client (feature `blocking`, on ureq). It pulls in neither tokio nor
//! reqwest.
//!
//! ```no_run
//! use wechat_card::{Config, StaticToken, blocking::Client, card::CardBatchGetRequest};
//!
//! # fn run() -> Result<(), wechat_card::Error> {
//! let client = Client::new(Config::default(), StaticToken::new("ACCESS_TOKEN"))?;
//! let page = client.card().batch_get(&CardBatchGetRequest::new(0, 50))?;
//! println!("{} cards in all", page.total_num.unwrap_or_default());
//! # Ok(()) }
//! ```

use crate::cache::Cache;
use crate::call::{self, scrub_all};
use crate::config::Config;
use crate::credentials::{
    AccessToken, ApiTicket, AppCredentials, Credentials, JsapiTicket, TokenEndpoint,
};
use crate::endpoint::{Endpoint, Method};
use crate::error::{Error, TimeoutPhase};
use crate::jssdk;
use crate::token::{TokenCardTicketRequest, TokenGetRequest, TokenJsapiTicketRequest};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::generated::blocking::*;

/// The blocking WeChat Card client. Cheap to clone; clones share connections, the
/// token cache and credentials.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    agent: ureq::Agent,
    config: Config,
    credentials: Credentials,
    /// Tokens fetched with app credentials (unused with the others).
    tokens: Arc<Cache>,
    /// The card api_ticket.
    tickets: Arc<Cache>,
    /// The JS-SDK jsapi_ticket, apart from the card api_ticket.
    jsapi_tickets: Arc<Cache>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client")
            .field("base_url", &self.inner.config.base_url_str())
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// `credentials`: [`AppCredentials`], [`StaticToken`](crate::StaticToken) or
    /// [`Credentials::provider`].
    pub fn new(config: Config, credentials: impl Into<Credentials>) -> Result<Self, Error> {
        let config = config.checked()?;
        // Each phase is bounded rather than the whole call: ureq's whole-call timer cost
        // about 50 µs a call on this machine (see BENCHMARKS.md); no wait is unbounded.
        let phase = Some(config.timeout_duration());
        let agent = ureq::Agent::config_builder()
            .timeout_resolve(Some(config.connect_timeout_duration()))
            .timeout_connect(Some(config.connect_timeout_duration()))
            .timeout_send_request(phase)
            .timeout_send_body(phase)
            .timeout_recv_response(phase)
            .timeout_recv_body(phase)
            // Error replies are read and reported by `call::finish`, with their status.
            .http_status_as_error(false)
            // WeChat's API never redirects: a 3xx is returned, refused by `send_once`,
            // and nothing (no token, no secret, no body) goes to its target.
            .max_redirects(0)
            .build()
            .into();
        let credentials = credentials.into();
        let caches = credentials.caches(config.timing());
        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                config,
                credentials,
                tokens: caches.tokens,
                tickets: caches.card_tickets,
                jsapi_tickets: caches.jsapi_tickets,
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Sends any endpoint's request: validate, authenticate, send, decode; a rejected
    /// token is renewed and the call sent once more; idempotent calls are retried per
    /// the [`RetryPolicy`](crate::config::RetryPolicy). The generated handlers call
    /// this. Every call is a `tracing` span `wechat_card.call` (endpoint, attempts,
    /// errcode, latency; never a token or secret).
    pub fn send<E: Endpoint>(&self, request: &E) -> Result<E::Response, Error> {
        self.send_checked(request, true)
    }

    /// [`send`](Self::send) without the spec's checks: the escape hatch for a rule
    /// this crate got wrong (WeChat accepts what we refuse). Everything else — token,
    /// retries, errcode, decoding — is the same. Please report the rule, so that
    /// `send` accepts the request too.
    pub fn send_unchecked<E: Endpoint>(&self, request: &E) -> Result<E::Response, Error> {
        self.send_checked(request, false)
    }

    /// Sends an untyped request to any endpoint and hands back the reply as JSON
    /// (without `errcode` and `errmsg`): token, renewal, errcode, scrubbing and retries
    /// as for a typed call, retried only when declared
    /// [`idempotent`](crate::raw::RawRequest::idempotent). See
    /// [`Client::raw`](crate::Client::raw) and [`wechat_card::raw`](crate::raw).
    ///
    /// ```
    /// # fn main() -> Result<(), wechat_card::Error> {
    /// # let sandbox = wechat_card::sandbox::Sandbox::start_blocking()?;
    /// # let client = sandbox.blocking_client()?;
    /// use wechat_card::raw::RawRequest;
    /// let colors = client.raw(&RawRequest::get("/card/getcolors").idempotent())?;
    /// assert!(colors["colors"].is_array());
    /// # Ok(()) }
    /// ```
    pub fn raw(&self, request: &crate::raw::RawRequest) -> Result<serde_json::Value, Error> {
        use crate::raw::RawCall;
        match request.is_idempotent() {
            true => self.send(&RawCall::<true>(request)),
            false => self.send(&RawCall::<false>(request)),
        }
    }

    fn send_checked<E: Endpoint>(&self, request: &E, check: bool) -> Result<E::Response, Error> {
        let span = call::call_span(E::ID);
        let started = Instant::now();
        let (result, attempts) = span.in_scope(|| self.send_with_retries(request, check));
        call::record_call(&span, started, attempts, &result);
        result
    }

    fn send_with_retries<E: Endpoint>(
        &self,
        request: &E,
        check: bool,
    ) -> (Result<E::Response, Error>, u32) {
        if check {
            if let Err(e) = call::validate(&self.inner.config, request) {
                return (Err(e), 0);
            }
        }
        let mut attempts = 0;
        let mut renewed = false;
        loop {
            attempts += 1;
            let token = match E::NEEDS_TOKEN {
                true => match self.access_token() {
                    Ok(token) => Some(token),
                    Err(e) => return (Err(e), attempts),
                },
                false => None,
            };
            let result = self.send_once(request, token.as_ref());
            let Err(error) = &result else {
                return (result, attempts);
            };
            // The same decisions as the async client's (call::next).
            let policy = self.inner.config.retry_policy();
            let mut next = call::next::<E>(&policy, error, attempts, token.is_some() && !renewed);
            if next == call::Next::RenewToken {
                if let Some(token) = &token {
                    if self.invalidate_token(token) {
                        tracing::debug!(endpoint = E::ID, "access token rejected; renewing it");
                        renewed = true;
                        continue;
                    }
                }
                next = call::next::<E>(&policy, error, attempts, false);
            }
            match next {
                call::Next::Retry(delay) => {
                    tracing::debug!(endpoint = E::ID, attempt = attempts, ?delay, "retrying");
                    std::thread::sleep(delay);
                }
                _ => return (result, attempts),
            }
        }
    }

    fn send_once<E: Endpoint>(
        &self,
        request: &E,
        token: Option<&AccessToken>,
    ) -> Result<E::Response, Error> {
        let prepared = call::prepare(&self.inner.config, request, token)?;
        let secrets = &prepared.secrets;
        let config = &self.inner.config;
        let transport = |e: ureq::Error| {
            let timeout = match &e {
                ureq::Error::Timeout(kind) => Some(timeout_phase(*kind)),
                _ => None,
            };
            Error::Transport {
                endpoint: E::ID,
                maybe_sent: maybe_sent(&e),
                // ureq's errors may quote the URL; keep only a scrubbed message.
                message: match timeout {
                    Some(phase) => call::timed_out(phase, config),
                    None => scrub_all(&call::error_chain(&e), secrets),
                },
                timeout,
                idempotent: E::IDEMPOTENT,
                check: E::CHECK_OUTCOME,
                source: None,
            }
        };
        let agent = &self.inner.agent;
        let reply = match (prepared.method, prepared.body) {
            (Method::Post, Some((content_type, body))) => agent
                .post(&prepared.url)
                .header("content-type", &content_type)
                .send(&body[..]),
            (Method::Post, None) => agent.post(&prepared.url).send_empty(),
            (Method::Get, _) => agent.get(&prepared.url).call(),
        };
        let mut reply = reply.map_err(transport)?;
        let status = reply.status().as_u16();
        if reply.status().is_redirection() {
            let location = reply
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok());
            return Err(call::redirected::<E>(status, location, secrets));
        }
        let content_type = reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = config.reply_limit();
        // One byte over the limit: ureq refuses a body that reaches its own limit, and
        // a reply of exactly `limit` bytes is allowed.
        let body = match reply
            .body_mut()
            .with_config()
            .limit(limit as u64 + 1)
            .read_to_vec()
        {
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(call::too_large::<E>(status, limit, secrets));
            }
            other => other.map_err(transport)?,
        };
        if body.len() > limit {
            return Err(call::too_large::<E>(status, limit, secrets));
        }
        call::finish::<E>(status, content_type.as_deref(), &body, secrets)
    }

    /// The access token for the next call (as the async `Client::access_token`: cached, refreshed ahead, one fetch at a time).
    pub fn access_token(&self) -> Result<AccessToken, Error> {
        match &self.inner.credentials {
            Credentials::Static(token) => Ok(token.clone()),
            Credentials::Provider(provider) => provider.token_blocking(),
            Credentials::App(app) => {
                let value = self
                    .inner
                    .tokens
                    .get_blocking(|rejected| self.fetch_token(app, rejected))
                    .map_err(|e| call::credentials_error("an access token", e))?;
                Ok(AccessToken::new(value))
            }
        }
    }

    /// A new access token (see [`crate::Client`]'s): normal mode first after a
    /// rejection, transient faults retried.
    fn fetch_token(
        &self,
        app: &AppCredentials,
        rejected: Option<String>,
    ) -> Result<(String, Duration), Error> {
        self.with_retries("an access token", || {
            let (token, expires_in) = match app.endpoint {
                TokenEndpoint::Stable => {
                    let mut reply = self.send(&call::stable_token_request(app, false))?;
                    if rejected.is_some() && reply.access_token == rejected {
                        reply = self.send(&call::stable_token_request(app, true))?;
                    }
                    (reply.access_token, reply.expires_in)
                }
                TokenEndpoint::Classic => {
                    let secret = app.secret.to_string();
                    let request =
                        TokenGetRequest::new("client_credential", app.appid.clone(), secret);
                    let reply = self.send(&request)?;
                    (reply.access_token, reply.expires_in)
                }
            };
            call::credential("access_token", token, expires_in)
        })
    }

    /// Runs a credential fetch, again after transient faults, as the retry policy
    /// allows; the final error says how many tries were made.
    fn with_retries(
        &self,
        what: &str,
        fetch: impl Fn() -> Result<(String, Duration), Error>,
    ) -> Result<(String, Duration), Error> {
        let policy = self.inner.config.retry_policy();
        let mut tries = 0;
        loop {
            tries += 1;
            match fetch() {
                Err(e) => match call::credential_retry(&policy, &e, tries) {
                    Some(delay) => std::thread::sleep(delay),
                    None => return Err(call::credential_failure(what, e, tries)),
                },
                ok => return ok,
            }
        }
    }

    fn invalidate_token(&self, token: &AccessToken) -> bool {
        match &self.inner.credentials {
            Credentials::Static(_) => false,
            Credentials::Provider(provider) => {
                provider.invalidate(token);
                true
            }
            Credentials::App(_) => {
                self.inner.tokens.invalidate(token.expose());
                true
            }
        }
    }

    /// The card api_ticket, cached and refreshed like the token.
    pub fn card_ticket(&self) -> Result<ApiTicket, Error> {
        let value = self.cached_ticket(&self.inner.tickets, "the card api_ticket", || {
            let reply = self.send(&TokenCardTicketRequest::new())?;
            call::credential("api_ticket", reply.ticket, reply.expires_in)
        })?;
        Ok(ApiTicket::new(value))
    }

    /// Forget the cached api_ticket.
    pub fn invalidate_card_ticket(&self) {
        forget(&self.inner.tickets);
    }

    /// The JS-SDK jsapi_ticket (for `wx.config`), cached and refreshed like the token,
    /// apart from the card api_ticket.
    pub fn jsapi_ticket(&self) -> Result<JsapiTicket, Error> {
        let value = self.cached_ticket(&self.inner.jsapi_tickets, "the jsapi_ticket", || {
            let reply = self.send(&TokenJsapiTicketRequest::new())?;
            call::credential("jsapi_ticket", reply.ticket, reply.expires_in)
        })?;
        Ok(JsapiTicket::new(value))
    }

    /// Forget the cached jsapi_ticket (e.g. after `wx.config` reported invalid
    /// signature although [`jssdk::WxConfig::explain`] matches WeChat's tool).
    pub fn invalidate_jsapi_ticket(&self) {
        forget(&self.inner.jsapi_tickets);
    }

    /// A ticket from `cache`, fetched (with retries) by `fetch` when missing or stale.
    fn cached_ticket(
        &self,
        cache: &Cache,
        what: &'static str,
        fetch: impl Fn() -> Result<(String, Duration), Error>,
    ) -> Result<Arc<str>, Error> {
        cache
            .get_blocking(|_rejected| self.with_retries(what, &fetch))
            .map_err(|e| call::credentials_error(what, e))
    }

    /// The signed `wx.config` of the page at `url` (its `#fragment` is left out), for
    /// the account `appid`, with the cached jsapi_ticket.
    pub fn wx_config(
        &self,
        appid: &str,
        url: &str,
        options: jssdk::WxConfigOptions,
    ) -> Result<jssdk::WxConfig, Error> {
        jssdk::wx_config(&self.jsapi_ticket()?, appid, url, options)
    }

    /// A signed `cardExt` for `wx.addCard`, with the cached api_ticket.
    pub fn card_ext(
        &self,
        card_id: &str,
        options: jssdk::CardExtOptions,
    ) -> Result<jssdk::CardExt, Error> {
        Ok(jssdk::card_ext(&self.card_ticket()?, card_id, options))
    }

    /// The signed `cardList` of `wx.addCard` for several cards.
    pub fn add_card_list<I, S>(&self, cards: I) -> Result<Vec<jssdk::AddCardItem>, Error>
    where
        I: IntoIterator<Item = (S, jssdk::CardExtOptions)>,
        S: Into<String>,
    {
        Ok(jssdk::add_card_list(&self.card_ticket()?, cards))
    }

    /// The signed parameters of `wx.chooseCard` for the account `appid`.
    pub fn choose_card_sign(
        &self,
        appid: &str,
        options: jssdk::ChooseCardOptions,
    ) -> Result<jssdk::ChooseCardSign, Error> {
        Ok(jssdk::choose_card_sign(
            &self.card_ticket()?,
            appid,
            options,
        ))
    }
}

/// Whether a failed call may have reached WeChat: only failures before a connection
/// was established are surely unsent.
fn maybe_sent(e: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    use ureq::Timeout;
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::BadUri(_) => false,
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => false,
        ureq::Error::Io(io) => !matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::NotFound
                | ErrorKind::AddrNotAvailable
                | ErrorKind::HostUnreachable
        ),
        _ => true,
    }
}

/// Where a blocking call ran out of time, from ureq's account of it.
fn timeout_phase(kind: ureq::Timeout) -> TimeoutPhase {
    use ureq::Timeout;
    match kind {
        Timeout::Resolve | Timeout::Connect => TimeoutPhase::Connect,
        Timeout::SendRequest | Timeout::SendBody | Timeout::PerWrite => TimeoutPhase::Send,
        Timeout::RecvResponse => TimeoutPhase::Wait,
        Timeout::RecvBody | Timeout::PerRead => TimeoutPhase::Read,
        _ => TimeoutPhase::Call,
    }
}

/// Forgets `cache`'s value if it still holds one.
fn forget(cache: &Cache) {
    if let Some(value) = cache.still_valid() {
        cache.invalidate(&value);
    }
}
