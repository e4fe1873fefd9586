//! The sandbox's HTTP server: the WeChat API (every path but `/sandbox/…`, routed by
//! the generated `dispatch`), the images it serves back, and the sandbox-only actions
//! under `/sandbox/…`, for tests written in other languages.

use super::callback::{self, Delivery, PushTarget};
use super::faults;
use super::runtime::{Call, Failure, Reply};
use super::wire::{self, Conn};
use super::world::World;
use super::{DEFAULT_REFUSE_REASON, Engine};
use crate::generated::sandbox::dispatch;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub(super) fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/sandbox/media/{name}", get(media))
        .route("/sandbox/{action}", post(action))
        .fallback(api)
        .with_state(engine)
}

/// The WeChat API: everything but `/sandbox/…`.
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
    match dispatch(&engine.world, &engine.context, &call).await {
        Reply::Faulted(fault, reply) => wire::deliver(fault, respond(*reply), &conn).await,
        reply => respond(reply),
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
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The sandbox-only actions over HTTP, for tests written in other languages:
/// `POST /sandbox/{claim,scan_qrcode,view,gift,delete,enter_chat_from_card,approve,reject,advance_clock,
/// fault,faults,clear_faults,encrypt_code,credentials,push_events_to,verify_url,stop_pushing,flush_pushes}`
/// with a JSON body.
async fn action(
    State(engine): State<Arc<Engine>>,
    Path(action): Path<String>,
    body: Bytes,
) -> Response {
    // The fault actions read their body strictly, and answer 400 to a wrong one.
    if let Some((status, reply)) = faults::json::action(&engine.context.faults, &action, &body) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let headers = [(header::CONTENT_TYPE, "application/json")];
        return (status, headers, reply.to_string()).into_response();
    }
    let args: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    let result = if let Some(result) = user_action(&engine.world, &action, &args) {
        result
    } else if let Some(result) = push_action(&engine, &action, &args).await {
        result
    } else if let Some(result) = control_action(&engine, &action, &args) {
        result
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = match result {
        Ok(mut value) => {
            value["errcode"] = json!(0);
            value["errmsg"] = json!("ok");
            value
        }
        Err(f) => json!({"errcode": f.errcode, "errmsg": f.errmsg}),
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A text argument of an action (empty if absent).
fn text(args: &Value, key: &str) -> String {
    args[key].as_str().unwrap_or_default().to_owned()
}

/// What a user does (`Sandbox::user`); `None` for another action.
fn user_action(world: &World, action: &str, args: &Value) -> Option<Result<Value, Failure>> {
    let result = match action {
        "claim" => world
            .claim(
                &text(args, "openid"),
                &text(args, "card_id"),
                args["code"].as_str(),
                args["outer_str"].as_str(),
            )
            .map(|code| json!({ "code": code })),
        "scan_qrcode" => world
            .claim_qr(&text(args, "openid"), &text(args, "ticket"))
            .map(|code| json!({ "code": code })),
        "view" => world
            .view(&text(args, "openid"), &text(args, "card_id"))
            .map(|_| json!({})),
        "gift" => world
            .gift(&text(args, "code"), &text(args, "friend"))
            .map(|code| json!({ "code": code })),
        "delete" => world.user_delete(&text(args, "code")).map(|_| json!({})),
        "enter_chat_from_card" => world
            .enter_chat(&text(args, "openid"), &text(args, "card_id"))
            .map(|_| json!({})),
        _ => return None,
    };
    Some(result)
}

/// Where and how events are pushed, and what became of them; `None` for another
/// action.
async fn push_action(
    engine: &Engine,
    action: &str,
    args: &Value,
) -> Option<Result<Value, Failure>> {
    let result = match action {
        "push_events_to" => push_target_from_json(args)
            .and_then(|t| engine.resolve(t))
            .map(|target| {
                engine.outbox().set_target(Some(target));
                json!({})
            })
            .map_err(|e| Failure::new(crate::ErrCode::InvalidArgs, e)),
        "verify_url" => {
            let verified = match push_target_from_json(args).and_then(|t| engine.resolve(t)) {
                Ok(target) => callback::verify_url(&target).await,
                Err(e) => Err(e),
            };
            verified
                .map(|()| json!({}))
                .map_err(|e| Failure::new(crate::ErrCode::InvalidArgs, e))
        }
        "stop_pushing" => {
            engine.outbox().set_target(None);
            Ok(json!({}))
        }
        "flush_pushes" => {
            let deliveries = engine.outbox().flush().await;
            Ok(json!({ "deliveries": deliveries.iter().map(delivery_json).collect::<Vec<_>>() }))
        }
        _ => return None,
    };
    Some(result)
}

/// What only the sandbox controls: review verdicts, the clock, the
/// credentials and `encrypt_code`; `None` for another action.
fn control_action(engine: &Engine, action: &str, args: &Value) -> Option<Result<Value, Failure>> {
    let world = &engine.world;
    let result = match action {
        "approve" => world
            .review(&text(args, "card_id"), None)
            .map(|_| json!({})),
        "reject" => {
            let reason = args["reason"].as_str().unwrap_or(DEFAULT_REFUSE_REASON);
            world
                .review(&text(args, "card_id"), Some(reason))
                .map(|_| json!({}))
        }
        "encrypt_code" => world
            .encrypt_code(&text(args, "code"))
            .map(|e| json!({ "encrypt_code": e })),
        "advance_clock" => {
            engine.advance_clock(Duration::from_secs(args["seconds"].as_u64().unwrap_or(0)));
            Ok(json!({}))
        }
        "credentials" => Ok(
            json!({"appid": engine.context.tokens.appid, "secret": engine.context.tokens.secret}),
        ),
        _ => return None,
    };
    Some(result)
}

/// `{"url": "http://…", "token": "…", "encoding_aes_key": "…" (safe mode),
/// "timeout_ms": 5000, "retries": 3}`.
fn push_target_from_json(args: &Value) -> Result<PushTarget, String> {
    let text = |k: &str| {
        args[k]
            .as_str()
            .map(str::to_owned)
            .ok_or(format!("push_events_to needs `{k}`"))
    };
    let (url, token) = (text("url")?, text("token")?);
    let mut target = match args["encoding_aes_key"].as_str() {
        Some(key) => PushTarget::safe_mode(url, token, key).map_err(|e| e.to_string())?,
        None => PushTarget::plain(url, token),
    };
    if let Some(ms) = args["timeout_ms"].as_u64() {
        target = target.timeout(Duration::from_millis(ms));
    }
    if let Some(retries) = args["retries"].as_u64() {
        target = target.retries(u32::try_from(retries).map_err(|e| format!("retries: {e}"))?);
    }
    Ok(target)
}

/// A delivery for tests in other languages: the event's name and XML, and how it went.
fn delivery_json(delivery: &Delivery) -> Value {
    let event = match &delivery.event {
        crate::push::events::CardEvent::Unknown(e) => e.event.clone(),
        known => known
            .envelope()
            .map(|e| e.event.clone())
            .unwrap_or_default(),
    };
    json!({
        "event": event,
        "xml": delivery.event.to_xml(),
        "attempts": delivery.attempts,
        "status": delivery.status,
        "error": delivery.error,
    })
}
