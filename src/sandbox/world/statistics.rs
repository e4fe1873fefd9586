//! What happened, for the statistics (the `datacube` endpoints): each view, claim,
//! redemption, gift, expiry and activation is an event, and the daily figures are
//! counted from them per China day.

use super::cards::CardRecord;
use super::codes::CodeRecord;
use super::{State, World, reply};
use crate::datacube;
use crate::generated::sandbox::DatacubeOperations;
use crate::sandbox::clock::china_date;
use crate::sandbox::runtime::Failure;
use crate::types::CondSource;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a user did, as the statistics count it (each kind is a `…_cnt` and a
/// `…_user` figure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum EventKind {
    View,
    Receive,
    Verify,
    Given,
    Expire,
    Activate,
}

/// One thing that happened: when, to which card, by whom.
#[derive(Debug, Clone)]
pub(super) struct Event {
    pub(super) at_ms: u64,
    pub(super) card_id: String,
    pub(super) openid: String,
    pub(super) kind: EventKind,
}

/// Events per kind, and the users behind them.
type Tally = (
    HashMap<EventKind, i64>,
    HashMap<EventKind, BTreeSet<String>>,
);

const FREE_COUPONS: [(&str, i64); 5] = [
    ("DISCOUNT", 0),
    ("CASH", 1),
    ("GIFT", 2),
    ("GENERAL_COUPON", 3),
    ("GROUPON", 4),
];

impl World {
    pub(super) fn event(
        state: &mut State,
        at_ms: u64,
        card_id: &str,
        openid: &str,
        kind: EventKind,
    ) {
        state.events.push(Event {
            at_ms,
            card_id: card_id.into(),
            openid: openid.into(),
            kind,
        });
    }

    /// Daily rows between two dates (China days), counting events of the cards `pick`
    /// selects.
    fn daily(
        &self,
        begin: &str,
        end: &str,
        pick: impl Fn(&CardRecord) -> bool,
        card_filter: Option<&str>,
    ) -> Vec<(String, String, HashMap<&'static str, i64>)> {
        let (Some(begin), Some(end)) = (
            crate::validate::parse_date(begin),
            crate::validate::parse_date(end),
        ) else {
            return Vec::new();
        };
        let state = self.lock();
        // (day, card) -> (events per kind, users per kind)
        let mut rows: BTreeMap<(String, String), Tally> = BTreeMap::new();
        for e in &state.events {
            let day = china_date(e.at_ms);
            if day < begin || day > end || card_filter.is_some_and(|c| c != e.card_id) {
                continue;
            }
            let Some(card) = state.cards.get(&e.card_id) else {
                continue;
            };
            if !pick(card) {
                continue;
            }
            let row = rows
                .entry((day.to_string(), e.card_id.clone()))
                .or_default();
            *row.0.entry(e.kind).or_default() += 1;
            row.1.entry(e.kind).or_default().insert(e.openid.clone());
        }
        rows.into_iter()
            .map(|((day, card_id), (counts, users))| {
                let mut figures = HashMap::new();
                for (kind, cnt, user) in [
                    (EventKind::View, "view_cnt", "view_user"),
                    (EventKind::Receive, "receive_cnt", "receive_user"),
                    (EventKind::Verify, "verify_cnt", "verify_user"),
                    (EventKind::Given, "given_cnt", "given_user"),
                    (EventKind::Expire, "expire_cnt", "expire_user"),
                    (EventKind::Activate, "active_cnt", "active_user"),
                ] {
                    figures.insert(cnt, counts.get(&kind).copied().unwrap_or(0));
                    figures.insert(user, users.get(&kind).map_or(0, |u| u.len() as i64));
                }
                (day, card_id, figures)
            })
            .collect()
    }

    /// Sums per-card rows into per-day rows.
    fn per_day(
        rows: Vec<(String, String, HashMap<&'static str, i64>)>,
        keys: &[&'static str],
    ) -> Vec<Value> {
        let mut days: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        for (day, _, figures) in rows {
            let row = days.entry(day.clone()).or_insert_with(|| {
                let mut m = Map::new();
                m.insert("ref_date".into(), json!(day));
                m
            });
            for key in keys {
                let sum = row.get(*key).and_then(Value::as_i64).unwrap_or(0)
                    + figures.get(key).copied().unwrap_or(0);
                row.insert((*key).into(), json!(sum));
            }
        }
        days.into_values().map(Value::Object).collect()
    }

    fn api_created(source: &CondSource) -> bool {
        // Every sandbox card is created through the API (cond_source 1).
        source.as_i64() == 1
    }
}

impl DatacubeOperations for World {
    fn datacube_biz_info(
        &self,
        request: datacube::DatacubeBizInfoRequest,
    ) -> Result<datacube::DatacubeBizInfoResponse, Failure> {
        let api = Self::api_created(&request.cond_source);
        let rows = self.daily(&request.begin_date, &request.end_date, |_| api, None);
        let keys = [
            "view_cnt",
            "view_user",
            "receive_cnt",
            "receive_user",
            "verify_cnt",
            "verify_user",
            "given_cnt",
            "given_user",
            "expire_cnt",
            "expire_user",
        ];
        reply(json!({"list": Self::per_day(rows, &keys)}))
    }

    fn datacube_card_info(
        &self,
        request: datacube::DatacubeCardInfoRequest,
    ) -> Result<datacube::DatacubeCardInfoResponse, Failure> {
        let api = Self::api_created(&request.cond_source);
        let free = |c: &CardRecord| FREE_COUPONS.iter().any(|(t, _)| *t == c.type_name());
        let rows = self.daily(
            &request.begin_date,
            &request.end_date,
            |c| api && free(c),
            request.card_id.as_deref(),
        );
        let state = self.lock();
        let list: Vec<Value> = rows
            .into_iter()
            .map(|(day, card_id, f)| {
                let card_type = state.cards.get(&card_id).and_then(|c| FREE_COUPONS.iter().find(|(t, _)| *t == c.type_name())).map(|(_, n)| *n);
                json!({
                    "ref_date": day, "card_id": card_id, "card_type": card_type,
                    "view_cnt": f["view_cnt"], "view_user": f["view_user"], "receive_cnt": f["receive_cnt"],
                    "receive_user": f["receive_user"], "verify_cnt": f["verify_cnt"], "verify_user": f["verify_user"],
                    "given_cnt": f["given_cnt"], "given_user": f["given_user"], "expire_cnt": f["expire_cnt"], "expire_user": f["expire_user"],
                })
            })
            .collect();
        reply(json!({ "list": list }))
    }

    fn datacube_member_card_info(
        &self,
        request: datacube::DatacubeMemberCardInfoRequest,
    ) -> Result<datacube::DatacubeMemberCardInfoResponse, Failure> {
        let api = Self::api_created(&request.cond_source);
        let rows = self.daily(
            &request.begin_date,
            &request.end_date,
            |c| api && c.type_name() == "MEMBER_CARD",
            None,
        );
        let keys = [
            "view_cnt",
            "view_user",
            "receive_cnt",
            "receive_user",
            "active_user",
            "verify_cnt",
            "verify_user",
        ];
        let mut list = Self::per_day(rows, &keys);
        let (total_user, total_receive_user) = {
            let state = self.lock();
            let members = |c: &&CodeRecord| {
                state
                    .cards
                    .get(&c.card_id)
                    .is_some_and(|k| k.type_name() == "MEMBER_CARD")
            };
            let all: Vec<&CodeRecord> = state.codes.values().filter(members).collect();
            let total: BTreeSet<&str> = all
                .iter()
                .filter(|c| c.status == crate::types::UserCardStatus::Normal)
                .map(|c| c.openid.as_str())
                .collect();
            let ever: BTreeSet<&str> = all.iter().map(|c| c.openid.as_str()).collect();
            (total.len(), ever.len())
        };
        for row in &mut list {
            row["total_user"] = json!(total_user);
            row["total_receive_user"] = json!(total_receive_user);
        }
        reply(json!({ "list": list }))
    }

    fn datacube_member_card_detail(
        &self,
        request: datacube::DatacubeMemberCardDetailRequest,
    ) -> Result<datacube::DatacubeMemberCardDetailResponse, Failure> {
        {
            let mut state = self.lock();
            self.card(&mut state, &request.card_id)?;
        }
        let rows = self.daily(
            &request.begin_date,
            &request.end_date,
            |_| true,
            Some(&request.card_id),
        );
        let list: Vec<Value> = rows
            .into_iter()
            .map(|(day, card_id, f)| {
                json!({
                    "ref_date": day, "merchanttype": 0, "cardid": card_id, "submerchantid": 0,
                    "view_cnt": f["view_cnt"], "view_user": f["view_user"], "receive_cnt": f["receive_cnt"],
                    "receive_user": f["receive_user"], "verify_cnt": f["verify_cnt"], "verify_user": f["verify_user"],
                    "active_cnt": f["active_cnt"], "active_user": f["active_user"], "new_user": f["receive_user"],
                    "payOriginalFee": 0, "fee": 0,
                })
            })
            .collect();
        reply(json!({ "list": list }))
    }
}
