//! Faults at the store's ports (issue 20): a store that delegates every call to a real one (the
//! embedded store here) and, when the dice say so, makes a commit fail before it lands, lands it
//! and loses the answer, or refuses it as throttled. Reads pass through: the faults are where a
//! write's outcome can be in doubt.
//!
//! Hand-written delegation: the ports are `async_trait` traits, which delegation crates do not
//! follow; every method is one line.

use crate::dice::{Dice, Rates};
use async_trait::async_trait;
use kezek_core::domain::*;
use kezek_core::iin::Iin;
use kezek_core::lifecycle::Sweep;
use kezek_core::ports::*;
use kezek_core::queue::{AgeGroup, Cohort, QueueKey};
use kezek_core::run_log::RunLogEntry;
use kezek_core::time::Time;
use kezek_core::values::RegistrationNumber;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The kinds of fault, as the report counts them.
pub const FAIL_BEFORE: &str = "commit failed before landing";
pub const LOST_ANSWER: &str = "commit landed, answer lost";
pub const THROTTLED: &str = "commit throttled";
/// A commit that landed, its answer lost, and the client's retry of it refused by the conditions
/// the first attempt met (answered as a stale commit).
pub const RETRY_REFUSED: &str = "commit landed, its retry refused";
/// A commit cancelled by a concurrent transaction on an item it shares (DynamoDB's
/// TransactionConflict): nothing written, answered as a stale commit.
pub const CONFLICT: &str = "commit cancelled by a concurrent transaction";
/// The process killed right after one of its writes landed: nothing more of this invocation
/// runs; the next invocation takes the work up.
pub const KILLED: &str = "process killed after a write";
/// The process killed right before one of its writes: nothing of it lands, nothing more of this
/// invocation runs.
pub const KILLED_BEFORE: &str = "process killed before a write";
/// The notifier killed between the provider's acceptance of a message and its record (SES and
/// SMS take no idempotency key: the message goes again).
pub const KILLED_AFTER_SEND: &str = "process killed between a send and its record";
/// Messages the provider accepted whose record a kill prevented (each one kill can leave the
/// e-mail and the SMS in flight): each goes again, so the doubles must equal these.
pub const UNRECORDED: &str = "sent message left unrecorded by a kill";

/// What the faulty store shares with the driver: the dice, the rates, whether faults are on,
/// and what was injected.
pub struct Faults {
    pub dice: Mutex<Dice>,
    pub rates: Rates,
    pub on: Mutex<bool>,
    pub injected: Mutex<BTreeMap<&'static str, u64>>,
    /// The sent messages kills left unrecorded, by notification and channel.
    pub unrecorded: Mutex<std::collections::HashMap<(String, Channel), u64>>,
    /// The current invocation's process was killed: its writes fail until the next one.
    dead: Mutex<bool>,
    /// No kills while two invocations race in one step: the simulation has one process flag,
    /// and a kill of one would take the other down with it.
    kills_paused: Mutex<bool>,
}

impl Faults {
    pub fn new(dice: Dice, rates: Rates) -> Arc<Faults> {
        Arc::new(Faults {
            dice: Mutex::new(dice),
            rates,
            on: Mutex::new(false),
            injected: Mutex::new(BTreeMap::new()),
            unrecorded: Mutex::new(Default::default()),
            dead: Mutex::new(false),
            kills_paused: Mutex::new(false),
        })
    }

    pub fn pause_kills(&self, paused: bool) {
        *self.kills_paused.lock().unwrap_or_else(|e| e.into_inner()) = paused;
    }

    /// A new invocation: a live process.
    pub fn revive(&self) {
        *self.dead.lock().unwrap_or_else(|e| e.into_inner()) = false;
    }

    pub fn kill(&self) {
        *self.dead.lock().unwrap_or_else(|e| e.into_inner()) = true;
    }

    /// A write of a killed process: refused.
    pub fn dead(&self) -> Result<(), StoreError> {
        if *self.dead.lock().unwrap_or_else(|e| e.into_inner()) {
            Err(StoreError("simulated: the process was killed".into()))
        } else {
            Ok(())
        }
    }

    /// Before a write: a killed process writes nothing, and the process may die now.
    pub fn before_write(&self) -> Result<(), StoreError> {
        self.dead()?;
        if self.roll(KILLED_BEFORE, self.rates.kill) {
            self.kill();
            return Err(StoreError("simulated: the process was killed".into()));
        }
        Ok(())
    }

    /// After a write landed: the process may die before it hears the answer.
    pub fn after_write(&self) -> Result<(), StoreError> {
        if self.roll(KILLED, self.rates.kill) {
            self.kill();
            return Err(StoreError("simulated: the process was killed".into()));
        }
        Ok(())
    }

    pub fn set(&self, on: bool) {
        *self.on.lock().unwrap_or_else(|e| e.into_inner()) = on;
    }

    pub fn is_on(&self) -> bool {
        *self.on.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a fault of `kind` happens now (`per_mille` out of 1,000), counted when it does.
    pub fn roll(&self, kind: &'static str, per_mille: u32) -> bool {
        if !self.is_on() || per_mille == 0 {
            return false;
        }
        let kill = kind == KILLED || kind == KILLED_BEFORE || kind == KILLED_AFTER_SEND;
        if kill && *self.kills_paused.lock().unwrap_or_else(|e| e.into_inner()) {
            return false;
        }
        let hit = self
            .dice
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .chance(per_mille);
        if hit {
            *self
                .injected
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(kind)
                .or_insert(0) += 1;
        }
        hit
    }

    /// Counts an event that is a consequence of a fault, not a roll.
    pub fn note(&self, kind: &'static str) {
        *self
            .injected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(kind)
            .or_insert(0) += 1;
    }

    pub fn count(&self, kind: &str) -> u64 {
        self.injected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(kind)
            .copied()
            .unwrap_or(0)
    }
}

/// A store whose commits fail as [`Faults`] say.
pub struct Faulty<S: ?Sized> {
    pub inner: Arc<S>,
    pub faults: Arc<Faults>,
    /// Whether this wrapper injects the commit faults (throttle, conflict, failure, lost
    /// answer); off where the store's own client does (DynamoDB). Kills are always its own.
    pub commit_faults: bool,
}

fn unavailable(what: &str) -> CommitError {
    CommitError::Store(StoreError(format!("simulated: {what}")))
}

#[async_trait]
impl<S: Store + ?Sized + 'static> Commits for Faulty<S> {
    async fn next_sequence(&self, district: &str, year: i32) -> Result<u64, StoreError> {
        self.inner.next_sequence(district, year).await
    }

    async fn commit(&self, change: ChangeSet) -> Result<(), CommitError> {
        self.faults.before_write()?;
        if !self.commit_faults {
            self.inner.commit(change).await?;
            return Ok(self.faults.after_write()?);
        }
        let r = self.faults.rates;
        if self.faults.roll(THROTTLED, r.throttle) {
            return Err(unavailable("ProvisionedThroughputExceeded"));
        }
        if self.faults.roll(CONFLICT, r.conflict) {
            return Err(CommitError::Conflict(Conflict::Stale));
        }
        if self.faults.roll(FAIL_BEFORE, r.fail_before) {
            return Err(unavailable("the commit did not reach the table"));
        }
        self.inner.commit(change).await?;
        self.faults.after_write()?;
        if self.faults.roll(LOST_ANSWER, r.lost_answer) {
            return Err(unavailable("timeout after the commit reached the table"));
        }
        if self.faults.roll(RETRY_REFUSED, r.retry_refused) {
            // the client's retry of a commit whose first attempt landed: its conditions no
            // longer hold (as on DynamoDB without the idempotency token, or past its 10 minutes)
            return Err(CommitError::Conflict(Conflict::Stale));
        }
        Ok(())
    }
}

#[async_trait]
impl<S: Store + ?Sized + 'static> Health for Faulty<S> {
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

#[async_trait]
impl<S: Store + ?Sized + 'static> ApplicationReads for Faulty<S> {
    async fn application(&self, id: &str) -> Result<Option<Application>, StoreError> {
        // a killed process reads nothing back either
        self.faults.dead()?;
        self.inner.application(id).await
    }
    async fn applications_by_applicant(&self, iin: &Iin) -> Result<Vec<Application>, StoreError> {
        self.inner.applications_by_applicant(iin).await
    }
    async fn applications_by_child(&self, child: &Iin) -> Result<Vec<Application>, StoreError> {
        self.inner.applications_by_child(child).await
    }
    async fn application_by_number(
        &self,
        number: &RegistrationNumber,
    ) -> Result<Option<Application>, StoreError> {
        self.inner.application_by_number(number).await
    }
    async fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        self.inner.history(id).await
    }
}

#[async_trait]
impl<S: Store + ?Sized + 'static> QueueReads for Faulty<S> {
    async fn queue_position(
        &self,
        district: &str,
        cohort: Cohort,
        key: &QueueKey,
    ) -> Result<u64, StoreError> {
        self.inner.queue_position(district, cohort, key).await
    }
    async fn queue(
        &self,
        district: &str,
        cohort: Cohort,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        self.inner.queue(district, cohort, limit).await
    }
    async fn queue_book(
        &self,
        district: &str,
        cohort: Cohort,
    ) -> Result<Vec<kezek_core::queue_book::QueueEvent>, StoreError> {
        self.inner.queue_book(district, cohort).await
    }
    async fn queue_after(
        &self,
        district: &str,
        cohort: Cohort,
        after: &QueueKey,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        self.inner.queue_after(district, cohort, after, limit).await
    }
    async fn outstanding_vouchers(
        &self,
        district: &str,
        age_group: AgeGroup,
    ) -> Result<u32, StoreError> {
        self.inner.outstanding_vouchers(district, age_group).await
    }
    async fn status_counts(&self, district: &str) -> Result<BTreeMap<Status, u64>, StoreError> {
        self.inner.status_counts(district).await
    }
}

#[async_trait]
impl<S: Store + ?Sized + 'static> DueReads for Faulty<S> {
    async fn due(
        &self,
        sweep: Sweep,
        now: Time,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        self.inner.due(sweep, now, limit).await
    }
    fn due_parts(&self) -> u32 {
        self.inner.due_parts()
    }
    async fn due_in_part(
        &self,
        sweep: Sweep,
        part: u32,
        now: Time,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        self.inner.due_in_part(sweep, part, now, limit).await
    }
}

#[async_trait]
impl<S: Store + ?Sized + 'static> CatalogueStore for Faulty<S> {
    async fn kindergarten(&self, id: &str) -> Result<Option<Kindergarten>, StoreError> {
        self.inner.kindergarten(id).await
    }
    async fn kindergartens(&self, district: Option<&str>) -> Result<Vec<Kindergarten>, StoreError> {
        self.inner.kindergartens(district).await
    }
    async fn put_kindergarten(
        &self,
        kindergarten: Kindergarten,
        expected_version: Option<u64>,
    ) -> Result<(), CommitError> {
        self.faults.before_write()?;
        if self.commit_faults && self.faults.roll(LOST_ANSWER, self.faults.rates.lost_answer) {
            // lands; the answer is lost
            self.inner
                .put_kindergarten(kindergarten, expected_version)
                .await?;
            return Err(unavailable("timeout after the write reached the table"));
        }
        self.inner
            .put_kindergarten(kindergarten, expected_version)
            .await?;
        Ok(self.faults.after_write()?)
    }
}

#[async_trait]
impl<S: Store + ?Sized + 'static> ChoiceReads for Faulty<S> {
    async fn application_and_kindergarten(
        &self,
        id: &str,
        kindergarten_id: &str,
    ) -> Result<(Option<Application>, Option<Kindergarten>), StoreError> {
        self.inner
            .application_and_kindergarten(id, kindergarten_id)
            .await
    }
}

#[async_trait]
impl<S: Store + ?Sized + 'static> ProfileStore for Faulty<S> {
    async fn profile(&self, iin: &Iin) -> Result<Option<Profile>, StoreError> {
        self.inner.profile(iin).await
    }
    async fn put_profile(&self, profile: Profile) -> Result<(), StoreError> {
        self.inner.put_profile(profile).await
    }
    async fn link_child(&self, parent: &Iin, child: &Iin) -> Result<(), StoreError> {
        self.inner.link_child(parent, child).await
    }
    async fn linked_children(&self, parent: &Iin) -> Result<Vec<Iin>, StoreError> {
        self.inner.linked_children(parent).await
    }
}

#[async_trait]
impl<S: Store + ?Sized + 'static> DocumentStore for Faulty<S> {
    async fn put_document(&self, document: DocumentRecord) -> Result<(), StoreError> {
        self.faults.before_write()?;
        self.inner.put_document(document).await?;
        self.faults.after_write()
    }
    async fn document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError> {
        self.inner.document(id).await
    }
}

#[async_trait]
impl<S: Store + ?Sized + 'static> Records for Faulty<S> {
    async fn append_run(&self, entry: &RunLogEntry) -> Result<bool, StoreError> {
        self.faults.before_write()?;
        let r = self.faults.rates;
        if self.commit_faults && self.faults.roll(THROTTLED, r.throttle) {
            return Err(StoreError(
                "simulated: ProvisionedThroughputExceeded".into(),
            ));
        }
        let appended = self.inner.append_run(entry).await?;
        if appended {
            self.faults.after_write()?;
            if self.commit_faults && self.faults.roll(LOST_ANSWER, r.lost_answer) {
                return Err(StoreError(
                    "simulated: timeout after the put reached the table".into(),
                ));
            }
            if self.commit_faults && self.faults.roll(RETRY_REFUSED, r.retry_refused) {
                // the SDK's retry of the landed put finds its place taken, by itself
                return Ok(false);
            }
        }
        Ok(appended)
    }
    async fn runs(
        &self,
        district: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<RunLogEntry>, StoreError> {
        self.inner.runs(district, after, limit).await
    }
    async fn latest_runs(&self, district: &str, n: usize) -> Result<Vec<RunLogEntry>, StoreError> {
        self.inner.latest_runs(district, n).await
    }
    async fn record_sweep(&self, record: &SweepRecord) -> Result<(), StoreError> {
        self.faults.dead()?;
        self.inner.record_sweep(record).await
    }
    async fn sweep_records(&self) -> Result<Vec<SweepRecord>, StoreError> {
        self.inner.sweep_records().await
    }
}

/// The outbox of a process that may be killed: its writes fail once it is.
pub struct FaultyOutbox<O: ?Sized> {
    pub inner: Arc<O>,
    pub faults: Arc<Faults>,
}

#[async_trait]
impl<O: Outbox + ?Sized + 'static> Outbox for FaultyOutbox<O> {
    async fn enqueue(&self, n: Notification) -> Result<(), StoreError> {
        self.faults.dead()?;
        self.inner.enqueue(n).await
    }
    async fn pending(&self, limit: usize) -> Result<Vec<Notification>, StoreError> {
        self.inner.pending(limit).await
    }
    async fn mark(&self, id: &str, delivery: Delivery) -> Result<(), StoreError> {
        self.faults.dead()?;
        self.inner.mark(id, delivery).await
    }
    async fn counts(&self, district: Option<&str>) -> Result<(u64, u64), StoreError> {
        self.inner.counts(district).await
    }
    async fn claim_send(
        &self,
        id: &str,
        channel: Channel,
        now: Time,
        lease: chrono::Duration,
    ) -> Result<SendClaim, StoreError> {
        // a network call: two deliveries of one message interleave here
        tokio::task::yield_now().await;
        self.faults.dead()?;
        self.inner.claim_send(id, channel, now, lease).await
    }
    async fn record_sent(&self, id: &str, channel: Channel, at: Time) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        if let Err(e) = self.faults.dead() {
            // the provider accepted this message; it will go again
            self.faults.note(UNRECORDED);
            *self
                .faults
                .unrecorded
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry((id.to_owned(), channel))
                .or_insert(0) += 1;
            return Err(e);
        }
        self.inner.record_sent(id, channel, at).await
    }
    async fn release_send(&self, id: &str, channel: Channel) -> Result<(), StoreError> {
        self.faults.dead()?;
        self.inner.release_send(id, channel).await
    }
}
