//! The sweeps: every due deadline and reminder acted on, page by page.

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::lifecycle::{self, Command, Sweep};
use crate::ports::{SweepPart, SweepRecord};
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
        let (report, _) = self.sweep_pages(sweep, None, &|| true).await?;
        Ok(report)
    }

    /// The parts a scheduled sweep fans out to ([`SweepPart`]): one per part of the due index,
    /// and the expiry sweep's chores (status counts, the outbox's safety net).
    pub fn sweep_parts(&self, sweep: Sweep) -> Vec<SweepPart> {
        let mut parts: Vec<SweepPart> = (0..self.store.due_parts())
            .map(|part| SweepPart::Due { sweep, part })
            .collect();
        if sweep == Sweep::Expiry {
            parts.extend([SweepPart::StatusCounts, SweepPart::Republish]);
        }
        parts
    }

    /// One part of a sweep: its due applications, page by page, while `keep_going` says there
    /// is time. Returns the report and whether due work was left (the caller sends the part
    /// again, so that a large part never depends on one invocation's timeout).
    pub async fn sweep_part(
        &self,
        sweep: Sweep,
        part: u32,
        keep_going: &(dyn Fn() -> bool + Send + Sync),
    ) -> Result<(SweepReport, bool), Failure> {
        if part >= self.store.due_parts() {
            return Err(Failure::Unavailable(format!(
                "sweep part {part}: the due index has {} parts",
                self.store.due_parts()
            )));
        }
        self.sweep_pages(sweep, Some(part), keep_going).await
    }

    async fn sweep_pages(
        &self,
        sweep: Sweep,
        part: Option<u32>,
        keep_going: &(dyn Fn() -> bool + Send + Sync),
    ) -> Result<(SweepReport, bool), Failure> {
        let mut report = SweepReport {
            sweep: sweep.as_str().to_owned(),
            ..Default::default()
        };
        let now = self.now();
        let mut more = false;
        loop {
            let page = match part {
                None => self.store.due(sweep, now, SWEEP_PAGE).await?,
                Some(p) => self.store.due_in_part(sweep, p, now, SWEEP_PAGE).await?,
            };
            let mut progressed = false;
            for (i, app) in page.iter().enumerate() {
                // Time is checked before each item (each commits on its own), so a slow page
                // never runs the invocation past its end: the rest goes to the next one.
                if i > 0 && !keep_going() {
                    more = true;
                    break;
                }
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
            if more || page.len() < SWEEP_PAGE || !progressed {
                break;
            }
            if !keep_going() {
                more = true;
                break;
            }
        }
        tracing::info!(
            sweep = sweep.as_str(),
            part,
            examined = report.examined,
            lapsed = report.lapsed,
            reminders = report.reminders,
            more,
            "sweep done"
        );
        // The desk's numbers show each sweep's last pass. A record that cannot be written is
        // logged, not failed: the sweep's work is done and committed.
        let record = SweepRecord {
            sweep,
            part: part.unwrap_or(0),
            at: now,
            examined: report.examined as u64,
            acted: (report.lapsed + report.reminders) as u64,
        };
        if let Err(e) = self.store.record_sweep(&record).await {
            tracing::warn!(sweep = sweep.as_str(), part, error = %e, "sweep record not written");
        }
        Ok((report, more))
    }
}
