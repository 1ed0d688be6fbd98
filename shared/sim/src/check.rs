//! The invariants, checked after every step of a simulation and at its end (issue 20).

use kezek_core::domain::*;
use kezek_core::iin::Iin;
use kezek_core::lifecycle::Sweep;
use kezek_core::ports::*;
use kezek_core::service::Service;
use std::collections::{BTreeMap, HashMap};

/// What the checks see of a simulated world.
pub trait Observed {
    /// The store as it is, past the faults.
    fn store(&self) -> &dyn Store;
    fn outbox(&self) -> &dyn Outbox;
    fn service(&self) -> &Service;
    fn districts(&self) -> &[String];
    /// Each kindergarten's places per age group as the operators set them.
    fn capacity(&self) -> &BTreeMap<(String, String), u32>;
    fn parents(&self) -> Vec<Iin>;
    /// How many times each message was sent, by channel.
    fn sent(&self) -> HashMap<(String, Channel), u64>;
    /// The version of each application whose history was last checked (a history changes only
    /// with its application's version, in the same commit).
    fn histories_checked(&self) -> &std::sync::Mutex<HashMap<String, u64>>;
}

/// A broken invariant: which, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub invariant: &'static str,
    pub seen: String,
}

impl Violation {
    pub fn new(invariant: &'static str, seen: String) -> Violation {
        Violation { invariant, seen }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.invariant, self.seen)
    }
}

/// Every application of every family, as stored.
pub async fn applications(w: &impl Observed) -> Vec<Application> {
    let mut out = Vec::new();
    for parent in w.parents() {
        if let Ok(apps) = w.store().applications_by_applicant(&parent).await {
            out.extend(apps);
        }
    }
    out
}

fn broken(invariant: &'static str, seen: String) -> Result<u64, Violation> {
    Err(Violation::new(invariant, seen))
}

/// The invariants of the store's whole state; returns how many checks passed and the
/// applications read. `every_history`: read every history, else only those of applications
/// whose version moved since their last check.
pub async fn all(
    w: &impl Observed,
    every_history: bool,
) -> Result<(u64, Vec<Application>), Violation> {
    let apps = applications(w).await;
    let checks = state(w, &apps, every_history).await?;
    Ok((checks, apps))
}

async fn state(
    w: &impl Observed,
    apps: &[Application],
    every_history: bool,
) -> Result<u64, Violation> {
    let mut checks = 0;
    // One live application per child.
    let mut live: HashMap<&str, u32> = HashMap::new();
    for a in apps {
        if a.status() != Status::Archived {
            *live.entry(a.child_iin.as_str()).or_insert(0) += 1;
        }
    }
    if let Some((child, n)) = live.iter().find(|(_, n)| **n > 1) {
        return broken(
            "one live application per child",
            format!("child …{} has {n}", &child[child.len().saturating_sub(3)..]),
        );
    }
    checks += 1;
    // Status and history agree; one entry per transition.
    for a in apps {
        let seen = w
            .histories_checked()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&a.id)
            .copied();
        if !every_history && seen == Some(a.version) {
            continue;
        }
        let h = w
            .store()
            .history(&a.id)
            .await
            .map_err(|e| Violation::new("read", e.to_string()))?;
        let versions: Vec<u64> = h.iter().map(|e| e.version).collect();
        if versions != (1..=a.version).collect::<Vec<_>>() {
            return broken(
                "one history entry per transition",
                format!("{} at version {} has entries {versions:?}", a.id, a.version),
            );
        }
        if h.last().map(|e| e.to) != Some(a.status()) {
            return broken(
                "status and history agree",
                format!(
                    "{} is {:?}, its history ends {:?}",
                    a.id,
                    a.status(),
                    h.last().map(|e| e.to)
                ),
            );
        }
        if let Some(pair) = h.windows(2).find(|p| p[1].from != Some(p[0].to)) {
            return broken(
                "status and history agree",
                format!("{}: {:?} then from {:?}", a.id, pair[0].to, pair[1].from),
            );
        }
        w.histories_checked()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(a.id.clone(), a.version);
        checks += 1;
    }
    // Places: never below zero, never overbooked; offers outstanding never above the places.
    let mut taken: BTreeMap<(String, String), u32> = BTreeMap::new();
    for a in apps {
        if let Some(v) = a.voucher() {
            if let (Some(k), Status::Enrolled) = (v.kindergarten_id.clone(), a.status()) {
                *taken.entry((k, v.age_group.to_string())).or_insert(0) += 1;
            }
        }
    }
    for d in w.districts() {
        let kgs = w
            .store()
            .kindergartens(Some(d))
            .await
            .map_err(|e| Violation::new("read", e.to_string()))?;
        let mut free: BTreeMap<u8, u32> = BTreeMap::new();
        for k in &kgs {
            for (age, n) in &k.free_places {
                *free.entry(*age).or_insert(0) += n;
                let key = (k.id.clone(), age.to_string());
                let cap = w.capacity().get(&key).copied().unwrap_or(0);
                let took = taken.get(&key).copied().unwrap_or(0);
                if n + took != cap {
                    return broken(
                        "places are kept",
                        format!(
                            "{} age {age}: {n} free + {took} enrolled != {cap} places",
                            k.id
                        ),
                    );
                }
            }
        }
        // every pool that can hold an offer: an age group with places in the district (a
        // kindergarten lists it, even at 0) or with a voucher held
        let mut ages: std::collections::BTreeSet<u8> = kgs
            .iter()
            .flat_map(|k| k.free_places.keys().copied())
            .collect();
        ages.extend(
            apps.iter()
                .filter(|a| a.district == *d)
                .filter_map(|a| a.voucher().map(|v| v.age_group)),
        );
        for age in ages {
            let out = w
                .store()
                .outstanding_vouchers(d, age)
                .await
                .map_err(|e| Violation::new("read", e.to_string()))?;
            let places = free.get(&age).copied().unwrap_or(0);
            if out > places {
                return broken(
                    "offers within places",
                    format!("{d} age {age}: {out} outstanding over {places} free places"),
                );
            }
            // the pool's count is the vouchers the applications hold
            let held = apps
                .iter()
                .filter(|a| a.district == *d && a.status().holds_voucher())
                .filter(|a| a.voucher().is_some_and(|v| v.age_group == age))
                .count() as u32;
            if held != out {
                return broken(
                    "offers within places",
                    format!("{d} age {age}: the pool counts {out}, the applications hold {held}"),
                );
            }
        }
        checks += 2;
    }
    Ok(checks)
}

/// After a sweep that met no fault: no deadline is left due (none missed by more than one sweep).
pub async fn nothing_due(w: &impl Observed) -> Result<(), Violation> {
    let now = w.service().now();
    for sweep in [Sweep::Expiry, Sweep::Reconfirmation] {
        let due = w
            .store()
            .due(sweep, now, 10)
            .await
            .map_err(|e| Violation::new("read", e.to_string()))?;
        if let Some(a) = due.first() {
            return Err(Violation::new(
                "no deadline missed by more than one sweep",
                format!(
                    "{} ({:?}) still due after a clean {sweep:?} sweep",
                    a.id,
                    a.status()
                ),
            ));
        }
    }
    Ok(())
}

/// At the end, every notification delivered: nothing pending, and nothing failed but what went to
/// the dead-letter queue (`dead`: the notifications there). A message is sent again on a channel
/// only where the process was killed between its send and its record (SES and SMS take no
/// idempotency key): for each message, the sends beyond the first equal the sends kills left
/// unrecorded (`unrecorded`), or, for a notification given up to the dead-letter queue, do not
/// pass them.
pub async fn delivered(
    w: &impl Observed,
    unrecorded: &HashMap<(String, Channel), u64>,
    dead: &std::collections::HashSet<String>,
) -> Result<(), Violation> {
    let (pending, failed) = w
        .outbox()
        .counts(None)
        .await
        .map_err(|e| Violation::new("read", e.to_string()))?;
    if pending > 0 || failed > dead.len() as u64 {
        return Err(Violation::new(
            "every notification sent",
            format!(
                "{pending} pending and {failed} failed at the end, {} in the dead-letter queue",
                dead.len()
            ),
        ));
    }
    let sent = w.sent();
    for (key, n) in &sent {
        let again = n - 1;
        let u = unrecorded.get(key).copied().unwrap_or(0);
        let given_up = dead.contains(&key.0);
        if again > u || (again < u && !given_up) {
            return Err(Violation::new(
                "no message twice",
                format!("{key:?} sent {n} times, {u} left unrecorded by kills (dead-lettered: {given_up})"),
            ));
        }
    }
    Ok(())
}

/// At the end: each district's voucher-run log verifies, no run is left open, and every voucher
/// an application holds was offered by a run whose outcome the log shows. Returns the outcomes
/// written for cut-off runs.
pub async fn run_logs(w: &impl Observed) -> Result<u64, Violation> {
    let apps = applications(w).await;
    let mut recovered = 0;
    for d in w.districts() {
        let log = w
            .store()
            .runs(d, 0, 100_000)
            .await
            .map_err(|e| Violation::new("read", e.to_string()))?;
        let verified = kezek_core::run_log::verify(&log)
            .map_err(|v| Violation::new("the run log verifies", format!("{d}: {v}")))?;
        if let Some((seq, run)) = verified.open.first() {
            return Err(Violation::new(
                "no run left open",
                format!("{d}: run {run} started at entry {seq} has no outcome"),
            ));
        }
        recovered += log
            .iter()
            .filter(|e| e.run.stage == kezek_core::run_log::Stage::Recovered)
            .count() as u64;
        let offered: std::collections::HashSet<&str> = log
            .iter()
            .flat_map(|e| e.run.offered.iter().map(String::as_str))
            .collect();
        for a in apps.iter().filter(|a| a.district == *d) {
            if a.voucher().is_some() && !offered.contains(a.registration_number.as_str()) {
                return Err(Violation::new(
                    "every offer in the run log",
                    format!(
                        "{d}: {} holds a voucher no outcome lists",
                        a.registration_number
                    ),
                ));
            }
        }
    }
    Ok(recovered)
}

/// Each queue's book against the queue: every queued child's exact position from the book is
/// its place in the queue read in order, and its history explains every move (each move starts
/// where the last ended) and ends at that position. Returns how many children were checked.
pub async fn books(w: &impl Observed) -> Result<u64, Violation> {
    use kezek_core::queue_book::{self, Place};
    let reference = w.service().reference();
    let apps = applications(w).await;
    let mut queues: std::collections::BTreeSet<(String, kezek_core::queue::Cohort)> =
        std::collections::BTreeSet::new();
    for a in apps.iter().filter(|a| a.status() == Status::Queued) {
        queues.insert((
            a.district.clone(),
            kezek_core::queue::cohort_of(a.child_birth_date),
        ));
    }
    let mut checked = 0;
    for (d, cohort) in queues {
        let read = |e: StoreError| Violation::new("read", e.to_string());
        let book = w.store().queue_book(&d, cohort).await.map_err(read)?;
        let queue = w.store().queue(&d, cohort, 100_000).await.map_err(read)?;
        for (i, a) in queue.iter().enumerate() {
            let me = Place::of(&a.queue_key(reference));
            let at = i as u64 + 1;
            let counted = queue_book::position(&book, &me);
            if counted != at {
                return Err(Violation::new(
                    "the book counts the queue",
                    format!(
                        "{d} {cohort}: {} is {at} in the queue, {counted} in the book",
                        a.id
                    ),
                ));
            }
            let moves = queue_book::history(&book, &me);
            let mut was = None;
            for m in &moves {
                if m.from != was {
                    return Err(Violation::new(
                        "each history explains every move",
                        format!("{}: a move from {:?} after {was:?}", a.id, m.from),
                    ));
                }
                was = m.to;
            }
            if was != Some(at) {
                return Err(Violation::new(
                    "each history explains every move",
                    format!(
                        "{}: the history ends at {was:?}, the queue has it at {at}",
                        a.id
                    ),
                ));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

/// After a run: a child it passed over because the application `changed` is no longer queued
/// (a queued child is not passed over for someone else's write, e.g. a transaction conflict).
pub async fn passed_fairly(
    w: &impl Observed,
    district: &str,
    run_id: &str,
) -> Result<(), Violation> {
    use kezek_core::run_log::{reason, Stage};
    let read = |e: StoreError| Violation::new("read", e.to_string());
    let latest = w.store().latest_runs(district, 4).await.map_err(read)?;
    let Some(outcome) = latest
        .iter()
        .find(|e| e.run.run_id == run_id && e.run.stage != Stage::Started)
    else {
        return Ok(());
    };
    for p in outcome
        .run
        .passed
        .iter()
        .filter(|p| p.reason == reason::CHANGED)
    {
        let number =
            kezek_core::values::RegistrationNumber::parse(&p.number, w.service().reference());
        let Some(number) = number else { continue };
        let app = w
            .store()
            .application_by_number(&number)
            .await
            .map_err(read)?;
        if app.is_some_and(|a| a.status() == Status::Queued) {
            return Err(Violation::new(
                "no queued child passed over",
                format!(
                    "run {run_id} passed {} as changed, and it is still queued",
                    p.number
                ),
            ));
        }
    }
    Ok(())
}
