//! Deadlines recomputed after a calendar change (service.md, "Working days": the calendar is data, and
//! a corrected year file can move a deadline that was already computed and stored).
//!
//! Pure: for one application and the calendar now in force, each stored deadline that the calendar
//! would put later today. A correction never shortens a deadline: a parent may already count on it.
//! The use case ([`crate::service::Service::correct_deadlines`]) commits the changes through
//! [`crate::lifecycle::apply`] with `Command::CorrectDeadlines`, one history entry per application.

use crate::calendar::Calendar;
use crate::domain::{Application, Status};
use crate::rules::{
    CHOOSE_WORKING_DAYS, CONFIRM_WORKING_DAYS, EXTENSION_WORKING_DAYS, RESTORE_CALENDAR_DAYS,
};
use crate::time::{local_date, Time};
use chrono::Duration;
use serde::Serialize;

/// Which stored deadline moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineField {
    ReconfirmBy,
    ConfirmBy,
    ChooseBy,
    RestoreBy,
}

impl DeadlineField {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineField::ReconfirmBy => "reconfirm_by",
            DeadlineField::ConfirmBy => "confirm_by",
            DeadlineField::ChooseBy => "choose_by",
            DeadlineField::RestoreBy => "restore_by",
        }
    }
}

/// One deadline that the calendar in force puts later than the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineChange {
    pub field: DeadlineField,
    pub from: Time,
    pub to: Time,
}

/// The deadlines of a live application that `calendar` puts later than stored, each recomputed
/// from what it was computed from (the reconfirmation base date, the day of the offer, of the
/// confirmation, of the lapse). Empty when nothing moves later, and for archived and enrolled
/// applications (they have no deadline left).
pub fn corrected_deadlines(app: &Application, calendar: &Calendar) -> Vec<DeadlineChange> {
    let mut changes = Vec::new();
    let mut later = |field, from: Time, to: Time| {
        if to > from {
            changes.push(DeadlineChange { field, from, to });
        }
    };
    if matches!(app.status, Status::Archived | Status::Enrolled) {
        return changes;
    }
    later(
        DeadlineField::ReconfirmBy,
        app.reconfirm_by,
        calendar.end_of_calendar_term(app.reconfirm_base),
    );
    if let Some(v) = &app.voucher {
        match app.status {
            Status::VoucherOffered => later(
                DeadlineField::ConfirmBy,
                v.confirm_by,
                calendar
                    .end_of_nth_working_day_after(local_date(v.issued_at), CONFIRM_WORKING_DAYS),
            ),
            Status::VoucherActive => {
                if let (Some(confirmed_at), Some(choose_by)) = (v.confirmed_at, v.choose_by) {
                    let mut to = calendar.end_of_nth_working_day_after(
                        local_date(confirmed_at),
                        CHOOSE_WORKING_DAYS,
                    );
                    if v.extended {
                        to = calendar
                            .end_of_nth_working_day_after(local_date(to), EXTENSION_WORKING_DAYS);
                    }
                    later(DeadlineField::ChooseBy, choose_by, to);
                }
            }
            _ => {}
        }
    }
    if let (Status::StopListed, Some(restore_by), Some(v)) =
        (app.status, app.restore_by, &app.voucher)
    {
        // The stop-list term runs from the day the offer lapsed, whatever that deadline was.
        later(
            DeadlineField::RestoreBy,
            restore_by,
            calendar.end_of_calendar_term(
                local_date(v.confirm_by) + Duration::days(RESTORE_CALENDAR_DAYS),
            ),
        );
    }
    changes
}

/// The application with `changes` applied (the caller bumps the version through the lifecycle).
pub fn with_changes(app: &Application, changes: &[DeadlineChange]) -> Application {
    let mut next = app.clone();
    for c in changes {
        match c.field {
            DeadlineField::ReconfirmBy => next.reconfirm_by = c.to,
            DeadlineField::RestoreBy => next.restore_by = Some(c.to),
            DeadlineField::ConfirmBy => {
                if let Some(v) = next.voucher.as_mut() {
                    v.confirm_by = c.to;
                }
            }
            DeadlineField::ChooseBy => {
                if let Some(v) = next.voucher.as_mut() {
                    v.choose_by = Some(c.to);
                }
            }
        }
    }
    next
}

/// The history entry's reason: what moved, from when to when, and why.
pub fn reason(changes: &[DeadlineChange], why: &str) -> String {
    let moved: Vec<String> = changes
        .iter()
        .map(|c| {
            format!(
                "{} {} -> {}",
                c.field.as_str(),
                c.from.to_rfc3339(),
                c.to.to_rfc3339()
            )
        })
        .collect();
    format!("{}: {}", why, moved.join("; "))
}
