//! The embedded store: the whole store and outbox in memory behind one lock, for the local runner
//! and fast tests. It keeps the same indexes the DynamoDB design keeps (child lock, queue order,
//! due deadlines, voucher and place counters), so it answers every port call without scanning,
//! and it checks every commit's conditions before it writes anything.

mod credentials;
mod import;
mod outbox;
mod records;

use crate::domain::*;
use crate::iin::Iin;
use crate::lifecycle::{next_due, Effect, Sweep};
use crate::ports::*;
use crate::queue::{cohort_of, AgeGroup, Cohort, QueueKey};
use crate::reference::Reference;
use crate::time::Time;
use crate::values::RegistrationNumber;
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

/// A channel's send of a notification, as the embedded store records it.
#[derive(Debug, Clone)]
enum SendState {
    Sending { until: Time },
    Sent,
}

type DueKey = (Sweep, i64, String);

#[derive(Default)]
struct Inner {
    apps: HashMap<String, Application>,
    history: HashMap<String, Vec<HistoryEntry>>,
    /// One live (not archived) application per child IIN.
    child_lock: HashMap<Iin, String>,
    by_applicant: HashMap<Iin, Vec<String>>,
    /// Live (not archived) applications per applicant, at most
    /// [`crate::rules::MAX_LIVE_APPLICATIONS_PER_APPLICANT`].
    live_by_applicant: HashMap<Iin, u32>,
    by_child: HashMap<Iin, Vec<String>>,
    /// Registration number → application id.
    by_number: HashMap<String, String>,
    /// `queued` applications per district and cohort, in queue order.
    queues: HashMap<(String, Cohort), BTreeSet<QueueKey>>,
    /// Next due instant per sweep (microseconds), the sparse deadline index.
    due: BTreeSet<DueKey>,
    sequences: HashMap<(String, i32), u64>,
    kindergartens: BTreeMap<String, Kindergarten>,
    vouchers_out: HashMap<(String, AgeGroup), u32>,
    status_counts: HashMap<(String, Status), u64>,
    profiles: HashMap<Iin, Profile>,
    links: HashMap<Iin, BTreeSet<Iin>>,
    outbox_seq: u64,
    pending: BTreeMap<u64, Notification>,
    /// Every notification id ever enqueued, with its district and delivery outcome.
    notifications: HashMap<String, (Option<String>, Option<Delivery>)>,
    /// Claims and records of each channel's send.
    sends: HashMap<(String, Channel), SendState>,
    /// Rate-limit windows: (key, window end) → requests counted.
    hits: HashMap<(String, i64), u32>,
    codes: HashMap<Iin, CodeRecord>,
    markers: HashMap<String, chrono::DateTime<chrono::Utc>>,
    staff: HashMap<Iin, Vec<String>>,
    documents: HashMap<String, DocumentRecord>,
    /// Each district's run log, in order.
    run_logs: HashMap<String, Vec<crate::run_log::RunLogEntry>>,
    /// Each queue's book (district, cohort).
    books: HashMap<(String, Cohort), Vec<crate::queue_book::QueueEvent>>,
    /// The last pass of each sweep part.
    sweeps: BTreeMap<(Sweep, u32), SweepRecord>,
}

/// The embedded store. `Send + Sync`; clone an `Arc` of it to share.
pub struct EmbeddedStore {
    inner: Mutex<Inner>,
    reference: &'static Reference,
}

impl Default for EmbeddedStore {
    fn default() -> Self {
        EmbeddedStore::new()
    }
}

impl EmbeddedStore {
    pub fn new() -> EmbeddedStore {
        EmbeddedStore {
            inner: Mutex::new(Inner::default()),
            reference: Reference::builtin(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied commit (checks run before
        // writes), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every notification ever enqueued with its delivery outcome (for the dev outbox and tests).
    pub fn deliveries(&self) -> Vec<(String, Option<Delivery>)> {
        let g = self.lock();
        let mut v: Vec<_> = g
            .notifications
            .iter()
            .map(|(k, (_, d))| (k.clone(), d.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

fn due_key(app: &Application) -> Option<DueKey> {
    next_due(app).map(|(s, t)| (s, t.timestamp_micros(), app.id.clone()))
}

impl Inner {
    /// A queue in order from `from`, at most `limit`.
    fn queue_from(
        &self,
        district: &str,
        cohort: Cohort,
        from: Bound<&QueueKey>,
        limit: usize,
    ) -> Vec<Application> {
        self.queues
            .get(&(district.to_owned(), cohort))
            .into_iter()
            .flat_map(|q| q.range((from, Bound::Unbounded)))
            .take(limit)
            .filter_map(|k| self.apps.get(&k.id).cloned())
            .collect()
    }

    fn free_places(&self, district: &str, age: AgeGroup) -> u32 {
        self.kindergartens
            .values()
            .filter(|k| k.district == district)
            .map(|k| k.free_places.get(&age).copied().unwrap_or(0))
            .sum()
    }

    /// A new application's lookups: its number, its applicant's and its child's lists, and
    /// (when `live`) its child's lock and its applicant's live count.
    fn add_new(&mut self, app: &Application, live: bool) {
        if live {
            self.child_lock
                .insert(app.child_iin.clone(), app.id.clone());
            *self
                .live_by_applicant
                .entry(app.applicant_iin.clone())
                .or_default() += 1;
        }
        self.by_applicant
            .entry(app.applicant_iin.clone())
            .or_default()
            .push(app.id.clone());
        self.by_child
            .entry(app.child_iin.clone())
            .or_default()
            .push(app.id.clone());
        self.by_number
            .insert(app.registration_number.clone(), app.id.clone());
    }

    fn unindex(&mut self, app: &Application, reference: &Reference) {
        if app.status() == Status::Queued {
            if let Some(q) = self
                .queues
                .get_mut(&(app.district.clone(), cohort_of(app.child_birth_date)))
            {
                q.remove(&app.queue_key(reference));
            }
        }
        if let Some(k) = due_key(app) {
            self.due.remove(&k);
        }
        if let Some(c) = self
            .status_counts
            .get_mut(&(app.district.clone(), app.status()))
        {
            *c = c.saturating_sub(1);
        }
    }

    fn index(&mut self, app: &Application, reference: &Reference) {
        if app.status() == Status::Queued {
            self.queues
                .entry((app.district.clone(), cohort_of(app.child_birth_date)))
                .or_default()
                .insert(app.queue_key(reference));
        }
        if let Some(k) = due_key(app) {
            self.due.insert(k);
        }
        *self
            .status_counts
            .entry((app.district.clone(), app.status()))
            .or_default() += 1;
    }
}

#[async_trait]
impl Health for EmbeddedStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[async_trait]
impl Commits for EmbeddedStore {
    async fn next_sequence(&self, district: &str, year: i32) -> Result<u64, StoreError> {
        let mut g = self.lock();
        let n = g.sequences.entry((district.to_owned(), year)).or_default();
        *n += 1;
        Ok(*n)
    }

    async fn commit(&self, change: ChangeSet) -> Result<(), CommitError> {
        let mut g = self.lock();
        let app = &change.application;
        let conflict = |c| Err(CommitError::Conflict(c));
        // 1. Conditions, all checked before anything is written.
        let old = g.apps.get(&app.id).cloned();
        match (change.expected_version, &old) {
            (None, None) => {
                if g.child_lock.contains_key(&app.child_iin) {
                    return conflict(Conflict::DuplicateChild);
                }
                let live = g.live_by_applicant.get(&app.applicant_iin).copied();
                if live.unwrap_or(0) >= crate::rules::MAX_LIVE_APPLICATIONS_PER_APPLICANT {
                    return conflict(Conflict::ApplicantLimit);
                }
            }
            (Some(v), Some(o)) if o.version == v => {}
            _ => return conflict(Conflict::Stale),
        }
        for e in &change.effects {
            match e {
                Effect::OfferVoucher {
                    district,
                    age_group,
                } => {
                    let out = g
                        .vouchers_out
                        .get(&(district.clone(), *age_group))
                        .copied()
                        .unwrap_or(0);
                    if out >= g.free_places(district, *age_group) {
                        return conflict(Conflict::NoVoucherPlace);
                    }
                }
                Effect::TakePlace {
                    kindergarten_id,
                    age_group,
                    ..
                } => {
                    let free = g
                        .kindergartens
                        .get(kindergarten_id)
                        .and_then(|k| k.free_places.get(age_group))
                        .copied()
                        .unwrap_or(0);
                    if free == 0 {
                        return conflict(Conflict::NoFreePlace);
                    }
                }
                Effect::ReleaseVoucher { .. } | Effect::ReleaseChild { .. } => {}
            }
        }
        // 2. Writes.
        let reference = self.reference;
        match &old {
            Some(o) => g.unindex(o, reference),
            None => g.add_new(app, true),
        }
        g.index(app, reference);
        for e in &change.effects {
            match e {
                Effect::OfferVoucher {
                    district,
                    age_group,
                } => {
                    *g.vouchers_out
                        .entry((district.clone(), *age_group))
                        .or_default() += 1
                }
                Effect::ReleaseVoucher {
                    district,
                    age_group,
                } => {
                    let c = g
                        .vouchers_out
                        .entry((district.clone(), *age_group))
                        .or_default();
                    *c = c.saturating_sub(1);
                }
                Effect::TakePlace {
                    kindergarten_id,
                    district,
                    age_group,
                } => {
                    if let Some(k) = g.kindergartens.get_mut(kindergarten_id) {
                        if let Some(n) = k.free_places.get_mut(age_group) {
                            *n = n.saturating_sub(1);
                        }
                        k.version += 1;
                    }
                    let c = g
                        .vouchers_out
                        .entry((district.clone(), *age_group))
                        .or_default();
                    *c = c.saturating_sub(1);
                }
                Effect::ReleaseChild { child_iin } => {
                    if g.child_lock.get(child_iin) == Some(&app.id) {
                        g.child_lock.remove(child_iin);
                    }
                    if let Some(n) = g.live_by_applicant.get_mut(&app.applicant_iin) {
                        *n = n.saturating_sub(1);
                    }
                }
            }
        }
        if let Some(w) = crate::queue_book::book_write(
            &change.application,
            change.previous_status,
            &change.history,
            reference,
        ) {
            g.books
                .entry((w.district, w.cohort))
                .or_default()
                .extend(w.events);
        }
        g.history
            .entry(app.id.clone())
            .or_default()
            .push(change.history.clone());
        for n in &change.notifications {
            if g.notifications.contains_key(&n.id) {
                continue;
            }
            g.outbox_seq += 1;
            let seq = g.outbox_seq;
            g.pending.insert(seq, n.clone());
            g.notifications
                .insert(n.id.clone(), (Some(app.district.clone()), None));
        }
        g.apps.insert(app.id.clone(), change.application);
        Ok(())
    }
}

#[async_trait]
impl ApplicationReads for EmbeddedStore {
    async fn application(&self, id: &str) -> Result<Option<Application>, StoreError> {
        Ok(self.lock().apps.get(id).cloned())
    }

    async fn applications_by_applicant(&self, iin: &Iin) -> Result<Vec<Application>, StoreError> {
        let g = self.lock();
        Ok(g.by_applicant
            .get(iin)
            .into_iter()
            .flatten()
            .filter_map(|id| g.apps.get(id).cloned())
            .collect())
    }

    async fn applications_by_child(&self, child: &Iin) -> Result<Vec<Application>, StoreError> {
        let g = self.lock();
        Ok(g.by_child
            .get(child)
            .into_iter()
            .flatten()
            .filter_map(|id| g.apps.get(id).cloned())
            .collect())
    }

    async fn application_by_number(
        &self,
        number: &RegistrationNumber,
    ) -> Result<Option<Application>, StoreError> {
        let g = self.lock();
        Ok(g.by_number
            .get(number.as_str())
            .and_then(|id| g.apps.get(id).cloned()))
    }

    async fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut h = self.lock().history.get(id).cloned().unwrap_or_default();
        h.sort_by_key(|e| e.version);
        Ok(h)
    }
}

#[async_trait]
impl QueueReads for EmbeddedStore {
    async fn queue_position(
        &self,
        district: &str,
        cohort: Cohort,
        key: &QueueKey,
    ) -> Result<u64, StoreError> {
        let g = self.lock();
        let ahead = g
            .queues
            .get(&(district.to_owned(), cohort))
            .map_or(0, |q| q.range(..key).count());
        Ok(ahead as u64 + 1)
    }

    async fn queue(
        &self,
        district: &str,
        cohort: Cohort,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        Ok(self
            .lock()
            .queue_from(district, cohort, Bound::Unbounded, limit))
    }

    async fn queue_book(
        &self,
        district: &str,
        cohort: Cohort,
    ) -> Result<Vec<crate::queue_book::QueueEvent>, StoreError> {
        Ok(self
            .lock()
            .books
            .get(&(district.to_owned(), cohort))
            .cloned()
            .unwrap_or_default())
    }

    async fn queue_after(
        &self,
        district: &str,
        cohort: Cohort,
        after: &QueueKey,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        Ok(self
            .lock()
            .queue_from(district, cohort, Bound::Excluded(after), limit))
    }

    async fn outstanding_vouchers(
        &self,
        district: &str,
        age_group: AgeGroup,
    ) -> Result<u32, StoreError> {
        Ok(self
            .lock()
            .vouchers_out
            .get(&(district.to_owned(), age_group))
            .copied()
            .unwrap_or(0))
    }

    async fn status_counts(&self, district: &str) -> Result<BTreeMap<Status, u64>, StoreError> {
        let g = self.lock();
        Ok(Status::ALL
            .iter()
            .map(|s| {
                (
                    *s,
                    g.status_counts
                        .get(&(district.to_owned(), *s))
                        .copied()
                        .unwrap_or(0),
                )
            })
            .collect())
    }
}

#[async_trait]
impl DueReads for EmbeddedStore {
    async fn due(
        &self,
        sweep: Sweep,
        now: Time,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        let g = self.lock();
        let from = (sweep, i64::MIN, String::new());
        let to = (sweep, now.timestamp_micros(), String::from("\u{10FFFF}"));
        Ok(g.due
            .range(from..=to)
            .take(limit)
            .filter_map(|(_, _, id)| g.apps.get(id).cloned())
            .collect())
    }
}

#[async_trait]
impl CatalogueStore for EmbeddedStore {
    async fn kindergarten(&self, id: &str) -> Result<Option<Kindergarten>, StoreError> {
        Ok(self.lock().kindergartens.get(id).cloned())
    }

    async fn kindergartens(&self, district: Option<&str>) -> Result<Vec<Kindergarten>, StoreError> {
        Ok(self
            .lock()
            .kindergartens
            .values()
            .filter(|k| district.is_none_or(|d| k.district == d))
            .cloned()
            .collect())
    }

    async fn put_kindergarten(
        &self,
        kindergarten: Kindergarten,
        expected_version: Option<u64>,
    ) -> Result<(), CommitError> {
        let mut g = self.lock();
        let current = g.kindergartens.get(&kindergarten.id);
        if current.map(|k| k.version) != expected_version {
            return Err(CommitError::Conflict(Conflict::Stale));
        }
        // A cut keeps a place for every voucher outstanding (as the DynamoDB store's pool
        // condition does): refused as stale, the caller reads again and decides.
        if let Some(old) = current {
            for (age, was) in &old.free_places {
                let now = kindergarten.free_places.get(age).copied().unwrap_or(0);
                let out = g
                    .vouchers_out
                    .get(&(kindergarten.district.clone(), *age))
                    .copied()
                    .unwrap_or(0);
                if now < *was && out > g.free_places(&kindergarten.district, *age) - was + now {
                    return Err(CommitError::Conflict(Conflict::Stale));
                }
            }
        }
        g.kindergartens
            .insert(kindergarten.id.clone(), kindergarten);
        Ok(())
    }
}

/// The default one read: two lookups behind the same lock.
impl ChoiceReads for EmbeddedStore {}

#[async_trait]
impl ProfileStore for EmbeddedStore {
    async fn profile(&self, iin: &Iin) -> Result<Option<Profile>, StoreError> {
        Ok(self.lock().profiles.get(iin).cloned())
    }

    async fn put_profile(&self, profile: Profile) -> Result<(), StoreError> {
        self.lock().profiles.insert(profile.iin.clone(), profile);
        Ok(())
    }

    async fn link_child(&self, parent: &Iin, child: &Iin) -> Result<(), StoreError> {
        self.lock()
            .links
            .entry(parent.clone())
            .or_default()
            .insert(child.clone());
        Ok(())
    }

    async fn linked_children(&self, parent: &Iin) -> Result<Vec<Iin>, StoreError> {
        Ok(self
            .lock()
            .links
            .get(parent)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default())
    }
}

#[async_trait]
impl DocumentStore for EmbeddedStore {
    async fn put_document(&self, document: DocumentRecord) -> Result<(), StoreError> {
        self.lock().documents.insert(document.id.clone(), document);
        Ok(())
    }

    async fn document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError> {
        Ok(self.lock().documents.get(id).cloned())
    }
}
