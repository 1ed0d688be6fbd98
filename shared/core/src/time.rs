//! Business time: every instant the service shows or decides on is in Asia/Almaty
//! (UTC+5 all year since 2024-03-01).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Almaty;

/// An instant with its Asia/Almaty offset, as the API shows it (`2026-03-25T23:59:59+05:00`).
pub type Time = DateTime<FixedOffset>;

/// The instant in Asia/Almaty time.
pub fn local(t: DateTime<Utc>) -> Time {
    t.with_timezone(&Almaty).fixed_offset()
}

/// The Asia/Almaty calendar date of an instant.
pub fn local_date(t: Time) -> NaiveDate {
    t.with_timezone(&Almaty).date_naive()
}

/// `hh:mm:ss` of a local date in Asia/Almaty.
pub fn at_local(date: NaiveDate, time: NaiveTime) -> Time {
    let naive = date.and_time(time);
    match Almaty.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.fixed_offset(),
        chrono::LocalResult::Ambiguous(a, _) => a.fixed_offset(),
        // No gaps in Almaty since 2024; fall back to UTC+5 for any historic gap.
        chrono::LocalResult::None => FixedOffset::east_opt(5 * 3600)
            .and_then(|o| o.from_local_datetime(&naive).single())
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive).fixed_offset()),
    }
}

/// 23:59:59 of a local date: the end of a deadline day.
pub fn end_of_day(date: NaiveDate) -> Time {
    at_local(
        date,
        NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN),
    )
}

/// 00:00:00 of a local date.
pub fn start_of_day(date: NaiveDate) -> Time {
    at_local(date, NaiveTime::MIN)
}

/// Local date and time as parents read it: `25.03.2026 23:59`.
pub fn display(t: Time) -> String {
    t.with_timezone(&Almaty)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn almaty_is_utc_plus_5_all_year() {
        for (m, d) in [(1, 15), (3, 29), (7, 1), (10, 30), (12, 31)] {
            let t = end_of_day(NaiveDate::from_ymd_opt(2026, m, d).unwrap());
            assert_eq!(t.offset().local_minus_utc(), 5 * 3600);
            assert_eq!(t.to_rfc3339(), format!("2026-{m:02}-{d:02}T23:59:59+05:00"));
        }
        let utc = Utc.with_ymd_and_hms(2026, 3, 24, 19, 30, 0).unwrap();
        assert_eq!(
            local_date(local(utc)),
            NaiveDate::from_ymd_opt(2026, 3, 25).unwrap()
        );
        assert_eq!(display(local(utc)), "25.03.2026 00:30");
    }
}
