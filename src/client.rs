//! The async client (feature `async`, on reqwest).

use crate::config::Config;
use crate::core;
use crate::core::scrub_all;
use crate::credentials::TokenProvider;
use crate::endpoint::{Endpoint, Method};
use crate::error::Error;
use std::fmt;
use std::sync::Arc;

/// The async WeChat Card client. Cheap to clone; clones share connections and
/// credentials.
///
/// Endpoints are grouped by area: `client.card()`, `client.code()`,
/// `client.datacube()`.
///
/// ```no_run
/// use wechat_card::{Client, Config, StaticToken, code::CodeGetRequest};
///
/// # async fn run() -> Result<(), wechat_card::Error> {
/// let client = Client::new(Config::default(), StaticToken::new("ACCESS_TOKEN"))?;
/// let reply = client.code().get(&CodeGetRequest::new("110201201245").check_consume(true)).await?;
/// println!("{} holds a card of {}", reply.openid, reply.card.card_id);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: Config,
    credentials: Box<dyn TokenProvider>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.config.base_url_str())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with its own connection pool.
    pub fn new(config: Config, credentials: impl TokenProvider) -> Result<Self, Error> {
        let config = config.checked()?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout_duration())
            .timeout(config.timeout_duration())
            .build()
            .map_err(|e| {
                Error::Config(format!("cannot build the HTTP client: {}", e.without_url()))
            })?;
        Self::with_http_client(http, config, credentials)
    }

    /// A client on a `reqwest::Client` you configured (proxy, pool, TLS). `config`'s
    /// call timeout still bounds every call; its connect timeout is the client's own.
    pub fn with_http_client(
        http: reqwest::Client,
        config: Config,
        credentials: impl TokenProvider,
    ) -> Result<Self, Error> {
        let config = config.checked()?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                config,
                credentials: Box::new(credentials),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Sends any endpoint's request: validate, authenticate, send, decode. The
    /// generated handlers (`client.code().get(..)`) call this.
    pub async fn send<E: Endpoint>(&self, request: &E) -> Result<E::Response, Error> {
        core::validate(request)?;
        let token = match E::NEEDS_TOKEN {
            true => Some(self.inner.credentials.token().await?),
            false => None,
        };
        let prepared = core::prepare(&self.inner.config, request, token.as_ref())?;
        let builder = match prepared.method {
            Method::Get => self.inner.http.get(&prepared.url),
            Method::Post => self.inner.http.post(&prepared.url),
        };
        // Per call, so that a caller's reqwest::Client without timeouts cannot wait forever.
        let builder = builder.timeout(self.inner.config.timeout_duration());
        let builder = match prepared.body {
            Some((content_type, body)) => builder.header("content-type", content_type).body(body),
            None => builder,
        };
        let secrets = &prepared.secrets;
        let transport = |e: reqwest::Error| {
            let maybe_sent = !(e.is_connect() || e.is_builder());
            let e = e.without_url();
            Error::Transport {
                endpoint: E::ID,
                message: scrub_all(&e.to_string(), secrets),
                maybe_sent,
                idempotent: E::IDEMPOTENT,
                source: Some(Box::new(e)),
            }
        };
        let reply = builder.send().await.map_err(transport)?;
        let status = reply.status().as_u16();
        let content_type = header(reply.headers());
        let body = reply.bytes().await.map_err(transport)?;
        core::finish::<E>(status, content_type.as_deref(), &body, secrets)
    }
}

fn header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
