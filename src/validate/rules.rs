//! What the spec's rules mean, in one place: the runtime's `Checker` applies them to
//! requests, and the generator applies the same functions to the spec's documented
//! examples (so an example the runtime would refuse never reaches the docs).
//!
//! The generator includes this file with `#[path]` rather than depending on the
//! runtime crate (which would build its HTTP stack into the generator): keep it to
//! `std` and `time`, with no `crate::` paths.

use time::{Date, Month, OffsetDateTime, UtcOffset};

/// China Standard Time: WeChat's statistics count days in UTC+8.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// Today's date in China (UTC+8), the day WeChat's statistics count in.
pub fn china_today() -> Date {
    china_date(OffsetDateTime::now_utc())
}

/// The China (UTC+8) date of an instant.
pub fn china_date(at: OffsetDateTime) -> Date {
    at.to_offset(CHINA).date()
}

/// Parses `YYYY-MM-DD` strictly: four, two and two ASCII digits naming a real day.
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return None;
    }
    let year: i32 = s[0..4].parse().ok()?;
    let month: u8 = s[5..7].parse().ok()?;
    let day: u8 = s[8..10].parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// The bytes `max` 汉字 may take. WeChat counts a 汉字 as three UTF-8 bytes, so a
/// `max_chars` limit is a byte budget (spec/README.md, "Counting 汉字").
pub const fn hanzi_bytes(max: usize) -> usize {
    max * 3
}

/// `max_chars`: `value` fits in `max` 汉字.
pub fn fits_hanzi(value: &str, max: usize) -> bool {
    value.len() <= hanzi_bytes(max)
}

/// `format: color`: a card colour name, `Color` and three ASCII digits (card/getcolors
/// lists them: `Color010` … `Color100`).
pub fn is_color_name(value: &str) -> bool {
    value
        .strip_prefix("Color")
        .is_some_and(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// `format: decimal`: a decimal with at most two places, optionally negative, as the unified
/// invoicing API writes yuan amounts and tax rates (`159`, `135.9`, `23.10`, `0.17`).
pub fn is_decimal2(value: &str) -> bool {
    // A discount line (fphxz 1, 折扣行) carries a negative amount and tax: a sign is
    // allowed, never required.
    let unsigned = value.strip_prefix('-').unwrap_or(value);
    let (whole, places) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(places) && places.len() <= 2
}

/// `order`: `lower` comes before `higher`, or equals it when the rule is not strict.
pub fn in_order(lower: i64, higher: i64, strict: bool) -> bool {
    lower < higher || (!strict && lower == higher)
}

/// How a `date_range` window breaks its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRangeFault {
    /// The begin date is after the end date.
    Reversed,
    /// The window spans `days` days, more than `max`.
    TooLong { days: i64, max: i64 },
    /// The end date is today or later (statistics of today are not ready).
    NotBeforeToday,
}

/// Everything wrong with the window `begin ..= end`, in the order it is reported: a
/// reversed window has no length to check. `today` is given when the rule says
/// `before_today`.
pub fn date_range_faults(
    begin: Date,
    end: Date,
    max_days: Option<i64>,
    today: Option<Date>,
) -> Vec<DateRangeFault> {
    let mut faults = Vec::new();
    if begin > end {
        faults.push(DateRangeFault::Reversed);
    } else if let Some(max) = max_days {
        let days = (end - begin).whole_days();
        if days > max {
            faults.push(DateRangeFault::TooLong { days, max });
        }
    }
    if today.is_some_and(|today| end >= today) {
        faults.push(DateRangeFault::NotBeforeToday);
    }
    faults
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_names_are_color_and_three_digits() {
        assert!(is_color_name("Color010"));
        for bad in ["#10AD61", "Color10", "Color0100", "color010", "Color01a"] {
            assert!(!is_color_name(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn decimals_have_two_places_at_most() {
        for good in ["159", "135.9", "23.10", "0.17", "0", "-10.00", "-0.6"] {
            assert!(is_decimal2(good), "{good:?} refused");
        }
        for bad in [
            "1.005", "-", "--1", "-.5", "+1", "1.", ".5", "1,5", "", "0.1a", "１.0",
        ] {
            assert!(!is_decimal2(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn order_is_strict_only_when_asked() {
        assert!(in_order(1, 2, true) && in_order(1, 2, false));
        assert!(!in_order(2, 2, true) && in_order(2, 2, false));
        assert!(!in_order(3, 2, false));
    }
}
