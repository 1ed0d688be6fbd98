//! Property tests of the lifecycle: random sequences of commands at an advancing clock, applied to a
//! submitted application, keep the invariants of service.md, "The application lifecycle".

use chrono::{Duration, NaiveDate, NaiveTime, Timelike};
use kezek_core::calendar::Calendar;
use kezek_core::domain::*;
use kezek_core::iin::make_iin;
use kezek_core::lifecycle::*;
use kezek_core::queue::{age_group, QueueKey};
use kezek_core::reference::Reference;
use kezek_core::time::{at_local, end_of_day, local_date, Time};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashSet};

fn ctx(now: Time) -> Context<'static> {
    Context {
        now,
        calendar: Calendar::builtin(),
        reference: Reference::builtin(),
    }
}

/// How the clock moves before a command (never backwards).
#[derive(Debug, Clone)]
enum Clock {
    Advance(i64),
    /// To the current deadline plus an offset in seconds, when that is not in the past.
    ToDeadline(i64),
    /// To the instant `next_due` names, when that is not in the past.
    ToNextDue,
}

fn clock() -> impl Strategy<Value = Clock> {
    prop_oneof![
        6 => (0i64..3_600).prop_map(Clock::Advance),
        6 => (0i64..2 * 86_400).prop_map(Clock::Advance),
        2 => (0i64..20 * 86_400).prop_map(Clock::Advance),
        1 => (0i64..400 * 86_400).prop_map(Clock::Advance),
        2 => (-1i64..=1).prop_map(Clock::ToDeadline),
        1 => (-50_000i64..0).prop_map(Clock::ToDeadline),
        2 => Just(Clock::ToNextDue),
    ]
}

fn is_deadline(t: Time) -> bool {
    let day = local_date(t);
    t.offset().local_minus_utc() == 5 * 3600
        && t.hour() == 23
        && t.minute() == 59
        && t.second() == 59
        && t.nanosecond() == 0
        && t == end_of_day(day)
        && Calendar::builtin().is_working_day(day)
}

fn deadlines(app: &Application) -> Vec<(&'static str, Time)> {
    let mut out = vec![("reconfirm_by", app.reconfirm_by)];
    if let Some(v) = &app.voucher() {
        out.push(("confirm_by", v.confirm_by));
        if let Some(c) = v.choose_by {
            out.push(("choose_by", c));
        }
    }
    if let Some(r) = app.restore_by() {
        out.push(("restore_by", r));
    }
    out
}

fn kindergarten(district: &str, age: u8) -> Box<Kindergarten> {
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
        free_places: [(age, 2u32)].into_iter().collect::<BTreeMap<_, _>>(),
    })
}

/// Mostly a command that fits the status (so histories get far), sometimes any command.
fn pick(n: u8, fitting: bool, status: Status) -> u8 {
    if !fitting {
        return n;
    }
    let fits: &[u8] = match status {
        Status::Queued => &[0, 1, 2, 10, 11, 12],
        Status::VoucherOffered => &[3, 4, 6, 12],
        Status::VoucherActive => &[5, 7, 8, 6, 12],
        Status::StopListed => &[9, 9, 10, 12],
        Status::Enrolled | Status::Archived => &[0, 6, 12],
    };
    fits[usize::from(n) % fits.len()]
}

/// Command number -> (command, actor, whether it is a parent's or a run's timed action).
fn command(n: u8, app: &Application, now: Time) -> (Command, Actor, bool) {
    let parent = Actor::Parent {
        iin: app.applicant_iin.clone(),
    };
    let age = app.voucher().as_ref().map_or_else(
        || age_group(app.child_birth_date, local_date(now)),
        |v| v.age_group,
    );
    match n {
        0 => (Command::Reconfirm, parent, true),
        1 | 2 => (
            Command::OfferVoucher {
                run_id: format!("run-{}", now.timestamp()),
                age_group: age,
                log: None,
            },
            Actor::System,
            true,
        ),
        3 | 4 => (
            Command::ConfirmVoucher {
                signed_with: SignedWith::Eds,
            },
            parent,
            true,
        ),
        5 => (Command::Extend, parent, true),
        6 => (Command::Refuse, parent, true),
        7 => (
            Command::ChooseKindergarten {
                kindergarten: kindergarten(&app.district, age),
                signed_with: SignedWith::Eds,
            },
            parent,
            true,
        ),
        8 => (
            Command::ChooseKindergarten {
                kindergarten: kindergarten("STP", age),
                signed_with: SignedWith::Eds,
            },
            parent,
            true,
        ),
        9 => (Command::Restore, parent, true),
        10 => (Command::Withdraw, parent, true),
        11 => (
            Command::RejectPrivilege {
                reason: "documents not confirmed".into(),
            },
            Actor::System,
            false,
        ),
        _ => (Command::Sweep, Actor::System, false),
    }
}

fn submitted(start: Time, birth: NaiveDate, privileged: bool) -> Application {
    let child = (0..50)
        .find_map(|s| make_iin(birth, true, 500 + s))
        .expect("child iin");
    let new = NewApplication {
        id: "app-p".into(),
        registration_seq: 7,
        district: Reference::builtin().district("KOK").expect("KOK").clone(),
        applicant_iin: make_iin(
            NaiveDate::from_ymd_opt(1990, 1, 31).expect("date"),
            false,
            7,
        )
        .expect("applicant iin"),
        child_iin: child,
        child_birth_date: birth,
        email: "p@example.kz".into(),
        phone: "+77010000000".into(),
        language: Language::Kk,
        privilege: privileged.then(|| ("large_family".to_owned(), vec!["doc".to_owned()])),
        signed_with: SignedWith::OneTimeCode,
    };
    submit(new, ctx(start)).expect("submit").application
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_histories_keep_the_invariants(
        start_day in 0i64..365,
        start_secs in 0i64..86_400,
        birth_day in 0i64..1_800,
        privileged in any::<bool>(),
        steps in proptest::collection::vec((0u8..15, prop::bool::weighted(0.8), clock()), 1..40),
    ) {
        let start = at_local(
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + Duration::days(start_day),
            NaiveTime::MIN,
        ) + Duration::seconds(start_secs);
        let birth = NaiveDate::from_ymd_opt(2021, 1, 1).expect("date") + Duration::days(birth_day);
        let mut app = submitted(start, birth, privileged);
        let registered_at = app.registered_at;
        let queue_key = |a: &Application| {
            let k = a.queue_key(Reference::builtin());
            (k.registered_at, k.registration_seq, k.id)
        };
        let key0 = queue_key(&app);
        let mut now = start;
        let mut outstanding: i64 = 0;
        let mut ids: HashSet<String> = HashSet::new();
        let mut seen_deadlines: Vec<(&'static str, Time)> = deadlines(&app);

        for (n, fitting, clk) in steps {
            now = match clk {
                Clock::Advance(s) => now + Duration::seconds(s),
                Clock::ToDeadline(off) => current_deadline(&app)
                    .map(|d| d + Duration::seconds(off))
                    .filter(|t| *t >= now)
                    .unwrap_or(now),
                Clock::ToNextDue => next_due(&app).map(|(_, t)| t).filter(|t| *t >= now).unwrap_or(now),
            };
            let (cmd, actor, timed) = command(pick(n, fitting, app.status()), &app, now);
            let is_sweep = matches!(cmd, Command::Sweep);
            let deadline = current_deadline(&app);
            let result = apply(&app, cmd.clone(), &actor, ctx(now));

            // Nothing leaves a final status.
            if app.status().is_final() {
                prop_assert_eq!(result.as_ref().err(), Some(&Refusal::NotInStatus(app.status())));
                prop_assert_eq!(deadline, None);
                prop_assert_eq!(next_due(&app), None);
                continue;
            }
            let passed = deadline.is_some_and(|d| now > d);
            // A deadline and a parent's action never both win.
            if timed && passed {
                prop_assert!(result.is_err(), "{:?} succeeded after its deadline", cmd);
            }
            // A sweep acts on every passed deadline, and on nothing else.
            if is_sweep && passed {
                prop_assert!(result.is_ok(), "sweep after the deadline refused: {:?}", result);
            }
            let dec = match result {
                Ok(dec) => dec,
                Err(_) => continue,
            };
            let next = &dec.application;
            if is_sweep {
                prop_assert_eq!(next.status() != app.status(), passed, "sweep moves status iff a deadline passed");
                if passed {
                    prop_assert!(next.status() == Status::StopListed || next.status() == Status::Archived);
                }
            }

            // Versions strictly increase, one by one; history matches the change.
            prop_assert_eq!(next.version, app.version + 1);
            prop_assert_eq!(dec.history.version, next.version);
            prop_assert_eq!(dec.history.from, Some(app.status()));
            prop_assert_eq!(dec.previous_status, Some(app.status()));
            prop_assert_eq!(dec.history.to, next.status());
            prop_assert_eq!(dec.history.at, now);
            prop_assert_eq!(next.updated_at, now);
            prop_assert_eq!(next.registered_at, registered_at);
            prop_assert_eq!(queue_key(next), key0.clone());

            // Notification ids are unique idempotency keys.
            for notif in &dec.notifications {
                prop_assert_eq!(&notif.id, &format!("{}:{}:{}", next.id, next.version, notif.kind.as_str()));
                prop_assert!(ids.insert(notif.id.clone()), "duplicate notification id {}", notif.id);
            }
            // Every transition the parent must know of tells them.
            prop_assert!(!dec.notifications.is_empty());

            // Voucher accounting from the effects: one outstanding iff offered or active.
            let mut released_child = false;
            for e in &dec.effects {
                match e {
                    Effect::OfferVoucher { .. } => outstanding += 1,
                    Effect::ReleaseVoucher { .. } => outstanding -= 1,
                    Effect::TakePlace { .. } => {
                        prop_assert_eq!(next.status(), Status::Enrolled);
                        outstanding -= 1;
                    }
                    Effect::ReleaseChild { child_iin } => {
                        prop_assert_eq!(child_iin, &next.child_iin);
                        released_child = true;
                    }
                }
            }
            prop_assert!(outstanding == 0 || outstanding == 1, "outstanding {}", outstanding);
            prop_assert_eq!(outstanding == 1, next.status().holds_voucher(), "status {:?}", next.status());
            prop_assert_eq!(released_child, next.status() == Status::Archived);
            if next.status().holds_voucher() {
                prop_assert!(next.voucher().is_some());
            }
            if next.status() == Status::Queued {
                prop_assert!(next.voucher().is_none());
                prop_assert!(next.restore_by().is_none());
            }
            if next.status() == Status::StopListed {
                prop_assert!(next.restore_by().is_some());
            }
            prop_assert_eq!(next.archive_reason().is_some(), next.status() == Status::Archived);

            // Every deadline ever set is 23:59:59 +05:00 of a working day.
            for (name, t) in deadlines(next) {
                prop_assert!(is_deadline(t), "{} = {} is not the end of a working day", name, t);
                seen_deadlines.push((name, t));
            }
            // The next sweep is due no later than the status's deadline.
            match (next_due(next), current_deadline(next)) {
                (None, None) => prop_assert!(next.status().is_final()),
                (Some((_, due)), Some(dl)) => prop_assert!(due <= dl),
                other => prop_assert!(false, "next_due/current_deadline disagree: {:?}", other),
            }
            app = dec.application;
        }
        for (name, t) in seen_deadlines {
            prop_assert!(is_deadline(t), "{} = {}", name, t);
        }
    }

    #[test]
    fn queue_key_order_is_the_tuple_order(
        keys in proptest::collection::vec(
            (0u8..3, 0i64..4, 0u64..4, prop::sample::select(vec!["a", "b", "c"])),
            2..12,
        )
    ) {
        let ks: Vec<QueueKey> = keys
            .iter()
            .map(|(r, t, s, id)| QueueKey {
                rank: *r,
                registered_at: *t,
                registration_seq: *s,
                id: (*id).to_owned(),
            })
            .collect();
        let tuple = |k: &QueueKey| (k.rank, k.registered_at, k.registration_seq, k.id.clone());
        for a in &ks {
            prop_assert_eq!(a.cmp(a), std::cmp::Ordering::Equal);
            for b in &ks {
                prop_assert_eq!(a.cmp(b), tuple(a).cmp(&tuple(b)));
                prop_assert_eq!(a.cmp(b), b.cmp(a).reverse());
                prop_assert_eq!(a.cmp(b) == std::cmp::Ordering::Equal, a == b);
                for c in &ks {
                    if a <= b && b <= c {
                        prop_assert!(a <= c);
                    }
                }
            }
        }
        let mut sorted = ks.clone();
        sorted.sort();
        for w in sorted.windows(2) {
            prop_assert!(tuple(&w[0]) <= tuple(&w[1]));
        }
    }

    #[test]
    fn working_day_arithmetic(day in 0i64..(3 * 365), n in 1u32..8) {
        let cal = Calendar::builtin();
        let date = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date") + Duration::days(day);
        let nth = cal.nth_working_day_after(date, n);
        prop_assert!(nth > date);
        prop_assert!(cal.is_working_day(nth));
        let counted = date
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= nth)
            .filter(|d| cal.is_working_day(*d))
            .count();
        prop_assert_eq!(counted, n as usize);
        prop_assert!(is_deadline(cal.end_of_nth_working_day_after(date, n)));

        let term = cal.end_of_calendar_term(date);
        prop_assert!(is_deadline(term));
        let end = local_date(term);
        prop_assert!(end >= date);
        prop_assert!(date.iter_days().take_while(|d| *d < end).all(|d| !cal.is_working_day(d)));
    }
}
