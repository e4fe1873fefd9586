//! The description of one API operation, shared by the async and blocking clients.

use crate::model::{Model, Object};
use crate::validate::Validate;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One WeChat API operation: implemented (generated) by its request type.
///
/// Both clients send any `Endpoint` the same way: validate, add the access token,
/// send, check `errcode`, decode [`Endpoint::Response`].
pub trait Endpoint: Serialize + Validate {
    /// `group.id`, e.g. `code.get`: used in errors and logs.
    const ID: &'static str;
    const METHOD: Method;
    /// Path on the API host, e.g. `/card/code/get`.
    const PATH: &'static str;
    /// Whether sending it twice is harmless (see spec/README.md, `idempotent`).
    const IDEMPOTENT: bool;
    type Response: DeserializeOwned + Object + Model;
}
