//! One function per command: its guard, its deadline and what it changes. [`super::apply`] picks
//! the function, [`super::Transition::finish`] turns the change into a decision.

use super::*;

/// `Command::Reconfirm`.
pub(super) fn reconfirm(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
) -> Result<(), Refusal> {
    if app.state != State::Queued {
        return Err(Refusal::NotInStatus(app.status()));
    }
    if ctx.passed(app.reconfirm_by) {
        return Err(Refusal::DeadlinePassed);
    }
    let opens = start_of_day(local_date(app.reconfirm_by) - Duration::days(RECONFIRM_WINDOW_DAYS));
    if ctx.now < opens {
        return Err(Refusal::ReconfirmNotOpen);
    }
    next.reconfirm_base = add_months(app.reconfirm_base, RECONFIRM_MONTHS);
    next.reconfirm_by = reconfirm_by(ctx.calendar, next.reconfirm_base);
    t.notify(
        NotificationKind::Reconfirmed,
        [("reconfirm_by", Param::Time(next.reconfirm_by))],
    );
    Ok(())
}

/// `Command::OfferVoucher`.
pub(super) fn offer_voucher(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
    (run_id, log): (String, Option<RunLogRef>),
    age_group: AgeGroup,
) -> Result<(), Refusal> {
    if app.state != State::Queued {
        return Err(Refusal::NotInStatus(app.status()));
    }
    if ctx.passed(app.reconfirm_by) {
        return Err(Refusal::DeadlinePassed);
    }
    let confirm_by = confirm_by(ctx.calendar, ctx.today());
    next.state = State::VoucherOffered {
        offer: Offer {
            run_id,
            age_group,
            issued_at: ctx.now,
            confirm_by,
            log: log.clone(),
        },
    };
    t.effects.push(Effect::OfferVoucher {
        district: app.district.clone(),
        age_group,
    });
    let mut params = vec![("confirm_by", Param::Time(confirm_by))];
    if let Some(l) = log {
        params.push(("run_log_entry", Param::Number(l.seq)));
        params.push(("run_log_hash", Param::Text(l.hash)));
    }
    t.notify(NotificationKind::VoucherOffered, params);
    Ok(())
}

/// `Command::ConfirmVoucher`.
pub(super) fn confirm_voucher(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
    signed_with: SignedWith,
) -> Result<(), Refusal> {
    let State::VoucherOffered { offer } = &app.state else {
        return Err(Refusal::NotInStatus(app.status()));
    };
    if ctx.passed(offer.confirm_by) {
        return Err(Refusal::DeadlinePassed);
    }
    let choose_by = choose_by(ctx.calendar, ctx.today());
    next.state = State::VoucherActive {
        offer: offer.clone(),
        confirmed: Confirmed {
            confirmed_at: ctx.now,
            choose_by,
            extended: false,
        },
    };
    t.signed_with = Some(signed_with);
    t.notify(
        NotificationKind::VoucherConfirmed,
        [("choose_by", Param::Time(choose_by))],
    );
    Ok(())
}

/// `Command::Extend`.
pub(super) fn extend(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
) -> Result<(), Refusal> {
    let State::VoucherActive { offer, confirmed } = &app.state else {
        return Err(Refusal::NotInStatus(app.status()));
    };
    let choose_by = confirmed.choose_by;
    if ctx.passed(choose_by) {
        return Err(Refusal::DeadlinePassed);
    }
    if confirmed.extended {
        return Err(Refusal::ExtensionUsed);
    }
    if ctx.today() != local_date(choose_by) {
        return Err(Refusal::ExtensionNotAvailable);
    }
    let extended_to = extended_choose_by(ctx.calendar, local_date(choose_by));
    next.state = State::VoucherActive {
        offer: offer.clone(),
        confirmed: Confirmed {
            extended: true,
            choose_by: extended_to,
            ..confirmed.clone()
        },
    };
    t.notify(
        NotificationKind::Extended,
        [("choose_by", Param::Time(extended_to))],
    );
    Ok(())
}

/// `Command::Refuse`.
pub(super) fn refuse(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
) -> Result<(), Refusal> {
    if !app.status().holds_voucher() {
        return Err(Refusal::NotInStatus(app.status()));
    }
    before_deadline(app, ctx)?;
    archive(next, t, ArchiveReason::VoucherRefused);
    Ok(())
}

/// `Command::ChooseKindergarten`.
/// Whether a kindergarten may be chosen now: a confirmed voucher whose choice's deadline has not
/// passed (which kindergarten is checked by [`choose_kindergarten`]).
pub(super) fn choosing_open(app: &Application, ctx: Context<'_>) -> Result<(), Refusal> {
    let State::VoucherActive { confirmed, .. } = &app.state else {
        return Err(Refusal::NotInStatus(app.status()));
    };
    if ctx.passed(confirmed.choose_by) {
        return Err(Refusal::DeadlinePassed);
    }
    Ok(())
}

pub(super) fn choose_kindergarten(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
    kindergarten: &Kindergarten,
    signed_with: SignedWith,
) -> Result<(), Refusal> {
    choosing_open(app, ctx)?;
    let State::VoucherActive { offer, confirmed } = &app.state else {
        return Err(Refusal::NotInStatus(app.status()));
    };
    if kindergarten.district != app.district {
        return Err(Refusal::KindergartenWrongDistrict);
    }
    if kindergarten
        .free_places
        .get(&offer.age_group)
        .copied()
        .unwrap_or(0)
        == 0
    {
        return Err(Refusal::NoFreePlace);
    }
    next.state = State::Enrolled {
        offer: offer.clone(),
        confirmed: confirmed.clone(),
        kindergarten_id: kindergarten.id.clone(),
        enrolled_at: ctx.now,
    };
    t.signed_with = Some(signed_with);
    t.effects.push(Effect::TakePlace {
        kindergarten_id: kindergarten.id.clone(),
        district: app.district.clone(),
        age_group: offer.age_group,
    });
    let name = match app.language {
        Language::Kk => kindergarten.name_kk.clone(),
        _ => kindergarten.name_ru.clone(),
    };
    t.notify(
        NotificationKind::Enrolled,
        [
            ("kindergarten_name", Param::Text(name)),
            (
                "kindergarten_address",
                Param::Text(kindergarten.address.clone()),
            ),
        ],
    );
    Ok(())
}

/// `Command::Restore`.
pub(super) fn restore(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
) -> Result<(), Refusal> {
    let State::StopListed { restore_by, .. } = &app.state else {
        return Err(Refusal::NotInStatus(app.status()));
    };
    if app.restore_used {
        return Err(Refusal::RestoreUsed);
    }
    if ctx.passed(*restore_by) {
        return Err(Refusal::DeadlinePassed);
    }
    next.state = State::Queued;
    next.restore_used = true;
    // A restore confirms interest: a reconfirmation date that passed or would pass within
    // its window while the child was stop-listed moves on by a year.
    let window_opens = local_date(app.reconfirm_by) - Duration::days(RECONFIRM_WINDOW_DAYS);
    if ctx.today() >= window_opens {
        next.reconfirm_base = add_months(app.reconfirm_base, RECONFIRM_MONTHS);
        next.reconfirm_by = reconfirm_by(ctx.calendar, next.reconfirm_base);
    }
    t.notify(
        NotificationKind::Restored,
        [("position", Param::QueuePosition)],
    );
    Ok(())
}

/// `Command::Withdraw`.
pub(super) fn withdraw(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
) -> Result<(), Refusal> {
    in_queue(app)?;
    before_deadline(app, ctx)?;
    archive(next, t, ArchiveReason::Withdrawn);
    Ok(())
}

/// `Command::RejectPrivilege`.
pub(super) fn reject_privilege(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
    reason: String,
) -> Result<(), Refusal> {
    in_queue(app)?;
    match next.privilege.as_mut() {
        Some(p) if p.rejected.is_none() => {
            p.rejected = Some(PrivilegeRejection {
                reason: reason.clone(),
                at: ctx.now,
            });
        }
        _ => return Err(Refusal::NoPrivilegeClaim),
    }
    t.reason = Some(reason.clone());
    t.notify(
        NotificationKind::PrivilegeRejected,
        [
            ("reason", Param::Text(reason)),
            ("position", Param::QueuePosition),
        ],
    );
    Ok(())
}

/// `Command::VerifyPrivilege`: the claim stands as it is (its rank is unchanged); a claim
/// already rejected or already verified is not verified again.
pub(super) fn verify_privilege(
    app: &Application,
    next: &mut Application,
    ctx: Context<'_>,
) -> Result<(), Refusal> {
    in_queue(app)?;
    match next.privilege.as_mut() {
        Some(p) if p.rejected.is_none() && p.verified_at.is_none() => {
            p.verified_at = Some(ctx.now);
            Ok(())
        }
        _ => Err(Refusal::NoPrivilegeClaim),
    }
}

/// `Command::CorrectDeadlines`.
pub(super) fn correct_deadlines(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
    reason: String,
) -> Result<(), Refusal> {
    let changes = crate::correction::corrected_deadlines(app, ctx.calendar);
    if changes.is_empty() {
        return Err(Refusal::NothingDue);
    }
    *next = crate::correction::with_changes(next, &changes);
    t.reason = Some(crate::correction::reason(&changes, &reason));
    Ok(())
}

/// Queued or stop-listed (withdrawal, privilege rejection).
fn in_queue(app: &Application) -> Result<(), Refusal> {
    match app.state {
        State::Queued | State::StopListed { .. } => Ok(()),
        _ => Err(Refusal::NotInStatus(app.status())),
    }
}

/// The deadline of the application's status has not passed (a status without one has none).
fn before_deadline(app: &Application, ctx: Context<'_>) -> Result<(), Refusal> {
    match current_deadline(app) {
        Some(deadline) if ctx.passed(deadline) => Err(Refusal::DeadlinePassed),
        _ => Ok(()),
    }
}
