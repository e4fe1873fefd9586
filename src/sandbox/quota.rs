//! Daily API quotas as WeChat keeps them: every API path has a number of calls a day
//! (China time); once they are used up the API answers 45009 until the next day or
//! until `clear_quota`, which an account may do ten times a month (then 48006).
//! `openapi/quota/get` reads the counts. WeChat's real limits differ per API and
//! account; the sandbox gives every path the same limit, a setting.

use super::runtime::Failure;
use crate::ErrCode;
use std::collections::HashMap;
use std::sync::Mutex;
use time::Date;

/// Calls a day per API path unless set otherwise: the sandbox's choice, high enough
/// that tests never meet it by accident.
pub const DEFAULT_DAILY_LIMIT: u64 = 100_000;

/// Clearings an account may make in a month (official clear_quota page: 每个帐号每月共10次).
pub const CLEARINGS_PER_MONTH: u32 = 10;

/// One API's quota today: (daily_limit, used, remain).
pub type Usage = (u64, u64, u64);

#[derive(Debug)]
pub struct Quota {
    daily_limit: u64,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The China day the counts are for.
    day: Option<Date>,
    /// API path -> calls today.
    used: HashMap<String, u64>,
    /// (year, month) -> clearings made.
    clearings: HashMap<(i32, u8), u32>,
    /// Serial of the `rid`s of 45009 replies.
    rids: u64,
    /// Paths of APIs the sandbox does not serve that the account has (seeded).
    known: std::collections::BTreeSet<String>,
}

impl Inner {
    /// The counts of `today`: yesterday's are dropped.
    fn roll(&mut self, today: Date) {
        if self.day != Some(today) {
            self.day = Some(today);
            self.used.clear();
        }
    }
}

impl Quota {
    pub fn new(daily_limit: u64) -> Self {
        Quota {
            daily_limit,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One call of `path`: counted, or 45009 once today's limit is reached (the refused
    /// call does not count). Its errmsg ends in a `rid` as WeChat's do.
    pub fn spend(&self, path: &str, today: Date, now_secs: u64) -> Result<(), Failure> {
        let mut inner = self.lock();
        inner.roll(today);
        let used = inner.used.get(path).copied().unwrap_or(0);
        if used >= self.daily_limit {
            inner.rids += 1;
            let rid = format!("{now_secs:08x}-{:08x}-{:08x}", inner.rids, used);
            return Err(Failure::new(
                ErrCode::RateLimited,
                format!("reach max api daily quota limit rid: {rid}"),
            ));
        }
        inner.used.insert(path.to_owned(), used + 1);
        Ok(())
    }

    /// Makes `path` an API of the account although the sandbox does not serve it.
    pub fn know(&self, path: String) {
        self.lock().known.insert(path);
    }

    /// Whether `path` is a seeded API of the account.
    pub fn knows(&self, path: &str) -> bool {
        self.lock().known.contains(path)
    }

    /// Today's quota of `path`.
    pub fn usage(&self, path: &str, today: Date) -> Usage {
        let mut inner = self.lock();
        inner.roll(today);
        let used = inner.used.get(path).copied().unwrap_or(0);
        (
            self.daily_limit,
            used,
            self.daily_limit.saturating_sub(used),
        )
    }

    /// Sets today's counts of every API back to zero, if this month's clearings allow.
    pub fn clear(&self, today: Date) -> Result<(), Failure> {
        let mut inner = self.lock();
        let month = (today.year(), today.month() as u8);
        let made = inner.clearings.get(&month).copied().unwrap_or(0);
        if made >= CLEARINGS_PER_MONTH {
            return Err(Failure::new(
                ErrCode::ClearQuotaLimit,
                "forbid to clear quota because of reaching the limit",
            ));
        }
        inner.clearings.insert(month, made + 1);
        inner.used.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month;

    fn date(year: i32, month: u8, day: u8) -> Date {
        Date::from_calendar_date(year, Month::try_from(month).unwrap(), day).unwrap()
    }

    #[test]
    fn a_path_is_refused_past_its_limit_until_the_next_day_or_a_clearing() {
        let quota = Quota::new(2);
        let day = date(2025, 3, 1);
        quota.spend("/card/get", day, 1).unwrap();
        quota.spend("/card/get", day, 1).unwrap();
        let refused = quota.spend("/card/get", day, 1).unwrap_err();
        assert_eq!(refused.errcode, 45009);
        assert!(refused.errmsg.contains(" rid: "), "{}", refused.errmsg);
        assert_eq!(quota.usage("/card/get", day), (2, 2, 0));
        assert_eq!(quota.usage("/card/create", day), (2, 0, 2), "per path");
        quota.spend("/card/get", date(2025, 3, 2), 1).unwrap();
        assert_eq!(quota.usage("/card/get", date(2025, 3, 2)), (2, 1, 1));
        quota.clear(date(2025, 3, 2)).unwrap();
        assert_eq!(quota.usage("/card/get", date(2025, 3, 2)), (2, 0, 2));
    }

    #[test]
    fn ten_clearings_a_month() {
        let quota = Quota::new(1);
        for _ in 0..CLEARINGS_PER_MONTH {
            quota.clear(date(2025, 3, 31)).unwrap();
        }
        let refused = quota.clear(date(2025, 3, 31)).unwrap_err();
        assert_eq!(refused.errcode, 48006);
        quota.clear(date(2025, 4, 1)).unwrap();
    }
}
