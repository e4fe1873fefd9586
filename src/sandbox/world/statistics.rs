//! What happened, for the statistics (the `datacube` endpoints): each view, claim,
//! redemption, gift, expiry and activation is an event, and the daily figures are
//! counted from them per China day.

use super::cards::CardRecord;
use super::{State, World};
use crate::datacube::{self, BizInfoRow, CardInfoRow, MemberCardDetailRow, MemberCardInfoRow};
use crate::generated::sandbox::DatacubeOperations;
use crate::sandbox::clock::china_date;
use crate::sandbox::runtime::Failure;
use crate::types::{CondSource, DatacubeCardType};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::Date;

/// What a user did, as the statistics count it (each kind is a `…_cnt` and a
/// `…_user` figure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum EventKind {
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

/// How often something happened, and the users who did it (a `…_cnt` and its
/// `…_user`).
#[derive(Debug, Default, Clone)]
struct Count {
    times: i64,
    users: BTreeSet<String>,
}

impl Count {
    fn cnt(&self) -> Option<i64> {
        Some(self.times)
    }

    fn user(&self) -> Option<i64> {
        Some(self.users.len() as i64)
    }

    fn merge(&mut self, other: Count) {
        self.times += other.times;
        self.users.extend(other.users);
    }
}

/// The figures of one day (of one card, or summed over cards: a user counts once a
/// day whatever the card).
#[derive(Debug, Default, Clone)]
struct Figures {
    view: Count,
    receive: Count,
    verify: Count,
    given: Count,
    expire: Count,
    activate: Count,
}

impl Figures {
    fn count(&mut self, event: &Event) {
        let count = match event.kind {
            EventKind::View => &mut self.view,
            EventKind::Receive => &mut self.receive,
            EventKind::Verify => &mut self.verify,
            EventKind::Given => &mut self.given,
            EventKind::Expire => &mut self.expire,
            EventKind::Activate => &mut self.activate,
        };
        count.times += 1;
        count.users.insert(event.openid.clone());
    }

    fn merge(&mut self, other: Figures) {
        self.view.merge(other.view);
        self.receive.merge(other.receive);
        self.verify.merge(other.verify);
        self.given.merge(other.given);
        self.expire.merge(other.expire);
        self.activate.merge(other.activate);
    }
}

/// Member-card totals at the end of a day: who holds a card (有效会员), and who ever
/// received one (历史领取).
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    members: i64,
    ever: i64,
}

/// The free coupon types getcardcardinfo reports, with its number for each.
const FREE_COUPONS: [(&str, DatacubeCardType); 5] = [
    ("DISCOUNT", DatacubeCardType::Discount),
    ("CASH", DatacubeCardType::Cash),
    ("GIFT", DatacubeCardType::Gift),
    ("GENERAL_COUPON", DatacubeCardType::GeneralCoupon),
    ("GROUPON", DatacubeCardType::Groupon),
];

/// The card type getcardcardinfo reports as `number`, if a free coupon.
pub(crate) fn free_coupon_type(number: i64) -> Option<&'static str> {
    let reported = DatacubeCardType::from(number);
    FREE_COUPONS
        .iter()
        .find(|(_, t)| *t == reported)
        .map(|(name, _)| *name)
}

/// The window of a request, if both dates parse (validation checked them already).
fn window(begin: &str, end: &str) -> Option<(Date, Date)> {
    Some((
        crate::validate::parse_date(begin)?,
        crate::validate::parse_date(end)?,
    ))
}

/// Which cards a statistics query covers: by the source it asks for (cards made on the
/// platform, or through the API), and the one card it names.
struct Pick<'a> {
    source: Option<&'a CondSource>,
    card_id: Option<&'a str>,
    card: fn(&CardRecord) -> bool,
}

impl Pick<'_> {
    fn covers(&self, state: &State, card_id: &str) -> bool {
        let Some(card) = state.cards.get(card_id) else {
            return false;
        };
        let platform = state.platform_cards.contains(card_id);
        let source = self.source.is_none_or(|s| match s {
            CondSource::Platform => platform,
            CondSource::Api => !platform,
            CondSource::Unknown(_) => false,
        });
        source && self.card_id.is_none_or(|id| id == card_id) && (self.card)(card)
    }
}

fn any_card(_: &CardRecord) -> bool {
    true
}

fn free_coupon(card: &CardRecord) -> bool {
    FREE_COUPONS.iter().any(|(t, _)| *t == card.type_name())
}

fn member_card(card: &CardRecord) -> bool {
    card.type_name() == "MEMBER_CARD"
}

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

    /// The figures per (China day, card) of the cards `pick` covers, between two dates.
    fn daily(
        state: &State,
        (begin, end): (Date, Date),
        pick: &Pick,
    ) -> BTreeMap<(Date, String), Figures> {
        let mut rows: BTreeMap<(Date, String), Figures> = BTreeMap::new();
        for e in &state.events {
            let day = china_date(e.at_ms);
            if day < begin || day > end || !pick.covers(state, &e.card_id) {
                continue;
            }
            rows.entry((day, e.card_id.clone())).or_default().count(e);
        }
        rows
    }

    /// Per-card figures summed per day.
    fn per_day(rows: BTreeMap<(Date, String), Figures>) -> BTreeMap<Date, Figures> {
        let mut days: BTreeMap<Date, Figures> = BTreeMap::new();
        for ((day, _), figures) in rows {
            days.entry(day).or_default().merge(figures);
        }
        days
    }

    /// The member-card rows of a window: a row for each day with events, and for each
    /// day the cards had members (the totals are a daily snapshot), up to yesterday (a
    /// day's figures are final once it is over). A user who received a card holds it
    /// until it expires or is given away.
    fn member_days(
        &self,
        state: &State,
        (begin, end): (Date, Date),
        pick: &Pick,
    ) -> Vec<(Date, Figures, Totals)> {
        let mut events: Vec<&Event> = state
            .events
            .iter()
            .filter(|e| pick.covers(state, &e.card_id))
            .collect();
        events.sort_by_key(|e| e.at_ms);
        let Some(first) = events.first().map(|e| china_date(e.at_ms)) else {
            return Vec::new();
        };
        let today = self.clock.china_today();
        let end = end.min(today.previous_day().unwrap_or(today));
        let mut figures = Self::per_day(Self::daily(state, (begin, end), pick));
        // (card, openid) -> holds the card now
        let mut holders: HashMap<(&str, &str), bool> = HashMap::new();
        let mut next = events.into_iter().peekable();
        let mut rows = Vec::new();
        // Nothing to count before the first event: no need to walk those days.
        let mut day = begin.max(first);
        while day <= end {
            while let Some(e) = next.next_if(|e| china_date(e.at_ms) <= day) {
                let key = (e.card_id.as_str(), e.openid.as_str());
                match e.kind {
                    EventKind::Receive => {
                        holders.insert(key, true);
                    }
                    EventKind::Expire | EventKind::Given => {
                        holders.insert(key, false);
                    }
                    _ => {}
                }
            }
            let today = figures.remove(&day);
            if today.is_some() || !holders.is_empty() {
                let members: BTreeSet<&str> = holders
                    .iter()
                    .filter(|(_, holds)| **holds)
                    .map(|((_, openid), _)| *openid)
                    .collect();
                let ever: BTreeSet<&str> = holders.keys().map(|(_, openid)| *openid).collect();
                let totals = Totals {
                    members: members.len() as i64,
                    ever: ever.len() as i64,
                };
                rows.push((day, today.unwrap_or_default(), totals));
            }
            let Some(next_day) = day.next_day() else {
                break;
            };
            day = next_day;
        }
        rows
    }
}

impl DatacubeOperations for World {
    fn datacube_biz_info(
        &self,
        request: datacube::DatacubeBizInfoRequest,
    ) -> Result<datacube::DatacubeBizInfoResponse, Failure> {
        let Some(window) = window(&request.begin_date, &request.end_date) else {
            return Ok(datacube::DatacubeBizInfoResponse::default());
        };
        let pick = Pick {
            source: Some(&request.cond_source),
            card_id: None,
            card: any_card,
        };
        let state = self.lock();
        let days = Self::per_day(Self::daily(&state, window, &pick));
        let list = days
            .into_iter()
            .map(|(day, f)| BizInfoRow {
                ref_date: Some(day.to_string()),
                view_cnt: f.view.cnt(),
                view_user: f.view.user(),
                receive_cnt: f.receive.cnt(),
                receive_user: f.receive.user(),
                verify_cnt: f.verify.cnt(),
                verify_user: f.verify.user(),
                given_cnt: f.given.cnt(),
                given_user: f.given.user(),
                expire_cnt: f.expire.cnt(),
                expire_user: f.expire.user(),
                ..Default::default()
            })
            .collect();
        Ok(datacube::DatacubeBizInfoResponse {
            list: Some(list),
            ..Default::default()
        })
    }

    fn datacube_card_info(
        &self,
        request: datacube::DatacubeCardInfoRequest,
    ) -> Result<datacube::DatacubeCardInfoResponse, Failure> {
        let Some(window) = window(&request.begin_date, &request.end_date) else {
            return Ok(datacube::DatacubeCardInfoResponse::default());
        };
        let pick = Pick {
            source: Some(&request.cond_source),
            card_id: request.card_id.as_deref(),
            card: free_coupon,
        };
        let state = self.lock();
        let list = Self::daily(&state, window, &pick)
            .into_iter()
            .map(|((day, card_id), f)| {
                let card_type = state.cards.get(&card_id).and_then(|c| {
                    FREE_COUPONS
                        .iter()
                        .find(|(t, _)| *t == c.type_name())
                        .map(|(_, n)| n.clone())
                });
                CardInfoRow {
                    ref_date: Some(day.to_string()),
                    card_id: Some(card_id),
                    card_type,
                    view_cnt: f.view.cnt(),
                    view_user: f.view.user(),
                    receive_cnt: f.receive.cnt(),
                    receive_user: f.receive.user(),
                    verify_cnt: f.verify.cnt(),
                    verify_user: f.verify.user(),
                    given_cnt: f.given.cnt(),
                    given_user: f.given.user(),
                    expire_cnt: f.expire.cnt(),
                    expire_user: f.expire.user(),
                    ..Default::default()
                }
            })
            .collect();
        Ok(datacube::DatacubeCardInfoResponse {
            list: Some(list),
            ..Default::default()
        })
    }

    fn datacube_member_card_info(
        &self,
        request: datacube::DatacubeMemberCardInfoRequest,
    ) -> Result<datacube::DatacubeMemberCardInfoResponse, Failure> {
        let Some(window) = window(&request.begin_date, &request.end_date) else {
            return Ok(datacube::DatacubeMemberCardInfoResponse::default());
        };
        let pick = Pick {
            source: Some(&request.cond_source),
            card_id: None,
            card: member_card,
        };
        let state = self.lock();
        let list = self
            .member_days(&state, window, &pick)
            .into_iter()
            .map(|(day, f, totals)| MemberCardInfoRow {
                ref_date: Some(day.to_string()),
                view_cnt: f.view.cnt(),
                view_user: f.view.user(),
                receive_cnt: f.receive.cnt(),
                receive_user: f.receive.user(),
                active_user: f.activate.user(),
                verify_cnt: f.verify.cnt(),
                verify_user: f.verify.user(),
                total_user: Some(totals.members),
                total_receive_user: Some(totals.ever),
                ..Default::default()
            })
            .collect();
        Ok(datacube::DatacubeMemberCardInfoResponse {
            list: Some(list),
            ..Default::default()
        })
    }

    fn datacube_member_card_detail(
        &self,
        request: datacube::DatacubeMemberCardDetailRequest,
    ) -> Result<datacube::DatacubeMemberCardDetailResponse, Failure> {
        let mut state = self.lock();
        self.card(&mut state, &request.card_id)?;
        let Some(window) = window(&request.begin_date, &request.end_date) else {
            return Ok(datacube::DatacubeMemberCardDetailResponse::default());
        };
        let pick = Pick {
            source: None,
            card_id: Some(&request.card_id),
            card: any_card,
        };
        let list = self
            .member_days(&state, window, &pick)
            .into_iter()
            .map(|(day, f, totals)| MemberCardDetailRow {
                ref_date: Some(day.to_string()),
                // Not a sub-merchant's card (sub-merchants are not modelled).
                merchanttype: Some(0),
                cardid: Some(request.card_id.clone()),
                submerchantid: Some(0),
                view_cnt: f.view.cnt(),
                view_user: f.view.user(),
                receive_cnt: f.receive.cnt(),
                receive_user: f.receive.user(),
                verify_cnt: f.verify.cnt(),
                verify_user: f.verify.user(),
                active_cnt: f.activate.cnt(),
                active_user: f.activate.user(),
                total_user: Some(totals.members),
                total_receive_user: Some(totals.ever),
                new_user: f.receive.user(),
                // No quick-pay (快速买单) in the sandbox: nothing to pay.
                pay_original_fee: Some(0),
                fee: Some(0),
                ..Default::default()
            })
            .collect();
        Ok(datacube::DatacubeMemberCardDetailResponse {
            list: Some(list),
            ..Default::default()
        })
    }
}
