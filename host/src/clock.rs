//! The system clock, read the way the core wants time: whole seconds since
//! the Unix epoch, passed in by the caller.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::Error;

/// Seconds since 1970-01-01T00:00:00Z by the system clock.
///
/// Refuses a clock that reads before 1970 ([`Error::Clock`]) instead of
/// pretending it is 1970.
pub fn unix_now() -> Result<u64, Error> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Error::Clock)
}

/// The last second RFC 3339 with four-digit years can name:
/// 9999-12-31T23:59:59Z.
pub const MAX_RFC3339_SECS: u64 = 253_402_300_799;

const SECS_PER_DAY: u64 = 86_400;
/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const EPOCH_SHIFT_DAYS: u64 = 719_468;
const DAYS_PER_ERA: u64 = 146_097;

/// `secs` since the epoch as RFC 3339 in UTC with whole seconds, e.g.
/// `2026-03-01T12:00:00Z`; `None` after [`MAX_RFC3339_SECS`].
#[must_use]
pub fn format_rfc3339(secs: u64) -> Option<String> {
    if secs > MAX_RFC3339_SECS {
        return None;
    }
    let (days, rest) = (secs / SECS_PER_DAY, secs % SECS_PER_DAY);
    // Civil date from a day count (years start on 1 March so that the leap
    // day falls last; eras of 400 years repeat exactly).
    let shifted = days + EPOCH_SHIFT_DAYS;
    let era = shifted / DAYS_PER_ERA;
    let day_of_era = shifted % DAYS_PER_ERA;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    ))
}

/// Parses exactly the form [`format_rfc3339`] writes (`YYYY-MM-DDTHH:MM:SSZ`,
/// UTC, whole seconds, no leap second) into seconds since the epoch; `None`
/// for anything else, including dates before 1970 and impossible days.
#[must_use]
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20 {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0u64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
        })
    };
    let separators = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ];
    if separators.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if year < 1970 || !(1..=12).contains(&month) || day == 0 || hour > 23 || minute > 59 {
        return None;
    }
    if second > 59 {
        return None;
    }
    // Days before the date, counting years from 1 March (the inverse of
    // format_rfc3339's computation).
    let year_from_march = if month <= 2 { year - 1 } else { year };
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let era = year_from_march / 400;
    let year_of_era = year_from_march % 400;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = (era * DAYS_PER_ERA + day_of_era).checked_sub(EPOCH_SHIFT_DAYS)?;
    let secs = days * SECS_PER_DAY + hour * 3600 + minute * 60 + second;
    // An impossible day (31 April, 29 February 2025) lands in the next
    // month: the round trip catches it.
    (format_rfc3339(secs).as_deref() == Some(text)).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        // Unix times of well-known dates (computed independently with
        // `date -u -d ... +%s`).
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (951_868_799, "2000-02-29T23:59:59Z"),
            (1_709_251_199, "2024-02-29T23:59:59Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (MAX_RFC3339_SECS, "9999-12-31T23:59:59Z"),
        ];
        for (secs, text) in cases {
            assert_eq!(format_rfc3339(secs).as_deref(), Some(text));
            assert_eq!(parse_rfc3339(text), Some(secs), "{text}");
        }
        assert_eq!(format_rfc3339(MAX_RFC3339_SECS + 1), None);
    }

    #[test]
    fn rfc3339_round_trips_every_day_boundary() {
        let mut secs = 0;
        while secs < MAX_RFC3339_SECS {
            let text = format_rfc3339(secs).unwrap_or_default();
            assert_eq!(parse_rfc3339(&text), Some(secs), "{text}");
            secs += 86_400 * 7 - 1;
        }
    }

    #[test]
    fn rfc3339_refuses_other_forms() {
        for bad in [
            "",
            "2024-02-30T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T23:60:00Z",
            "2016-12-31T23:59:60Z",
            "1969-12-31T23:59:59Z",
            "2024-01-01t00:00:00Z",
            "2024-01-01T00:00:00z",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T00:00:00.5Z",
            "+024-01-01T00:00:00Z",
            "2024-01-01 00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
