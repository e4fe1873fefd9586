//! Typed, validated client for the WeChat Official Account Card & Coupon (卡券) API.
//!
//! Every endpoint, model and constraint is generated from the YAML spec in `spec/`
//! (see `spec/README.md`): requests are checked before they leave the machine, replies
//! decode into typed models that keep what WeChat adds later.
//!
//! - `Client` (feature `async`, default) and `blocking::Client` (feature `blocking`)
//!   share one description of each endpoint.
//! - Handlers group endpoints: `client.card()`, `client.code()`, `client.datacube()`.
//! - Errors: [`Error`]; WeChat's return codes: [`ErrCode`].
//! - Credentials: [`AppCredentials`] (cached, renewed tokens; a Redis store for fleets),
//!   and the JS-SDK card signatures in [`jssdk`].
//! - Event pushes: [`push::Receiver`] authenticates (and in safe mode decrypts) what
//!   WeChat posts to your server and returns a typed [`push::events::CardEvent`].
//! - The sandbox (feature `sandbox`): a local, stateful WeChat card server that also
//!   pushes card events to your receiver.

#![forbid(unsafe_code)]

#[rustfmt::skip]
mod generated;

mod cache;
#[cfg(any(feature = "async", feature = "blocking"))]
mod call;
pub mod config;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod jssdk;
pub mod model;
pub mod push;
#[cfg(any(feature = "async", feature = "blocking"))]
pub mod raw;
pub mod response;
pub mod store;
pub mod validate;

#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "async")]
mod client;
#[cfg(feature = "sandbox")]
pub mod sandbox;

#[cfg(feature = "async")]
pub use client::Client;
pub use config::{Config, RetryPolicy};
pub use credentials::JsapiTicket;
pub use credentials::{
    AccessToken, ApiTicket, AppCredentials, Credentials, StaticToken, TokenProvider,
};
pub use error::Error;
pub use generated::exports::*;
pub use response::{Binary, FilePart};

// The README's examples are compiled (and, where they can run, run) as doctests.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "async"))]
pub struct ReadmeDoctests;

// So are those of docs/jssdk.md (they start the sandbox).
#[doc = include_str!("../docs/jssdk.md")]
#[cfg(all(doctest, feature = "sandbox"))]
pub struct JssdkDoctests;
