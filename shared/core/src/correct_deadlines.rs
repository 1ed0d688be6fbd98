//! The calendar-correction use case: after a corrected year file is in force, recompute the stored
//! deadlines it moves, on either store. One-off and idempotent: a second run finds nothing to do.
//! Never shortens a deadline (see [`crate::correction`]). Each changed application gets one history
//! entry (`deadlines_corrected`, actor system) whose reason names every moved deadline.

use crate::correction::{corrected_deadlines, DeadlineChange};
use crate::domain::{Actor, Application};
use crate::lifecycle::{self, Command, Sweep};
use crate::retry::Retried;
use crate::service::Service;
use crate::time::Time;
use crate::Failure;
use serde::Serialize;
use std::collections::BTreeSet;

/// One application whose deadlines move (or would move, in a dry run).
#[derive(Debug, Clone, Serialize)]
pub struct CorrectedApplication {
    pub id: String,
    pub registration_number: String,
    pub district: String,
    pub status: &'static str,
    pub changes: Vec<DeadlineChange>,
    /// Whether the change was committed (false in a dry run, or when the application changed
    /// meanwhile so that nothing was left to move).
    pub committed: bool,
}

/// What a correction run looked at and changed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CorrectionReport {
    pub dry_run: bool,
    pub examined: usize,
    pub corrected: Vec<CorrectedApplication>,
}

/// How far ahead a correction looks: every live deadline lies within 13 months of now (a
/// reconfirmation term is 12 months, moved to a working day).
const HORIZON_DAYS: i64 = 400;

impl Service {
    /// Recomputes every live application's deadlines with the calendar in force. `dry_run` lists
    /// what would change and writes nothing; `reason` goes into each history entry. At most
    /// `limit` applications are read per sweep index (the applications with a deadline or a
    /// reminder due within the horizon, which is every live application).
    pub async fn correct_deadlines(
        &self,
        reason: &str,
        dry_run: bool,
        limit: usize,
    ) -> Result<CorrectionReport, Failure> {
        let now = self.now();
        let upto: Time = now + chrono::Duration::days(HORIZON_DAYS);
        let mut report = CorrectionReport {
            dry_run,
            ..Default::default()
        };
        let mut seen = BTreeSet::new();
        for sweep in [Sweep::Reconfirmation, Sweep::Expiry] {
            for app in self.store.due(sweep, upto, limit).await? {
                if !seen.insert(app.id.clone()) {
                    continue;
                }
                report.examined += 1;
                let changes = corrected_deadlines(&app, self.calendar());
                if changes.is_empty() {
                    continue;
                }
                let committed = if dry_run {
                    false
                } else {
                    self.commit_correction(app.clone(), reason).await?
                };
                report.corrected.push(CorrectedApplication {
                    id: app.id.clone(),
                    registration_number: app.registration_number.clone(),
                    district: app.district.clone(),
                    status: app.status().as_str(),
                    changes,
                    committed,
                });
            }
        }
        tracing::info!(
            dry_run,
            examined = report.examined,
            corrected = report.corrected.len(),
            "deadline correction done"
        );
        Ok(report)
    }

    /// Commits one application's correction, re-reading it when it changed meanwhile. False when
    /// nothing is left to move (a parent's action or a sweep got there first).
    async fn commit_correction(&self, app: Application, reason: &str) -> Result<bool, Failure> {
        let decide = |app: &Application, now| {
            let command = Command::CorrectDeadlines {
                reason: reason.to_owned(),
            };
            lifecycle::apply(app, command, &Actor::System, self.ctx(now))
        };
        Ok(matches!(
            self.decide_and_commit(app, decide).await?,
            Retried::Committed { .. }
        ))
    }
}
