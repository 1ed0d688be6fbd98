//! The summer run over a loaded store: the places put into the catalogue, then the units of the
//! scheduled runs ([`kezek_core::Service::voucher_run_parts`]) done one by one as the work queue
//! would hand them out (a unit with places left after [`kezek_core::vouchers::OFFERS_PER_PART`]
//! offers is sent again), each timed, and the outcome checked against what the queue held.

use crate::dataset::home_kindergarten;
use kezek_core::domain::{Application, Kindergarten, Status};
use kezek_core::ports::SweepPart;
use kezek_core::queue::{self, AgeGroup, Cohort};
use kezek_core::Service;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Kindergartens per district in the catalogue (about 5,000 at 200 districts: the country
/// has about 10,000 preschool organisations, half of them mini-centres).
pub const KINDERGARTENS_PER_DISTRICT: usize = 25;

/// The places of each district and age group: a share of its queue. Most districts get places
/// for 15% of the queued children of the age group; one district in seven more places than
/// children (its queue is not long enough: every queued child is offered one).
pub fn places_for(
    apps: &[Application],
    districts: &[String],
    today: chrono::NaiveDate,
) -> BTreeMap<(String, AgeGroup), u32> {
    let queued = queued_by_age(apps, today);
    let mut places = BTreeMap::new();
    for (i, d) in districts.iter().enumerate() {
        for age in queue::AGE_GROUPS {
            let q = queued.get(&(d.clone(), age)).copied().unwrap_or(0);
            if q == 0 {
                continue;
            }
            let n = if i % 7 == 3 {
                q + q / 5 + 1
            } else {
                (q * 15).div_ceil(100)
            };
            places.insert((d.clone(), age), n);
        }
    }
    places
}

/// Queued children per district and age group on `today`.
pub fn queued_by_age(
    apps: &[Application],
    today: chrono::NaiveDate,
) -> BTreeMap<(String, AgeGroup), u32> {
    let mut out = BTreeMap::new();
    for a in apps.iter().filter(|a| a.status() == Status::Queued) {
        let age = queue::age_group(a.child_birth_date, today);
        *out.entry((a.district.clone(), age)).or_default() += 1;
    }
    out
}

/// The outstanding vouchers per district and age group (offered or active).
pub fn outstanding(apps: &[Application]) -> BTreeMap<(String, AgeGroup), u32> {
    let mut out = BTreeMap::new();
    for a in apps.iter().filter(|a| a.status().holds_voucher()) {
        if let Some(offer) = a.state.offer() {
            *out.entry((a.district.clone(), offer.age_group))
                .or_default() += 1;
        }
    }
    out
}

/// The catalogue: each district's places spread over its kindergartens (the first, `<code>-K0`,
/// is the one the dataset's enrolments name).
pub fn catalogue(
    districts: &[String],
    places: &BTreeMap<(String, AgeGroup), u32>,
) -> Vec<Kindergarten> {
    let mut out = Vec::new();
    for d in districts {
        for k in 0..KINDERGARTENS_PER_DISTRICT {
            let mut kg = home_kindergarten(d);
            kg.id = format!("{d}-K{k}");
            for age in queue::AGE_GROUPS {
                let total = places.get(&(d.clone(), age)).copied().unwrap_or(0) as usize;
                // An even share, the remainder to the first ones.
                let share = total / KINDERGARTENS_PER_DISTRICT
                    + usize::from(k < total % KINDERGARTENS_PER_DISTRICT);
                kg.free_places.insert(age, share as u32);
            }
            out.push(kg);
        }
    }
    out
}

/// One unit of the run as it was done.
#[derive(Debug, Clone)]
pub struct Unit {
    pub district: String,
    pub age_group: AgeGroup,
    pub offered: usize,
    pub free_places: u32,
    pub outstanding_before: u32,
    pub took: Duration,
    /// Whether it sent itself again (places left after its offers).
    pub more: bool,
}

/// What the summer run did.
#[derive(Debug, Default)]
pub struct Summer {
    pub units: Vec<Unit>,
    pub messages: usize,
    pub took: Duration,
}

impl Summer {
    pub fn offered(&self) -> usize {
        self.units.iter().map(|u| u.offered).sum()
    }

    /// The unit that took longest.
    pub fn longest(&self) -> Option<&Unit> {
        self.units.iter().max_by_key(|u| u.took)
    }

    /// The unit with the most offers.
    pub fn largest(&self) -> Option<&Unit> {
        self.units.iter().max_by_key(|u| u.offered)
    }

    /// Offers per district and age group.
    pub fn offers(&self) -> BTreeMap<(String, AgeGroup), usize> {
        let mut out = BTreeMap::new();
        for u in &self.units {
            *out.entry((u.district.clone(), u.age_group)).or_default() += u.offered;
        }
        out
    }
}

/// Does every unit of the scheduled runs, as the work queue hands them out: the first units
/// in order, and a unit sent again after the ones before it.
pub async fn run(svc: &Service) -> Result<Summer, String> {
    let start = Instant::now();
    let mut queue: std::collections::VecDeque<SweepPart> = svc
        .voucher_run_parts(None)
        .map_err(|e| e.to_string())?
        .into();
    let mut summer = Summer {
        messages: queue.len(),
        ..Summer::default()
    };
    while let Some(part) = queue.pop_front() {
        let SweepPart::VoucherRun {
            district,
            age_group,
        } = &part
        else {
            return Err(format!("not a voucher run: {part:?}"));
        };
        let t = Instant::now();
        let (view, more) = svc
            .voucher_run_part(district, *age_group)
            .await
            .map_err(|e| format!("{district} age {age_group}: {e}"))?;
        summer.units.push(Unit {
            district: district.clone(),
            age_group: *age_group,
            offered: view.run.offered,
            free_places: view.run.free_places,
            outstanding_before: view.run.outstanding_before,
            took: t.elapsed(),
            more,
        });
        if more {
            queue.push_back(part.clone());
            summer.messages += 1;
        }
    }
    summer.took = start.elapsed();
    Ok(summer)
}

/// The run's outcome against the queue it read: for every district and age group, the offers
/// equal the places free of outstanding vouchers where the queue held enough children, and every
/// queued child where it did not. Returns the mismatches (none when right) and how many
/// district-age pairs had a queue long enough.
pub fn check(
    summer: &Summer,
    places: &BTreeMap<(String, AgeGroup), u32>,
    queued: &BTreeMap<(String, AgeGroup), u32>,
    outstanding: &BTreeMap<(String, AgeGroup), u32>,
) -> (Vec<String>, usize) {
    let offers = summer.offers();
    let mut wrong = Vec::new();
    let mut long_enough = 0;
    for (key, p) in places {
        let free = p.saturating_sub(outstanding.get(key).copied().unwrap_or(0)) as usize;
        let q = queued.get(key).copied().unwrap_or(0) as usize;
        if q >= free {
            long_enough += 1;
        }
        let expected = free.min(q);
        let got = offers.get(key).copied().unwrap_or(0);
        if got != expected {
            wrong.push(format!(
                "{} age {}: {got} offers, expected {expected} (places {p}, queued {q})",
                key.0, key.1
            ));
        }
    }
    (wrong, long_enough)
}

/// A cohort's queue length (for picking deep positions to read).
pub fn cohort_sizes(apps: &[Application]) -> BTreeMap<(String, Cohort), usize> {
    let mut out = BTreeMap::new();
    for a in apps.iter().filter(|a| a.status() == Status::Queued) {
        *out.entry((a.district.clone(), queue::cohort_of(a.child_birth_date)))
            .or_default() += 1;
    }
    out
}
