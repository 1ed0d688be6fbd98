//! The application lifecycle (service.md, "The application lifecycle"): every status, transition,
//! guard and deadline, as pure functions of (application, command, now, calendar).
//!
//! Nothing else changes an application's status. A transition gives a [`Decision`]: the new state,
//! its history entry, the notifications to send and the effects on shared counters (places,
//! vouchers, the one-live-application-per-child lock), which the store commits in one transaction.
//! Or it gives a typed [`Refusal`].
//!
//! Deadlines are 23:59:59 Asia/Almaty of a working day; an instant after a deadline has passed it.
//! A parent's action after its deadline is refused with [`Refusal::DeadlinePassed`] even before the
//! sweep acted, so a deadline and a parent's action never both win.

use crate::calendar::Calendar;
use crate::domain::*;
use crate::iin::Iin;
use crate::queue::{age_on, AgeGroup};
use crate::reference::{District, Reference};
use crate::time::{at_local, end_of_day, local_date, start_of_day, Time};
use chrono::{Duration, Months, NaiveDate, NaiveTime};
use std::collections::BTreeMap;

pub use crate::rules::*;

mod commands;

/// What a parent, operator or schedule asks of an existing application.
#[derive(Debug, Clone)]
pub enum Command {
    /// Yearly reconfirmation of interest.
    Reconfirm,
    /// A voucher run picks the application.
    OfferVoucher {
        run_id: String,
        age_group: AgeGroup,
        /// The run's first entry in the district's log, written before its offers.
        log: Option<RunLogRef>,
    },
    ConfirmVoucher {
        signed_with: SignedWith,
    },
    /// The one-time +2 working days, on the last day of the choice.
    Extend,
    /// Refuse the voucher: the child leaves the queue.
    Refuse,
    /// Recompute the stored deadlines with the calendar in force (a corrected year file); only
    /// ever later (`correction`). `reason` says why, for the history.
    CorrectDeadlines {
        reason: String,
    },
    /// Choose a kindergarten and sign the contract.
    ChooseKindergarten {
        kindergarten: Box<Kindergarten>,
        signed_with: SignedWith,
    },
    /// Restore from the stop-list (once).
    Restore,
    /// Leave the queue.
    Withdraw,
    /// An operator rejects the privilege claim: the child moves to the general order.
    RejectPrivilege {
        reason: String,
    },
    /// An operator checked the privilege claim's documents and found them right.
    VerifyPrivilege,
    /// A sweep: act on a passed deadline, or send the reminders that are due.
    Sweep,
}

/// Which scheduled sweep looks after an application in its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sweep {
    /// Voucher offers, voucher choices and the stop-list.
    Expiry,
    /// Yearly reconfirmation: reminders and removal.
    Reconfirmation,
}

impl Sweep {
    pub fn as_str(self) -> &'static str {
        match self {
            Sweep::Expiry => "expiry",
            Sweep::Reconfirmation => "reconfirmation",
        }
    }

    pub fn parse(s: &str) -> Option<Sweep> {
        match s {
            "expiry" => Some(Sweep::Expiry),
            "reconfirmation" => Some(Sweep::Reconfirmation),
            _ => None,
        }
    }
}

/// A change to shared state that commits with the transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A voucher is offered from the district's places of an age group: the store refuses it
    /// when the outstanding vouchers would exceed the free places.
    OfferVoucher {
        district: String,
        age_group: AgeGroup,
    },
    /// An outstanding voucher ends without a place being taken.
    ReleaseVoucher {
        district: String,
        age_group: AgeGroup,
    },
    /// A place is taken for good: the kindergarten's free places for the age group go down by
    /// one, never below zero, and the voucher is no longer outstanding.
    TakePlace {
        kindergarten_id: String,
        district: String,
        age_group: AgeGroup,
    },
    /// The application is archived: the child may be submitted again.
    ReleaseChild { child_iin: Iin },
}

/// The outcome of a transition, committed as one unit.
#[derive(Debug, Clone)]
pub struct Decision {
    pub application: Application,
    pub previous_status: Option<Status>,
    pub history: HistoryEntry,
    pub notifications: Vec<Notification>,
    pub effects: Vec<Effect>,
}

/// Why a command is refused. Nothing changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not allowed in status {0}")]
    NotInStatus(Status),
    #[error("the deadline for this action has passed")]
    DeadlinePassed,
    #[error("the one restore from the stop-list was already used")]
    RestoreUsed,
    #[error("the one extension was already used")]
    ExtensionUsed,
    #[error("extension only on the last day of the choice")]
    ExtensionNotAvailable,
    #[error("reconfirmation opens 30 days before reconfirm_by")]
    ReconfirmNotOpen,
    #[error("no privilege claim to reject")]
    NoPrivilegeClaim,
    #[error("the kindergarten is not in the child's district")]
    KindergartenWrongDistrict,
    #[error("no free place for the child's age group")]
    NoFreePlace,
    #[error("nothing is due")]
    NothingDue,
    #[error("the child must be under 7 on the day of submission")]
    ChildTooOld,
    #[error("the child's birth date is in the future")]
    ChildNotBorn,
    #[error("the applicant cannot be the child")]
    ApplicantIsChild,
    #[error("unknown privilege category")]
    UnknownPrivilege,
    #[error("a privilege claim needs at least one document")]
    PrivilegeDocumentsRequired,
}

/// The time and data a transition is decided with.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub now: Time,
    pub calendar: &'a Calendar,
    pub reference: &'a Reference,
}

impl Context<'_> {
    fn today(&self) -> NaiveDate {
        local_date(self.now)
    }

    fn passed(&self, deadline: Time) -> bool {
        self.now > deadline
    }
}

/// A new application as the submit use case has validated it.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub id: String,
    pub registration_seq: u64,
    pub district: District,
    pub applicant_iin: Iin,
    pub child_iin: Iin,
    /// From the individuals register.
    pub child_birth_date: NaiveDate,
    pub email: String,
    pub phone: String,
    pub language: Language,
    pub privilege: Option<(String, Vec<String>)>,
    pub signed_with: SignedWith,
}

/// `<district prefix>.<year>.<sequence>`, e.g. `КОК.2026.248`.
pub fn registration_number(district: &District, year: i32, seq: u64) -> String {
    format!("{}.{year}.{seq}", district.prefix)
}

/// Submit: a new application in `queued` (service.md, "— submit → queued").
pub fn submit(new: NewApplication, ctx: Context<'_>) -> Result<Decision, Refusal> {
    let today = ctx.today();
    if new.applicant_iin == new.child_iin {
        return Err(Refusal::ApplicantIsChild);
    }
    if new.child_birth_date > today {
        return Err(Refusal::ChildNotBorn);
    }
    if age_on(new.child_birth_date, today) >= MAX_AGE_AT_SUBMISSION {
        return Err(Refusal::ChildTooOld);
    }
    let privilege = match new.privilege {
        None => None,
        Some((category, document_ids)) => {
            if ctx.reference.privilege(&category).is_none() {
                return Err(Refusal::UnknownPrivilege);
            }
            if document_ids.is_empty() {
                return Err(Refusal::PrivilegeDocumentsRequired);
            }
            Some(PrivilegeClaim {
                category,
                document_ids,
                rejected: None,
                verified_at: None,
            })
        }
    };
    let reconfirm_base = add_months(today, RECONFIRM_MONTHS);
    use chrono::Datelike;
    let app = Application {
        registration_number: registration_number(&new.district, today.year(), new.registration_seq),
        id: new.id,
        version: 1,
        registration_seq: new.registration_seq,
        state: State::Queued,
        district: new.district.code.clone(),
        applicant_iin: new.applicant_iin.clone(),
        child_iin: new.child_iin,
        child_birth_date: new.child_birth_date,
        email: new.email,
        phone: new.phone,
        language: new.language,
        privilege,
        registered_at: ctx.now,
        reconfirm_base,
        reconfirm_by: reconfirm_by(ctx.calendar, reconfirm_base),
        restore_used: false,
        reminders_sent: Default::default(),
        updated_at: ctx.now,
    };
    let mut t = Transition::new(&app, None, ctx, Action::Submit);
    t.signed_with = Some(new.signed_with);
    t.actor = Actor::Parent {
        iin: new.applicant_iin,
    };
    t.notify(
        NotificationKind::Registered,
        [
            ("district", Param::District(app.district.clone())),
            ("position", Param::QueuePosition),
            ("reconfirm_by", Param::Time(app.reconfirm_by)),
        ],
    );
    Ok(t.finish(app))
}

/// Applies a command to an application at `ctx.now`.
/// Whether the parent may choose a kindergarten now (the choice itself is checked by [`apply`]
/// with the kindergarten: its district and its free places).
pub fn choosing_open(app: &Application, ctx: Context<'_>) -> bool {
    commands::choosing_open(app, ctx).is_ok()
}

pub fn apply(
    app: &Application,
    command: Command,
    actor: &Actor,
    ctx: Context<'_>,
) -> Result<Decision, Refusal> {
    let mut next = app.clone();
    let status = app.status();
    let action = match &command {
        Command::Reconfirm => Action::Reconfirm,
        Command::OfferVoucher { .. } => Action::OfferVoucher,
        Command::ConfirmVoucher { .. } => Action::ConfirmVoucher,
        Command::Extend => Action::Extend,
        Command::Refuse => Action::Refuse,
        Command::ChooseKindergarten { .. } => Action::ChooseKindergarten,
        Command::Restore => Action::Restore,
        Command::Withdraw => Action::Withdraw,
        Command::RejectPrivilege { .. } => Action::PrivilegeRejected,
        Command::VerifyPrivilege => Action::PrivilegeVerified,
        Command::Sweep => Action::Reminder, // replaced below when a deadline is acted on
        Command::CorrectDeadlines { .. } => Action::DeadlinesCorrected,
    };
    let mut t = Transition::new(app, Some(status), ctx, action);
    t.actor = actor.clone();

    match command {
        Command::Reconfirm => commands::reconfirm(app, &mut next, &mut t, ctx)?,
        Command::OfferVoucher {
            run_id,
            age_group,
            log,
        } => commands::offer_voucher(app, &mut next, &mut t, ctx, (run_id, log), age_group)?,
        Command::ConfirmVoucher { signed_with } => {
            commands::confirm_voucher(app, &mut next, &mut t, ctx, signed_with)?
        }
        Command::Extend => commands::extend(app, &mut next, &mut t, ctx)?,
        Command::Refuse => commands::refuse(app, &mut next, &mut t, ctx)?,
        Command::ChooseKindergarten {
            kindergarten,
            signed_with,
        } => {
            commands::choose_kindergarten(app, &mut next, &mut t, ctx, &kindergarten, signed_with)?
        }
        Command::Restore => commands::restore(app, &mut next, &mut t, ctx)?,
        Command::Withdraw => commands::withdraw(app, &mut next, &mut t, ctx)?,
        Command::RejectPrivilege { reason } => {
            commands::reject_privilege(app, &mut next, &mut t, ctx, reason)?
        }
        Command::VerifyPrivilege => commands::verify_privilege(app, &mut next, ctx)?,
        Command::Sweep => sweep(app, &mut next, &mut t, ctx)?,
        Command::CorrectDeadlines { reason } => {
            commands::correct_deadlines(app, &mut next, &mut t, ctx, reason)?
        }
    }
    Ok(t.finish(next))
}

/// The deadline in force in the application's status, if any.
pub fn current_deadline(app: &Application) -> Option<Time> {
    match &app.state {
        State::Queued => Some(app.reconfirm_by),
        State::VoucherOffered { offer } => Some(offer.confirm_by),
        State::VoucherActive { confirmed, .. } => Some(confirmed.choose_by),
        State::StopListed { restore_by, .. } => Some(*restore_by),
        State::Enrolled { .. } | State::Archived { .. } => None,
    }
}

/// A reminder the service plans to send before a deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedReminder {
    /// Unique per application and deadline: a reminder with a sent key never goes out again.
    pub key: String,
    pub due: Time,
    pub kind: NotificationKind,
}

/// The reminders of the application's current status, earliest first.
pub fn planned_reminders(app: &Application) -> Vec<PlannedReminder> {
    let at9 = |d: NaiveDate| {
        at_local(
            d,
            NaiveTime::from_hms_opt(REMINDER_HOUR, 0, 0).unwrap_or(NaiveTime::MIN),
        )
    };
    let mut out = Vec::new();
    match &app.state {
        State::Queued => {
            let by = local_date(app.reconfirm_by);
            for days in RECONFIRM_REMINDER_DAYS {
                out.push(PlannedReminder {
                    key: format!("reconfirm:{}:{days}", app.reconfirm_base),
                    due: at9(by - Duration::days(days)),
                    kind: NotificationKind::ReconfirmReminder,
                });
            }
        }
        State::VoucherOffered { offer } => out.push(PlannedReminder {
            key: format!("confirm:{}", offer.confirm_by.timestamp()),
            due: at9(local_date(offer.confirm_by) - Duration::days(1)),
            kind: NotificationKind::VoucherConfirmReminder,
        }),
        State::VoucherActive { confirmed, .. } => {
            let by = confirmed.choose_by;
            out.push(PlannedReminder {
                key: format!("choose:{}", by.timestamp()),
                due: at9(local_date(by) - Duration::days(1)),
                kind: NotificationKind::ChooseReminder,
            });
            if !confirmed.extended {
                out.push(PlannedReminder {
                    key: format!("extension:{}", by.timestamp()),
                    due: at9(local_date(by)),
                    kind: NotificationKind::ExtensionAvailable,
                });
            }
        }
        _ => {}
    }
    out.sort_by_key(|r| r.due);
    out
}

/// When a sweep next has work on this application, and which sweep: the earliest unsent reminder
/// or the deadline of its status. `None` for final statuses.
pub fn next_due(app: &Application) -> Option<(Sweep, Time)> {
    let sweep = match app.status() {
        Status::Queued => Sweep::Reconfirmation,
        Status::VoucherOffered | Status::VoucherActive | Status::StopListed => Sweep::Expiry,
        Status::Enrolled | Status::Archived => return None,
    };
    let deadline = current_deadline(app)?;
    let reminder = planned_reminders(app)
        .into_iter()
        .filter(|r| !app.reminders_sent.contains(&r.key) && r.due < deadline)
        .map(|r| r.due)
        .min();
    Some((sweep, reminder.map_or(deadline, |r| r.min(deadline))))
}

fn sweep(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
) -> Result<(), Refusal> {
    let Some(deadline) = current_deadline(app) else {
        return Err(Refusal::NotInStatus(app.status()));
    };
    if ctx.passed(deadline) {
        t.actor = Actor::System;
        match &app.state {
            State::Queued => {
                t.action = Action::NotReconfirmed;
                archive(next, t, ArchiveReason::NotReconfirmed);
            }
            State::VoucherOffered { .. } if app.restore_used => {
                t.action = Action::ExpireOffer;
                archive(next, t, ArchiveReason::VoucherLapsed);
            }
            State::VoucherOffered { offer } => {
                t.action = Action::ExpireOffer;
                let restore_by = restore_by(ctx.calendar, local_date(deadline));
                next.state = State::StopListed {
                    offer: offer.clone(),
                    restore_by,
                };
                t.notify(
                    NotificationKind::StopListed,
                    [("restore_by", Param::Time(restore_by))],
                );
            }
            State::VoucherActive { .. } => {
                t.action = Action::ExpireChoice;
                archive(next, t, ArchiveReason::NotEnrolled);
            }
            State::StopListed { .. } => {
                t.action = Action::ExpireStopList;
                archive(next, t, ArchiveReason::StopListExpired);
            }
            State::Enrolled { .. } | State::Archived { .. } => {
                return Err(Refusal::NotInStatus(app.status()))
            }
        }
        return Ok(());
    }
    // Reminders: of those due and unsent, the latest goes out (once); the earlier ones are
    // marked sent with it, so a late sweep never sends a stale "30 days left".
    let due: Vec<PlannedReminder> = planned_reminders(app)
        .into_iter()
        .filter(|r| r.due <= ctx.now && !app.reminders_sent.contains(&r.key))
        .collect();
    let Some(last) = due.last().cloned() else {
        return Err(Refusal::NothingDue);
    };
    for r in &due {
        next.reminders_sent.insert(r.key.clone());
    }
    t.actor = Actor::System;
    t.action = Action::Reminder;
    t.reason = Some(last.key.clone());
    let days_left = (local_date(deadline) - ctx.today()).num_days().max(0) as u64;
    let deadline_param = match last.kind {
        NotificationKind::ReconfirmReminder => "reconfirm_by",
        NotificationKind::VoucherConfirmReminder => "confirm_by",
        _ => "choose_by",
    };
    t.notify(
        last.kind,
        [
            (deadline_param, Param::Time(deadline)),
            ("days", Param::Number(days_left)),
        ],
    );
    Ok(())
}

fn archive(next: &mut Application, t: &mut Transition, reason: ArchiveReason) {
    next.state = State::Archived {
        reason,
        voucher: next.voucher(),
    };
    t.reason = Some(reason.as_str().to_owned());
    t.notify(
        NotificationKind::Archived,
        [("reason", Param::Reason(reason))],
    );
}

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    // 29 February + 12 months is 28 February (chrono clamps to the month's last day).
    d.checked_add_months(Months::new(months)).unwrap_or(d)
}

/// The parts of a decision gathered while a command is applied.
struct Transition {
    from: Option<Status>,
    prev: Option<Application>,
    now: Time,
    action: Action,
    actor: Actor,
    reason: Option<String>,
    signed_with: Option<SignedWith>,
    notifications: Vec<(NotificationKind, BTreeMap<String, Param>)>,
    effects: Vec<Effect>,
}

impl Transition {
    fn new(app: &Application, from: Option<Status>, ctx: Context<'_>, action: Action) -> Self {
        Transition {
            from,
            prev: from.map(|_| app.clone()),
            now: ctx.now,
            action,
            actor: Actor::System,
            reason: None,
            signed_with: None,
            notifications: Vec::new(),
            effects: Vec::new(),
        }
    }

    fn notify(
        &mut self,
        kind: NotificationKind,
        params: impl IntoIterator<Item = (&'static str, Param)>,
    ) {
        let map = params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        self.notifications.push((kind, map));
    }

    fn finish(mut self, mut app: Application) -> Decision {
        if let Some(prev) = &self.prev {
            app.version = prev.version + 1;
            // Effects that follow from the status change alone.
            let from = prev.status();
            if let (true, Some(offer)) = (from.holds_voucher(), prev.state.offer()) {
                if !app.status().holds_voucher() && app.status() != Status::Enrolled {
                    self.effects.push(Effect::ReleaseVoucher {
                        district: prev.district.clone(),
                        age_group: offer.age_group,
                    });
                }
            }
        }
        if app.status() == Status::Archived && self.from != Some(Status::Archived) {
            self.effects.push(Effect::ReleaseChild {
                child_iin: app.child_iin.clone(),
            });
        }
        app.updated_at = self.now;
        let notifications = self
            .notifications
            .into_iter()
            .map(|(kind, mut params)| {
                params.insert(
                    "registration_number".into(),
                    Param::Text(app.registration_number.clone()),
                );
                Notification {
                    id: format!("{}:{}:{}", app.id, app.version, kind.as_str()),
                    application_id: Some(app.id.clone()),
                    kind,
                    language: app.language,
                    email: Some(app.email.clone()),
                    phone: Some(app.phone.clone()),
                    params,
                    created_at: self.now,
                }
            })
            .collect();
        Decision {
            history: HistoryEntry {
                application_id: app.id.clone(),
                version: app.version,
                at: self.now,
                actor: self.actor,
                action: self.action,
                from: self.from,
                to: app.status(),
                reason: self.reason,
                signed_with: self.signed_with,
            },
            previous_status: self.from,
            application: app,
            notifications,
            effects: self.effects,
        }
    }
}

/// The instant a deadline day ends (re-exported for the use cases and tests).
pub fn deadline_of(date: NaiveDate) -> Time {
    end_of_day(date)
}
