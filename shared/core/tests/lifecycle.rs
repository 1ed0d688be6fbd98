//! Unit tests of `kezek_core::lifecycle`: every transition, refusal, deadline and reminder of
//! service.md, "The application lifecycle", on the built-in 2026/2027 calendar (Asia/Almaty, +05:00).

use chrono::{NaiveDate, NaiveTime};
use kezek_core::calendar::Calendar;
use kezek_core::domain::*;
use kezek_core::iin::{make_iin, Iin};
use kezek_core::lifecycle::*;
use kezek_core::reference::{Reference, RANK_GENERAL, RANK_OUT_OF_TURN};
use kezek_core::time::{at_local, end_of_day, Time};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------
// helpers

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

/// Local Asia/Almaty instant.
fn t(y: i32, m: u32, day: u32, h: u32, mi: u32, s: u32) -> Time {
    at_local(
        d(y, m, day),
        NaiveTime::from_hms_opt(h, mi, s).expect("valid time"),
    )
}

/// 23:59:59 of a local date.
fn eod(y: i32, m: u32, day: u32) -> Time {
    end_of_day(d(y, m, day))
}

fn ctx(now: Time) -> Context<'static> {
    Context {
        now,
        calendar: Calendar::builtin(),
        reference: Reference::builtin(),
    }
}

fn child_iin() -> Iin {
    make_iin(d(2023, 3, 15), true, 123).expect("child iin")
}

fn applicant_iin() -> Iin {
    make_iin(d(1990, 1, 31), false, 7).expect("applicant iin")
}

fn new_app(birth: NaiveDate, privilege: Option<(&str, Vec<&str>)>) -> NewApplication {
    let child = (0..100)
        .find_map(|s| make_iin(birth, true, 200 + s))
        .expect("child iin");
    NewApplication {
        id: "app-1".into(),
        registration_seq: 248,
        district: Reference::builtin()
            .district("KOK")
            .expect("KOK is a district")
            .clone(),
        applicant_iin: applicant_iin(),
        child_iin: child,
        child_birth_date: birth,
        email: "parent@example.kz".into(),
        phone: "+77011234567".into(),
        language: Language::Ru,
        privilege: privilege.map(|(c, docs)| {
            (
                c.to_owned(),
                docs.into_iter().map(str::to_owned).collect::<Vec<_>>(),
            )
        }),
        signed_with: SignedWith::Eds,
    }
}

fn parent() -> Actor {
    Actor::Parent {
        iin: applicant_iin(),
    }
}

fn operator() -> Actor {
    Actor::Operator {
        iin: make_iin(d(1980, 5, 5), true, 11).expect("operator iin"),
    }
}

/// Submitted on Tuesday 10 February 2026, 10:00: reconfirm_by is Wednesday 10 February 2027.
fn queued() -> Application {
    queued_at(t(2026, 2, 10, 10, 0, 0))
}

fn queued_at(now: Time) -> Application {
    submit(new_app(d(2023, 3, 15), None), ctx(now))
        .expect("submit")
        .application
}

fn offer_cmd() -> Command {
    Command::OfferVoucher {
        run_id: "run-1".into(),
        age_group: 3,
        log: Some(RunLogRef {
            seq: 3,
            hash: "ab".repeat(32),
        }),
    }
}

fn confirm_cmd() -> Command {
    Command::ConfirmVoucher {
        signed_with: SignedWith::Eds,
    }
}

fn kindergarten(district: &str, free: &[(u8, u32)]) -> Box<Kindergarten> {
    Box::new(Kindergarten {
        id: "kg-1".into(),
        version: 1,
        name_kk: "Балдырған".into(),
        name_ru: "Колокольчик".into(),
        district: district.into(),
        address: "Кокшетау, ул. Абая, 1".into(),
        phone: "+77162000000".into(),
        ownership: Ownership::State,
        ddo_type: DdoType::Kindergarten,
        languages: InstructionLanguage::Both,
        admission: AdmissionMode::General,
        free_places: free.iter().copied().collect::<BTreeMap<_, _>>(),
    })
}

fn choose_cmd(kg: Box<Kindergarten>) -> Command {
    Command::ChooseKindergarten {
        kindergarten: kg,
        signed_with: SignedWith::Eds,
    }
}

/// Applies a command that must succeed and checks what every decision must hold.
fn ok(app: &Application, cmd: Command, actor: &Actor, now: Time) -> Decision {
    let dec = apply(app, cmd.clone(), actor, ctx(now))
        .unwrap_or_else(|r| panic!("{cmd:?} at {now} refused: {r:?}"));
    check_decision(app, &dec, now);
    dec
}

fn check_decision(before: &Application, dec: &Decision, now: Time) {
    let a = &dec.application;
    assert_eq!(a.version, before.version + 1, "version +1");
    assert_eq!(
        dec.history.version, a.version,
        "history.version is the new version"
    );
    assert_eq!(dec.history.from, Some(before.status()), "history.from");
    assert_eq!(dec.previous_status, Some(before.status()));
    assert_eq!(dec.history.to, a.status(), "history.to");
    assert_eq!(dec.history.at, now);
    assert_eq!(dec.history.application_id, a.id);
    assert_eq!(a.updated_at, now);
    assert_eq!(
        a.registered_at, before.registered_at,
        "registered_at never changes"
    );
    assert_eq!(a.id, before.id);
    for n in &dec.notifications {
        assert_eq!(n.id, format!("{}:{}:{}", a.id, a.version, n.kind.as_str()));
        assert_eq!(n.application_id.as_deref(), Some(a.id.as_str()));
        assert_eq!(n.created_at, now);
        assert_eq!(n.language, a.language);
        assert_eq!(
            n.params.get("registration_number"),
            Some(&Param::Text(a.registration_number.clone()))
        );
    }
    let releases_child = dec
        .effects
        .iter()
        .any(|e| matches!(e, Effect::ReleaseChild { .. }));
    assert_eq!(
        releases_child,
        a.status() == Status::Archived && before.status() != Status::Archived,
        "ReleaseChild exactly when archived"
    );
}

fn refused(app: &Application, cmd: Command, actor: &Actor, now: Time) -> Refusal {
    match apply(app, cmd.clone(), actor, ctx(now)) {
        Ok(dec) => panic!(
            "{cmd:?} at {now} should be refused, got {:?}",
            dec.application.status()
        ),
        Err(r) => r,
    }
}

fn only_notification(dec: &Decision) -> &Notification {
    assert_eq!(dec.notifications.len(), 1, "{:?}", dec.notifications);
    &dec.notifications[0]
}

fn param_time(n: &Notification, key: &str) -> Time {
    match n.params.get(key) {
        Some(Param::Time(x)) => *x,
        other => panic!("{key}: {other:?}"),
    }
}

fn voucher(app: &Application) -> Voucher {
    app.voucher().expect("a voucher")
}

fn release_voucher() -> Effect {
    Effect::ReleaseVoucher {
        district: "KOK".into(),
        age_group: 3,
    }
}

/// Offered on Friday 20 March 2026: confirm_by is Friday 27 March (23-25 March are days off).
fn offered() -> Application {
    ok(
        &queued(),
        offer_cmd(),
        &Actor::System,
        t(2026, 3, 20, 10, 0, 0),
    )
    .application
}

/// Offered 20 March, confirmed Thursday 26 March: choose_by is Thursday 2 April 2026.
fn active() -> Application {
    ok(
        &offered(),
        confirm_cmd(),
        &parent(),
        t(2026, 3, 26, 12, 0, 0),
    )
    .application
}

/// Offered 20 March, lapsed: restore_by is Friday 24 April 2026.
fn stop_listed() -> Application {
    ok(
        &offered(),
        Command::Sweep,
        &Actor::System,
        t(2026, 3, 28, 0, 0, 1),
    )
    .application
}

fn enrolled() -> Application {
    ok(
        &active(),
        choose_cmd(kindergarten("KOK", &[(3, 1)])),
        &parent(),
        t(2026, 3, 30, 11, 0, 0),
    )
    .application
}

fn archived() -> Application {
    ok(
        &queued(),
        Command::Withdraw,
        &parent(),
        t(2026, 3, 1, 9, 0, 0),
    )
    .application
}

fn all_commands() -> Vec<Command> {
    vec![
        Command::Reconfirm,
        offer_cmd(),
        confirm_cmd(),
        Command::Extend,
        Command::Refuse,
        choose_cmd(kindergarten("KOK", &[(3, 5)])),
        Command::Restore,
        Command::Withdraw,
        Command::RejectPrivilege {
            reason: "no proof".into(),
        },
        Command::Sweep,
    ]
}

// ---------------------------------------------------------------------------------------------
// submit

#[test]
fn submit_queues_with_number_and_reconfirm_date() {
    let now = t(2026, 2, 10, 10, 0, 0);
    let dec = submit(new_app(d(2023, 3, 15), None), ctx(now)).expect("submit");
    let a = &dec.application;
    assert_eq!(a.status(), Status::Queued);
    assert_eq!(a.version, 1);
    assert_eq!(a.registration_number, "КОК.2026.248");
    assert_eq!(a.registration_seq, 248);
    assert_eq!(a.district, "KOK");
    assert_eq!(a.registered_at, now);
    assert_eq!(a.updated_at, now);
    assert_eq!(a.reconfirm_base, d(2027, 2, 10));
    assert_eq!(a.reconfirm_by.to_rfc3339(), "2027-02-10T23:59:59+05:00");
    assert!(a.voucher().is_none() && a.restore_by().is_none() && !a.restore_used);
    assert!(a.archive_reason().is_none() && a.reminders_sent.is_empty());
    assert_eq!(a.rank(Reference::builtin()), RANK_GENERAL);

    assert_eq!(dec.previous_status, None);
    assert_eq!(dec.history.from, None);
    assert_eq!(dec.history.to, Status::Queued);
    assert_eq!(dec.history.version, 1);
    assert_eq!(dec.history.action, Action::Submit);
    assert_eq!(dec.history.at, now);
    assert_eq!(dec.history.signed_with, Some(SignedWith::Eds));
    assert_eq!(dec.history.actor, parent());
    assert!(dec.effects.is_empty(), "{:?}", dec.effects);

    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::Registered);
    assert_eq!(n.id, "app-1:1:registered");
    assert_eq!(n.email.as_deref(), Some("parent@example.kz"));
    assert_eq!(n.phone.as_deref(), Some("+77011234567"));
    assert_eq!(n.params.get("position"), Some(&Param::QueuePosition));
    assert_eq!(
        n.params.get("district"),
        Some(&Param::District("KOK".into()))
    );
    assert_eq!(
        n.params.get("registration_number"),
        Some(&Param::Text("КОК.2026.248".into()))
    );
    assert_eq!(param_time(n, "reconfirm_by"), a.reconfirm_by);
}

#[test]
fn submit_reconfirm_date_moves_off_a_day_off_art_177() {
    // 12 months after Sunday 22 March 2026 is Monday 22 March 2027, a Nauryz day off; 23 and 24
    // March 2027 are days off too, so the term ends on Thursday 25 March 2027.
    let a = queued_at(t(2026, 3, 22, 15, 0, 0));
    assert_eq!(a.reconfirm_base, d(2027, 3, 22));
    assert_eq!(a.reconfirm_by.to_rfc3339(), "2027-03-25T23:59:59+05:00");
    // 12 months after 9 May 2026 is Sunday 9 May 2027; Monday 10 May 2027 is its moved day off.
    let a = queued_at(t(2026, 5, 9, 15, 0, 0));
    assert_eq!(a.reconfirm_by.to_rfc3339(), "2027-05-11T23:59:59+05:00");
    // The registration year is the local year of submission.
    let a = queued_at(t(2026, 1, 1, 0, 30, 0));
    assert_eq!(a.registration_number, "КОК.2026.248");
}

#[test]
fn submit_age_limits() {
    let now = t(2026, 2, 10, 10, 0, 0);
    // Seven today: too old.
    assert_eq!(
        submit(new_app(d(2019, 2, 10), None), ctx(now)).err(),
        Some(Refusal::ChildTooOld)
    );
    assert_eq!(
        submit(new_app(d(2015, 6, 1), None), ctx(now)).err(),
        Some(Refusal::ChildTooOld)
    );
    // Seven tomorrow: still six today.
    assert!(submit(new_app(d(2019, 2, 11), None), ctx(now)).is_ok());
    // Born today is fine; born tomorrow is not born yet.
    assert!(submit(new_app(d(2026, 2, 10), None), ctx(now)).is_ok());
    assert_eq!(
        submit(new_app(d(2026, 2, 11), None), ctx(now)).err(),
        Some(Refusal::ChildNotBorn)
    );
}

#[test]
fn submit_applicant_cannot_be_the_child() {
    let mut n = new_app(d(2023, 3, 15), None);
    n.applicant_iin = n.child_iin.clone();
    assert_eq!(
        submit(n, ctx(t(2026, 2, 10, 10, 0, 0))).err(),
        Some(Refusal::ApplicantIsChild)
    );
    // The helper IINs are distinct.
    assert_ne!(child_iin(), applicant_iin());
}

#[test]
fn submit_privilege_rules() {
    let now = t(2026, 2, 10, 10, 0, 0);
    assert_eq!(
        submit(
            new_app(d(2023, 3, 15), Some(("astronauts", vec!["doc"]))),
            ctx(now)
        )
        .err(),
        Some(Refusal::UnknownPrivilege)
    );
    assert_eq!(
        submit(
            new_app(d(2023, 3, 15), Some(("military", vec![]))),
            ctx(now)
        )
        .err(),
        Some(Refusal::PrivilegeDocumentsRequired)
    );
    let dec = submit(
        new_app(d(2023, 3, 15), Some(("military", vec!["doc-1", "doc-2"]))),
        ctx(now),
    )
    .expect("privileged submit");
    let p = dec.application.privilege.as_ref().expect("claim");
    assert_eq!(p.category, "military");
    assert_eq!(p.document_ids, vec!["doc-1".to_owned(), "doc-2".to_owned()]);
    assert!(p.rejected.is_none());
    assert_eq!(dec.application.rank(Reference::builtin()), RANK_OUT_OF_TURN);
}

// ---------------------------------------------------------------------------------------------
// reconfirm

#[test]
fn reconfirm_opens_30_days_before_and_adds_12_months() {
    let a = queued(); // reconfirm_by 2027-02-10
    assert_eq!(
        refused(
            &a,
            Command::Reconfirm,
            &parent(),
            t(2027, 1, 10, 23, 59, 59)
        ),
        Refusal::ReconfirmNotOpen
    );
    assert_eq!(
        refused(&a, Command::Reconfirm, &parent(), t(2026, 6, 1, 12, 0, 0)),
        Refusal::ReconfirmNotOpen
    );
    let dec = ok(&a, Command::Reconfirm, &parent(), t(2027, 1, 11, 0, 0, 0));
    let b = &dec.application;
    assert_eq!(b.status(), Status::Queued);
    assert_eq!(dec.history.action, Action::Reconfirm);
    assert_eq!(b.reconfirm_base, d(2028, 2, 10));
    assert_eq!(b.reconfirm_by.to_rfc3339(), "2028-02-10T23:59:59+05:00");
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::Reconfirmed);
    assert_eq!(param_time(n, "reconfirm_by"), b.reconfirm_by);
    // At the deadline itself it still counts; a second later it does not.
    let at = ok(&a, Command::Reconfirm, &parent(), eod(2027, 2, 10));
    assert_eq!(at.application.reconfirm_base, d(2028, 2, 10));
    assert_eq!(
        refused(&a, Command::Reconfirm, &parent(), t(2027, 2, 11, 0, 0, 0)),
        Refusal::DeadlinePassed
    );
}

#[test]
fn reconfirm_base_is_kept_when_the_date_moved() {
    // reconfirm_by moved from 22 to 25 March 2027; the next term counts from the base, 22 March.
    let a = queued_at(t(2026, 3, 22, 15, 0, 0));
    let b = ok(&a, Command::Reconfirm, &parent(), t(2027, 3, 1, 10, 0, 0)).application;
    assert_eq!(b.reconfirm_base, d(2028, 3, 22));
    let expected = Calendar::builtin().end_of_calendar_term(d(2028, 3, 22));
    assert_eq!(b.reconfirm_by, expected);
}

#[test]
fn reconfirm_only_when_queued() {
    for a in [offered(), active(), stop_listed(), enrolled(), archived()] {
        assert_eq!(
            refused(&a, Command::Reconfirm, &parent(), t(2027, 1, 20, 10, 0, 0)),
            Refusal::NotInStatus(a.status())
        );
    }
}

// ---------------------------------------------------------------------------------------------
// offer

#[test]
fn offer_gives_two_working_days_after_the_day_of_issue() {
    let a = queued();
    let now = t(2026, 3, 20, 10, 0, 0); // Friday
    let dec = ok(&a, offer_cmd(), &Actor::System, now);
    let b = &dec.application;
    assert_eq!(b.status(), Status::VoucherOffered);
    assert_eq!(dec.history.action, Action::OfferVoucher);
    let v = voucher(b);
    assert_eq!(v.confirm_by.to_rfc3339(), "2026-03-27T23:59:59+05:00");
    assert_eq!(v.run_id, "run-1");
    assert_eq!(v.age_group, 3);
    assert_eq!(v.issued_at, now);
    assert!(v.confirmed_at.is_none() && v.choose_by.is_none() && !v.extended);
    assert_eq!(
        dec.effects,
        vec![Effect::OfferVoucher {
            district: "KOK".into(),
            age_group: 3
        }]
    );
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::VoucherOffered);
    assert_eq!(param_time(n, "confirm_by"), v.confirm_by);

    // Issued late on a Saturday: the day of issue is not counted.
    let sat = ok(&a, offer_cmd(), &Actor::System, t(2026, 11, 21, 23, 30, 0));
    assert_eq!(
        voucher(&sat.application).confirm_by.to_rfc3339(),
        "2026-11-24T23:59:59+05:00"
    );
    // Issued on Wednesday 6 May 2026: 7 May is a day off -> Friday 8, Tuesday 12 (11 is off).
    let may = ok(&a, offer_cmd(), &Actor::System, t(2026, 5, 6, 9, 0, 0));
    assert_eq!(
        voucher(&may.application).confirm_by.to_rfc3339(),
        "2026-05-12T23:59:59+05:00"
    );
}

#[test]
fn offer_refused_unless_queued_and_in_time() {
    for a in [offered(), active(), stop_listed(), enrolled(), archived()] {
        assert_eq!(
            refused(&a, offer_cmd(), &Actor::System, t(2026, 4, 1, 10, 0, 0)),
            Refusal::NotInStatus(a.status())
        );
    }
    assert_eq!(
        refused(
            &queued(),
            offer_cmd(),
            &Actor::System,
            t(2027, 2, 11, 0, 0, 0)
        ),
        Refusal::DeadlinePassed
    );
}

// ---------------------------------------------------------------------------------------------
// confirm

#[test]
fn confirm_before_the_deadline_gives_five_working_days() {
    let a = offered();
    let now = t(2026, 3, 26, 12, 0, 0); // Thursday
    let dec = ok(&a, confirm_cmd(), &parent(), now);
    let b = &dec.application;
    assert_eq!(b.status(), Status::VoucherActive);
    assert_eq!(dec.history.action, Action::ConfirmVoucher);
    assert_eq!(dec.history.signed_with, Some(SignedWith::Eds));
    assert!(dec.effects.is_empty(), "{:?}", dec.effects);
    let v = voucher(b);
    assert_eq!(v.confirmed_at, Some(now));
    // 27 (Fri), 30, 31 March, 1, 2 April.
    assert_eq!(
        v.choose_by.map(|x| x.to_rfc3339()).as_deref(),
        Some("2026-04-02T23:59:59+05:00")
    );
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::VoucherConfirmed);
    assert_eq!(Some(param_time(n, "choose_by")), v.choose_by);
}

#[test]
fn confirm_at_the_deadline_counts_after_it_does_not() {
    let a = offered();
    let dec = ok(&a, confirm_cmd(), &parent(), eod(2026, 3, 27));
    assert_eq!(
        voucher(&dec.application)
            .choose_by
            .map(|x| x.to_rfc3339())
            .as_deref(),
        Some("2026-04-03T23:59:59+05:00")
    );
    assert_eq!(
        refused(&a, confirm_cmd(), &parent(), t(2026, 3, 28, 0, 0, 0)),
        Refusal::DeadlinePassed
    );
    // A second after the deadline, before any sweep ran: still the lapsed outcome.
    let late = eod(2026, 3, 27) + chrono::Duration::seconds(1);
    assert_eq!(
        refused(&a, confirm_cmd(), &parent(), late),
        Refusal::DeadlinePassed
    );
    let swept = ok(&a, Command::Sweep, &Actor::System, late);
    assert_eq!(swept.application.status(), Status::StopListed);
}

#[test]
fn confirm_across_holidays() {
    // Offered Tuesday 28 April 2026 -> confirm_by Thursday 30 April. Confirmed 30 April: 1 May off,
    // 4, 5, 6 May, 7 off, 8, 11 off, 12 May.
    let a = ok(
        &queued(),
        offer_cmd(),
        &Actor::System,
        t(2026, 4, 28, 10, 0, 0),
    )
    .application;
    assert_eq!(voucher(&a).confirm_by, eod(2026, 4, 30));
    let b = ok(&a, confirm_cmd(), &parent(), t(2026, 4, 30, 18, 0, 0)).application;
    assert_eq!(voucher(&b).choose_by, Some(eod(2026, 5, 12)));
}

#[test]
fn confirm_only_when_offered() {
    for a in [queued(), active(), stop_listed(), enrolled(), archived()] {
        assert_eq!(
            refused(&a, confirm_cmd(), &parent(), t(2026, 3, 26, 10, 0, 0)),
            Refusal::NotInStatus(a.status())
        );
    }
}

// ---------------------------------------------------------------------------------------------
// extend

#[test]
fn extend_only_on_the_last_day_once() {
    let a = active(); // choose_by Thursday 2 April 2026
    assert_eq!(
        refused(&a, Command::Extend, &parent(), t(2026, 4, 1, 23, 59, 59)),
        Refusal::ExtensionNotAvailable
    );
    assert_eq!(
        refused(&a, Command::Extend, &parent(), t(2026, 3, 27, 10, 0, 0)),
        Refusal::ExtensionNotAvailable
    );
    assert_eq!(
        refused(&a, Command::Extend, &parent(), t(2026, 4, 3, 0, 0, 0)),
        Refusal::DeadlinePassed
    );
    let dec = ok(&a, Command::Extend, &parent(), t(2026, 4, 2, 0, 0, 0));
    let b = &dec.application;
    assert_eq!(b.status(), Status::VoucherActive);
    assert_eq!(dec.history.action, Action::Extend);
    assert!(dec.effects.is_empty());
    let v = voucher(b);
    assert!(v.extended);
    // 2 working days on from Thursday 2 April: Friday 3, Monday 6 April.
    assert_eq!(v.choose_by, Some(eod(2026, 4, 6)));
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::Extended);
    assert_eq!(Some(param_time(n, "choose_by")), v.choose_by);
    // At the very last second of the day it is still allowed.
    let last = ok(&a, Command::Extend, &parent(), eod(2026, 4, 2)).application;
    assert_eq!(voucher(&last).choose_by, Some(eod(2026, 4, 6)));
    // Once only, even on the new last day.
    assert_eq!(
        refused(b, Command::Extend, &parent(), t(2026, 4, 6, 10, 0, 0)),
        Refusal::ExtensionUsed
    );
    assert_eq!(
        refused(b, Command::Extend, &parent(), t(2026, 4, 3, 10, 0, 0)),
        Refusal::ExtensionUsed
    );
}

#[test]
fn extend_skips_days_off() {
    // choose_by Tuesday 12 May 2026 (see confirm_across_holidays); extended on it: 13, 14 May.
    let a = ok(
        &queued(),
        offer_cmd(),
        &Actor::System,
        t(2026, 4, 28, 10, 0, 0),
    )
    .application;
    let b = ok(&a, confirm_cmd(), &parent(), t(2026, 4, 30, 18, 0, 0)).application;
    let c = ok(&b, Command::Extend, &parent(), t(2026, 5, 12, 8, 0, 0)).application;
    assert_eq!(voucher(&c).choose_by, Some(eod(2026, 5, 14)));
    // choose_by Friday 20 March -> extended: 23-25 off, 26, 27 March.
    let o = ok(
        &queued(),
        offer_cmd(),
        &Actor::System,
        t(2026, 3, 10, 10, 0, 0),
    )
    .application;
    let x = ok(&o, confirm_cmd(), &parent(), t(2026, 3, 12, 10, 0, 0)).application;
    // 13, 16, 17, 18, 19 March -> 19 March.
    assert_eq!(voucher(&x).choose_by, Some(eod(2026, 3, 19)));
    let y = ok(&x, Command::Extend, &parent(), t(2026, 3, 19, 10, 0, 0)).application;
    // 20 (Fri), then 23-25 off -> 26 March.
    assert_eq!(voucher(&y).choose_by, Some(eod(2026, 3, 26)));
}

#[test]
fn extend_only_when_active() {
    for a in [queued(), offered(), stop_listed(), enrolled(), archived()] {
        assert_eq!(
            refused(&a, Command::Extend, &parent(), t(2026, 4, 2, 10, 0, 0)),
            Refusal::NotInStatus(a.status())
        );
    }
}

// ---------------------------------------------------------------------------------------------
// choose

#[test]
fn choose_enrols_and_takes_a_place() {
    let a = active();
    let now = t(2026, 3, 30, 11, 0, 0);
    let dec = ok(
        &a,
        choose_cmd(kindergarten("KOK", &[(3, 1)])),
        &parent(),
        now,
    );
    let b = &dec.application;
    assert_eq!(b.status(), Status::Enrolled);
    assert_eq!(dec.history.action, Action::ChooseKindergarten);
    assert_eq!(dec.history.signed_with, Some(SignedWith::Eds));
    assert_eq!(
        dec.effects,
        vec![Effect::TakePlace {
            kindergarten_id: "kg-1".into(),
            district: "KOK".into(),
            age_group: 3
        }]
    );
    let v = voucher(b);
    assert_eq!(v.kindergarten_id.as_deref(), Some("kg-1"));
    assert_eq!(v.enrolled_at, Some(now));
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::Enrolled);
    assert_eq!(
        n.params.get("kindergarten_name"),
        Some(&Param::Text("Колокольчик".into()))
    );
    assert_eq!(
        n.params.get("kindergarten_address"),
        Some(&Param::Text("Кокшетау, ул. Абая, 1".into()))
    );
    // A Kazakh-speaking parent reads the Kazakh name.
    let mut kk = a.clone();
    kk.language = Language::Kk;
    let dec = ok(
        &kk,
        choose_cmd(kindergarten("KOK", &[(3, 1)])),
        &parent(),
        now,
    );
    assert_eq!(
        dec.notifications[0].params.get("kindergarten_name"),
        Some(&Param::Text("Балдырған".into()))
    );
    // At the deadline itself.
    let at = ok(
        &a,
        choose_cmd(kindergarten("KOK", &[(3, 1)])),
        &parent(),
        eod(2026, 4, 2),
    );
    assert_eq!(at.application.status(), Status::Enrolled);
}

#[test]
fn choose_refusals() {
    let a = active();
    let now = t(2026, 3, 30, 11, 0, 0);
    assert_eq!(
        refused(
            &a,
            choose_cmd(kindergarten("STP", &[(3, 5)])),
            &parent(),
            now
        ),
        Refusal::KindergartenWrongDistrict
    );
    assert_eq!(
        refused(
            &a,
            choose_cmd(kindergarten("KOK", &[(3, 0)])),
            &parent(),
            now
        ),
        Refusal::NoFreePlace
    );
    // Places for another age group do not count.
    assert_eq!(
        refused(
            &a,
            choose_cmd(kindergarten("KOK", &[(4, 9), (2, 9)])),
            &parent(),
            now
        ),
        Refusal::NoFreePlace
    );
    assert_eq!(
        refused(&a, choose_cmd(kindergarten("KOK", &[])), &parent(), now),
        Refusal::NoFreePlace
    );
    assert_eq!(
        refused(
            &a,
            choose_cmd(kindergarten("KOK", &[(3, 5)])),
            &parent(),
            t(2026, 4, 3, 0, 0, 0)
        ),
        Refusal::DeadlinePassed
    );
    for b in [queued(), offered(), stop_listed(), enrolled(), archived()] {
        assert_eq!(
            refused(
                &b,
                choose_cmd(kindergarten("KOK", &[(3, 5)])),
                &parent(),
                now
            ),
            Refusal::NotInStatus(b.status())
        );
    }
}

#[test]
fn choose_after_extension_until_the_new_deadline() {
    let a = active();
    let b = ok(&a, Command::Extend, &parent(), t(2026, 4, 2, 12, 0, 0)).application;
    let c = ok(
        &b,
        choose_cmd(kindergarten("KOK", &[(3, 1)])),
        &parent(),
        t(2026, 4, 6, 23, 0, 0),
    );
    assert_eq!(c.application.status(), Status::Enrolled);
    assert_eq!(
        refused(
            &b,
            choose_cmd(kindergarten("KOK", &[(3, 1)])),
            &parent(),
            t(2026, 4, 7, 0, 0, 0)
        ),
        Refusal::DeadlinePassed
    );
}

// ---------------------------------------------------------------------------------------------
// refuse

#[test]
fn refuse_from_offered_and_active_archives() {
    for (a, now) in [
        (offered(), t(2026, 3, 23, 10, 0, 0)),
        (active(), t(2026, 3, 30, 10, 0, 0)),
    ] {
        let dec = ok(&a, Command::Refuse, &parent(), now);
        let b = &dec.application;
        assert_eq!(b.status(), Status::Archived);
        assert_eq!(b.archive_reason(), Some(ArchiveReason::VoucherRefused));
        assert_eq!(dec.history.action, Action::Refuse);
        assert_eq!(dec.history.reason.as_deref(), Some("voucher_refused"));
        assert_eq!(
            dec.effects,
            vec![
                release_voucher(),
                Effect::ReleaseChild {
                    child_iin: a.child_iin.clone()
                }
            ]
        );
        let n = only_notification(&dec);
        assert_eq!(n.kind, NotificationKind::Archived);
        assert_eq!(
            n.params.get("reason"),
            Some(&Param::Reason(ArchiveReason::VoucherRefused))
        );
    }
}

#[test]
fn refuse_refusals() {
    for a in [queued(), stop_listed(), enrolled(), archived()] {
        assert_eq!(
            refused(&a, Command::Refuse, &parent(), t(2026, 3, 30, 10, 0, 0)),
            Refusal::NotInStatus(a.status())
        );
    }
    // After the deadline the lapse wins.
    assert_eq!(
        refused(
            &offered(),
            Command::Refuse,
            &parent(),
            t(2026, 3, 28, 0, 0, 0)
        ),
        Refusal::DeadlinePassed
    );
    assert_eq!(
        refused(
            &active(),
            Command::Refuse,
            &parent(),
            t(2026, 4, 3, 0, 0, 0)
        ),
        Refusal::DeadlinePassed
    );
}

// ---------------------------------------------------------------------------------------------
// sweep: deadlines

#[test]
fn sweep_lapsed_offer_goes_to_the_stop_list() {
    let a = offered(); // confirm_by Friday 27 March
                       // At the deadline itself only the (overdue) reminder is due, the deadline is not.
    let reminded = ok(&a, Command::Sweep, &Actor::System, eod(2026, 3, 27));
    assert_eq!(reminded.application.status(), Status::VoucherOffered);
    assert_eq!(
        only_notification(&reminded).kind,
        NotificationKind::VoucherConfirmReminder
    );
    assert_eq!(
        refused(
            &reminded.application,
            Command::Sweep,
            &Actor::System,
            eod(2026, 3, 27)
        ),
        Refusal::NothingDue
    );
    let now = t(2026, 3, 28, 0, 0, 0);
    let dec = ok(&a, Command::Sweep, &Actor::System, now);
    let b = &dec.application;
    assert_eq!(b.status(), Status::StopListed);
    assert_eq!(dec.history.action, Action::ExpireOffer);
    assert_eq!(dec.history.actor, Actor::System);
    // 27 March + 28 days = Friday 24 April, a working day.
    assert_eq!(
        b.restore_by().map(|x| x.to_rfc3339()).as_deref(),
        Some("2026-04-24T23:59:59+05:00")
    );
    assert!(!b.restore_used);
    assert_eq!(dec.effects, vec![release_voucher()]);
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::StopListed);
    assert_eq!(Some(param_time(n, "restore_by")), b.restore_by());
}

#[test]
fn sweep_restore_by_moves_off_a_day_off() {
    // Offered Wednesday 1 April -> confirm_by Friday 3 April; +28 days = Friday 1 May, a holiday;
    // 2-3 May is a weekend -> Monday 4 May 2026.
    let a = ok(
        &queued(),
        offer_cmd(),
        &Actor::System,
        t(2026, 4, 1, 10, 0, 0),
    )
    .application;
    assert_eq!(voucher(&a).confirm_by, eod(2026, 4, 3));
    let b = ok(&a, Command::Sweep, &Actor::System, t(2026, 4, 6, 3, 0, 0)).application;
    assert_eq!(
        b.restore_by().map(|x| x.to_rfc3339()).as_deref(),
        Some("2026-05-04T23:59:59+05:00")
    );
}

#[test]
fn sweep_second_lapse_archives_voucher_lapsed() {
    let s = stop_listed();
    let q = ok(&s, Command::Restore, &parent(), t(2026, 4, 10, 10, 0, 0)).application;
    let o = ok(&q, offer_cmd(), &Actor::System, t(2026, 7, 1, 10, 0, 0)).application;
    assert!(o.restore_used);
    // Wednesday 1 July -> 2, 3 July.
    assert_eq!(voucher(&o).confirm_by, eod(2026, 7, 3));
    let dec = ok(&o, Command::Sweep, &Actor::System, t(2026, 7, 4, 0, 0, 0));
    let b = &dec.application;
    assert_eq!(b.status(), Status::Archived);
    assert_eq!(b.archive_reason(), Some(ArchiveReason::VoucherLapsed));
    assert_eq!(dec.history.action, Action::ExpireOffer);
    assert_eq!(dec.history.reason.as_deref(), Some("voucher_lapsed"));
    assert_eq!(
        dec.effects,
        vec![
            release_voucher(),
            Effect::ReleaseChild {
                child_iin: o.child_iin.clone()
            }
        ]
    );
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::Archived);
    assert_eq!(
        n.params.get("reason"),
        Some(&Param::Reason(ArchiveReason::VoucherLapsed))
    );
}

#[test]
fn sweep_lapsed_choice_archives_not_enrolled() {
    let a = active(); // choose_by 2 April
    let reminded = ok(&a, Command::Sweep, &Actor::System, eod(2026, 4, 2));
    assert_eq!(reminded.application.status(), Status::VoucherActive);
    assert_eq!(
        refused(
            &reminded.application,
            Command::Sweep,
            &Actor::System,
            eod(2026, 4, 2)
        ),
        Refusal::NothingDue
    );
    let dec = ok(&a, Command::Sweep, &Actor::System, t(2026, 4, 3, 0, 0, 0));
    let b = &dec.application;
    assert_eq!(b.status(), Status::Archived);
    assert_eq!(b.archive_reason(), Some(ArchiveReason::NotEnrolled));
    assert_eq!(dec.history.action, Action::ExpireChoice);
    assert_eq!(
        dec.effects,
        vec![
            release_voucher(),
            Effect::ReleaseChild {
                child_iin: a.child_iin.clone()
            }
        ]
    );
    assert_eq!(
        only_notification(&dec).params.get("reason"),
        Some(&Param::Reason(ArchiveReason::NotEnrolled))
    );
}

#[test]
fn sweep_expired_stop_list_archives() {
    let a = stop_listed(); // restore_by 24 April
    assert_eq!(
        refused(&a, Command::Sweep, &Actor::System, eod(2026, 4, 24)),
        Refusal::NothingDue
    );
    let dec = ok(&a, Command::Sweep, &Actor::System, t(2026, 4, 25, 0, 0, 0));
    let b = &dec.application;
    assert_eq!(b.status(), Status::Archived);
    assert_eq!(b.archive_reason(), Some(ArchiveReason::StopListExpired));
    assert_eq!(b.restore_by(), None);
    assert_eq!(dec.history.action, Action::ExpireStopList);
    assert_eq!(dec.history.reason.as_deref(), Some("stop_list_expired"));
    // The voucher was released when the offer lapsed: only the child is released now.
    assert_eq!(
        dec.effects,
        vec![Effect::ReleaseChild {
            child_iin: a.child_iin.clone()
        }]
    );
}

#[test]
fn sweep_not_reconfirmed_archives() {
    let a = queued(); // reconfirm_by 10 February 2027
    let mut all_sent = a.clone();
    for days in [30, 7, 1] {
        all_sent
            .reminders_sent
            .insert(format!("reconfirm:2027-02-10:{days}"));
    }
    assert_eq!(
        refused(&all_sent, Command::Sweep, &Actor::System, eod(2027, 2, 10)),
        Refusal::NothingDue
    );
    let dec = ok(&a, Command::Sweep, &Actor::System, t(2027, 2, 11, 0, 0, 0));
    let b = &dec.application;
    assert_eq!(b.status(), Status::Archived);
    assert_eq!(b.archive_reason(), Some(ArchiveReason::NotReconfirmed));
    assert_eq!(dec.history.action, Action::NotReconfirmed);
    assert_eq!(dec.history.actor, Actor::System);
    assert_eq!(dec.history.reason.as_deref(), Some("not_reconfirmed"));
    assert_eq!(
        dec.effects,
        vec![Effect::ReleaseChild {
            child_iin: a.child_iin.clone()
        }]
    );
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::Archived);
    assert_eq!(
        n.params.get("reason"),
        Some(&Param::Reason(ArchiveReason::NotReconfirmed))
    );
}

#[test]
fn sweep_nothing_due_before_deadlines_and_reminders() {
    assert_eq!(
        refused(
            &queued(),
            Command::Sweep,
            &Actor::System,
            t(2026, 6, 1, 12, 0, 0)
        ),
        Refusal::NothingDue
    );
    assert_eq!(
        refused(
            &offered(),
            Command::Sweep,
            &Actor::System,
            t(2026, 3, 26, 8, 59, 59)
        ),
        Refusal::NothingDue
    );
    assert_eq!(
        refused(
            &active(),
            Command::Sweep,
            &Actor::System,
            t(2026, 3, 31, 12, 0, 0)
        ),
        Refusal::NothingDue
    );
    assert_eq!(
        refused(
            &stop_listed(),
            Command::Sweep,
            &Actor::System,
            t(2026, 4, 20, 12, 0, 0)
        ),
        Refusal::NothingDue
    );
}

// ---------------------------------------------------------------------------------------------
// sweep: reminders

#[test]
fn reconfirm_reminders_30_7_1_days_before_at_nine_each_once() {
    let a = queued(); // reconfirm_by 10 February 2027
    let plan = planned_reminders(&a);
    let dues: Vec<Time> = plan.iter().map(|r| r.due).collect();
    assert_eq!(
        dues,
        vec![
            t(2027, 1, 11, 9, 0, 0),
            t(2027, 2, 3, 9, 0, 0),
            t(2027, 2, 9, 9, 0, 0)
        ]
    );
    assert!(plan
        .iter()
        .all(|r| r.kind == NotificationKind::ReconfirmReminder));
    assert_eq!(dues[0].to_rfc3339(), "2027-01-11T09:00:00+05:00");

    assert_eq!(
        refused(
            &a,
            Command::Sweep,
            &Actor::System,
            t(2027, 1, 11, 8, 59, 59)
        ),
        Refusal::NothingDue
    );
    let mut cur = a.clone();
    for (days, at) in [
        (30u64, t(2027, 1, 11, 9, 0, 0)),
        (7, t(2027, 2, 3, 9, 0, 0)),
        (1, t(2027, 2, 9, 9, 0, 0)),
    ] {
        let dec = ok(&cur, Command::Sweep, &Actor::System, at);
        assert_eq!(dec.application.status(), Status::Queued);
        assert_eq!(dec.history.action, Action::Reminder);
        assert_eq!(dec.history.actor, Actor::System);
        let key = format!("reconfirm:2027-02-10:{days}");
        assert_eq!(dec.history.reason.as_deref(), Some(key.as_str()));
        assert!(dec.application.reminders_sent.contains(&key));
        assert!(dec.effects.is_empty());
        let n = only_notification(&dec);
        assert_eq!(n.kind, NotificationKind::ReconfirmReminder);
        assert_eq!(n.params.get("days"), Some(&Param::Number(days)));
        assert_eq!(param_time(n, "reconfirm_by"), a.reconfirm_by);
        cur = dec.application;
        // Sent once: the same sweep again has nothing to do.
        assert_eq!(
            refused(
                &cur,
                Command::Sweep,
                &Actor::System,
                at + chrono::Duration::hours(1)
            ),
            Refusal::NothingDue
        );
    }
    assert_eq!(cur.reminders_sent.len(), 3);
}

#[test]
fn late_sweep_sends_only_the_latest_due_reminder() {
    let a = queued();
    let dec = ok(&a, Command::Sweep, &Actor::System, t(2027, 2, 5, 14, 0, 0));
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::ReconfirmReminder);
    assert_eq!(n.params.get("days"), Some(&Param::Number(5)));
    assert_eq!(
        dec.history.reason.as_deref(),
        Some("reconfirm:2027-02-10:7")
    );
    let sent = &dec.application.reminders_sent;
    assert!(sent.contains("reconfirm:2027-02-10:30"));
    assert!(sent.contains("reconfirm:2027-02-10:7"));
    assert!(!sent.contains("reconfirm:2027-02-10:1"));
    // The 1-day reminder still goes out on its day.
    let b = dec.application;
    assert_eq!(
        refused(&b, Command::Sweep, &Actor::System, t(2027, 2, 9, 8, 0, 0)),
        Refusal::NothingDue
    );
    let last = ok(&b, Command::Sweep, &Actor::System, t(2027, 2, 9, 9, 0, 0));
    assert_eq!(
        only_notification(&last).params.get("days"),
        Some(&Param::Number(1))
    );
}

#[test]
fn reconfirmation_starts_a_new_set_of_reminders() {
    let a = queued();
    let b = ok(&a, Command::Sweep, &Actor::System, t(2027, 1, 11, 9, 0, 0)).application;
    let c = ok(&b, Command::Reconfirm, &parent(), t(2027, 1, 12, 10, 0, 0)).application;
    assert_eq!(
        next_due(&c),
        Some((Sweep::Reconfirmation, t(2028, 1, 11, 9, 0, 0)))
    );
    assert_eq!(
        refused(&c, Command::Sweep, &Actor::System, t(2027, 2, 9, 9, 0, 0)),
        Refusal::NothingDue
    );
}

#[test]
fn voucher_confirm_reminder_the_day_before() {
    let a = offered(); // confirm_by 27 March
    let plan = planned_reminders(&a);
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].kind, NotificationKind::VoucherConfirmReminder);
    assert_eq!(plan[0].due, t(2026, 3, 26, 9, 0, 0));
    let dec = ok(&a, Command::Sweep, &Actor::System, t(2026, 3, 26, 9, 0, 0));
    assert_eq!(dec.application.status(), Status::VoucherOffered);
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::VoucherConfirmReminder);
    assert_eq!(param_time(n, "confirm_by"), eod(2026, 3, 27));
    assert_eq!(n.params.get("days"), Some(&Param::Number(1)));
    assert_eq!(
        refused(
            &dec.application,
            Command::Sweep,
            &Actor::System,
            t(2026, 3, 27, 9, 0, 0)
        ),
        Refusal::NothingDue
    );
}

#[test]
fn choose_and_extension_reminders() {
    let a = active(); // choose_by Thursday 2 April
    let kinds: Vec<_> = planned_reminders(&a)
        .iter()
        .map(|r| (r.kind, r.due))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (NotificationKind::ChooseReminder, t(2026, 4, 1, 9, 0, 0)),
            (NotificationKind::ExtensionAvailable, t(2026, 4, 2, 9, 0, 0)),
        ]
    );
    let b = ok(&a, Command::Sweep, &Actor::System, t(2026, 4, 1, 9, 0, 0));
    let n = only_notification(&b);
    assert_eq!(n.kind, NotificationKind::ChooseReminder);
    assert_eq!(param_time(n, "choose_by"), eod(2026, 4, 2));
    let c = ok(
        &b.application,
        Command::Sweep,
        &Actor::System,
        t(2026, 4, 2, 9, 0, 0),
    );
    let n = only_notification(&c);
    assert_eq!(n.kind, NotificationKind::ExtensionAvailable);
    assert_eq!(param_time(n, "choose_by"), eod(2026, 4, 2));
    assert_eq!(n.params.get("days"), Some(&Param::Number(0)));

    // After the extension there is no "extension available" any more.
    let e = ok(&a, Command::Extend, &parent(), t(2026, 4, 2, 8, 0, 0)).application;
    let plan = planned_reminders(&e);
    assert!(plan
        .iter()
        .all(|r| r.kind != NotificationKind::ExtensionAvailable));
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].due, t(2026, 4, 5, 9, 0, 0));
    let late = ok(&e, Command::Sweep, &Actor::System, t(2026, 4, 6, 9, 0, 0));
    let n = only_notification(&late);
    assert_eq!(n.kind, NotificationKind::ChooseReminder);
    assert_eq!(param_time(n, "choose_by"), eod(2026, 4, 6));
}

#[test]
fn late_sweep_on_the_last_day_sends_extension_available_only() {
    let a = active();
    let dec = ok(&a, Command::Sweep, &Actor::System, t(2026, 4, 2, 15, 0, 0));
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::ExtensionAvailable);
    assert_eq!(dec.application.reminders_sent.len(), 2);
}

#[test]
fn next_due_per_status() {
    let q = queued();
    assert_eq!(
        next_due(&q),
        Some((Sweep::Reconfirmation, t(2027, 1, 11, 9, 0, 0)))
    );
    let mut q2 = q.clone();
    q2.reminders_sent.insert("reconfirm:2027-02-10:30".into());
    assert_eq!(
        next_due(&q2),
        Some((Sweep::Reconfirmation, t(2027, 2, 3, 9, 0, 0)))
    );
    q2.reminders_sent.insert("reconfirm:2027-02-10:7".into());
    q2.reminders_sent.insert("reconfirm:2027-02-10:1".into());
    assert_eq!(
        next_due(&q2),
        Some((Sweep::Reconfirmation, eod(2027, 2, 10)))
    );

    let o = offered();
    assert_eq!(next_due(&o), Some((Sweep::Expiry, t(2026, 3, 26, 9, 0, 0))));
    let o2 = ok(&o, Command::Sweep, &Actor::System, t(2026, 3, 26, 9, 0, 0)).application;
    assert_eq!(next_due(&o2), Some((Sweep::Expiry, eod(2026, 3, 27))));

    let a = active();
    assert_eq!(next_due(&a), Some((Sweep::Expiry, t(2026, 4, 1, 9, 0, 0))));
    let s = stop_listed();
    assert_eq!(next_due(&s), Some((Sweep::Expiry, eod(2026, 4, 24))));
    assert_eq!(next_due(&enrolled()), None);
    assert_eq!(next_due(&archived()), None);

    assert_eq!(current_deadline(&q), Some(eod(2027, 2, 10)));
    assert_eq!(current_deadline(&o), Some(eod(2026, 3, 27)));
    assert_eq!(current_deadline(&a), Some(eod(2026, 4, 2)));
    assert_eq!(current_deadline(&s), Some(eod(2026, 4, 24)));
    assert_eq!(current_deadline(&enrolled()), None);

    assert_eq!(Sweep::parse(Sweep::Expiry.as_str()), Some(Sweep::Expiry));
    assert_eq!(
        Sweep::parse(Sweep::Reconfirmation.as_str()),
        Some(Sweep::Reconfirmation)
    );
    assert_eq!(Sweep::parse("other"), None);
}

#[test]
fn sweep_on_final_statuses_is_refused() {
    for a in [enrolled(), archived()] {
        assert_eq!(
            refused(&a, Command::Sweep, &Actor::System, t(2030, 1, 1, 0, 0, 0)),
            Refusal::NotInStatus(a.status())
        );
    }
}

// ---------------------------------------------------------------------------------------------
// restore and withdraw

#[test]
fn restore_keeps_the_place_in_the_queue() {
    let q = queued();
    let s = stop_listed();
    let dec = ok(&s, Command::Restore, &parent(), t(2026, 4, 10, 10, 0, 0));
    let r = &dec.application;
    assert_eq!(r.status(), Status::Queued);
    assert_eq!(dec.history.action, Action::Restore);
    assert!(r.restore_used);
    assert_eq!(r.restore_by(), None);
    assert_eq!(r.voucher(), None);
    assert_eq!(r.registered_at, q.registered_at);
    assert_eq!(
        r.queue_key(Reference::builtin()),
        q.queue_key(Reference::builtin())
    );
    // Far from the reconfirmation window: the date stays.
    assert_eq!(r.reconfirm_by, q.reconfirm_by);
    assert!(dec.effects.is_empty(), "{:?}", dec.effects);
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::Restored);
    assert_eq!(n.params.get("position"), Some(&Param::QueuePosition));
    // At the deadline itself.
    let at = ok(&s, Command::Restore, &parent(), eod(2026, 4, 24));
    assert_eq!(at.application.status(), Status::Queued);
}

#[test]
fn restore_refusals() {
    let s = stop_listed();
    assert_eq!(
        refused(&s, Command::Restore, &parent(), t(2026, 4, 25, 0, 0, 0)),
        Refusal::DeadlinePassed
    );
    let mut used = s.clone();
    used.restore_used = true;
    assert_eq!(
        refused(&used, Command::Restore, &parent(), t(2026, 4, 10, 0, 0, 0)),
        Refusal::RestoreUsed
    );
    for a in [queued(), offered(), active(), enrolled(), archived()] {
        assert_eq!(
            refused(&a, Command::Restore, &parent(), t(2026, 4, 10, 10, 0, 0)),
            Refusal::NotInStatus(a.status())
        );
    }
}

#[test]
fn restore_in_the_reconfirmation_window_moves_reconfirm_by_a_year() {
    let q = queued(); // reconfirm_by 10 February 2027
                      // Offered Wednesday 20 January 2027 -> confirm_by Friday 22 January.
    let o = ok(&q, offer_cmd(), &Actor::System, t(2027, 1, 20, 10, 0, 0)).application;
    assert_eq!(voucher(&o).confirm_by, eod(2027, 1, 22));
    let s = ok(&o, Command::Sweep, &Actor::System, t(2027, 1, 23, 1, 0, 0)).application;
    assert_eq!(s.restore_by(), Some(eod(2027, 2, 19)));
    // Restored after reconfirm_by passed while stop-listed: interest is confirmed again.
    let r = ok(&s, Command::Restore, &parent(), t(2027, 2, 15, 10, 0, 0)).application;
    assert_eq!(r.reconfirm_base, d(2028, 2, 10));
    assert_eq!(r.reconfirm_by, eod(2028, 2, 10));
    assert_eq!(r.registered_at, q.registered_at);
}

#[test]
fn withdraw_from_queued_and_stop_listed() {
    for (a, now) in [
        (queued(), t(2026, 3, 1, 9, 0, 0)),
        (stop_listed(), t(2026, 4, 1, 9, 0, 0)),
    ] {
        let dec = ok(&a, Command::Withdraw, &parent(), now);
        let b = &dec.application;
        assert_eq!(b.status(), Status::Archived);
        assert_eq!(b.archive_reason(), Some(ArchiveReason::Withdrawn));
        assert_eq!(b.restore_by(), None);
        assert_eq!(dec.history.action, Action::Withdraw);
        assert_eq!(dec.history.reason.as_deref(), Some("withdrawn"));
        assert_eq!(
            dec.effects,
            vec![Effect::ReleaseChild {
                child_iin: a.child_iin.clone()
            }]
        );
        assert_eq!(
            only_notification(&dec).params.get("reason"),
            Some(&Param::Reason(ArchiveReason::Withdrawn))
        );
    }
    assert_eq!(
        refused(
            &queued(),
            Command::Withdraw,
            &parent(),
            t(2027, 2, 11, 0, 0, 0)
        ),
        Refusal::DeadlinePassed
    );
    assert_eq!(
        refused(
            &stop_listed(),
            Command::Withdraw,
            &parent(),
            t(2026, 4, 25, 0, 0, 0)
        ),
        Refusal::DeadlinePassed
    );
    for a in [offered(), active(), enrolled(), archived()] {
        assert_eq!(
            refused(&a, Command::Withdraw, &parent(), t(2026, 3, 26, 10, 0, 0)),
            Refusal::NotInStatus(a.status())
        );
    }
}

// ---------------------------------------------------------------------------------------------
// reject privilege

#[test]
fn reject_privilege_moves_to_the_general_order() {
    let now = t(2026, 2, 10, 10, 0, 0);
    let a = submit(
        new_app(d(2023, 3, 15), Some(("military", vec!["doc-1"]))),
        ctx(now),
    )
    .expect("submit")
    .application;
    let r = Reference::builtin();
    assert_eq!(a.rank(r), RANK_OUT_OF_TURN);
    let at = t(2026, 2, 20, 15, 0, 0);
    let dec = ok(
        &a,
        Command::RejectPrivilege {
            reason: "certificate expired".into(),
        },
        &operator(),
        at,
    );
    let b = &dec.application;
    assert_eq!(b.status(), Status::Queued);
    assert_eq!(b.rank(r), RANK_GENERAL);
    assert_eq!(b.queue_key(r).rank, RANK_GENERAL);
    let rej = b
        .privilege
        .as_ref()
        .and_then(|p| p.rejected.as_ref())
        .expect("rejection");
    assert_eq!(rej.reason, "certificate expired");
    assert_eq!(rej.at, at);
    assert_eq!(dec.history.action, Action::PrivilegeRejected);
    assert_eq!(dec.history.actor, operator());
    assert_eq!(dec.history.reason.as_deref(), Some("certificate expired"));
    assert!(dec.effects.is_empty());
    let n = only_notification(&dec);
    assert_eq!(n.kind, NotificationKind::PrivilegeRejected);
    assert_eq!(
        n.params.get("reason"),
        Some(&Param::Text("certificate expired".into()))
    );
    // Already rejected, or never claimed.
    let again = Command::RejectPrivilege {
        reason: "again".into(),
    };
    assert_eq!(
        refused(b, again.clone(), &operator(), at),
        Refusal::NoPrivilegeClaim
    );
    assert_eq!(
        refused(&queued(), again.clone(), &operator(), at),
        Refusal::NoPrivilegeClaim
    );
    // On the stop-list too; not in final statuses.
    let s = stop_listed();
    let mut sp = s.clone();
    sp.privilege = Some(PrivilegeClaim {
        category: "orphan".into(),
        document_ids: vec!["d".into()],
        rejected: None,
        verified_at: None,
    });
    let dec = ok(&sp, again.clone(), &operator(), t(2026, 4, 1, 10, 0, 0));
    assert_eq!(dec.application.status(), Status::StopListed);
    assert_eq!(dec.application.rank(r), RANK_GENERAL);
    for f in [enrolled(), archived()] {
        assert_eq!(
            refused(&f, again.clone(), &operator(), at),
            Refusal::NotInStatus(f.status())
        );
    }
}

#[test]
fn verify_privilege_keeps_the_rank_once_and_never_after_a_rejection() {
    let now = t(2026, 2, 10, 10, 0, 0);
    let a = submit(
        new_app(d(2023, 3, 15), Some(("military", vec!["doc-1"]))),
        ctx(now),
    )
    .expect("submit")
    .application;
    let r = Reference::builtin();
    let at = t(2026, 2, 20, 15, 0, 0);
    let dec = ok(&a, Command::VerifyPrivilege, &operator(), at);
    let b = &dec.application;
    assert_eq!(b.status(), Status::Queued);
    assert_eq!(b.rank(r), RANK_OUT_OF_TURN, "the claim keeps its rank");
    assert_eq!(b.privilege.as_ref().unwrap().verified_at, Some(at));
    assert_eq!(dec.history.action, Action::PrivilegeVerified);
    assert_eq!(dec.history.actor, operator());
    assert!(dec.notifications.is_empty(), "nothing to tell the parent");
    // Once; never a claim that is not there or was rejected.
    assert_eq!(
        refused(b, Command::VerifyPrivilege, &operator(), at),
        Refusal::NoPrivilegeClaim
    );
    assert_eq!(
        refused(&queued(), Command::VerifyPrivilege, &operator(), at),
        Refusal::NoPrivilegeClaim
    );
    let rejected = ok(
        &a,
        Command::RejectPrivilege {
            reason: "certificate expired".into(),
        },
        &operator(),
        at,
    )
    .application;
    assert_eq!(
        refused(&rejected, Command::VerifyPrivilege, &operator(), at),
        Refusal::NoPrivilegeClaim
    );
    for f in [enrolled(), archived()] {
        assert_eq!(
            refused(&f, Command::VerifyPrivilege, &operator(), at),
            Refusal::NotInStatus(f.status())
        );
    }
}

// ---------------------------------------------------------------------------------------------
// final statuses and the full path

#[test]
fn nothing_leaves_enrolled_or_archived() {
    let archived_all: Vec<Application> = vec![
        archived(),
        ok(
            &offered(),
            Command::Refuse,
            &parent(),
            t(2026, 3, 23, 10, 0, 0),
        )
        .application,
        ok(
            &active(),
            Command::Sweep,
            &Actor::System,
            t(2026, 4, 3, 0, 0, 0),
        )
        .application,
        ok(
            &queued(),
            Command::Sweep,
            &Actor::System,
            t(2027, 2, 11, 0, 0, 0),
        )
        .application,
    ];
    for a in archived_all.iter().chain([enrolled()].iter()) {
        for cmd in all_commands() {
            for now in [t(2026, 4, 2, 10, 0, 0), t(2028, 1, 1, 0, 0, 0)] {
                let r = refused(a, cmd.clone(), &parent(), now);
                assert_eq!(
                    r,
                    Refusal::NotInStatus(a.status()),
                    "{cmd:?} on {:?}",
                    a.status()
                );
            }
        }
    }
}

#[test]
fn full_path_versions_and_history_chain() {
    let mut a = queued();
    let steps: Vec<(Command, Actor, Time, Status)> = vec![
        (
            offer_cmd(),
            Actor::System,
            t(2026, 3, 20, 10, 0, 0),
            Status::VoucherOffered,
        ),
        (
            Command::Sweep,
            Actor::System,
            t(2026, 3, 26, 9, 0, 0),
            Status::VoucherOffered,
        ),
        (
            Command::Sweep,
            Actor::System,
            t(2026, 3, 28, 0, 0, 0),
            Status::StopListed,
        ),
        (
            Command::Restore,
            parent(),
            t(2026, 4, 1, 0, 0, 0),
            Status::Queued,
        ),
        (
            offer_cmd(),
            Actor::System,
            t(2026, 7, 1, 10, 0, 0),
            Status::VoucherOffered,
        ),
        (
            confirm_cmd(),
            parent(),
            t(2026, 7, 2, 10, 0, 0),
            Status::VoucherActive,
        ),
        (
            choose_cmd(kindergarten("KOK", &[(3, 1)])),
            parent(),
            t(2026, 7, 3, 10, 0, 0),
            Status::Enrolled,
        ),
    ];
    let mut versions = vec![a.version];
    for (cmd, actor, now, to) in steps {
        let dec = ok(&a, cmd, &actor, now);
        assert_eq!(dec.application.status(), to);
        a = dec.application;
        versions.push(a.version);
    }
    assert_eq!(versions, (1..=8).collect::<Vec<u64>>());
}
