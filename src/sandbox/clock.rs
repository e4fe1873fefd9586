//! The sandbox's clock: real time plus an offset that tests move forward, so tokens
//! expire, cards lapse and statistics roll over without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::{Date, OffsetDateTime};

/// The clock stops at the last instant a China date can show: 9999-12-31 23:59:59
/// China time (ms).
const END_MS: i64 = 253_402_271_999_000;

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let offset = self.offset_ms.load(Ordering::SeqCst);
        real.saturating_add(offset).clamp(0, END_MS) as u64
    }

    /// Moves the clock forward; however far, it stops at 9999-12-31 (never wraps).
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(by).min(END_MS))
            });
    }

    /// Today in China (UTC+8) by this clock: the statistics' "today".
    pub fn china_today(&self) -> Date {
        china_date(self.now_ms())
    }
}

/// The China (UTC+8) date of a Unix-milliseconds instant.
pub fn china_date(ms: u64) -> Date {
    let at = OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    crate::validate::china_date(at)
}

/// The last second (Unix time) of the China day holding the instant `unix`: where a
/// card valid "on the day it is claimed" (领取后当天有效) ends.
pub fn china_day_end(unix: i64) -> i64 {
    const DAY: i64 = 86_400;
    let offset = crate::validate::CHINA.whole_seconds() as i64;
    let local = unix + offset;
    local - local.rem_euclid(DAY) + DAY - 1 - offset
}

#[cfg(test)]
mod tests {
    use super::china_day_end;

    #[test]
    fn the_clock_stops_at_the_end_of_year_9999_however_far_it_is_moved() {
        let clock = super::Clock::default();
        clock.advance(std::time::Duration::from_secs(u64::MAX));
        clock.advance(std::time::Duration::from_secs(u64::MAX));
        assert_eq!(clock.now_ms(), super::END_MS as u64);
        assert_eq!(clock.china_today().to_string(), "9999-12-31");
    }

    #[test]
    fn a_china_day_ends_at_its_last_second() {
        // 2024-01-01 00:00:00 and 23:59:59 in UTC+8.
        let (midnight, last) = (1_704_038_400, 1_704_124_799);
        assert_eq!(china_day_end(midnight), last);
        assert_eq!(china_day_end(last), last);
        assert_eq!(china_day_end(last + 1), last + 86_400);
    }
}
