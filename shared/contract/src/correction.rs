//! The calendar-correction case (run on every store adapter, and by `kezek-admin`'s test on
//! DynamoDB): applications whose deadlines were computed with the calendar as it stood before the
//! 2026 correction (30 August still Constitution Day, 15 March 2027 a working day), then the
//! correction with the calendar in force.

use crate::cases::Subject;
use crate::fixtures::{adult, at, born, child, day, kindergarten, put_new, uuid};
use chrono::{Datelike, Utc};
use kezek_core::calendar::Calendar;
use kezek_core::domain::*;
use kezek_core::lifecycle::{self, Command, Context, NewApplication};
use kezek_core::ports::{stores::*, BuiltinRegisters, ChangeSet, SimClock};
use kezek_core::queue;
use kezek_core::reference::{District, Reference};
use kezek_core::time::{local_date, Time};
use kezek_core::Service;
use std::sync::Arc;

/// The 2026 and 2027 files as they stood before the correction.
pub const BEFORE_2026: &str = include_str!("../data/calendar-before-correction/2026.toml");
pub const BEFORE_2027: &str = include_str!("../data/calendar-before-correction/2027.toml");

/// The calendar before the correction: the shipped years with the old 2026 and 2027 over them.
pub fn calendar_before() -> Calendar {
    Calendar::with_published(&[BEFORE_2026, BEFORE_2027]).expect("the old files load")
}

/// The applications seeded with the old calendar, and what the correction must do to each.
pub struct Seeded {
    /// Registered Sunday 15 March 2026: `reconfirm_by` 15 March 2027, now a day off -> 16 March.
    pub reconfirm: Application,
    /// Offered Thursday 11 March 2027: `confirm_by` Monday 15 March -> Tuesday 16 March.
    pub offered: Application,
    /// Confirmed Wednesday 10 March 2027: `choose_by` Wednesday 17 March -> Thursday 18 March.
    pub active: Application,
    /// Lapsed on Monday 15 February 2027: `restore_by` 15 March -> 16 March.
    pub stop_listed: Application,
    /// Offered Thursday 27 August 2026: `confirm_by` Tuesday 1 September under the old calendar;
    /// the new one would give Monday 31 August, earlier, so it is kept (never shortened).
    pub kept: Application,
}

impl Seeded {
    pub fn ids(&self) -> [&str; 5] {
        [
            &self.reconfirm.id,
            &self.offered.id,
            &self.active.id,
            &self.stop_listed.id,
            &self.kept.id,
        ]
    }
}

fn old_ctx(calendar: &Calendar, now: Time) -> Context<'_> {
    Context {
        now,
        calendar,
        reference: Reference::builtin(),
    }
}

async fn commit<S: Store + ?Sized>(s: &S, cs: ChangeSet) -> Application {
    let app = cs.application.clone();
    s.commit(cs)
        .await
        .unwrap_or_else(|e| panic!("commit of {} refused: {e}", app.id));
    app
}

async fn submit_old<S: Store + ?Sized>(
    s: &S,
    cal: &Calendar,
    d: &District,
    now: Time,
) -> Application {
    let seq = s
        .next_sequence(&d.code, local_date(now).year())
        .await
        .expect("next_sequence");
    let kid = child(born());
    let new = NewApplication {
        id: uuid(),
        registration_seq: seq,
        district: d.clone(),
        applicant_iin: adult(),
        child_birth_date: kid.birth_date(),
        child_iin: kid,
        email: "parent@example.kz".into(),
        phone: "+77011234567".into(),
        language: Language::Ru,
        privilege: None,
        signed_with: SignedWith::Eds,
    };
    let d = lifecycle::submit(new, old_ctx(cal, now)).expect("submit");
    commit(s, d.into()).await
}

async fn act_old<S: Store + ?Sized>(
    s: &S,
    cal: &Calendar,
    app: &Application,
    command: Command,
    actor: Actor,
    now: Time,
) -> Application {
    let d = lifecycle::apply(app, command, &actor, old_ctx(cal, now))
        .unwrap_or_else(|r| panic!("{} refused: {r}", app.id));
    commit(s, d.into()).await
}

fn offer_at(app: &Application, now: Time) -> Command {
    Command::OfferVoucher {
        run_id: uuid(),
        age_group: queue::age_group(app.child_birth_date, local_date(now)),
        log: None,
    }
}

/// Seeds a district with the five applications of [`Seeded`], every deadline computed with the
/// calendar before the correction.
pub async fn seed_before_correction<S: Store + ?Sized>(s: &S, d: &District) -> Seeded {
    let cal = calendar_before();
    put_new(s, &kindergarten(d, &[(3, 10), (4, 10)])).await;
    let parent = |a: &Application| Actor::Parent {
        iin: a.applicant_iin.clone(),
    };

    let reconfirm = submit_old(s, &cal, d, at(day(2026, 3, 15), 10, 0)).await;

    let offered = submit_old(s, &cal, d, at(day(2026, 4, 1), 10, 0)).await;
    let t = at(day(2027, 3, 11), 10, 0);
    let offered = act_old(s, &cal, &offered, offer_at(&offered, t), Actor::System, t).await;

    let active = submit_old(s, &cal, d, at(day(2026, 4, 2), 10, 0)).await;
    let t = at(day(2027, 3, 9), 10, 0);
    let active = act_old(s, &cal, &active, offer_at(&active, t), Actor::System, t).await;
    let confirm = Command::ConfirmVoucher {
        signed_with: SignedWith::Eds,
    };
    let t = at(day(2027, 3, 10), 10, 0);
    let active = act_old(s, &cal, &active, confirm, parent(&active), t).await;

    let stop_listed = submit_old(s, &cal, d, at(day(2026, 4, 6), 10, 0)).await;
    let t = at(day(2027, 2, 11), 10, 0);
    let stop_listed = act_old(
        s,
        &cal,
        &stop_listed,
        offer_at(&stop_listed, t),
        Actor::System,
        t,
    )
    .await;
    let t = at(day(2027, 2, 16), 10, 0);
    let stop_listed = act_old(s, &cal, &stop_listed, Command::Sweep, Actor::System, t).await;

    let kept = submit_old(s, &cal, d, at(day(2026, 4, 7), 10, 0)).await;
    let t = at(day(2026, 8, 27), 10, 0);
    let kept = act_old(s, &cal, &kept, offer_at(&kept, t), Actor::System, t).await;

    let seeded = Seeded {
        reconfirm,
        offered,
        active,
        stop_listed,
        kept,
    };
    // The seeds hold the old deadlines.
    let rfc = |t: Time| t.to_rfc3339();
    assert_eq!(
        rfc(seeded.reconfirm.reconfirm_by),
        "2027-03-15T23:59:59+05:00"
    );
    let v = |a: &Application| a.voucher().clone().expect("a voucher");
    assert_eq!(
        rfc(v(&seeded.offered).confirm_by),
        "2027-03-15T23:59:59+05:00"
    );
    assert_eq!(
        v(&seeded.active).choose_by.map(rfc).as_deref(),
        Some("2027-03-17T23:59:59+05:00")
    );
    assert_eq!(seeded.stop_listed.status(), Status::StopListed);
    assert_eq!(
        seeded.stop_listed.restore_by().map(rfc).as_deref(),
        Some("2027-03-15T23:59:59+05:00")
    );
    assert_eq!(rfc(v(&seeded.kept).confirm_by), "2026-09-01T23:59:59+05:00");
    seeded
}

/// What the correction must have made of each seeded application (`corrected`: after the run).
pub fn expected_after(seeded: &Seeded) -> Vec<(&str, &'static str, &'static str, &'static str)> {
    vec![
        (
            seeded.reconfirm.id.as_str(),
            "reconfirm_by",
            "2027-03-15T23:59:59+05:00",
            "2027-03-16T23:59:59+05:00",
        ),
        (
            seeded.offered.id.as_str(),
            "confirm_by",
            "2027-03-15T23:59:59+05:00",
            "2027-03-16T23:59:59+05:00",
        ),
        (
            seeded.active.id.as_str(),
            "choose_by",
            "2027-03-17T23:59:59+05:00",
            "2027-03-18T23:59:59+05:00",
        ),
        (
            seeded.stop_listed.id.as_str(),
            "restore_by",
            "2027-03-15T23:59:59+05:00",
            "2027-03-16T23:59:59+05:00",
        ),
    ]
}

/// The deadline a field names, as stored now.
pub fn deadline(app: &Application, field: &str) -> Option<String> {
    let voucher = app.voucher();
    let v = voucher.as_ref();
    match field {
        "reconfirm_by" => Some(app.reconfirm_by),
        "confirm_by" => v.map(|v| v.confirm_by),
        "choose_by" => v.and_then(|v| v.choose_by),
        "restore_by" => app.restore_by(),
        _ => None,
    }
    .map(|t| t.to_rfc3339())
}

/// The case: a dry run lists the four moves and writes nothing; the run makes them with one
/// history entry each; a second run finds nothing; the deadline the new calendar would shorten is
/// kept.
pub async fn calendar_correction_moves_deadlines_later_only<S: Subject>(s: Arc<S>) {
    let d = crate::fixtures::district();
    let seeded = seed_before_correction(&*s, &d).await;
    let clock = Arc::new(SimClock::new());
    clock.set(at(day(2027, 3, 11), 12, 0).with_timezone(&Utc));
    let service = Service::new(s.clone(), s.clone(), clock, Arc::new(BuiltinRegisters));
    let mine = |r: &kezek_core::correct_deadlines::CorrectionReport| {
        let mut v: Vec<(String, String, String, String, bool)> = r
            .corrected
            .iter()
            .filter(|c| seeded.ids().contains(&c.id.as_str()))
            .flat_map(|c| {
                c.changes.iter().map(|ch| {
                    (
                        c.id.clone(),
                        ch.field.as_str().to_owned(),
                        ch.from.to_rfc3339(),
                        ch.to.to_rfc3339(),
                        c.committed,
                    )
                })
            })
            .collect();
        v.sort();
        v
    };
    let expected = |committed: bool| {
        let mut v: Vec<(String, String, String, String, bool)> = expected_after(&seeded)
            .into_iter()
            .map(|(id, f, from, to)| (id.into(), f.into(), from.into(), to.into(), committed))
            .collect();
        v.sort();
        v
    };
    let versions = |apps: &[Option<Application>]| -> Vec<u64> {
        apps.iter()
            .map(|a| a.as_ref().map_or(0, |a| a.version))
            .collect()
    };
    let read_all = || async {
        let mut v = Vec::new();
        for id in seeded.ids() {
            v.push(s.application(id).await.expect("read"));
        }
        v
    };

    let before = read_all().await;
    let dry = service
        .correct_deadlines("test: calendar corrected", true, 1_000_000)
        .await
        .expect("dry run");
    assert!(dry.dry_run);
    assert_eq!(mine(&dry), expected(false));
    assert_eq!(
        versions(&read_all().await),
        versions(&before),
        "a dry run writes nothing"
    );

    let run = service
        .correct_deadlines("test: calendar corrected", false, 1_000_000)
        .await
        .expect("run");
    assert_eq!(mine(&run), expected(true));
    for (id, field, _, to) in expected_after(&seeded) {
        let app = s.application(id).await.unwrap().expect("still there");
        assert_eq!(
            deadline(&app, field).as_deref(),
            Some(to),
            "{field} of {id}"
        );
        let history = s.history(id).await.unwrap();
        let last = history.last().expect("history");
        assert_eq!(last.action, Action::DeadlinesCorrected);
        assert_eq!(last.actor, Actor::System);
        assert_eq!(last.version, app.version);
        assert_eq!(last.from, Some(app.status()));
        assert_eq!(last.to, app.status());
        let reason = last.reason.clone().unwrap_or_default();
        assert!(
            reason.starts_with("test: calendar corrected: ") && reason.contains(to),
            "{reason}"
        );
    }
    let kept = s.application(&seeded.kept.id).await.unwrap().unwrap();
    assert_eq!(kept.version, seeded.kept.version, "never shortened");
    assert_eq!(
        deadline(&kept, "confirm_by").as_deref(),
        Some("2026-09-01T23:59:59+05:00")
    );

    let again = service
        .correct_deadlines("test: calendar corrected", false, 1_000_000)
        .await
        .expect("second run");
    assert!(mine(&again).is_empty(), "idempotent: {:?}", mine(&again));
}
