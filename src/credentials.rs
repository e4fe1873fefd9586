//! Where access tokens come from.
//!
//! A [`TokenProvider`] hands the clients an [`AccessToken`] for each call and is told
//! when WeChat rejected one. This crate ships [`StaticToken`]; fetching and caching
//! sources (stable_token, the classic token endpoint, a fleet-wide store) build on the
//! same trait.

use crate::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// An access token. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    pub fn new(token: impl Into<Arc<str>>) -> Self {
        AccessToken(token.into())
    }

    /// The secret value, for putting on the wire. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

/// A boxed future returning a token, so that providers can be trait objects.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken, Error>> + Send + 'a>>;

/// A source of access tokens for both clients.
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

impl TokenProvider for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }

    fn token_blocking(&self) -> Result<AccessToken, Error> {
        Ok(self.0.clone())
    }
}
