//! Voucher runs: an operator's run for a district and age group, and the scheduled summer runs.

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::inputs::*;
use crate::lifecycle::{self, Command};
use crate::ports::SweepPart;
use crate::queue;
use crate::queue::AgeGroup;
use crate::reference::District;
use crate::retry::Retried;
use crate::run_log;
use crate::service::Service;
use crate::time::local_date;
use crate::views::*;

/// The most vouchers one unit of the scheduled runs offers ([`Service::voucher_run_part`]):
/// about 250 commits, seconds on DynamoDB, far inside the function's timeout however long the
/// district's queue. A run with places left after it is sent again as a new unit.
pub const OFFERS_PER_PART: usize = 250;

/// Appends a run log entry tries this often when other runs of the district append first.
const MAX_LOG_ATTEMPTS: usize = 8;
/// The newest entries of a district's log a run looks through for runs cut off.
const RECOVERY_LOOKBACK: usize = 16;
/// A run started longer ago than this without an outcome was cut off (a Lambda function runs
/// 15 minutes at most).
const CUT_OFF_AFTER: chrono::Duration = chrono::Duration::minutes(15);

/// What a voucher run sees before it offers anything.
struct RunPlan {
    free: u32,
    outstanding: u32,
    head: Vec<Application>,
    /// Indexes into `head`, in the allocation policy's order.
    order: Vec<usize>,
}

impl RunPlan {
    /// How many vouchers the places allow now.
    fn capacity(&self) -> usize {
        self.free.saturating_sub(self.outstanding) as usize
    }
}

impl Service {
    /// A voucher run for a district and age group: offers as many vouchers from the head of the
    /// queue as there are free places not covered by outstanding vouchers. Safe to run twice or
    /// to retry: every offer is checked against the places in its own commit.
    pub async fn voucher_run(
        &self,
        who: Option<&Principal>,
        input: RunInput,
    ) -> Result<VoucherRunView, Failure> {
        self.voucher_run_at_most(who, input, usize::MAX)
            .await
            .map(|(view, _)| view)
    }

    /// [`Service::voucher_run`] offering at most `limit` vouchers; also says whether places
    /// were left for another run (the limit reached with more capacity than it).
    async fn voucher_run_at_most(
        &self,
        who: Option<&Principal>,
        input: RunInput,
        limit: usize,
    ) -> Result<(VoucherRunView, bool), Failure> {
        let (district, age_group) = self.run_target(&input)?;
        if let Some(p) = who {
            access::permit(p, Operation::StartVoucherRun, On::District(&district.code))?;
        }
        let now = self.now();
        let plan = self.run_plan(&district, age_group, now, limit).await?;
        let left_over = plan.capacity() > limit;
        let capacity = plan.capacity().min(limit);
        let run_id = self.new_id();
        let actor = who.map_or(Actor::System, |p| p.actor());
        let mut record = run_log::RunRecord {
            run_id: run_id.clone(),
            at: now,
            district: district.code.clone(),
            age_group,
            cohort: queue::cohort_of_age_group(age_group, local_date(now)),
            policy: district.allocation,
            places: plan.free,
            outstanding: plan.outstanding,
            limit: (limit < plan.capacity()).then(|| u32::try_from(limit).unwrap_or(u32::MAX)),
            head: plan.head.iter().map(|a| self.head_entry(a)).collect(),
            offered: Vec::new(),
            passed: Vec::new(),
            stage: run_log::Stage::Done,
        };
        // The run reads the queue: what it read goes to the district's log before its first
        // offer (each offer names that entry), what it did after its last.
        // Every run first finishes the district's runs cut off after their start; a unit of
        // the scheduled runs only when it offers (a unit of an age group without places reads
        // the places and stops, as the scheduled runs always skipped such age groups).
        let unit = limit != usize::MAX;
        let started = if capacity > 0 || !unit {
            let tail = self.recover_cut_off_runs(&district.code, now).await?;
            if capacity > 0 {
                Some(self.log_run(record.started(), Some(tail)).await?)
            } else {
                None
            }
        } else {
            None
        };
        let log = started.as_ref().map(|e| RunLogRef {
            seq: e.seq,
            hash: e.hash.clone(),
        });
        let mut offered = Vec::new();
        let mut passed = Vec::new();
        let mut failed = None;
        // The whole head in the policy's order: a child skipped (reconfirmation lapsed, changed
        // meanwhile) is replaced by the next, until the places are offered.
        for &i in &plan.order {
            if offered.len() >= capacity {
                break;
            }
            let app = &plan.head[i];
            let command = Command::OfferVoucher {
                run_id: run_id.clone(),
                age_group,
                log: log.clone(),
            };
            let pass = |why: &str| run_log::Passed {
                number: app.registration_number.clone(),
                reason: why.to_owned(),
            };
            // A stale commit (another writer of the application, or a transaction conflict on an
            // item the offer shares) reads the child again and decides again (the one
            // optimistic loop, `decide_and_commit`): a child still queued is not passed over
            // for someone else's write.
            let decide =
                |a: &Application, t| lifecycle::apply(a, command.clone(), &actor, self.ctx(t));
            let outcome = match self.decide_and_commit(app.clone(), decide).await {
                Ok(Retried::Committed { .. }) => Ok(()),
                // e.g. its reconfirmation lapsed: the sweep archives it
                Ok(Retried::Refused { app: a, .. }) if a.status() == Status::Queued => {
                    Err(run_log::reason::NOT_ELIGIBLE)
                }
                Ok(Retried::Refused { .. } | Retried::Gone { .. }) => Err(run_log::reason::CHANGED),
                Err(f) if f.code() == "no_free_place" => Err(run_log::reason::NO_PLACE),
                Err(f @ Failure::Unavailable(_)) => {
                    failed = Some(f);
                    Err(run_log::reason::ERROR)
                }
                Err(_) => Err(run_log::reason::CHANGED),
            };
            match outcome {
                Ok(()) => offered.push(app),
                Err(why) => {
                    passed.push(pass(why));
                    if run_log::stops_run(why) {
                        break;
                    }
                }
            }
        }
        tracing::info!(district = %district.code, age_group, offered = offered.len(), "voucher run");
        if let Some(started) = started {
            record.offered = offered
                .iter()
                .map(|a| a.registration_number.clone())
                .collect();
            record.passed = passed;
            self.log_run(record, Some(Some(started))).await?;
        }
        if let Some(e) = failed {
            return Err(e);
        }
        let more = left_over && offered.len() == capacity;
        Ok((
            VoucherRunView {
                run_id,
                offered: offered.len(),
                application_ids: offered.iter().map(|a| a.id.clone()).collect(),
                free_places: plan.free,
                outstanding_before: plan.outstanding,
            },
            more,
        ))
    }

    /// A child of a run's head as the log shows it: its number and the order key the policy used.
    fn head_entry(&self, a: &Application) -> run_log::HeadEntry {
        let key = a.queue_key(self.reference());
        run_log::HeadEntry {
            number: a.registration_number.clone(),
            rank: key.rank,
            registered_at: key.registered_at,
            seq: key.registration_seq,
        }
    }

    /// Appends a run's record to its district's log, chained to the entry before it. Two runs
    /// of a district that finish at once both read the same last entry; the second append
    /// finds its place taken and chains again.
    ///
    /// `known` is the log's last entry as the caller knows it (`Some(None)`: an empty log),
    /// tried first without a read.
    async fn log_run(
        &self,
        record: run_log::RunRecord,
        known: Option<Option<run_log::RunLogEntry>>,
    ) -> Result<run_log::RunLogEntry, Failure> {
        let mut known = known;
        for _ in 0..MAX_LOG_ATTEMPTS {
            let tail = match known.take() {
                Some(tail) => tail,
                None => self.store.latest_runs(&record.district, 1).await?.pop(),
            };
            let entry = run_log::append(tail.as_ref(), record.clone());
            match self.store.append_run(&entry).await {
                Ok(true) => return Ok(entry),
                // The place taken, or no answer: perhaps by this very entry, whose answer was
                // lost and whose retry found its own write (DynamoDB's conditional put retried
                // by the SDK). The entry at that place is read back: if it is this one, it is
                // written; chaining it again would start the run twice.
                outcome => {
                    let there = self.store.runs(&record.district, entry.seq - 1, 1).await?;
                    if there.first() == Some(&entry) {
                        tracing::warn!(district = %record.district, seq = entry.seq, "run log: an append's answer was lost; read back: it landed");
                        return Ok(entry);
                    }
                    outcome?;
                }
            }
        }
        tracing::error!(district = %record.district, run_id = %record.run_id, "run log: no place after retries");
        Err(Failure::Unavailable(format!(
            "the run log of {} is busy: the run's record was not written",
            record.district
        )))
    }

    /// Writes the outcome of every run of the district cut off after its start (its process
    /// ended between its first and its last entry), from the queue's book: its offers are the
    /// vouchers there with its id ([`run_log::recover`]). Returns the log's last entry.
    async fn recover_cut_off_runs(
        &self,
        district: &str,
        now: crate::time::Time,
    ) -> Result<Option<run_log::RunLogEntry>, Failure> {
        for _ in 0..MAX_LOG_ATTEMPTS {
            let latest = self.store.latest_runs(district, RECOVERY_LOOKBACK).await?;
            let finished: std::collections::HashSet<&str> = latest
                .iter()
                .filter(|e| e.run.stage != run_log::Stage::Started)
                .map(|e| e.run.run_id.as_str())
                .collect();
            let cut_off = latest.iter().rev().find(|e| {
                e.run.stage == run_log::Stage::Started
                    && !finished.contains(e.run.run_id.as_str())
                    && now - e.run.at > CUT_OFF_AFTER
            });
            let Some(start) = cut_off else {
                return Ok(latest.into_iter().next());
            };
            let run = &start.run;
            let tag: String = run.run_id.chars().take(8).collect();
            let since = run.at.timestamp_micros();
            let booked: std::collections::HashSet<(i64, u64)> = self
                .store
                .queue_book(district, run.cohort)
                .await?
                .into_iter()
                .filter(|e| {
                    !e.enters
                        && e.why == crate::queue_book::Why::Voucher
                        && e.run == tag
                        && e.at >= since
                })
                .map(|e| (e.place.registered_at, e.place.seq))
                .collect();
            let offered = run
                .head
                .iter()
                .filter(|h| booked.contains(&(h.registered_at, h.seq)))
                .map(|h| h.number.clone())
                .collect();
            let entry = run_log::append(latest.first(), run_log::recover(run, &offered));
            if self.store.append_run(&entry).await? {
                tracing::warn!(district, run_id = %run.run_id, offers = entry.run.offered.len(), "run log: a cut-off run recovered");
            }
        }
        Err(Failure::Unavailable(format!(
            "the run log of {district} is busy: cut-off runs not recovered"
        )))
    }

    /// What a run for a district and age group would do now, decided as the run decides (the
    /// places, the outstanding vouchers, the allocation policy's order, each child's own
    /// decision) but committing nothing: the operators' page shows it before the run starts.
    pub async fn voucher_run_preview(
        &self,
        who: &Principal,
        input: RunInput,
    ) -> Result<RunPreviewView, Failure> {
        let (district, age_group) = self.run_target(&input)?;
        access::permit(
            who,
            Operation::StartVoucherRun,
            On::District(&district.code),
        )?;
        let now = self.now();
        let plan = self.run_plan(&district, age_group, now, usize::MAX).await?;
        let capacity = plan.capacity();
        let actor = who.actor();
        let mut head = Vec::new();
        for &i in &plan.order {
            if head.len() >= capacity {
                break;
            }
            let command = Command::OfferVoucher {
                run_id: String::new(),
                age_group,
                log: None,
            };
            if lifecycle::apply(&plan.head[i], command, &actor, self.ctx(now)).is_ok() {
                head.push(self.queue_entry(&plan.head[i], i as u64 + 1));
            }
        }
        Ok(RunPreviewView {
            district: district.code.clone(),
            age_group,
            free_places: plan.free,
            outstanding: plan.outstanding,
            would_offer: head.len(),
            head,
        })
    }

    /// The district and age group a run is for, or the field at fault.
    fn run_target(&self, input: &RunInput) -> Result<(District, AgeGroup), Failure> {
        let district = self
            .reference()
            .district(input.district.trim())
            .ok_or(Failure::bad("unknown_district", "district"))?
            .clone();
        let age_group = u8::try_from(input.age_group)
            .ok()
            .filter(|a| *a <= 7)
            .ok_or(Failure::bad("invalid_age_group", "age_group"))?;
        Ok((district, age_group))
    }

    /// What a run sees: the district's free places for the age group, the vouchers outstanding,
    /// and (when places are left) the head of the queue in the allocation policy's order.
    async fn run_plan(
        &self,
        district: &District,
        age_group: AgeGroup,
        now: crate::time::Time,
        limit: usize,
    ) -> Result<RunPlan, Failure> {
        let cohort = queue::cohort_of_age_group(age_group, local_date(now));
        let free: u32 = self
            .store
            .kindergartens(Some(&district.code))
            .await?
            .iter()
            .map(|k| k.free_places.get(&age_group).copied().unwrap_or(0))
            .sum();
        let outstanding = self
            .store
            .outstanding_vouchers(&district.code, age_group)
            .await?;
        let mut plan = RunPlan {
            free,
            outstanding,
            head: Vec::new(),
            order: Vec::new(),
        };
        let capacity = plan.capacity().min(limit);
        if capacity > 0 {
            // Read enough of the head for the allocation policy to interleave.
            plan.head = self
                .store
                .queue(
                    &district.code,
                    cohort,
                    capacity.saturating_mul(4).max(capacity),
                )
                .await?;
            let keys: Vec<_> = plan
                .head
                .iter()
                .map(|a| a.queue_key(self.reference()))
                .collect();
            plan.order = queue::select_for_run(district.allocation, &keys, keys.len());
        }
        Ok(plan)
    }

    /// The units of the scheduled voucher runs: one per age group of a district or (`None`)
    /// of every district of the region, each done on its own ([`Service::voucher_run_part`]),
    /// so that no run of the whole region depends on one invocation finishing it. No store is
    /// read: a unit whose age group has no free place reads the places and stops.
    pub fn voucher_run_parts(&self, district: Option<&str>) -> Result<Vec<SweepPart>, Failure> {
        let districts: Vec<String> = match district {
            Some(d) => vec![self.known_district(d, "district")?.into_string()],
            None => self
                .reference()
                .districts
                .iter()
                .map(|d| d.code.clone())
                .collect(),
        };
        // Age group by age group: units taken one after the other are of different districts
        // (a district's units append to the same run log).
        Ok(queue::AGE_GROUPS
            .into_iter()
            .flat_map(|age_group| {
                districts.iter().map(move |district| SweepPart::VoucherRun {
                    district: district.clone(),
                    age_group,
                })
            })
            .collect())
    }

    /// One unit of the scheduled runs: the district's run for the age group, offering at most
    /// [`OFFERS_PER_PART`] vouchers. `more` when places were left for another unit (the caller
    /// sends the unit again). Safe to repeat, as every run is: each offer is checked against
    /// the places in its own commit, and a repeated unit sees the vouchers already offered.
    pub async fn voucher_run_part(
        &self,
        district: &str,
        age_group: AgeGroup,
    ) -> Result<(ScheduledRunView, bool), Failure> {
        let input = RunInput {
            district: district.to_owned(),
            age_group: i64::from(age_group),
        };
        let (run, more) = self
            .voucher_run_at_most(None, input, OFFERS_PER_PART)
            .await?;
        Ok((
            ScheduledRunView {
                district: district.to_owned(),
                age_group,
                run,
            },
            more,
        ))
    }

    /// The scheduled voucher runs done here, unit after unit (the local runner and the
    /// simulator; in AWS each unit is an invocation of its own): the runs of the age groups
    /// that have free places, in a district or (`None`) in every district.
    pub async fn scheduled_voucher_runs(
        &self,
        district: Option<&str>,
    ) -> Result<Vec<ScheduledRunView>, Failure> {
        let mut out = Vec::new();
        // The age groups with free places, one catalogue read a district (the units of the
        // others would read the places and stop).
        let mut with_places: std::collections::HashMap<String, Vec<AgeGroup>> = Default::default();
        for part in self.voucher_run_parts(district)? {
            let SweepPart::VoucherRun {
                district,
                age_group,
            } = part
            else {
                continue;
            };
            if !with_places.contains_key(&district) {
                let mut ages = Vec::new();
                for k in self.store.kindergartens(Some(&district)).await? {
                    ages.extend(
                        k.free_places
                            .iter()
                            .filter(|(_, n)| **n > 0)
                            .map(|(a, _)| *a),
                    );
                }
                with_places.insert(district.clone(), ages);
            }
            if !with_places[&district].contains(&age_group) {
                continue;
            }
            loop {
                let (view, more) = self.voucher_run_part(&district, age_group).await?;
                if view.run.free_places > 0 {
                    out.push(view);
                }
                if !more {
                    break;
                }
            }
        }
        Ok(out)
    }
}
