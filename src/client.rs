//! The async client (feature `async`, on reqwest).

use crate::cache::{self, Cache};
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
use tracing::Instrument;

/// The async WeChat Card client. Cheap to clone; clones share connections, the token
/// cache and credentials.
///
/// Endpoints are grouped by area: `client.card()`, `client.code()`,
/// `client.distribute()`, …
///
/// ```no_run
/// use wechat_card::{AppCredentials, Client, Config, code::CodeGetRequest};
///
/// # async fn run() -> Result<(), wechat_card::Error> {
/// let client = Client::new(Config::default(), AppCredentials::new("wx1234567890abcdef", "APP_SECRET"))?;
/// let reply = client.code().get(&CodeGetRequest::new("110201201245").check_consume(true)).await?;
/// let card_id = reply.card.and_then(|card| card.card_id).unwrap_or_default();
/// println!("{} holds a card of {card_id}", reply.openid.unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// Whether `http` was built here, with the config's timeouts.
    own_client: bool,
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
        f.debug_struct("Client")
            .field("base_url", &self.inner.config.base_url_str())
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with its own connection pool. `credentials`: [`AppCredentials`],
    /// [`StaticToken`](crate::StaticToken) or [`Credentials::provider`].
    pub fn new(config: Config, credentials: impl Into<Credentials>) -> Result<Self, Error> {
        let config = config.checked()?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout_duration())
            .timeout(config.timeout_duration())
            // WeChat's API never redirects: following one would carry the token (in
            // the URL, and in a Referer) or the app secret (a 307 re-posts the body) to
            // whatever host it names.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .build()
            .map_err(|e| {
                Error::Config(format!("cannot build the HTTP client: {}", e.without_url()))
            })?;
        Ok(Self::assemble(http, true, config, credentials.into()))
    }

    /// A client on a `reqwest::Client` you configured (proxy, pool, TLS). `config`'s
    /// call timeout still bounds every call; its connect timeout is the client's own.
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())` and
    /// `.referer(false)`. With reqwest's defaults it follows redirects itself: the
    /// crate notices (the reply comes from another URL) and refuses that reply as
    /// [`Error::Redirect`], but by then the request — the token in its URL and in a
    /// `Referer`, or on a 307 the app secret in its body — has reached the redirect's
    /// target. This crate cannot undo that; only the client's settings prevent it.
    pub fn with_http_client(
        http: reqwest::Client,
        config: Config,
        credentials: impl Into<Credentials>,
    ) -> Result<Self, Error> {
        Ok(Self::assemble(
            http,
            false,
            config.checked()?,
            credentials.into(),
        ))
    }

    /// `config` is checked; `own_client` says whether `http` carries its timeouts.
    fn assemble(
        http: reqwest::Client,
        own_client: bool,
        config: Config,
        credentials: Credentials,
    ) -> Self {
        let caches = credentials.caches(config.timing());
        Client {
            inner: Arc::new(Inner {
                http,
                own_client,
                config,
                credentials,
                tokens: caches.tokens,
                tickets: caches.card_tickets,
                jsapi_tickets: caches.jsapi_tickets,
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Sends any endpoint's request: validate, authenticate, send, decode; a rejected
    /// token is renewed and the call sent once more; idempotent calls are retried per
    /// the [`RetryPolicy`](crate::config::RetryPolicy). The generated handlers
    /// (`client.code().get(..)`) call this.
    ///
    /// Every call is a `tracing` span `wechat_card.call` with the endpoint id, the
    /// attempts, the errcode and the latency; no token or secret is ever recorded.
    pub async fn send<E: Endpoint>(&self, request: &E) -> Result<E::Response, Error> {
        self.send_checked(request, true).await
    }

    /// [`send`](Self::send) without the spec's checks: the escape hatch for a rule
    /// this crate got wrong (WeChat accepts what we refuse). Everything else — token,
    /// retries, errcode, decoding — is the same. Please report the rule, so that
    /// `send` accepts the request too.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wechat_card::Error> {
    /// # let sandbox = wechat_card::sandbox::Sandbox::start().await?;
    /// # let client = sandbox.client()?;
    /// use wechat_card::card::CardBatchGetRequest;
    /// // `count` is at most 50 per the docs; suppose WeChat allowed more.
    /// let request = CardBatchGetRequest::new(0, 51);
    /// assert!(client.send(&request).await.is_err()); // refused before sending
    /// let _reply = client.send_unchecked(&request).await; // sent as it is
    /// # Ok(()) }
    /// ```
    pub async fn send_unchecked<E: Endpoint>(&self, request: &E) -> Result<E::Response, Error> {
        self.send_checked(request, false).await
    }

    /// Sends an untyped request to any endpoint — one the spec does not know, or one
    /// whose typed reply refused what WeChat sent — and hands back the reply as JSON
    /// (without `errcode` and `errmsg`). The path is the same as for a typed call:
    /// checked first (see [`RawRequest`](crate::raw::RawRequest)), the access token
    /// added and renewed when WeChat rejects it, a non-zero errcode an
    /// [`Error::Api`], secrets scrubbed; retried only when declared
    /// [`idempotent`](crate::raw::RawRequest::idempotent). Errors name the endpoint
    /// `raw`. See [`wechat_card::raw`](crate::raw) for an example.
    pub async fn raw(&self, request: &crate::raw::RawRequest) -> Result<serde_json::Value, Error> {
        use crate::raw::RawCall;
        match request.is_idempotent() {
            true => self.send(&RawCall::<true>(request)).await,
            false => self.send(&RawCall::<false>(request)).await,
        }
    }

    async fn send_checked<E: Endpoint>(
        &self,
        request: &E,
        check: bool,
    ) -> Result<E::Response, Error> {
        let span = call::call_span(E::ID);
        let started = Instant::now();
        let (result, attempts) = self
            .send_with_retries(request, check)
            .instrument(span.clone())
            .await;
        call::record_call(&span, started, attempts, &result);
        result
    }

    async fn send_with_retries<E: Endpoint>(
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
                // Boxed: fetching a token sends a (token-free) call through `send` itself.
                true => match Box::pin(self.access_token()).await {
                    Ok(token) => Some(token),
                    Err(e) => return (Err(e), attempts),
                },
                false => None,
            };
            let result = self.send_once(request, token.as_ref()).await;
            let Err(error) = &result else {
                return (result, attempts);
            };
            let policy = self.inner.config.retry_policy();
            let mut next = call::next::<E>(&policy, error, attempts, token.is_some() && !renewed);
            if next == call::Next::RenewToken {
                if let Some(token) = &token {
                    if self.invalidate_token(token).await {
                        tracing::debug!(endpoint = E::ID, "access token rejected; renewing it");
                        renewed = true;
                        continue;
                    }
                }
                // A token that cannot be renewed (a static one): decide as for any error.
                next = call::next::<E>(&policy, error, attempts, false);
            }
            match next {
                call::Next::Retry(delay) => {
                    tracing::debug!(endpoint = E::ID, attempt = attempts, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                }
                _ => return (result, attempts),
            }
        }
    }

    async fn send_once<E: Endpoint>(
        &self,
        request: &E,
        token: Option<&AccessToken>,
    ) -> Result<E::Response, Error> {
        let prepared = call::prepare(&self.inner.config, request, token)?;
        let builder = match prepared.method {
            Method::Get => self.inner.http.get(&prepared.url),
            Method::Post => self.inner.http.post(&prepared.url),
        };
        // A caller's reqwest::Client may have no timeout: bound each call. (Ours has one;
        // a timer per request would only cost time.)
        let builder = match self.inner.own_client {
            true => builder,
            false => builder.timeout(self.inner.config.timeout_duration()),
        };
        let builder = match prepared.body {
            Some((content_type, body)) => builder.header("content-type", content_type).body(body),
            None => builder,
        };
        let secrets = &prepared.secrets;
        let config = &self.inner.config;
        // `reading`: the reply's headers were in, the body was being read.
        let transport = |e: reqwest::Error, reading: bool| {
            let maybe_sent = !(e.is_connect() || e.is_builder());
            let timeout = e.is_timeout().then_some(match (e.is_connect(), reading) {
                (true, _) => TimeoutPhase::Connect,
                (false, true) => TimeoutPhase::Read,
                (false, false) => TimeoutPhase::Call,
            });
            let e = e.without_url();
            let message = match timeout {
                Some(phase) => call::timed_out(phase, config),
                None => scrub_all(&call::error_chain(&e), secrets),
            };
            Error::Transport {
                endpoint: E::ID,
                message,
                timeout,
                maybe_sent,
                idempotent: E::IDEMPOTENT,
                check: E::CHECK_OUTCOME,
                source: Some(Box::new(e)),
            }
        };
        let mut reply = builder.send().await.map_err(|e| transport(e, false))?;
        let status = reply.status().as_u16();
        // A caller's client may have followed a redirect itself: the reply is then
        // another server's, and must not be read as WeChat's.
        if !same_resource(reply.url(), &prepared.url) {
            let target = reply.url().as_str().to_owned();
            return Err(call::redirected::<E>(status, Some(&target), secrets));
        }
        if reply.status().is_redirection() {
            let location = reply
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok());
            return Err(call::redirected::<E>(status, location, secrets));
        }
        let content_type = header(reply.headers());
        // Read as a stream, and no further than the limit: a reply is never buffered
        // whole before its size is known.
        let limit = config.reply_limit();
        if reply.content_length().is_some_and(|n| n > limit as u64) {
            return Err(call::too_large::<E>(status, limit, secrets));
        }
        let capacity = reply.content_length().unwrap_or(0).min(limit as u64) as usize;
        let mut body = Vec::with_capacity(capacity);
        while let Some(chunk) = reply.chunk().await.map_err(|e| transport(e, true))? {
            if body.len() + chunk.len() > limit {
                return Err(call::too_large::<E>(status, limit, secrets));
            }
            body.extend_from_slice(&chunk);
        }
        call::finish::<E>(status, content_type.as_deref(), &body, secrets)
    }

    /// The access token for the next call: cached and refreshed ahead of expiry for
    /// app credentials (one fetch at a time, shared through the store).
    pub async fn access_token(&self) -> Result<AccessToken, Error> {
        match &self.inner.credentials {
            Credentials::Static(token) => Ok(token.clone()),
            Credentials::Provider(provider) => provider.token().await,
            Credentials::App(app) => {
                let tokens = &self.inner.tokens;
                let value = cache::get_async(tokens, |rejected| self.fetch_token(app, rejected))
                    .await
                    .map_err(|e| call::credentials_error("an access token", e))?;
                Ok(AccessToken::new(value))
            }
        }
    }

    /// A new access token, `rejected` being the one WeChat just refused (if that is
    /// why). Transient faults are retried under the [`RetryPolicy`](crate::RetryPolicy).
    async fn fetch_token(
        &self,
        app: &AppCredentials,
        rejected: Option<String>,
    ) -> Result<(String, Duration), Error> {
        self.with_retries("an access token", || async {
            let (token, expires_in) = match app.endpoint {
                TokenEndpoint::Stable => {
                    // Normal mode first: another client may have renewed the token
                    // already, and forcing would end the one it now uses. Force only
                    // when WeChat hands back the very token it refused.
                    let mut reply = self.send(&call::stable_token_request(app, false)).await?;
                    if rejected.is_some() && reply.access_token == rejected {
                        reply = self.send(&call::stable_token_request(app, true)).await?;
                    }
                    (reply.access_token, reply.expires_in)
                }
                TokenEndpoint::Classic => {
                    let secret = app.secret.to_string();
                    let request =
                        TokenGetRequest::new("client_credential", app.appid.clone(), secret);
                    let reply = self.send(&request).await?;
                    (reply.access_token, reply.expires_in)
                }
            };
            call::credential("access_token", token, expires_in)
        })
        .await
    }

    /// Runs a credential fetch, again after transient faults, as the retry policy
    /// allows; the final error says how many tries were made.
    async fn with_retries<F, Fut>(&self, what: &str, fetch: F) -> Result<(String, Duration), Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(String, Duration), Error>>,
    {
        let policy = self.inner.config.retry_policy();
        let mut tries = 0;
        loop {
            tries += 1;
            match fetch().await {
                Err(e) => match call::credential_retry(&policy, &e, tries) {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => return Err(call::credential_failure(what, e, tries)),
                },
                ok => return ok,
            }
        }
    }

    /// Drops a token WeChat rejected; `false` if nothing can replace it (a static token).
    async fn invalidate_token(&self, token: &AccessToken) -> bool {
        match &self.inner.credentials {
            Credentials::Static(_) => false,
            Credentials::Provider(provider) => {
                provider.invalidate(token);
                true
            }
            Credentials::App(_) => {
                let value = token.expose().to_owned();
                cache::blocking(&self.inner.tokens, move |c| {
                    c.invalidate(&value);
                    Ok(())
                })
                .await
                .is_ok()
            }
        }
    }

    /// The card api_ticket (for JS-SDK card signatures): cached and refreshed like the
    /// token, and shared through the same store.
    pub async fn card_ticket(&self) -> Result<ApiTicket, Error> {
        let value = self
            .cached_ticket(&self.inner.tickets, "the card api_ticket", || async {
                let reply = self.send(&TokenCardTicketRequest::new()).await?;
                call::credential("api_ticket", reply.ticket, reply.expires_in)
            })
            .await?;
        Ok(ApiTicket::new(value))
    }

    /// Forget the cached api_ticket (e.g. after the JS-SDK reported a bad signature).
    pub async fn invalidate_card_ticket(&self) -> Result<(), Error> {
        forget(&self.inner.tickets).await
    }

    /// The JS-SDK jsapi_ticket (for `wx.config`): cached and refreshed like the token,
    /// shared through the same store, and kept apart from the card api_ticket.
    pub async fn jsapi_ticket(&self) -> Result<JsapiTicket, Error> {
        let value = self
            .cached_ticket(&self.inner.jsapi_tickets, "the jsapi_ticket", || async {
                let reply = self.send(&TokenJsapiTicketRequest::new()).await?;
                call::credential("jsapi_ticket", reply.ticket, reply.expires_in)
            })
            .await?;
        Ok(JsapiTicket::new(value))
    }

    /// Forget the cached jsapi_ticket (e.g. after `wx.config` reported invalid
    /// signature although [`jssdk::WxConfig::explain`] matches WeChat's tool).
    pub async fn invalidate_jsapi_ticket(&self) -> Result<(), Error> {
        forget(&self.inner.jsapi_tickets).await
    }

    /// A ticket from `cache`, fetched (with retries) by `fetch` when missing or stale.
    async fn cached_ticket<F, Fut>(
        &self,
        cache: &Arc<Cache>,
        what: &'static str,
        fetch: F,
    ) -> Result<Arc<str>, Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(String, Duration), Error>>,
    {
        cache::get_async(cache, |_rejected| self.with_retries(what, &fetch))
            .await
            .map_err(|e| call::credentials_error(what, e))
    }

    /// The signed `wx.config` of the page at `url` (its `#fragment` is left out), for
    /// the account `appid`, with the cached jsapi_ticket.
    ///
    /// ```
    /// use wechat_card::jssdk::WxConfigOptions;
    /// use wechat_card::sandbox::Sandbox;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wechat_card::Error> {
    /// let sandbox = Sandbox::start().await?;
    /// let client = sandbox.client()?;
    /// let config = client
    ///     .wx_config(sandbox.credentials().appid(), "https://shop.example/cards?id=7#top", WxConfigOptions::new())
    ///     .await?;
    /// // Give the page appId, timestamp, nonceStr and signature; compare explain()
    /// // with WeChat's signature tool when it says "invalid signature".
    /// let explained = config.explain().to_string();
    /// assert!(explained.contains("&url=https://shop.example/cards?id=7\")"));
    /// assert!(!explained.contains(client.jsapi_ticket().await?.expose()));
    /// # Ok(()) }
    /// ```
    pub async fn wx_config(
        &self,
        appid: &str,
        url: &str,
        options: jssdk::WxConfigOptions,
    ) -> Result<jssdk::WxConfig, Error> {
        jssdk::wx_config(&self.jsapi_ticket().await?, appid, url, options)
    }

    /// A signed `cardExt` for `wx.addCard`, with the cached api_ticket.
    pub async fn card_ext(
        &self,
        card_id: &str,
        options: jssdk::CardExtOptions,
    ) -> Result<jssdk::CardExt, Error> {
        Ok(jssdk::card_ext(
            &self.card_ticket().await?,
            card_id,
            options,
        ))
    }

    /// The signed `cardList` of `wx.addCard` for several cards.
    pub async fn add_card_list<I, S>(&self, cards: I) -> Result<Vec<jssdk::AddCardItem>, Error>
    where
        I: IntoIterator<Item = (S, jssdk::CardExtOptions)>,
        S: Into<String>,
    {
        Ok(jssdk::add_card_list(&self.card_ticket().await?, cards))
    }

    /// The signed parameters of `wx.chooseCard` for the account `appid`.
    pub async fn choose_card_sign(
        &self,
        appid: &str,
        options: jssdk::ChooseCardOptions,
    ) -> Result<jssdk::ChooseCardSign, Error> {
        Ok(jssdk::choose_card_sign(
            &self.card_ticket().await?,
            appid,
            options,
        ))
    }
}

/// Forgets `cache`'s value if it still holds one (off the async runtime: the store
/// may block).
async fn forget(cache: &Arc<Cache>) -> Result<(), Error> {
    let Some(value) = cache.still_valid() else {
        return Ok(());
    };
    cache::blocking(cache, move |c| {
        c.invalidate(&value);
        Ok(())
    })
    .await
}

fn header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Whether a reply came from the URL that was asked (scheme, host, port and path):
/// not when a caller's `reqwest::Client` followed a redirect.
fn same_resource(replied: &reqwest::Url, asked: &str) -> bool {
    reqwest::Url::parse(asked).is_ok_and(|asked| {
        asked.scheme() == replied.scheme()
            && asked.host_str() == replied.host_str()
            && asked.port_or_known_default() == replied.port_or_known_default()
            && asked.path() == replied.path()
    })
}
