//! Where access tokens come from.
//!
//! - [`AppCredentials`]: app id and secret. The client fetches tokens itself through
//!   `cgi-bin/stable_token` (the default, safe for several processes) or the classic
//!   `cgi-bin/token`, caches them in a [`TokenStore`] and
//!   refreshes them ahead of expiry, one fetch at a time.
//! - [`StaticToken`]: a token obtained elsewhere, used as is.
//! - [`TokenProvider`]: your own source, e.g. a central token service.
//!
//! Whichever the source, a call WeChat rejects for its token (40001, 40014, 42001) makes
//! the client drop the token, get a new one and send the call once more.

use crate::Error;
use crate::store::{MemoryStore, TokenStore};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a secret string newtype has: `new`, `expose` and a `Debug` that never shows
/// the value. One type per credential, so that one cannot be passed where another is
/// expected.
macro_rules! secret {
    ($name:ident, $use:literal) => {
        impl $name {
            pub fn new(value: impl Into<Arc<str>>) -> Self {
                $name(value.into())
            }

            #[doc = concat!("The secret value, ", $use, ". Never log it.")]
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }
    };
}

/// An access token. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<str>);
secret!(AccessToken, "for putting on the wire");

/// The card `api_ticket` (`cgi-bin/ticket/getticket?type=wx_card`), which signs the
/// JS-SDK card calls. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiTicket(Arc<str>);
secret!(ApiTicket, "for signing");

/// The JS-SDK `jsapi_ticket` (`cgi-bin/ticket/getticket?type=jsapi`), which signs
/// `wx.config`. A type of its own, so that it cannot be passed where the card
/// [`ApiTicket`] is expected, nor the other way round: each ticket signs only its own
/// signatures, and mixing them up is the JS-SDK's commonest card bug. Its `Debug` never
/// shows the value.
///
/// ```compile_fail
/// use wechat_card::credentials::JsapiTicket;
/// use wechat_card::jssdk::{CardExtOptions, card_ext};
///
/// let jsapi = JsapiTicket::new("jsapi ticket");
/// card_ext(&jsapi, "pCard", CardExtOptions::new()); // expected `&ApiTicket`
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct JsapiTicket(Arc<str>);
secret!(JsapiTicket, "for signing");

/// A boxed future returning a token, so that providers can be trait objects.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken, Error>> + Send + 'a>>;

/// Your own source of access tokens, e.g. a central token service.
///
/// ```
/// use wechat_card::{AccessToken, Credentials, Error, TokenProvider, credentials::TokenFuture};
///
/// /// Asks the company's token service (here: a constant).
/// struct CentralService;
///
/// impl TokenProvider for CentralService {
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async { Ok(AccessToken::new("TOKEN_FROM_THE_SERVICE")) })
///     }
///     fn token_blocking(&self) -> Result<AccessToken, Error> {
///         Ok(AccessToken::new("TOKEN_FROM_THE_SERVICE"))
///     }
///     fn invalidate(&self, _rejected: &AccessToken) {
///         // tell the service to refresh
///     }
/// }
///
/// let credentials = Credentials::provider(CentralService);
/// ```
pub trait TokenProvider: Send + Sync + 'static {
    /// A token for the next call (async client).
    fn token(&self) -> TokenFuture<'_>;

    /// A token for the next call (blocking client).
    fn token_blocking(&self) -> Result<AccessToken, Error>;

    /// WeChat rejected `token` (errcode 40001, 40014 or 42001): forget it if cached.
    fn invalidate(&self, token: &AccessToken) {
        let _ = token;
    }
}

/// A token obtained elsewhere, used as is. It is never refreshed: once it expires,
/// calls fail with errcode 42001.
#[derive(Clone)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    pub fn new(token: impl Into<Arc<str>>) -> Self {
        StaticToken(AccessToken::new(token))
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StaticToken").field(&self.0).finish()
    }
}

/// Which WeChat endpoint issues tokens for [`AppCredentials`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpoint {
    /// `cgi-bin/stable_token`: every caller gets the same token until it nears expiry,
    /// so processes do not invalidate each other's tokens. The default.
    Stable,
    /// `cgi-bin/token`: each fetch issues a new token and invalidates the previous one
    /// after a short overlap. Use it only from one place (or with a shared store).
    Classic,
}

/// The account's app id and secret: the client fetches, caches and refreshes tokens.
///
/// ```
/// use std::sync::Arc;
/// use wechat_card::{AppCredentials, store::MemoryStore};
///
/// // Stable tokens, cached per client:
/// let simple = AppCredentials::new("wx1234567890abcdef", "APP_SECRET");
/// // Classic tokens, shared by every client given the same store:
/// let shared = Arc::new(MemoryStore::new());
/// let classic = AppCredentials::new("wx1234567890abcdef", "APP_SECRET").classic().store(shared);
/// assert!(!format!("{classic:?}").contains("APP_SECRET"));
/// ```
#[derive(Clone)]
pub struct AppCredentials {
    pub(crate) appid: String,
    #[cfg_attr(not(any(feature = "async", feature = "blocking")), allow(dead_code))]
    pub(crate) secret: Arc<str>,
    pub(crate) endpoint: TokenEndpoint,
    pub(crate) store: Arc<dyn TokenStore>,
}

impl AppCredentials {
    /// Tokens from `stable_token`, cached in this client's own memory store.
    pub fn new(appid: impl Into<String>, secret: impl Into<Arc<str>>) -> Self {
        AppCredentials {
            appid: appid.into(),
            secret: secret.into(),
            endpoint: TokenEndpoint::Stable,
            store: Arc::new(MemoryStore::new()),
        }
    }

    /// Use the classic `cgi-bin/token` endpoint instead of `stable_token`.
    ///
    /// Each `cgi-bin/token` call issues a new token and ends the previous one after a
    /// five-minute overlap, so tokens must come from **one place at a time**: give
    /// every client of the appid the same [`store`](Self::store) (a shared
    /// `Arc<MemoryStore>` in one process, a `RedisStore` across a fleet). Clients with
    /// their own stores end each other's tokens; and when the shared store cannot be
    /// reached, the client reports the outage rather than fetch on its own (which
    /// stable tokens can do safely).
    pub fn classic(mut self) -> Self {
        self.endpoint = TokenEndpoint::Classic;
        self
    }

    /// Share tokens (and the card api_ticket and the jsapi_ticket) through `store`: an `Arc<MemoryStore>`
    /// for clients of one process, a `RedisStore` (feature `redis`) for a fleet.
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = store;
        self
    }

    pub fn appid(&self) -> &str {
        &self.appid
    }

    pub fn endpoint(&self) -> TokenEndpoint {
        self.endpoint
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("appid", &self.appid)
            .field("secret", &"***")
            .field("endpoint", &self.endpoint)
            .field("store", &self.store)
            .finish()
    }
}

/// How a client authenticates: build one from [`AppCredentials`], [`StaticToken`] or
/// [`Credentials::provider`].
#[derive(Clone)]
pub enum Credentials {
    App(AppCredentials),
    Static(AccessToken),
    Provider(Arc<dyn TokenProvider>),
}

impl Credentials {
    /// Tokens from your own [`TokenProvider`].
    pub fn provider(provider: impl TokenProvider) -> Self {
        Credentials::Provider(Arc::new(provider))
    }

    /// A client's caches, in the credentials' store and under their appid: access
    /// tokens (fetched with app credentials, unused otherwise), the card api_ticket
    /// and the jsapi_ticket — each under its own key, so the tickets never mix.
    #[cfg(any(feature = "async", feature = "blocking"))]
    pub(crate) fn caches(&self, timing: crate::cache::Timing) -> Caches {
        use crate::cache::Cache;
        let (store, key): (Arc<dyn TokenStore>, String) = match self {
            Credentials::App(app) => (app.store.clone(), format!("wechat-card:{}", app.appid)),
            _ => (Arc::new(MemoryStore::new()), "wechat-card:token".to_owned()),
        };
        // A store outage is survived by fetching directly only where that is harmless
        // to the other holders: stable tokens (the same one for everybody) and tickets,
        // not classic tokens (each fetch ends the others' tokens).
        let classic =
            matches!(self, Credentials::App(app) if app.endpoint == TokenEndpoint::Classic);
        let tokens = Cache::new(
            store.clone(),
            format!("{key}:access_token"),
            timing,
            !classic,
        );
        let card_tickets = Cache::new(store.clone(), format!("{key}:wx_card_ticket"), timing, true);
        let jsapi_tickets = Cache::new(store, format!("{key}:jsapi_ticket"), timing, true);
        Caches {
            tokens: Arc::new(tokens),
            card_tickets: Arc::new(card_tickets),
            jsapi_tickets: Arc::new(jsapi_tickets),
        }
    }
}

/// A client's cached credentials.
#[cfg(any(feature = "async", feature = "blocking"))]
pub(crate) struct Caches {
    /// Tokens fetched with app credentials (unused with the others).
    pub tokens: Arc<crate::cache::Cache>,
    /// The card api_ticket (`type=wx_card`).
    pub card_tickets: Arc<crate::cache::Cache>,
    /// The JS-SDK jsapi_ticket (`type=jsapi`).
    pub jsapi_tickets: Arc<crate::cache::Cache>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::App(app) => app.fmt(f),
            Credentials::Static(token) => f.debug_tuple("Static").field(token).finish(),
            Credentials::Provider(_) => f.write_str("Provider(..)"),
        }
    }
}

impl From<AppCredentials> for Credentials {
    fn from(app: AppCredentials) -> Self {
        Credentials::App(app)
    }
}

impl From<StaticToken> for Credentials {
    fn from(token: StaticToken) -> Self {
        Credentials::Static(token.0)
    }
}

impl From<AccessToken> for Credentials {
    fn from(token: AccessToken) -> Self {
        Credentials::Static(token)
    }
}
