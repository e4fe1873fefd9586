//! Access tokens as WeChat issues them: `cgi-bin/token` makes a new one each time (the
//! previous stays valid for a five-minute overlap); `stable_token` returns the same one
//! until five minutes before expiry, unless forced. The lifetime is a setting (WeChat's
//! 7,200 s by default); for one shorter than ten minutes the overlap is half of it.

use super::runtime::Failure;
use crate::ErrCode;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The lifetime of a token unless set otherwise: WeChat's (seconds).
pub const DEFAULT_LIFETIME_SECS: u64 = 7200;
const OVERLAP_MS: u64 = 5 * 60 * 1000;

/// The sandbox's credentials and the tokens it issued; its `Debug` shows neither the
/// secret nor a token.
pub struct Tokens {
    pub appid: String,
    pub secret: String,
    /// How long a token lives (seconds).
    pub lifetime_secs: u64,
    inner: Mutex<Inner>,
    /// Calls of cgi-bin/token and stable_token served (successful or not).
    requests: AtomicU64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("appid", &self.appid)
            .field("secret", &"***")
            .field("lifetime_secs", &self.lifetime_secs)
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Inner {
    /// token -> expires at (ms)
    valid: HashMap<String, u64>,
    stable: Option<(String, u64)>,
    issued: u64,
}

impl Tokens {
    pub fn new(appid: String, secret: String, lifetime_secs: u64) -> Self {
        Tokens {
            appid,
            secret,
            lifetime_secs: lifetime_secs.max(1),
            inner: Mutex::default(),
            requests: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn credentials(&self, appid: &str, secret: &str, wrong_secret: ErrCode) -> Result<(), Failure> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if appid != self.appid {
            return Err(Failure::new(
                ErrCode::InvalidAppId,
                format!("invalid appid {appid}"),
            ));
        }
        if secret != self.secret {
            return Err(Failure::new(wrong_secret, "invalid appsecret"));
        }
        Ok(())
    }

    /// How long a replaced token keeps working, and how early stable_token replaces
    /// one: five minutes, at most half the lifetime.
    fn overlap_ms(&self) -> u64 {
        OVERLAP_MS.min(self.lifetime_secs * 1000 / 2)
    }

    fn mint(&self, inner: &mut Inner, now: u64) -> (String, u64) {
        inner.issued += 1;
        let token = format!("SANDBOX_TOKEN_{:06}_{:x}", inner.issued, now);
        let expires = now + self.lifetime_secs * 1000;
        inner.valid.insert(token.clone(), expires);
        (token, expires)
    }

    /// `cgi-bin/token`: a new token; earlier ones of this kind lapse after the overlap.
    pub fn classic(&self, appid: &str, secret: &str, now: u64) -> Result<(String, u64), Failure> {
        // The docs: a wrong AppSecret is 40001 here.
        self.credentials(appid, secret, ErrCode::InvalidCredential)?;
        let mut inner = self.lock();
        let stable = inner.stable.as_ref().map(|(t, _)| t.clone());
        for (token, expires) in inner.valid.iter_mut() {
            if Some(token) != stable.as_ref() {
                *expires = (*expires).min(now + self.overlap_ms());
            }
        }
        let (token, expires) = self.mint(&mut inner, now);
        Ok((token, (expires - now) / 1000))
    }

    /// `stable_token`: the current stable token while it has more than five minutes
    /// left; a new one when forced (the old one stops working at once) or due.
    pub fn stable(
        &self,
        appid: &str,
        secret: &str,
        force: bool,
        now: u64,
    ) -> Result<(String, u64), Failure> {
        self.credentials(appid, secret, ErrCode::InvalidAppSecret)?;
        let mut inner = self.lock();
        if let Some((token, expires)) = inner.stable.clone() {
            if !force && expires > now + self.overlap_ms() {
                return Ok((token, (expires - now) / 1000));
            }
            if force {
                inner.valid.remove(&token);
            }
        }
        let (token, expires) = self.mint(&mut inner, now);
        inner.stable = Some((token.clone(), expires));
        Ok((token, (expires - now) / 1000))
    }

    /// The access_token of a call: missing 41001, unknown 40001, expired 42001.
    pub fn check(&self, token: Option<&str>, now: u64) -> Result<(), Failure> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(Failure::new(
                ErrCode::MissingAccessToken,
                "access_token missing",
            ));
        };
        match self.lock().valid.get(token) {
            None => Err(Failure::new(
                ErrCode::InvalidCredential,
                "invalid credential, access_token is invalid or not latest",
            )),
            Some(expires) if *expires <= now => Err(Failure::new(
                ErrCode::AccessTokenExpired,
                "access_token expired",
            )),
            Some(_) => Ok(()),
        }
    }

    /// The app a token was issued to (expired or not), `None` for a token never
    /// issued. A sandbox serves one app, so it is its appid.
    pub fn appid_of(&self, token: &str) -> Option<String> {
        self.lock()
            .valid
            .contains_key(token)
            .then(|| self.appid.clone())
    }

    /// How many token requests were served (for tests and benchmarks).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// How many tokens were issued (for tests and the quickstart).
    pub fn issued(&self) -> u64 {
        self.lock().issued
    }
}
