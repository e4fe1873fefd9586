//! The blocking client (feature `blocking`, on ureq). It pulls in neither tokio nor
//! reqwest.
//!
//! ```no_run
//! use wechat_card::{Config, StaticToken, blocking::Client, card::CardBatchGetRequest};
//!
//! # fn run() -> Result<(), wechat_card::Error> {
//! let client = Client::new(Config::default(), StaticToken::new("ACCESS_TOKEN"))?;
//! let page = client.card().batch_get(&CardBatchGetRequest::new(0, 50))?;
//! println!("{} cards in all", page.total_num);
//! # Ok(()) }
//! ```

use crate::config::Config;
use crate::core;
use crate::core::scrub_all;
use crate::credentials::TokenProvider;
use crate::endpoint::{Endpoint, Method};
use crate::error::Error;
use std::fmt;
use std::sync::Arc;

pub use crate::generated::blocking::*;

/// The blocking WeChat Card client. Cheap to clone; clones share connections and
/// credentials.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    agent: ureq::Agent,
    config: Config,
    credentials: Box<dyn TokenProvider>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client")
            .field("base_url", &self.inner.config.base_url_str())
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: Config, credentials: impl TokenProvider) -> Result<Self, Error> {
        let config = config.checked()?;
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout_duration()))
            .timeout_global(Some(config.timeout_duration()))
            // Error replies are read and reported by `core::finish`, with their status.
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Client {
            inner: Arc::new(Inner {
                agent,
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
    pub fn send<E: Endpoint>(&self, request: &E) -> Result<E::Response, Error> {
        core::validate(request)?;
        let token = match E::NEEDS_TOKEN {
            true => Some(self.inner.credentials.token_blocking()?),
            false => None,
        };
        let prepared = core::prepare(&self.inner.config, request, token.as_ref())?;
        let secrets = &prepared.secrets;
        let transport = |e: ureq::Error| Error::Transport {
            endpoint: E::ID,
            maybe_sent: maybe_sent(&e),
            // ureq's errors may quote the URL; keep only a scrubbed message.
            message: scrub_all(&e.to_string(), secrets),
            idempotent: E::IDEMPOTENT,
            source: None,
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
        let content_type = reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = reply.body_mut().read_to_vec().map_err(transport)?;
        core::finish::<E>(status, content_type.as_deref(), &body, secrets)
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
