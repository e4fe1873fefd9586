//! The sandbox's HTTP server: the WeChat API (every path but `/`, `/console/…` and
//! `/sandbox/…`, routed by the generated `dispatch`), the images it serves back, the
//! control API under `/sandbox/…` (`control`), for tests written in other languages,
//! and the console at `/` with its forms under `/console/…` (`console`).

use super::Engine;
use super::console;
use super::control::{self, ControlError};
use super::runtime::{Call, Failure, Reply, run};
use super::wire::{self, Conn};
use crate::ErrCode;
use crate::endpoint::Endpoint;
use crate::generated::sandbox::dispatch;
use crate::token::TokenCardTicketRequest;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use std::sync::Arc;

pub(super) fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/sandbox/media/{name}", get(media))
        .route("/sandbox/{action}", any(control::handle))
        .route("/", get(console::page))
        .route("/console/{action}", post(console::submit))
        .fallback(api)
        .with_state(engine)
}

/// The WeChat API: everything but the console and `/sandbox/…`.
async fn api(
    State(engine): State<Arc<Engine>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = match method {
        axum::http::Method::GET => crate::endpoint::Method::Get,
        axum::http::Method::POST => crate::endpoint::Method::Post,
        _ => return StatusCode::METHOD_NOT_ALLOWED.into_response(),
    };
    let call = Call {
        method,
        path: uri.path().to_owned(),
        query: uri
            .query()
            .map(crate::push::query_pairs)
            .unwrap_or_default(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.to_vec(),
    };
    engine.counters.count(&call);
    let reply = if call.method == TokenCardTicketRequest::METHOD
        && call.path == TokenCardTicketRequest::PATH
    {
        getticket(&engine, &call).await
    } else {
        dispatch(&engine.world, &engine.context, &call).await
    };
    match reply {
        Reply::Faulted(fault, reply) => wire::deliver(fault, respond(*reply), &conn).await,
        reply => respond(reply),
    }
}

/// `cgi-bin/ticket/getticket` serves two tickets by `type`, each its own endpoint of the
/// spec: the card api_ticket (`wx_card`) and the JS-SDK's jsapi_ticket (`jsapi`). Any
/// other type is refused here, after the same gate (token, faults of
/// `token.card_ticket`).
async fn getticket(engine: &Engine, call: &Call) -> Reply {
    let kind = call
        .query
        .iter()
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.as_str());
    match kind {
        Some("wx_card" | "jsapi") => dispatch(&engine.world, &engine.context, call).await,
        other => {
            let message = match other {
                Some(kind) => format!("invalid type {kind}: wx_card or jsapi"),
                None => "type missing: wx_card or jsapi".to_owned(),
            };
            run(&engine.context, call, &[], |_: TokenCardTicketRequest| {
                Err(Failure::new(ErrCode::InvalidArgs, message))
            })
            .await
        }
    }
}

fn respond(reply: Reply) -> Response {
    match reply {
        Reply::Json(status, value) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (
                status,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                value.to_string(),
            )
                .into_response()
        }
        Reply::Raw {
            status,
            content_type,
            body,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        // Delivered by `api`; a fault inside a fault is not made.
        Reply::Faulted(_, reply) => respond(*reply),
    }
}

async fn media(State(engine): State<Arc<Engine>>, Path(name): Path<String>) -> Response {
    match engine.world.media(&name) {
        Some((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => ControlError::not_found(format!("no uploaded image {name}")).into_response(),
    }
}
