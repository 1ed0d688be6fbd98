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
    use Status::*;
    let status = app.status;
    let not_in = || Err(Refusal::NotInStatus(status));
    if status != Queued {
        return not_in();
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
    run_id: String,
    age_group: AgeGroup,
) -> Result<(), Refusal> {
    use Status::*;
    let status = app.status;
    let not_in = || Err(Refusal::NotInStatus(status));
    if status != Queued {
        return not_in();
    }
    if ctx.passed(app.reconfirm_by) {
        return Err(Refusal::DeadlinePassed);
    }
    let confirm_by = confirm_by(ctx.calendar, ctx.today());
    next.status = VoucherOffered;
    next.voucher = Some(Voucher {
        run_id,
        age_group,
        issued_at: ctx.now,
        confirm_by,
        confirmed_at: None,
        choose_by: None,
        extended: false,
        kindergarten_id: None,
        enrolled_at: None,
    });
    t.effects.push(Effect::OfferVoucher {
        district: app.district.clone(),
        age_group,
    });
    t.notify(
        NotificationKind::VoucherOffered,
        [("confirm_by", Param::Time(confirm_by))],
    );
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
    use Status::*;
    let v = voucher_in(app, VoucherOffered)?;
    if ctx.passed(v.confirm_by) {
        return Err(Refusal::DeadlinePassed);
    }
    let choose_by = choose_by(ctx.calendar, ctx.today());
    next.status = VoucherActive;
    if let Some(nv) = next.voucher.as_mut() {
        nv.confirmed_at = Some(ctx.now);
        nv.choose_by = Some(choose_by);
    }
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
    use Status::*;
    let v = voucher_in(app, VoucherActive)?;
    let choose_by = v.choose_by.unwrap_or(v.confirm_by);
    if ctx.passed(choose_by) {
        return Err(Refusal::DeadlinePassed);
    }
    if v.extended {
        return Err(Refusal::ExtensionUsed);
    }
    if ctx.today() != local_date(choose_by) {
        return Err(Refusal::ExtensionNotAvailable);
    }
    let extended_to = extended_choose_by(ctx.calendar, local_date(choose_by));
    if let Some(nv) = next.voucher.as_mut() {
        nv.extended = true;
        nv.choose_by = Some(extended_to);
    }
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
    let status = app.status;
    let not_in = || Err(Refusal::NotInStatus(status));
    if !status.holds_voucher() {
        return not_in();
    }
    if let Some(deadline) = current_deadline(app) {
        if ctx.passed(deadline) {
            return Err(Refusal::DeadlinePassed);
        }
    }
    archive(next, t, ArchiveReason::VoucherRefused);
    Ok(())
}

/// `Command::ChooseKindergarten`.
pub(super) fn choose_kindergarten(
    app: &Application,
    next: &mut Application,
    t: &mut Transition,
    ctx: Context<'_>,
    kindergarten: &Kindergarten,
    signed_with: SignedWith,
) -> Result<(), Refusal> {
    use Status::*;
    let v = voucher_in(app, VoucherActive)?;
    if ctx.passed(v.choose_by.unwrap_or(v.confirm_by)) {
        return Err(Refusal::DeadlinePassed);
    }
    if kindergarten.district != app.district {
        return Err(Refusal::KindergartenWrongDistrict);
    }
    if kindergarten
        .free_places
        .get(&v.age_group)
        .copied()
        .unwrap_or(0)
        == 0
    {
        return Err(Refusal::NoFreePlace);
    }
    next.status = Enrolled;
    if let Some(nv) = next.voucher.as_mut() {
        nv.kindergarten_id = Some(kindergarten.id.clone());
        nv.enrolled_at = Some(ctx.now);
    }
    t.signed_with = Some(signed_with);
    t.effects.push(Effect::TakePlace {
        kindergarten_id: kindergarten.id.clone(),
        district: app.district.clone(),
        age_group: v.age_group,
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
    use Status::*;
    let status = app.status;
    let not_in = || Err(Refusal::NotInStatus(status));
    if status != StopListed {
        return not_in();
    }
    if app.restore_used {
        return Err(Refusal::RestoreUsed);
    }
    if app.restore_by.is_none_or(|by| ctx.passed(by)) {
        return Err(Refusal::DeadlinePassed);
    }
    next.status = Queued;
    next.restore_used = true;
    next.restore_by = None;
    next.voucher = None;
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
    use Status::*;
    let status = app.status;
    let not_in = || Err(Refusal::NotInStatus(status));
    if !matches!(status, Queued | StopListed) {
        return not_in();
    }
    if let Some(deadline) = current_deadline(app) {
        if ctx.passed(deadline) {
            return Err(Refusal::DeadlinePassed);
        }
    }
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
    use Status::*;
    let status = app.status;
    let not_in = || Err(Refusal::NotInStatus(status));
    if !matches!(status, Queued | StopListed) {
        return not_in();
    }
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
