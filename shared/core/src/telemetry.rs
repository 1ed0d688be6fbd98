//! Business metrics, through the `metrics` facade: the Lambdas install a CloudWatch Embedded
//! Metric Format recorder (the operators' dashboard reads these names), elsewhere they go nowhere.
//! Every name the dashboard in `infra/template.yaml` uses is a constant here.

use crate::domain::{Action, Status};
use crate::views::SweepReport;

pub const SUBMISSIONS: &str = "submissions";
pub const RECONFIRMATIONS: &str = "reconfirmations";
pub const VOUCHERS_OFFERED: &str = "vouchers_offered";
pub const VOUCHERS_CONFIRMED: &str = "vouchers_confirmed";
pub const VOUCHERS_LAPSED: &str = "vouchers_lapsed";
pub const ENROLMENTS: &str = "enrolments";
pub const STOPLIST_RESTORES: &str = "stoplist_restores";
pub const ARCHIVED: &str = "archived";
pub const REMINDERS: &str = "reminders";
pub const APPLICATIONS: &str = "applications";
pub const SWEEP_ITEMS: &str = "sweep_items";
pub const SWEEP_LAPSED: &str = "sweep_lapsed";
pub const SWEEP_LAG_SECONDS: &str = "sweep_lag_seconds";
pub const NOTIFICATIONS_SENT: &str = "notifications_sent";
pub const NOTIFICATIONS_FAILED: &str = "notifications_failed";

/// Every metric name this service emits.
pub const ALL: &[&str] = &[
    SUBMISSIONS,
    RECONFIRMATIONS,
    VOUCHERS_OFFERED,
    VOUCHERS_CONFIRMED,
    VOUCHERS_LAPSED,
    ENROLMENTS,
    STOPLIST_RESTORES,
    ARCHIVED,
    REMINDERS,
    APPLICATIONS,
    SWEEP_ITEMS,
    SWEEP_LAPSED,
    SWEEP_LAG_SECONDS,
    NOTIFICATIONS_SENT,
    NOTIFICATIONS_FAILED,
];

/// The counter a committed transition adds to, per district.
pub fn transition_metric(action: Action, to: Status) -> Option<&'static str> {
    Some(match action {
        Action::Submit => SUBMISSIONS,
        Action::Reconfirm => RECONFIRMATIONS,
        Action::OfferVoucher => VOUCHERS_OFFERED,
        Action::ConfirmVoucher => VOUCHERS_CONFIRMED,
        Action::ExpireOffer => VOUCHERS_LAPSED,
        Action::ChooseKindergarten => ENROLMENTS,
        Action::Restore => STOPLIST_RESTORES,
        Action::Reminder => REMINDERS,
        _ if to == Status::Archived => ARCHIVED,
        _ => return None,
    })
}

/// Counts a committed transition (and an archiving, whatever caused it) for its district.
pub fn committed(district: &str, action: Action, to: Status) {
    if let Some(name) = transition_metric(action, to) {
        metrics::counter!(name, "district" => district.to_owned()).increment(1);
    }
    if to == Status::Archived && action == Action::ExpireOffer {
        metrics::counter!(ARCHIVED, "district" => district.to_owned()).increment(1);
    }
}

/// A sweep's figures; `lag_seconds` is how late it ran after its schedule.
pub fn sweep(report: &SweepReport, lag_seconds: Option<f64>) {
    let sweep = report.sweep.clone();
    metrics::counter!(SWEEP_ITEMS, "sweep" => sweep.clone()).increment(report.examined as u64);
    metrics::counter!(SWEEP_LAPSED, "sweep" => sweep.clone()).increment(report.lapsed as u64);
    if let Some(lag) = lag_seconds {
        metrics::gauge!(SWEEP_LAG_SECONDS, "sweep" => sweep).set(lag.max(0.0));
    }
}

/// Applications of a district in a status, as the store counts them.
pub fn applications(district: &str, status: Status, count: u64) {
    metrics::gauge!(APPLICATIONS, "district" => district.to_owned(), "status" => status.as_str())
        .set(count as f64);
}

/// A notification delivered (`sent`) or given up on, by channel.
pub fn notification(channel: &'static str, sent: bool) {
    let name = if sent {
        NOTIFICATIONS_SENT
    } else {
        NOTIFICATIONS_FAILED
    };
    metrics::counter!(name, "channel" => channel).increment(1);
}
