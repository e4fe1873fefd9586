//! The sandbox's clock: real time plus an offset that tests move forward, so tokens
//! expire, cards lapse and statistics roll over without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::{Date, OffsetDateTime};

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
        (real + self.offset_ms.load(Ordering::SeqCst)).max(0) as u64
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
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
    fn a_china_day_ends_at_its_last_second() {
        // 2024-01-01 00:00:00 and 23:59:59 in UTC+8.
        let (midnight, last) = (1_704_038_400, 1_704_124_799);
        assert_eq!(china_day_end(midnight), last);
        assert_eq!(china_day_end(last), last);
        assert_eq!(china_day_end(last + 1), last + 86_400);
    }
}
