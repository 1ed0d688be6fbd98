//! Test data built with the real core: applications come from `lifecycle::submit` / `apply` with
//! the built-in calendar and reference data, so every change set is one the use cases could commit.
//!
//! Every case draws fresh ids: a district code, application ids (UUID v4), kindergarten ids and
//! IINs are unique per process (IINs from a counter over a random base), so cases can share one
//! table and run side by side.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use kezek_core::calendar::Calendar;
use kezek_core::domain::*;
use kezek_core::iin::{make_iin, Iin};
use kezek_core::lifecycle::{self, Command, Context, NewApplication};
use kezek_core::ports::{stores::*, ChangeSet, CommitError, Conflict, Outbox};
use kezek_core::queue::{self, AgeGroup, Cohort};
use kezek_core::reference::{AllocationPolicy, District, Reference};
use kezek_core::time::{at_local, local_date, Time};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Pending notifications are read with this limit: "all of them" for a test table.
pub const ALL: usize = 1_000_000;

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date {y}-{m}-{d}"))
}

/// `hh:mm` Asia/Almaty on a date.
pub fn at(date: NaiveDate, h: u32, m: u32) -> Time {
    at_local(
        date,
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or_else(|| panic!("bad time {h}:{m}")),
    )
}

/// The instant most cases live at: Monday 6 April 2026, 10:00 Almaty. Every deadline and reminder
/// these cases create falls on or after it; only [`crate::cases::due_returns_only_due_earliest_first`]
/// works in 2025 (before it), so its `due` queries see its own applications only.
pub fn base() -> Time {
    at(day(2026, 4, 6), 10, 0)
}

/// Birth dates of the main cohort (2023): age group 3 at [`base`].
pub fn born() -> NaiveDate {
    day(2023, 3, 1)
}

pub fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn ctx(now: Time) -> Context<'static> {
    Context {
        now,
        calendar: Calendar::builtin(),
        reference: Reference::builtin(),
    }
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A district of its own for one case: its queues, counters and stats see nothing else.
pub fn district() -> District {
    let tag = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase();
    District {
        code: format!("T{tag}"),
        prefix: "ТСТ".into(),
        name_kk: "Сынақ ауданы".into(),
        name_ru: "Тестовый район".into(),
        allocation: AllocationPolicy::Strict,
    }
}

fn next_index() -> u64 {
    static BASE: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = *BASE.get_or_init(|| {
        let b = uuid::Uuid::new_v4().as_u128();
        (b % 1_000_000_000) as u64
    });
    base + COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// A fresh IIN of someone born within 60 days from `from` (unique in this process).
pub fn person(from: NaiveDate, male: bool) -> Iin {
    loop {
        let i = next_index();
        let serial = (i % 10_000) as u32;
        let birth = from + Duration::days(((i / 10_000) % 60) as i64);
        if let Some(iin) = make_iin(birth, male, serial) {
            return iin;
        }
    }
}

/// A fresh child born in the spring of `from`'s year (cohort `from.year()`).
pub fn child(from: NaiveDate) -> Iin {
    person(from, true)
}

/// A fresh adult.
pub fn adult() -> Iin {
    person(day(1990, 1, 1), false)
}

/// What to submit.
#[derive(Debug, Clone)]
pub struct Sub {
    pub id: String,
    pub applicant: Iin,
    pub child: Iin,
    pub privilege: Option<&'static str>,
    pub now: Time,
    /// Drawn from the store when `None`.
    pub seq: Option<u64>,
}

impl Sub {
    pub fn new(child: Iin, now: Time) -> Sub {
        Sub {
            id: uuid(),
            applicant: adult(),
            child,
            privilege: None,
            now,
            seq: None,
        }
    }

    pub fn by(mut self, applicant: &Iin) -> Sub {
        self.applicant = applicant.clone();
        self
    }

    pub fn privilege(mut self, category: &'static str) -> Sub {
        self.privilege = Some(category);
        self
    }

    pub fn id(mut self, id: &str) -> Sub {
        self.id = id.to_owned();
        self
    }

    pub fn seq(mut self, seq: u64) -> Sub {
        self.seq = Some(seq);
        self
    }
}

/// The submit change set (draws the registration sequence from the store unless given).
pub async fn submission<S: Store + ?Sized>(s: &S, d: &District, sub: Sub) -> ChangeSet {
    let seq = match sub.seq {
        Some(n) => n,
        None => s
            .next_sequence(&d.code, local_date(sub.now).year())
            .await
            .expect("next_sequence"),
    };
    let new = NewApplication {
        id: sub.id,
        registration_seq: seq,
        district: d.clone(),
        applicant_iin: sub.applicant,
        child_birth_date: sub.child.birth_date(),
        child_iin: sub.child,
        email: "parent@example.kz".into(),
        phone: "+77011234567".into(),
        language: Language::Ru,
        privilege: sub
            .privilege
            .map(|c| (c.to_owned(), vec!["doc-1".to_owned()])),
        signed_with: SignedWith::Eds,
    };
    lifecycle::submit(new, ctx(sub.now))
        .unwrap_or_else(|r| panic!("submit refused: {r}"))
        .into()
}

/// Submits and commits; the committed application.
pub async fn submit<S: Store + ?Sized>(s: &S, d: &District, sub: Sub) -> Application {
    commit_ok(s, submission(s, d, sub).await).await.application
}

/// Commits a change set that must succeed; returns it for inspection.
pub async fn commit_ok<S: Store + ?Sized>(s: &S, cs: ChangeSet) -> ChangeSet {
    s.commit(cs.clone()).await.unwrap_or_else(|e| {
        panic!(
            "commit of {} v{} refused: {e}",
            cs.application.id, cs.application.version
        )
    });
    cs
}

/// The change set of a command on `app` at `now` (the transition must be allowed).
pub fn decide(app: &Application, command: Command, now: Time) -> ChangeSet {
    let actor = match command {
        Command::OfferVoucher { .. } | Command::Sweep => Actor::System,
        Command::RejectPrivilege { .. } => Actor::Operator { iin: adult() },
        _ => Actor::Parent {
            iin: app.applicant_iin.clone(),
        },
    };
    lifecycle::apply(app, command, &actor, ctx(now))
        .unwrap_or_else(|r| panic!("transition of {} refused: {r}", app.id))
        .into()
}

/// Applies a command and commits it; the new application.
pub async fn act<S: Store + ?Sized>(
    s: &S,
    app: &Application,
    command: Command,
    now: Time,
) -> Application {
    commit_ok(s, decide(app, command, now)).await.application
}

/// The voucher-run command for `app` at `now` (its real age group).
pub fn offer(app: &Application, now: Time) -> Command {
    Command::OfferVoucher {
        run_id: uuid(),
        age_group: queue::age_group(app.child_birth_date, local_date(now)),
        // the stores keep the run's log entry with the voucher
        log: Some(RunLogRef {
            seq: 7,
            hash: "3fa2".repeat(16),
        }),
    }
}

pub fn confirm() -> Command {
    Command::ConfirmVoucher {
        signed_with: SignedWith::Eds,
    }
}

pub fn choose(kg: &Kindergarten) -> Command {
    Command::ChooseKindergarten {
        kindergarten: Box::new(kg.clone()),
        signed_with: SignedWith::Eds,
    }
}

pub fn cohort(app: &Application) -> Cohort {
    queue::cohort_of(app.child_birth_date)
}

/// A fresh kindergarten of a district with free places per age group (version 1).
pub fn kindergarten(d: &District, places: &[(AgeGroup, u32)]) -> Kindergarten {
    Kindergarten {
        id: uuid(),
        version: 1,
        name_kk: "Балбөбек".into(),
        name_ru: "Балбобек".into(),
        district: d.code.clone(),
        address: "ул. Абая, 1".into(),
        phone: "+77162000000".into(),
        ownership: Ownership::State,
        ddo_type: DdoType::Kindergarten,
        languages: InstructionLanguage::Both,
        admission: AdmissionMode::General,
        free_places: places.iter().copied().collect::<BTreeMap<_, _>>(),
    }
}

/// Creates a kindergarten (must not exist).
pub async fn put_new<S: Store + ?Sized>(s: &S, kg: &Kindergarten) {
    s.put_kindergarten(kg.clone(), None)
        .await
        .expect("create kindergarten");
}

/// The conflict a commit was refused with (panics when it succeeded or failed otherwise).
pub fn conflict_of(r: Result<(), CommitError>) -> Conflict {
    match r {
        Err(CommitError::Conflict(c)) => c,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

pub fn ids(apps: &[Application]) -> Vec<String> {
    apps.iter().map(|a| a.id.clone()).collect()
}

pub fn sorted_ids(apps: &[Application]) -> Vec<String> {
    let mut v = ids(apps);
    v.sort();
    v
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The ids of pending notifications of the given applications, in the outbox's order.
pub async fn pending_of<S: Outbox + ?Sized>(s: &S, app_ids: &[&str]) -> Vec<String> {
    s.pending(ALL)
        .await
        .expect("pending")
        .into_iter()
        .filter(|n| {
            n.application_id
                .as_deref()
                .is_some_and(|a| app_ids.contains(&a))
        })
        .map(|n| n.id)
        .collect()
}

/// A status count, zero when the store leaves it out.
pub async fn count<S: Store + ?Sized>(s: &S, district: &str, status: Status) -> u64 {
    s.status_counts(district)
        .await
        .expect("status_counts")
        .get(&status)
        .copied()
        .unwrap_or(0)
}

/// All six status counts of a district, zeros included.
pub async fn counts<S: Store + ?Sized>(s: &S, district: &str) -> BTreeMap<Status, u64> {
    let got = s.status_counts(district).await.expect("status_counts");
    Status::ALL
        .iter()
        .map(|st| (*st, got.get(st).copied().unwrap_or(0)))
        .collect()
}

pub fn status_map(pairs: &[(Status, u64)]) -> BTreeMap<Status, u64> {
    let mut m: BTreeMap<Status, u64> = Status::ALL.iter().map(|s| (*s, 0)).collect();
    for (s, n) in pairs {
        m.insert(*s, *n);
    }
    m
}

/// Free places of a kindergarten for an age group as stored.
pub async fn free<S: Store + ?Sized>(s: &S, kg: &str, age: AgeGroup) -> u32 {
    s.kindergarten(kg)
        .await
        .expect("kindergarten")
        .expect("kindergarten exists")
        .free_places
        .get(&age)
        .copied()
        .unwrap_or(0)
}

/// Everything a refused commit must leave untouched, for one district and some applications.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub apps: Vec<Option<Application>>,
    pub histories: Vec<Vec<HistoryEntry>>,
    pub pending: Vec<String>,
    pub by_child: Vec<Vec<String>>,
    pub by_applicant: Vec<Vec<String>>,
    pub queue: Vec<String>,
    pub status_counts: BTreeMap<Status, u64>,
    pub outstanding: Vec<u32>,
    pub outbox_counts: (u64, u64),
    pub kindergartens: Vec<Kindergarten>,
}

pub async fn snapshot<S: Store + Outbox + ?Sized>(
    s: &S,
    d: &District,
    cohort: Cohort,
    app_ids: &[&str],
    people: &[&Iin],
) -> Snapshot {
    let mut apps = Vec::new();
    let mut histories = Vec::new();
    for id in app_ids {
        apps.push(s.application(id).await.expect("application"));
        histories.push(s.history(id).await.expect("history"));
    }
    let mut by_child = Vec::new();
    let mut by_applicant = Vec::new();
    for p in people {
        by_child.push(sorted_ids(
            &s.applications_by_child(p).await.expect("by_child"),
        ));
        by_applicant.push(sorted_ids(
            &s.applications_by_applicant(p).await.expect("by_applicant"),
        ));
    }
    let mut outstanding = Vec::new();
    for age in 0..=7 {
        outstanding.push(
            s.outstanding_vouchers(&d.code, age)
                .await
                .expect("outstanding"),
        );
    }
    let mut kindergartens = s.kindergartens(Some(&d.code)).await.expect("kindergartens");
    kindergartens.sort_by(|a, b| a.id.cmp(&b.id));
    Snapshot {
        apps,
        histories,
        pending: pending_of(s, app_ids).await,
        by_child,
        by_applicant,
        queue: ids(&s.queue(&d.code, cohort, ALL).await.expect("queue")),
        status_counts: counts(s, &d.code).await,
        outstanding,
        outbox_counts: s.counts(Some(&d.code)).await.expect("outbox counts"),
        kindergartens,
    }
}
