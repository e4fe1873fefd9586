//! Card messages (the `message` endpoints): mass messages to a tag, to every follower
//! or to a list of openids, previews and customer-service messages. Each delivers the
//! card message to the users' message lists, where the tester reads it
//! (`User::messages`) and from where a user claims the card. Also what only the
//! sandbox sets: a user's tags and WeChat name.

use super::{State, World, fail};
use crate::ErrCode;
use crate::generated::sandbox::MessageOperations;
use crate::jssdk::card_signature;
use crate::message;
use crate::sandbox::runtime::Failure;
use crate::types::{CardStatus, MassFilter, MassMsgStatus, WxCard};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// How a card message reached the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A mass message (`mass/sendall` or `mass/send`).
    Mass,
    /// A preview of a mass message (`mass/preview`).
    Preview,
    /// A customer-service message (`custom/send`).
    Custom,
}

/// A card message a sandbox user received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardMessage {
    /// The job's id: a mass message's `msg_id` (the same for every user it reached),
    /// a preview's, or the sandbox's own for a customer-service message.
    pub msg_id: i64,
    pub kind: MessageKind,
    pub card_id: String,
    /// The signed `card_ext` JSON string, if the message carried one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_ext: Option<String>,
    /// When it was sent (Unix seconds).
    pub sent_at: i64,
}

/// A message id: unique per sandbox, WeChat-like in size.
fn next_msg_id(state: &mut State) -> i64 {
    state.msg_serial += 1;
    1_000_000_000 + state.msg_serial
}

/// A tag id as WeChat reads it: a number, or a number written as a string.
fn tag_of(value: &Value) -> Result<i64, Failure> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| fail(ErrCode::InvalidArgs, format!("invalid tag_id {value}")))
}

impl World {
    /// The card a message carries must exist and be approved; a custom-code card
    /// only in the deposit mode (the docs: 仅支持非自定义Code码和导入code模式的卡券).
    fn check_sendable(&self, state: &mut State, card_id: &str) -> Result<(), Failure> {
        let card = self.card(state, card_id)?;
        if card.status != CardStatus::VerifyOk {
            return Err(fail(
                ErrCode::InvalidCardStatus,
                format!("the card is {}, not approved", card.status),
            ));
        }
        if card.custom_code() && !card.deposit_mode() {
            return Err(fail(
                ErrCode::NoApiPermissionForCard,
                "a custom-code card is sent in messages only in the deposit (导入code) mode",
            ));
        }
        Ok(())
    }

    /// Checks a `card_ext` as WeChat does: a JSON object with `timestamp` and
    /// `signature`, signed for `card_id` with an api_ticket this sandbox issued (or,
    /// seeded, the signature of a documented example), for `touser` if it names one.
    /// Returns the code it gives, if it names one.
    fn check_card_ext(
        state: &State,
        card_id: &str,
        ext: &str,
        touser: Option<&str>,
    ) -> Result<Option<String>, Failure> {
        let bad = |why: &str| fail(ErrCode::InvalidCardExt, format!("invalid card_ext: {why}"));
        let parsed: Value = serde_json::from_str(ext).map_err(|_| bad("not JSON"))?;
        let text = |key: &str| -> Result<Option<String>, Failure> {
            match parsed.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                // The docs: timestamps 需转换为字符串形态 — a number is read as its text.
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(_) => Err(bad(&format!("`{key}` is not a string"))),
            }
        };
        let timestamp = text("timestamp")?.ok_or_else(|| bad("no timestamp"))?;
        let signature = text("signature")?.ok_or_else(|| bad("no signature"))?;
        let (code, openid, nonce) = (text("code")?, text("openid")?, text("nonce_str")?);
        let signed_by = |ticket: &str| {
            let mut values = vec![ticket, timestamp.as_str(), card_id];
            values.extend(
                [&code, &openid, &nonce]
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            );
            card_signature(values) == signature
        };
        let seeded = state.seeded_card_ext_signatures.contains(&signature);
        if !seeded && !state.card_tickets.iter().any(|t| signed_by(t)) {
            return Err(bad(
                "the signature does not match any api_ticket this account was issued",
            ));
        }
        let openid = openid.filter(|o| !o.is_empty());
        if let (Some(bound), Some(touser)) = (&openid, touser)
            && bound != touser
        {
            return Err(bad("it is signed for another user"));
        }
        Ok(code.filter(|c| !c.is_empty()))
    }

    /// Puts the card message in each user's list.
    fn deliver<'a>(
        &self,
        state: &mut State,
        users: impl IntoIterator<Item = &'a str>,
        msg_id: i64,
        kind: MessageKind,
        card: &WxCard,
    ) {
        let sent_at = self.secs();
        for openid in users {
            state
                .inbox
                .entry(openid.to_owned())
                .or_default()
                .push(CardMessage {
                    msg_id,
                    kind,
                    card_id: card.card_id.clone(),
                    card_ext: card.card_ext.clone(),
                    sent_at,
                });
        }
    }

    /// A mass message: checks the card and the `clientmsgid` (given, or the digest of
    /// the scope and the content, as the docs say), delivers, returns (msg_id,
    /// msg_data_id).
    fn mass(
        &self,
        state: &mut State,
        users: BTreeSet<String>,
        scope: String,
        card: &WxCard,
        clientmsgid: Option<&str>,
    ) -> Result<(i64, i64), Failure> {
        self.check_sendable(state, &card.card_id)?;
        if let Some(ext) = &card.card_ext {
            Self::check_card_ext(state, &card.card_id, ext, None)?;
        }
        let key = match clientmsgid {
            Some(id) => format!("client:{id}"),
            None => format!("digest:{scope}|{}|{:?}", card.card_id, card.card_ext),
        };
        if let Some(existing) = state.mass_jobs.get(&key) {
            // 全局返回码: 返回数据中带有已存在的群发任务的 msgid — under the key
            // of the send's own reply.
            return Err(fail(
                ErrCode::ClientMsgIdExists,
                format!("clientmsgid exist, msgid {existing}"),
            )
            .with_field("msg_id", *existing));
        }
        let msg_id = next_msg_id(state);
        state.mass_jobs.insert(key, msg_id);
        state.mass_sent.insert(msg_id);
        self.deliver(
            state,
            users.iter().map(String::as_str),
            msg_id,
            MessageKind::Mass,
            card,
        );
        Ok((msg_id, msg_id + 1_000_000_000))
    }

    /// Every user the account knows: those holding a code, tagged, named, whitelisted
    /// or already sent a message.
    fn followers(state: &State) -> BTreeSet<String> {
        let holders = state.codes.values().map(|c| c.openid.clone());
        let tagged = state.tags.keys().cloned();
        let named = state.wechat_names.values().cloned();
        let messaged = state.inbox.keys().cloned();
        let whitelisted = state.whitelist_openids.iter().cloned();
        holders
            .chain(tagged)
            .chain(named)
            .chain(messaged)
            .chain(whitelisted)
            .filter(|o| o != super::WECHAT_SENDER)
            .collect()
    }

    fn recipients(
        state: &State,
        filter: &MassFilter,
    ) -> Result<(BTreeSet<String>, String), Failure> {
        if filter.is_to_all == Some(true) {
            return Ok((Self::followers(state), "all".to_owned()));
        }
        let tag = filter
            .tag_id
            .as_ref()
            .ok_or_else(|| fail(ErrCode::InvalidArgs, "tag_id missing"))
            .and_then(tag_of)?;
        let users = state
            .tags
            .iter()
            .filter(|(_, tags)| tags.contains(&tag))
            .map(|(openid, _)| openid.clone())
            .collect();
        Ok((users, format!("tag:{tag}")))
    }

    /// Tags a user (sandbox only): mass messages to the tag reach them.
    pub(crate) fn tag_user(&self, openid: &str, tag_id: i64) {
        self.lock()
            .tags
            .entry(openid.to_owned())
            .or_default()
            .insert(tag_id);
    }

    /// Gives a user a WeChat name (sandbox only): previews `towxname` it reach them.
    pub(crate) fn name_user(&self, openid: &str, wechat_name: &str) {
        self.lock()
            .wechat_names
            .insert(wechat_name.to_owned(), openid.to_owned());
    }

    /// The card messages a user received, oldest first.
    pub(crate) fn messages(&self, openid: &str) -> Vec<CardMessage> {
        self.lock().inbox.get(openid).cloned().unwrap_or_default()
    }

    /// A user claims the card of a message they received: with the code and for the
    /// user its card_ext names, if it does.
    pub(crate) fn claim_message(&self, openid: &str, msg_id: i64) -> Result<String, Failure> {
        let (card_id, code) = {
            let state = self.lock();
            let message = state
                .inbox
                .get(openid)
                .and_then(|list| list.iter().rev().find(|m| m.msg_id == msg_id))
                .cloned()
                .ok_or_else(|| fail(ErrCode::InvalidArgs, "the user received no such message"))?;
            let code = match &message.card_ext {
                Some(ext) => Self::check_card_ext(&state, &message.card_id, ext, Some(openid))?,
                None => None,
            };
            (message.card_id, code)
        };
        self.claim(openid, &card_id, code.as_deref(), None)
    }
}

impl MessageOperations for World {
    fn message_mass_send_all(
        &self,
        request: message::MessageMassSendAllRequest,
    ) -> Result<message::MessageMassSendAllResponse, Failure> {
        let mut state = self.lock();
        let (users, scope) = Self::recipients(&state, &request.filter)?;
        let clientmsgid = request.clientmsgid.as_deref();
        let (msg_id, msg_data_id) =
            self.mass(&mut state, users, scope, &request.wxcard, clientmsgid)?;
        Ok(message::MessageMassSendAllResponse {
            msg_id: Some(msg_id),
            msg_data_id: Some(msg_data_id),
            ..Default::default()
        })
    }

    fn message_mass_send(
        &self,
        request: message::MessageMassSendRequest,
    ) -> Result<message::MessageMassSendResponse, Failure> {
        let users: BTreeSet<String> = request.touser.iter().cloned().collect();
        if users.len() < 2 {
            return Err(fail(
                ErrCode::InvalidOpenidListSize,
                "invalid openid list size, at least two openid",
            ));
        }
        let scope = format!(
            "users:{}",
            users.iter().cloned().collect::<Vec<_>>().join(",")
        );
        let mut state = self.lock();
        let clientmsgid = request.clientmsgid.as_deref();
        let (msg_id, msg_data_id) =
            self.mass(&mut state, users, scope, &request.wxcard, clientmsgid)?;
        Ok(message::MessageMassSendResponse {
            msg_id: Some(msg_id),
            msg_data_id: Some(msg_data_id),
            ..Default::default()
        })
    }

    fn message_mass_get(
        &self,
        request: message::MessageMassGetRequest,
    ) -> Result<message::MessageMassGetResponse, Failure> {
        let bad = || {
            fail(
                ErrCode::InvalidArgs,
                format!("invalid msg_id {}", request.msg_id),
            )
        };
        let msg_id: i64 = request.msg_id.trim().parse().map_err(|_| bad())?;
        if !self.lock().mass_sent.contains(&msg_id) {
            return Err(bad());
        }
        // Delivery is immediate in the sandbox: a job it accepted is sent.
        Ok(message::MessageMassGetResponse {
            msg_id: Some(msg_id),
            msg_status: Some(MassMsgStatus::SendSuccess),
            ..Default::default()
        })
    }

    fn message_mass_preview(
        &self,
        request: message::MessageMassPreviewRequest,
    ) -> Result<message::MessageMassPreviewResponse, Failure> {
        let mut state = self.lock();
        // The docs: towxname replaces touser; SDKs report it wins when both are sent.
        let openid = match (&request.towxname, &request.touser) {
            (Some(name), _) => state.wechat_names.get(name).cloned().ok_or_else(|| {
                fail(
                    ErrCode::InvalidWechatName,
                    format!("invalid wechat name {name}"),
                )
            })?,
            (None, Some(openid)) => openid.clone(),
            (None, None) => return Err(fail(ErrCode::MissingRequiredField, "touser missing")),
        };
        self.check_sendable(&mut state, &request.wxcard.card_id)?;
        if let Some(ext) = &request.wxcard.card_ext {
            Self::check_card_ext(&state, &request.wxcard.card_id, ext, Some(&openid))?;
        }
        let msg_id = next_msg_id(&mut state);
        self.deliver(
            &mut state,
            [openid.as_str()],
            msg_id,
            MessageKind::Preview,
            &request.wxcard,
        );
        Ok(message::MessageMassPreviewResponse {
            msg_id: Some(msg_id),
            ..Default::default()
        })
    }

    fn message_custom_send(
        &self,
        request: message::MessageCustomSendRequest,
    ) -> Result<message::MessageCustomSendResponse, Failure> {
        let mut state = self.lock();
        let card = &request.wxcard;
        self.check_sendable(&mut state, &card.card_id)?;
        if let Some(ext) = &card.card_ext {
            Self::check_card_ext(&state, &card.card_id, ext, Some(&request.touser))?;
        }
        let msg_id = next_msg_id(&mut state);
        self.deliver(
            &mut state,
            [request.touser.as_str()],
            msg_id,
            MessageKind::Custom,
            card,
        );
        Ok(message::MessageCustomSendResponse::default())
    }
}
