//! Voucher runs: an operator's run for a district and age group, and the scheduled summer runs.

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::inputs::*;
use crate::lifecycle::{self, Command};
use crate::ports::*;
use crate::queue;
use crate::queue::AgeGroup;
use crate::service::Service;
use crate::time::local_date;
use crate::views::*;

impl Service {
    /// A voucher run for a district and age group: offers as many vouchers from the head of the
    /// queue as there are free places not covered by outstanding vouchers. Safe to run twice or
    /// to retry: every offer is checked against the places in its own commit.
    pub async fn voucher_run(
        &self,
        who: Option<&Principal>,
        input: RunInput,
    ) -> Result<VoucherRunView, Failure> {
        let district = self
            .reference()
            .district(input.district.trim())
            .ok_or(Failure::bad("unknown_district", "district"))?
            .clone();
        if let Some(p) = who {
            access::permit(p, Operation::StartVoucherRun, On::District(&district.code))?;
        }
        let age_group = u8::try_from(input.age_group)
            .ok()
            .filter(|a| *a <= 7)
            .ok_or(Failure::bad("invalid_age_group", "age_group"))?;
        let now = self.now();
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
        let capacity = free.saturating_sub(outstanding) as usize;
        let run_id = uuid::Uuid::new_v4().to_string();
        let mut offered = Vec::new();
        if capacity > 0 {
            // Read enough of the head for the allocation policy to interleave.
            let head = self
                .store
                .queue(
                    &district.code,
                    cohort,
                    capacity.saturating_mul(4).max(capacity),
                )
                .await?;
            let keys: Vec<_> = head.iter().map(|a| a.queue_key(self.reference())).collect();
            let actor = who.map_or(Actor::System, |p| p.actor());
            // The whole head in the policy's order: a child skipped (reconfirmation lapsed, changed
            // meanwhile) is replaced by the next, until the places are offered.
            for i in queue::select_for_run(district.allocation, &keys, keys.len()) {
                if offered.len() >= capacity {
                    break;
                }
                let command = Command::OfferVoucher {
                    run_id: run_id.clone(),
                    age_group,
                };
                let Ok(d) = lifecycle::apply(&head[i], command, &actor, self.ctx(now)) else {
                    continue; // e.g. its reconfirmation lapsed: the sweep archives it
                };
                let id = d.application.id.clone();
                match self.commit(d).await {
                    Ok(()) => offered.push(id),
                    Err(CommitError::Conflict(Conflict::NoVoucherPlace)) => break,
                    Err(CommitError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        tracing::info!(district = %district.code, age_group, offered = offered.len(), "voucher run");
        Ok(VoucherRunView {
            run_id,
            offered: offered.len(),
            application_ids: offered,
            free_places: free,
            outstanding_before: outstanding,
        })
    }

    /// The scheduled voucher runs: one run per age group that has free places, in a district or
    /// (`None`) in every district of the region. Each run is [`Service::voucher_run`], so a run
    /// started twice never offers more vouchers than places.
    pub async fn scheduled_voucher_runs(
        &self,
        district: Option<&str>,
    ) -> Result<Vec<ScheduledRunView>, Failure> {
        let districts: Vec<String> = match district {
            Some(d) => vec![self.known_district(d, "district")?.into_string()],
            None => self
                .reference()
                .districts
                .iter()
                .map(|d| d.code.clone())
                .collect(),
        };
        let mut out = Vec::new();
        for code in districts {
            let mut ages: Vec<AgeGroup> = Vec::new();
            for k in self.store.kindergartens(Some(&code)).await? {
                for (age, free) in k.free_places {
                    if free > 0 && !ages.contains(&age) {
                        ages.push(age);
                    }
                }
            }
            ages.sort_unstable();
            for age in ages {
                let input = RunInput {
                    district: code.clone(),
                    age_group: i64::from(age),
                };
                let run = self.voucher_run(None, input).await?;
                out.push(ScheduledRunView {
                    district: code.clone(),
                    age_group: age,
                    run,
                });
            }
        }
        Ok(out)
    }
}
