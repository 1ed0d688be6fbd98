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
