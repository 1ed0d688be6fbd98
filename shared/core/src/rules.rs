//! The numbers of the rules (service.md, "The application lifecycle"): every term and limit by name.
//! [`crate::lifecycle`] decides with them; [`crate::correction`] recomputes stored deadlines with them.

/// Working days to confirm interest in an offered voucher.
pub const CONFIRM_WORKING_DAYS: u32 = 2;
/// Working days to choose a kindergarten and sign, counted from the day of confirmation.
pub const CHOOSE_WORKING_DAYS: u32 = 5;
/// Working days the one extension adds, on the last day of the choice.
pub const EXTENSION_WORKING_DAYS: u32 = 2;
/// Calendar days a stop-listed application may be restored in (once).
pub const RESTORE_CALENDAR_DAYS: i64 = 28;
/// Months between yearly reconfirmations.
pub const RECONFIRM_MONTHS: u32 = 12;
/// Days before `reconfirm_by` that reconfirmation opens.
pub const RECONFIRM_WINDOW_DAYS: i64 = 30;
/// Days before `reconfirm_by` that reminders go out.
pub const RECONFIRM_REMINDER_DAYS: [i64; 3] = [30, 7, 1];
/// A child must be under this age (full years) on the day of submission.
pub const MAX_AGE_AT_SUBMISSION: u32 = 7;
/// Local hour at which reminders go out (nobody gets an SMS at midnight).
pub const REMINDER_HOUR: u32 = 9;
/// Live (not archived) applications one applicant may hold at once: every child of a large
/// family, and twins or triplets, fit well under it; a stranger registering children in bulk
/// does not. A legal representative of more children applies through the district.
pub const MAX_LIVE_APPLICATIONS_PER_APPLICANT: u32 = 10;

use crate::calendar::Calendar;
use crate::time::Time;
use chrono::{Duration, NaiveDate};

// Each deadline, computed in one place from the day it counts from: the lifecycle decides with
// these, and a calendar correction recomputes stored deadlines with the same functions.

/// `reconfirm_by`: the reconfirmation base date, moved to a working day.
pub fn reconfirm_by(calendar: &Calendar, base: NaiveDate) -> Time {
    calendar.end_of_calendar_term(base)
}

/// `confirm_by`: the end of the 2nd working day after the day of the offer.
pub fn confirm_by(calendar: &Calendar, offered_on: NaiveDate) -> Time {
    calendar.end_of_nth_working_day_after(offered_on, CONFIRM_WORKING_DAYS)
}

/// `choose_by`: the end of the 5th working day after the day of confirmation.
pub fn choose_by(calendar: &Calendar, confirmed_on: NaiveDate) -> Time {
    calendar.end_of_nth_working_day_after(confirmed_on, CHOOSE_WORKING_DAYS)
}

/// `choose_by` after the one extension: 2 working days after the day of the old `choose_by`.
pub fn extended_choose_by(calendar: &Calendar, last_day: NaiveDate) -> Time {
    calendar.end_of_nth_working_day_after(last_day, EXTENSION_WORKING_DAYS)
}

/// `restore_by`: 28 calendar days after the day the offer lapsed, moved to a working day.
pub fn restore_by(calendar: &Calendar, lapsed_on: NaiveDate) -> Time {
    calendar.end_of_calendar_term(lapsed_on + Duration::days(RESTORE_CALENDAR_DAYS))
}
