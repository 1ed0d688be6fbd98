//! The operators' views and decisions: a district's queue in order, its numbers, the status
//! counters, and the rejection of a privilege claim.

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::inputs::*;
use crate::lifecycle::{self, Command, Sweep};
use crate::ports::SweepRecord;
use crate::queue;
use crate::retry::Retried;
use crate::service::Service;
use crate::time::{end_of_day, local_date};
use crate::views::*;
use std::collections::BTreeMap;

/// Most due items `GET /v1/admin/stats` reads per sweep (region-wide, then counted for the
/// district): the sweeps run every 15 minutes and keep this backlog small.
pub const STATS_DUE_LIMIT: usize = 1000;

/// The newest runs of the district the numbers show.
pub const STATS_RUNS: usize = 5;

/// Each sweep's last pass over its parts: the latest time any part ran, and what the parts did
/// at their last pass.
fn sweep_summaries(records: Vec<SweepRecord>) -> Vec<SweepSummary> {
    let mut out: Vec<SweepSummary> = Vec::new();
    for r in records {
        match out.iter_mut().find(|s| s.sweep == r.sweep.as_str()) {
            Some(s) => {
                s.at = s.at.max(r.at);
                s.examined += r.examined;
                s.acted += r.acted;
            }
            None => out.push(SweepSummary {
                sweep: r.sweep.as_str().to_owned(),
                at: r.at,
                examined: r.examined,
                acted: r.acted,
            }),
        }
    }
    out.sort_by(|a, b| a.sweep.cmp(&b.sweep));
    out
}

impl Service {
    /// The queue of a district and age group in order, for operators.
    pub async fn admin_queue(
        &self,
        who: &Principal,
        district: &str,
        age_group: &str,
        limit: usize,
    ) -> Result<Vec<QueueEntryView>, Failure> {
        let district = self.known_district(district, "district")?;
        access::permit(who, Operation::ViewQueue, On::District(&district))?;
        let age =
            parse_age_group(age_group).ok_or(Failure::bad("invalid_age_group", "age_group"))?;
        let cohort = queue::cohort_of_age_group(age, local_date(self.now()));
        let apps = self.store.queue(&district, cohort, limit).await?;
        Ok(apps
            .iter()
            .enumerate()
            .map(|(i, a)| self.queue_entry(a, i as u64 + 1))
            .collect())
    }

    /// A page of the queue of a district and age group for operators: from the head, or after
    /// the application numbered `after` (the last row of the page before), so that a page deep
    /// in the queue reads its own rows and one count, not every row ahead of it.
    pub async fn admin_queue_page(
        &self,
        who: &Principal,
        district: &str,
        age_group: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<QueueEntryView>, Failure> {
        let Some(after) = after.map(str::trim).filter(|a| !a.is_empty()) else {
            return self.admin_queue(who, district, age_group, limit).await;
        };
        let district = self.known_district(district, "district")?;
        access::permit(who, Operation::ViewQueue, On::District(&district))?;
        let age =
            parse_age_group(age_group).ok_or(Failure::bad("invalid_age_group", "age_group"))?;
        let cohort = queue::cohort_of_age_group(age, local_date(self.now()));
        let bad_after = || Failure::bad("invalid_registration_number", "after");
        let last = self
            .by_number(after, "after")
            .await?
            .filter(|a| a.district == *district && queue::cohort_of(a.child_birth_date) == cohort)
            .ok_or_else(bad_after)?;
        let key = last.queue_key(self.reference());
        let apps = self
            .store
            .queue_after(&district, cohort, &key, limit)
            .await?;
        let Some(first) = apps.first() else {
            return Ok(Vec::new());
        };
        let from = self
            .store
            .queue_position(&district, cohort, &first.queue_key(self.reference()))
            .await?;
        Ok(apps
            .iter()
            .enumerate()
            .map(|(i, a)| self.queue_entry(a, from + i as u64))
            .collect())
    }

    /// An application of the district by its registration number, for operators: its row as the
    /// queue shows it (the position when queued) and its status. `None` when no application of
    /// this district has the number (another district's number finds nothing here).
    pub async fn admin_find(
        &self,
        who: &Principal,
        district: &str,
        number: &str,
    ) -> Result<Option<FoundView>, Failure> {
        let district = self.known_district(district, "district")?;
        access::permit(who, Operation::ViewQueue, On::District(&district))?;
        let Some(app) = self.by_number(number, "number").await? else {
            return Ok(None);
        };
        if app.district != *district {
            return Ok(None);
        }
        let now = self.now();
        let position = self.position(&app, now).await?;
        Ok(Some(FoundView {
            entry: self.queue_entry(&app, position.unwrap_or(0)),
            status: app.status(),
            position,
            age_group: queue::age_group(app.child_birth_date, local_date(now)),
        }))
    }

    /// A queued application as the operators' lists show it: no name, the child's IIN masked.
    pub(crate) fn queue_entry(&self, a: &Application, position: u64) -> QueueEntryView {
        QueueEntryView {
            position,
            id: a.id.clone(),
            registration_number: a.registration_number.clone(),
            registered_at: a.registered_at,
            privilege: a
                .privilege
                .as_ref()
                .filter(|p| p.rejected.is_none())
                .map(|p| p.category.clone()),
            rank: a.rank(self.reference()),
            child: ChildView {
                iin_masked: a.child_iin.masked(),
                birth_date: a.child_birth_date,
            },
        }
    }

    pub async fn stats(&self, who: &Principal, district: &str) -> Result<StatsView, Failure> {
        let district = self.known_district(district, "district")?;
        access::permit(who, Operation::ViewStats, On::District(&district))?;
        let counts = self.store.status_counts(&district).await?;
        let now = self.now();
        let today = local_date(now);
        let end_today = end_of_day(today);
        let end_tomorrow = end_of_day(today + chrono::Duration::days(1));
        // Due now (the next sweep takes them), deadlines later today and tomorrow: one read of
        // each sweep's due index up to the end of tomorrow, counted for the district.
        let (mut due, mut due_today, mut due_tomorrow) = (0u64, 0u64, 0u64);
        for sweep in [Sweep::Expiry, Sweep::Reconfirmation] {
            let apps = self.store.due(sweep, end_tomorrow, STATS_DUE_LIMIT).await?;
            for a in apps.iter().filter(|a| a.district == district) {
                // Due now: the sweep's next work (a deadline or a reminder). Today and tomorrow:
                // the families' deadlines (an application whose deadline falls then is due by
                // then, so the read holds it).
                if lifecycle::next_due(a).is_some_and(|(_, at)| at <= now) {
                    due += 1;
                }
                match lifecycle::current_deadline(a) {
                    Some(at) if at <= now => {}
                    Some(at) if at <= end_today => due_today += 1,
                    Some(at) if at <= end_tomorrow => due_tomorrow += 1,
                    _ => {}
                }
            }
        }
        let sweeps = sweep_summaries(self.store.sweep_records().await?);
        let runs = self
            .store
            .latest_runs(&district, 2 * STATS_RUNS)
            .await?
            .into_iter()
            // a run's outcome (its start, written before its offers, says nothing done yet)
            .filter(|e| e.run.stage != crate::run_log::Stage::Started)
            .take(STATS_RUNS)
            .map(|e| RunSummary {
                seq: e.seq,
                at: e.run.at,
                age_group: e.run.age_group,
                allowed: e.run.allowed(),
                offered: e.run.offered.len(),
                hash: e.hash,
            })
            .collect();
        let (pending, failed) = self.outbox.counts(Some(&district)).await?;
        let mut free_places = BTreeMap::new();
        for k in self.store.kindergartens(Some(&district)).await? {
            for (a, n) in k.free_places {
                *free_places.entry(a.to_string()).or_insert(0) += n;
            }
        }
        let get = |s: Status| counts.get(&s).copied().unwrap_or(0);
        Ok(StatsView {
            by_status: Status::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), get(*s)))
                .collect(),
            deadlines_due: due,
            deadlines_today: due_today,
            deadlines_tomorrow: due_tomorrow,
            sweeps,
            runs,
            vouchers: VoucherStats {
                offered: get(Status::VoucherOffered),
                active: get(Status::VoucherActive),
            },
            notifications: NotificationStats { pending, failed },
            free_places,
            district: district.into_string(),
        })
    }

    /// Counts of applications by status in every district, for the operators' dashboard
    /// (reads the status counters only: one small read per district).
    pub async fn report_status_counts(&self) -> Result<(), Failure> {
        for d in &self.reference().districts {
            let counts = self.store.status_counts(&d.code).await?;
            for status in Status::ALL {
                let n = counts.get(&status).copied().unwrap_or(0);
                crate::telemetry::applications(&d.code, status, n);
            }
        }
        Ok(())
    }

    /// An operator rejects a privilege claim: the child moves to the general order.
    pub async fn reject_privilege(
        &self,
        who: &Principal,
        id: &str,
        input: RejectInput,
        lang: Language,
    ) -> Result<ApplicationView, Failure> {
        let reason = valid_text(&input.reason, "reason")?;
        if reason.is_empty() {
            return Err(Failure::bad("missing_field", "reason"));
        }
        let app = self.load(id).await?;
        access::permit(who, Operation::RejectPrivilege, On::District(&app.district))?;
        let actor = who.actor();
        let decide = |app: &Application, now| {
            let command = Command::RejectPrivilege {
                reason: reason.clone(),
            };
            lifecycle::apply(app, command, &actor, self.ctx(now))
        };
        match self.decide_and_commit(app, decide).await? {
            Retried::Committed { next, now, .. } => self.view(&next, now, lang).await,
            Retried::Refused { refusal, .. } => Err(refusal.into()),
            Retried::Gone { .. } => Err(Failure::NotFound { code: "not_found" }),
        }
    }
}
