//! The sweeps: every due deadline and reminder acted on, page by page.

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::lifecycle::{self, Command, Sweep};
use crate::retry::Retried;
use crate::service::{Service, MAX_ATTEMPTS};
use crate::views::*;

/// A sweep reads the due index in pages of this size.
pub const SWEEP_PAGE: usize = 100;

impl Service {
    /// A sweep an operator starts now (`POST /v1/admin/sweeps/{kind}`).
    pub async fn sweep_as(&self, who: &Principal, sweep: Sweep) -> Result<SweepReport, Failure> {
        access::permit(who, Operation::RunSweep, On::Caller)?;
        self.sweep(sweep).await
    }

    /// A sweep: acts on every due deadline and reminder, page by page, until none is due. Safe to
    /// run concurrently with itself and with parents: each item is one conditional commit, and a
    /// lost race is re-read and decided again.
    pub async fn sweep(&self, sweep: Sweep) -> Result<SweepReport, Failure> {
        let mut report = SweepReport {
            sweep: sweep.as_str().to_owned(),
            ..Default::default()
        };
        let now = self.now();
        loop {
            let page = self.store.due(sweep, now, SWEEP_PAGE).await?;
            let mut progressed = false;
            for app in &page {
                report.examined += 1;
                // Decided at the sweep's instant: the page was read as due then.
                let decide = |app: &Application, _| {
                    lifecycle::apply(app, Command::Sweep, &Actor::System, self.ctx(now))
                };
                match self.decide_and_commit(app.clone(), decide).await {
                    Ok(Retried::Committed { action, stale, .. }) => {
                        report.conflicts += stale as usize;
                        progressed = true;
                        if action == Action::Reminder {
                            report.reminders += 1;
                        } else {
                            report.lapsed += 1;
                        }
                    }
                    Ok(Retried::Refused { stale, .. }) => {
                        report.conflicts += stale as usize;
                        report.skipped += 1;
                    }
                    Ok(Retried::Gone { stale }) => report.conflicts += stale as usize,
                    // Lost every race: the next sweep takes it up.
                    Err(Failure::Conflict {
                        code: "conflict",
                        status: None,
                    }) => report.conflicts += MAX_ATTEMPTS,
                    Err(e) => return Err(e),
                }
            }
            if page.len() < SWEEP_PAGE || !progressed {
                break;
            }
        }
        tracing::info!(
            sweep = sweep.as_str(),
            examined = report.examined,
            lapsed = report.lapsed,
            reminders = report.reminders,
            "sweep done"
        );
        Ok(report)
    }
}
