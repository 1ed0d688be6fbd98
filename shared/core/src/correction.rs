//! Deadlines recomputed after a calendar change (service.md, "Working days": the calendar is data, and
//! a corrected year file can move a deadline that was already computed and stored).
//!
//! Pure: for one application and the calendar now in force, each stored deadline that the calendar
//! would put later today. A correction never shortens a deadline: a parent may already count on it.
//! The use case ([`crate::service::Service::correct_deadlines`]) commits the changes through
//! [`crate::lifecycle::apply`] with `Command::CorrectDeadlines`, one history entry per application.

use crate::calendar::Calendar;
use crate::domain::{Application, State, Status};
use crate::rules;
use crate::time::{local_date, Time};
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
    if matches!(app.status(), Status::Archived | Status::Enrolled) {
        return changes;
    }
    later(
        DeadlineField::ReconfirmBy,
        app.reconfirm_by,
        rules::reconfirm_by(calendar, app.reconfirm_base),
    );
    match &app.state {
        State::VoucherOffered { offer } => later(
            DeadlineField::ConfirmBy,
            offer.confirm_by,
            rules::confirm_by(calendar, local_date(offer.issued_at)),
        ),
        State::VoucherActive { confirmed, .. } => {
            let mut to = rules::choose_by(calendar, local_date(confirmed.confirmed_at));
            if confirmed.extended {
                to = rules::extended_choose_by(calendar, local_date(to));
            }
            later(DeadlineField::ChooseBy, confirmed.choose_by, to);
        }
        // The stop-list term runs from the day the offer lapsed, whatever that deadline was.
        State::StopListed { offer, restore_by } => later(
            DeadlineField::RestoreBy,
            *restore_by,
            rules::restore_by(calendar, local_date(offer.confirm_by)),
        ),
        _ => {}
    }
    changes
}

/// The application with `changes` applied (the caller bumps the version through the lifecycle).
pub fn with_changes(app: &Application, changes: &[DeadlineChange]) -> Application {
    let mut next = app.clone();
    for c in changes {
        match c.field {
            DeadlineField::ReconfirmBy => next.reconfirm_by = c.to,
            DeadlineField::RestoreBy => {
                if let State::StopListed { restore_by, .. } = &mut next.state {
                    *restore_by = c.to;
                }
            }
            DeadlineField::ConfirmBy => {
                if let State::VoucherOffered { offer } = &mut next.state {
                    offer.confirm_by = c.to;
                }
            }
            DeadlineField::ChooseBy => {
                if let State::VoucherActive { confirmed, .. } = &mut next.state {
                    confirmed.choose_by = c.to;
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
