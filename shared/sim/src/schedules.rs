//! The schedules of a simulated year: the sweeps (at the first quarter hour after a deadline
//! falls due, as the 15-minute schedule would) and the deliveries (as SQS feeds the notifier).

use crate::check::{self, Violation};
use crate::faulty::{FAIL_BEFORE, KILLED, KILLED_BEFORE, LOST_ANSWER, RETRY_REFUSED, THROTTLED};
use crate::world::{micros, Event, World, SWEEP_EVERY};
use kezek_core::domain::*;
use kezek_core::lifecycle::{self, Sweep};

impl World {
    /// Schedules the next sweep at the first quarter hour after the earliest deadline due.
    pub(crate) fn plan_sweep(&mut self, apps: &[Application]) {
        if self.replay.is_some() {
            return; // a replay's sweeps are among its steps
        }
        let mut next: Option<i64> = None;
        for a in apps {
            if let Some((_, due)) = lifecycle::next_due(a) {
                let us = due.timestamp_micros();
                next = Some(next.map_or(us, |n| n.min(us)));
            }
        }
        let Some(due) = next else { return };
        // the first quarter hour strictly after both the deadline and now
        let base = due.max(micros(self.now()));
        let tick = ((base.div_euclid(SWEEP_EVERY) + 1) * SWEEP_EVERY).max(self.jumped_to);
        if self.sweep_at.is_none_or(|s| tick < s) {
            self.sweep_at = Some(tick);
            self.schedule(tick, Event::Sweep);
        }
    }

    pub(crate) async fn sweep(&mut self) -> Result<(), Violation> {
        let now = micros(self.now());
        if self.replay.is_none() && self.sweep_at != Some(now) {
            return Ok(()); // an earlier plan replaced by a later one
        }
        self.sweep_at = None;
        if now < self.jumped_to {
            return Ok(());
        }
        let before = self.commit_faults();
        let ex = self.svc.sweep(Sweep::Expiry).await;
        let re = self.svc.sweep(Sweep::Reconfirmation).await;
        // the expiry sweep's chore: what the relay missed, published again
        let _ = self.svc.republish_stale(&*self.queue, 1000).await;
        self.report.sweeps += 1;
        self.note(format!(
            "sweep: expiry {:?}, reconfirmation {:?}",
            ex.as_ref().map(|r| r.examined),
            re.as_ref().map(|r| r.examined)
        ));
        if self.commit_faults() == before && ex.is_ok() && re.is_ok() {
            // a sweep that met no fault leaves nothing due
            check::nothing_due(self).await?;
        }
        Ok(())
    }

    fn commit_faults(&self) -> u64 {
        [
            FAIL_BEFORE,
            LOST_ANSWER,
            RETRY_REFUSED,
            THROTTLED,
            KILLED,
            KILLED_BEFORE,
        ]
        .iter()
        .map(|k| self.faults.count(k))
        .sum()
    }
}
