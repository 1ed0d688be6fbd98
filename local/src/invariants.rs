//! `POST /v1/dev/invariants`: the store's invariants after a load run (`scripts/load`), the
//! same ones the simulator checks (`shared/sim/src/check.rs`): one live application per child,
//! places kept (no kindergarten's age group over its places) and offers within places.
//!
//! The store has no scan (nothing may read the whole table), so the caller names what it made:
//! every child it registered, and the places it set for each kindergarten it checks. Counts
//! only: a broken invariant is named with masked IINs.

use kezek_core::domain::Status;
use kezek_core::iin::Iin;
use kezek_core::ports::stores::*;
use kezek_core::reference::Reference;
use kezek_core::Failure;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The body: every child the run registered, and the places (kindergarten id → age group →
/// places) as the operators set them. Kindergartens not named are not compared.
#[derive(Debug, Deserialize)]
pub struct Asked {
    pub children: Vec<String>,
    #[serde(default)]
    pub places: BTreeMap<String, BTreeMap<String, u32>>,
}

/// One invariant: how many things it compared and how many broke it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Check {
    pub invariant: &'static str,
    pub checked: u64,
    pub broken: u64,
}

/// The answer: the applications read, by status, each invariant's counts, and the first
/// violations seen (at most [`MAX_SEEN`]).
#[derive(Debug, Serialize)]
pub struct Report {
    pub children: u64,
    pub applications: u64,
    pub by_status: BTreeMap<&'static str, u64>,
    pub checks: Vec<Check>,
    pub violations: Vec<String>,
    /// Kindergartens of the region whose places the caller did not name.
    pub unchecked_kindergartens: u64,
}

/// Violations listed in full; the counts go on.
pub const MAX_SEEN: usize = 20;

/// The largest body the route reads (a national run names 10,000s of children).
pub const MAX_ASKED: usize = 16 * 1024 * 1024;

struct Tally {
    check: Check,
}

impl Tally {
    fn new(invariant: &'static str) -> Tally {
        Tally {
            check: Check {
                invariant,
                checked: 0,
                broken: 0,
            },
        }
    }

    fn see(&mut self, ok: bool, violations: &mut Vec<String>, seen: impl FnOnce() -> String) {
        self.check.checked += 1;
        if !ok {
            self.check.broken += 1;
            if violations.len() < MAX_SEEN {
                violations.push(format!("{}: {}", self.check.invariant, seen()));
            }
        }
    }
}

/// Reads the named children's applications and the region's catalogue and checks them.
pub async fn check(
    store: &dyn Store,
    reference: &Reference,
    asked: &Asked,
) -> Result<Report, Failure> {
    let children: BTreeSet<Iin> = asked
        .children
        .iter()
        .map(|c| Iin::try_from(c.trim().to_owned()))
        .collect::<Result<_, _>>()
        .map_err(|_| Failure::bad("invalid_iin", "children"))?;
    let mut violations = Vec::new();
    let mut apps = Vec::new();
    let mut one_live = Tally::new("one live application per child");
    for child in &children {
        let of_child = store.applications_by_child(child).await?;
        let live = of_child
            .iter()
            .filter(|a| a.status() != Status::Archived)
            .count();
        one_live.see(live <= 1, &mut violations, || {
            format!("child {} has {live} live applications", child.masked())
        });
        apps.extend(of_child);
    }
    let mut by_status: BTreeMap<&'static str, u64> =
        Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for a in &apps {
        *by_status.entry(a.status().as_str()).or_insert(0) += 1;
    }
    // Places taken: the enrolled children, by kindergarten and age group.
    let mut taken: HashMap<(String, u8), u32> = HashMap::new();
    for a in apps.iter().filter(|a| a.status() == Status::Enrolled) {
        if let Some((kg, age)) = a
            .voucher()
            .and_then(|v| v.kindergarten_id.map(|k| (k, v.age_group)))
        {
            *taken.entry((kg, age)).or_insert(0) += 1;
        }
    }
    let mut places = Tally::new("places kept");
    let mut offers = Tally::new("offers within places");
    let mut pools = Tally::new("the pool counts the vouchers held");
    let mut unchecked = 0;
    for d in &reference.districts {
        let kgs = store.kindergartens(Some(&d.code)).await?;
        let mut free: BTreeMap<u8, u32> = BTreeMap::new();
        for k in &kgs {
            for (age, n) in &k.free_places {
                *free.entry(*age).or_insert(0) += n;
            }
            let Some(set) = asked.places.get(&k.id) else {
                unchecked += 1;
                continue;
            };
            let mut ages: BTreeSet<u8> = k.free_places.keys().copied().collect();
            ages.extend(
                taken
                    .keys()
                    .filter(|(kg, _)| *kg == k.id)
                    .map(|(_, age)| *age),
            );
            for age in ages {
                let n = k.free_places.get(&age).copied().unwrap_or(0);
                let took = taken.get(&(k.id.clone(), age)).copied().unwrap_or(0);
                let cap = set.get(&age.to_string()).copied().unwrap_or(0);
                places.see(n + took == cap && took <= cap, &mut violations, || {
                    format!(
                        "{} age {age}: {n} free + {took} enrolled != {cap} places",
                        k.id
                    )
                });
            }
        }
        // Every pool that can hold an offer: an age group with places in the district or
        // with a voucher held.
        let in_district: Vec<_> = apps.iter().filter(|a| a.district == d.code).collect();
        let mut ages: BTreeSet<u8> = free.keys().copied().collect();
        ages.extend(
            in_district
                .iter()
                .filter_map(|a| a.voucher().map(|v| v.age_group)),
        );
        for age in ages {
            let out = store.outstanding_vouchers(&d.code, age).await?;
            let room = free.get(&age).copied().unwrap_or(0);
            offers.see(out <= room, &mut violations, || {
                format!(
                    "{} age {age}: {out} outstanding over {room} free places",
                    d.code
                )
            });
            let held = in_district
                .iter()
                .filter(|a| a.status().holds_voucher())
                .filter(|a| a.voucher().is_some_and(|v| v.age_group == age))
                .count() as u32;
            pools.see(held == out, &mut violations, || {
                format!(
                    "{} age {age}: the pool counts {out}, applications hold {held}",
                    d.code
                )
            });
        }
    }
    Ok(Report {
        children: children.len() as u64,
        applications: apps.len() as u64,
        by_status,
        checks: vec![one_live.check, places.check, offers.check, pools.check],
        violations,
        unchecked_kindergartens: unchecked,
    })
}
