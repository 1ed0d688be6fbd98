//! The operators' views and decisions: a district's queue in order, its numbers, the status
//! counters, and the rejection of a privilege claim.

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::inputs::*;
use crate::lifecycle::{self, Command, Sweep};
use crate::queue;
use crate::retry::Retried;
use crate::service::Service;
use crate::time::local_date;
use crate::views::*;
use std::collections::BTreeMap;

/// Most due items `GET /v1/admin/stats` reads per sweep (region-wide, then counted for the
/// district): the sweeps run every 15 minutes and keep this backlog small.
pub const STATS_DUE_LIMIT: usize = 1000;

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
        let mut due = 0u64;
        for sweep in [Sweep::Expiry, Sweep::Reconfirmation] {
            due += self
                .store
                .due(sweep, now, STATS_DUE_LIMIT)
                .await?
                .iter()
                .filter(|a| a.district == district)
                .count() as u64;
        }
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
