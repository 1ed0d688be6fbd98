//! The working-day calendar of the Republic of Kazakhstan (service.md, "Working days").
//!
//! Saturdays and Sundays are days off; so are the public holidays, with a non-religious holiday that
//! falls on a weekend moved to the next working day, and the single days the government moves by
//! decree. Each year is a data file (`data/calendar/<year>.toml`) shipped with the code and replaceable
//! by an operator without a rebuild ([`Calendar::from_toml`]). A year with no file falls back to the
//! statutory rule ([`statutory_days_off`]) without decree transfers.

use crate::time::{end_of_day, Time};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The shipped year files.
pub const BUILTIN_YEARS: [&str; 3] = [
    include_str!("../data/calendar/2025.toml"),
    include_str!("../data/calendar/2026.toml"),
    include_str!("../data/calendar/2027.toml"),
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("calendar file is not valid TOML: {0}")]
    Parse(String),
    #[error("calendar {year}: {date} is listed but is not in that year")]
    WrongYear { year: i32, date: NaiveDate },
    #[error("calendar {year}: {date} listed as a day off falls on a weekend")]
    WeekendDayOff { year: i32, date: NaiveDate },
    #[error("calendar {year}: {date} listed as a working weekend is a weekday")]
    WeekdayWorkingWeekend { year: i32, date: NaiveDate },
    #[error("calendar {year}: file says {expected} working days, the dates give {actual}")]
    WorkingDayCount {
        year: i32,
        expected: u32,
        actual: u32,
    },
}

#[derive(Deserialize)]
struct YearFile {
    year: i32,
    working_days: u32,
    #[serde(default)]
    day_off: Vec<Entry>,
    #[serde(default)]
    working_weekend: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    date: toml::value::Datetime,
}

#[derive(Debug, Clone, Default)]
struct Year {
    days_off: BTreeSet<NaiveDate>,
    working_weekends: BTreeSet<NaiveDate>,
}

/// Working days by year. Cheap to clone; built once per process for the shipped data.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

impl Calendar {
    /// The calendar from the shipped year files (checked by tests; never fails at run time).
    pub fn builtin() -> &'static Calendar {
        static CAL: OnceLock<Calendar> = OnceLock::new();
        CAL.get_or_init(|| Calendar::from_toml(&BUILTIN_YEARS).unwrap_or_default())
    }

    /// Builds a calendar from year files' texts, checking each file's dates and working-day count.
    pub fn from_toml(files: &[&str]) -> Result<Calendar, CalendarError> {
        let mut years = BTreeMap::new();
        for text in files {
            let file: YearFile =
                toml::from_str(text).map_err(|e| CalendarError::Parse(e.to_string()))?;
            let y = file.year;
            let to_date = |e: &Entry| -> Result<NaiveDate, CalendarError> {
                let d = e
                    .date
                    .date
                    .ok_or_else(|| CalendarError::Parse("entry without a date".into()))?;
                NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
                    .ok_or_else(|| CalendarError::Parse(format!("bad date {}", e.date)))
            };
            let mut year = Year::default();
            for e in &file.day_off {
                let date = to_date(e)?;
                if date.year() != y {
                    return Err(CalendarError::WrongYear { year: y, date });
                }
                if is_weekend(date) {
                    return Err(CalendarError::WeekendDayOff { year: y, date });
                }
                year.days_off.insert(date);
            }
            for e in &file.working_weekend {
                let date = to_date(e)?;
                if date.year() != y {
                    return Err(CalendarError::WrongYear { year: y, date });
                }
                if !is_weekend(date) {
                    return Err(CalendarError::WeekdayWorkingWeekend { year: y, date });
                }
                year.working_weekends.insert(date);
            }
            let actual = days_of_year(y)
                .filter(|d| {
                    if is_weekend(*d) {
                        year.working_weekends.contains(d)
                    } else {
                        !year.days_off.contains(d)
                    }
                })
                .count() as u32;
            if actual != file.working_days {
                return Err(CalendarError::WorkingDayCount {
                    year: y,
                    expected: file.working_days,
                    actual,
                });
            }
            years.insert(y, year);
        }
        Ok(Calendar { years })
    }

    /// The shipped years with `published` year files put over them (a published year replaces
    /// the shipped one of the same year), every file checked as [`Calendar::from_toml`] does.
    pub fn with_published(published: &[&str]) -> Result<Calendar, CalendarError> {
        let files: Vec<&str> = BUILTIN_YEARS
            .iter()
            .copied()
            .chain(published.iter().copied())
            .collect();
        Calendar::from_toml(&files)
    }

    /// The years that have a data file.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// Whether `date` is a working day in Kazakhstan.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.years.get(&date.year()) {
            Some(y) if is_weekend(date) => y.working_weekends.contains(&date),
            Some(y) => !y.days_off.contains(&date),
            None => !is_weekend(date) && !statutory_days_off(date.year()).contains(&date),
        }
    }

    /// The working days from `today` to `last_day`, both counted (none when `last_day` has
    /// passed): what a parent has left before a deadline that ends on `last_day`.
    pub fn working_days_left(&self, today: NaiveDate, last_day: NaiveDate) -> u32 {
        today
            .iter_days()
            .take_while(|d| *d <= last_day)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }

    /// The `n`th working day after `date` (the day itself is not counted).
    pub fn nth_working_day_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut d = date;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// "End of the Nth working day after the day of `date`": 23:59:59 Asia/Almaty of that day.
    pub fn end_of_nth_working_day_after(&self, date: NaiveDate, n: u32) -> Time {
        end_of_day(self.nth_working_day_after(date, n))
    }

    /// `date` if it is a working day, else the next working day.
    pub fn this_or_next_working_day(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        while !self.is_working_day(d) {
            d += Duration::days(1);
        }
        d
    }

    /// End of a term counted in calendar days: if its last day is a day off, the term ends at the
    /// end of the next working day (Civil Code of the Republic of Kazakhstan, article 177).
    pub fn end_of_calendar_term(&self, last_day: NaiveDate) -> Time {
        end_of_day(self.this_or_next_working_day(last_day))
    }

    /// Working days in a year (for checks and the docs).
    pub fn working_days_in(&self, year: i32) -> usize {
        days_of_year(year)
            .filter(|d| self.is_working_day(*d))
            .count()
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn days_of_year(year: i32) -> impl Iterator<Item = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1);
    first
        .into_iter()
        .flat_map(|f| f.iter_days())
        .take_while(move |d| d.year() == year)
}

/// Weekday days off by statute alone, for a year with no data file: the fixed public holidays, a
/// non-religious one on a weekend moved to the next free weekday. Kurban Ait and decree transfers
/// are not known without the year's file. Constitution Day was 30 August until 2025; the
/// Constitution adopted on 15 March 2026 made it 15 March, observed from 2027, so 2026 has none.
pub fn statutory_days_off(year: i32) -> BTreeSet<NaiveDate> {
    // (month, day, religious)
    const FIXED: [(u32, u32, bool); 13] = [
        (1, 1, false),
        (1, 2, false),
        (1, 7, true),
        (3, 8, false),
        (3, 21, false),
        (3, 22, false),
        (3, 23, false),
        (5, 1, false),
        (5, 7, false),
        (5, 9, false),
        (7, 6, false),
        (10, 25, false),
        (12, 16, false),
    ];
    let constitution_day = match year {
        ..=2025 => Some((8, 30, false)),
        2026 => None,
        _ => Some((3, 15, false)),
    };
    let fixed: Vec<(u32, u32, bool)> = FIXED.iter().copied().chain(constitution_day).collect();
    let holidays: BTreeSet<NaiveDate> = fixed
        .iter()
        .filter_map(|(m, d, _)| NaiveDate::from_ymd_opt(year, *m, *d))
        .collect();
    let mut off = BTreeSet::new();
    for (m, d, religious) in fixed {
        let Some(date) = NaiveDate::from_ymd_opt(year, m, d) else {
            continue;
        };
        if !is_weekend(date) {
            off.insert(date);
        } else if !religious {
            let mut moved = date + Duration::days(1);
            while is_weekend(moved) || holidays.contains(&moved) || off.contains(&moved) {
                moved += Duration::days(1);
            }
            off.insert(moved);
        }
    }
    off
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn shipped_files_load_and_cover_2025_to_2027() {
        let cal = Calendar::from_toml(&BUILTIN_YEARS).expect("shipped calendars are valid");
        assert_eq!(cal.years().collect::<Vec<_>>(), vec![2025, 2026, 2027]);
    }

    #[test]
    fn known_days_of_2026() {
        let cal = Calendar::builtin();
        for day in [
            d(2026, 1, 1),
            d(2026, 1, 2),
            d(2026, 1, 7),
            d(2026, 3, 9),
            d(2026, 3, 23),
            d(2026, 3, 24),
            d(2026, 3, 25),
            d(2026, 5, 1),
            d(2026, 5, 7),
            d(2026, 5, 11),
            d(2026, 5, 27),
            d(2026, 7, 6),
            d(2026, 10, 26),
            d(2026, 12, 16),
        ] {
            assert!(!cal.is_working_day(day), "{day} must be a day off");
        }
        for day in [
            d(2026, 3, 10),
            d(2026, 3, 26),
            d(2026, 5, 12),
            d(2026, 11, 23),
            // 30 August is no longer a holiday from 2026: its Monday after is a working day.
            d(2026, 8, 31),
        ] {
            assert!(cal.is_working_day(day), "{day} must be a working day");
        }
        assert!(!cal.is_working_day(d(2026, 11, 22)), "a Sunday");
        assert_eq!(cal.working_days_in(2026), 247);
    }

    #[test]
    fn constitution_day_is_15_march_from_2027() {
        let cal = Calendar::builtin();
        assert!(!cal.is_working_day(d(2027, 3, 15)), "Constitution Day 2027");
        assert!(cal.is_working_day(d(2027, 8, 30)), "30 August 2027");
        assert_eq!(cal.working_days_in(2027), 247);
        // A voucher offered on Thursday 27 August 2026: Friday 28, Monday 31 August.
        assert_eq!(
            cal.end_of_nth_working_day_after(d(2026, 8, 27), 2)
                .to_rfc3339(),
            "2026-08-31T23:59:59+05:00"
        );
        // Offered on Thursday 11 March 2027: Friday 12, (Monday 15 off), Tuesday 16 March.
        assert_eq!(
            cal.end_of_nth_working_day_after(d(2027, 3, 11), 2)
                .to_rfc3339(),
            "2027-03-16T23:59:59+05:00"
        );
        // A reconfirmation term ending on 15 March 2027 ends with the next working day.
        assert_eq!(
            cal.end_of_calendar_term(d(2027, 3, 15)).to_rfc3339(),
            "2027-03-16T23:59:59+05:00"
        );
    }

    #[test]
    fn statutory_constitution_day_follows_the_year() {
        // No file for these years: the rule alone.
        let far = Calendar::default();
        assert!(
            !far.is_working_day(d(2028, 3, 15)),
            "Wednesday 15 March 2028"
        );
        assert!(
            far.is_working_day(d(2028, 8, 30)),
            "Wednesday 30 August 2028"
        );
        assert!(!far.is_working_day(d(2024, 8, 30)), "Friday 30 August 2024");
        assert!(far.is_working_day(d(2024, 3, 15)), "Friday 15 March 2024");
        let y2026 = statutory_days_off(2026);
        assert!(!y2026.contains(&d(2026, 8, 31)) && !y2026.contains(&d(2026, 3, 16)));
        // 2027's file is the rule's list exactly (Kurban Ait falls on a Sunday that year).
        let cal = Calendar::builtin();
        let from_file: BTreeSet<NaiveDate> = days_of_year(2027)
            .filter(|x| !is_weekend(*x) && !cal.is_working_day(*x))
            .collect();
        assert_eq!(statutory_days_off(2027), from_file);
    }

    #[test]
    fn nth_working_day_skips_weekends_and_holidays() {
        let cal = Calendar::builtin();
        // Issued Friday 20 March 2026: 21-22 weekend, 23-25 Nauryz days off -> 26, 27.
        assert_eq!(cal.nth_working_day_after(d(2026, 3, 20), 2), d(2026, 3, 27));
        assert_eq!(
            cal.end_of_nth_working_day_after(d(2026, 3, 20), 2)
                .to_rfc3339(),
            "2026-03-27T23:59:59+05:00"
        );
        // Confirmed Thursday 5 March 2026: 6 (Fri), 9 off, 10, 11, 12, 13 -> 5th is 13 March.
        assert_eq!(cal.nth_working_day_after(d(2026, 3, 5), 5), d(2026, 3, 13));
        // Issued on a Saturday: the day itself does not count.
        assert_eq!(
            cal.nth_working_day_after(d(2026, 11, 21), 2),
            d(2026, 11, 24)
        );
    }

    #[test]
    fn working_days_left_count_today_and_the_last_day_and_skip_days_off() {
        let c = Calendar::builtin();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // Tuesday to Thursday: three.
        assert_eq!(c.working_days_left(d(12, 1), d(12, 3)), 3);
        // Friday to Monday: the weekend is not counted.
        assert_eq!(c.working_days_left(d(12, 4), d(12, 7)), 2);
        // Independence Day (16 December) is not counted.
        assert_eq!(c.working_days_left(d(12, 15), d(12, 18)), 3);
        // On a day off before the last day: only the last day.
        assert_eq!(c.working_days_left(d(12, 5), d(12, 7)), 1);
        // Passed.
        assert_eq!(c.working_days_left(d(12, 8), d(12, 7)), 0);
    }

    #[test]
    fn calendar_terms_ending_on_a_day_off_move_to_the_next_working_day() {
        let cal = Calendar::builtin();
        assert_eq!(
            cal.end_of_calendar_term(d(2026, 3, 22)).to_rfc3339(),
            "2026-03-26T23:59:59+05:00"
        );
        assert_eq!(
            cal.end_of_calendar_term(d(2026, 3, 26)).to_rfc3339(),
            "2026-03-26T23:59:59+05:00"
        );
    }

    #[test]
    fn statutory_fallback_matches_the_data_for_2026_but_kurban_ait() {
        let mut from_rule = statutory_days_off(2026);
        from_rule.insert(d(2026, 5, 27)); // Kurban Ait: only in the year's file
        let cal = Calendar::builtin();
        let from_file: BTreeSet<NaiveDate> = days_of_year(2026)
            .filter(|x| !is_weekend(*x) && !cal.is_working_day(*x))
            .collect();
        assert_eq!(from_rule, from_file);
        let far = Calendar::default();
        assert!(
            !far.is_working_day(d(2030, 3, 8)),
            "8 March 2030 is a Friday holiday"
        );
    }

    #[test]
    fn bad_files_are_refused() {
        let weekend =
            "year = 2026\nworking_days = 1\n[[day_off]]\ndate = 2026-03-08\nname = \"x\"\n";
        assert!(matches!(
            Calendar::from_toml(&[weekend]),
            Err(CalendarError::WeekendDayOff { .. })
        ));
        let count = "year = 2026\nworking_days = 250\n";
        assert!(matches!(
            Calendar::from_toml(&[count]),
            Err(CalendarError::WorkingDayCount { actual: 261, .. })
        ));
        assert!(matches!(
            Calendar::from_toml(&["year = "]),
            Err(CalendarError::Parse(_))
        ));
    }
}
