//! The queue (service.md, "The queue"): per district and age group, keyed by birth cohort, ordered
//! by privilege rank, then registration time, then registration number.

use crate::reference::{AllocationPolicy, Rank, RANK_FIRST_PRIORITY, RANK_OUT_OF_TURN};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// FNV-1a: a stable hash (std's hasher may change between releases), for sharding and tags.
pub fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// A child's age in full years on the next 1 September (today or later).
pub type AgeGroup = u8;

/// Every age group a run is for (0 to 7 years on the next 1 September).
pub const AGE_GROUPS: [AgeGroup; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

/// Children born from 2 September of year Y-1 to 1 September of year Y form cohort Y: they reach
/// each age group together. A queue is keyed by district and cohort, so it does not change on
/// 1 September when every child's age group moves up.
pub type Cohort = i32;

/// The cohort of a birth date: the year of the first 1 September on or after it.
pub fn cohort_of(birth: NaiveDate) -> Cohort {
    if (birth.month(), birth.day()) <= (9, 1) {
        birth.year()
    } else {
        birth.year() + 1
    }
}

/// The year of the next 1 September, today or later.
pub fn next_september_year(today: NaiveDate) -> i32 {
    if (today.month(), today.day()) <= (9, 1) {
        today.year()
    } else {
        today.year() + 1
    }
}

/// The age group of a cohort today (negative ages clamp to 0).
pub fn age_group_of_cohort(cohort: Cohort, today: NaiveDate) -> AgeGroup {
    (next_september_year(today) - cohort).clamp(0, i32::from(AgeGroup::MAX)) as AgeGroup
}

/// The age group of a child today.
pub fn age_group(birth: NaiveDate, today: NaiveDate) -> AgeGroup {
    age_group_of_cohort(cohort_of(birth), today)
}

/// The cohort that has `age` today.
pub fn cohort_of_age_group(age: AgeGroup, today: NaiveDate) -> Cohort {
    next_september_year(today) - i32::from(age)
}

/// Full years of age on `day`.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> u32 {
    let mut years = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// The ordering key inside one queue: a total order (the id breaks any remaining tie).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QueueKey {
    pub rank: Rank,
    /// Registration time, microseconds since the epoch.
    pub registered_at: i64,
    pub registration_seq: u64,
    pub id: String,
}

/// Picks `n` applications for a voucher run from a queue given in [`QueueKey`] order, following
/// the district's allocation policy. Returns indexes into `queue`.
pub fn select_for_run(policy: AllocationPolicy, queue: &[QueueKey], n: usize) -> Vec<usize> {
    match policy {
        AllocationPolicy::Strict => (0..queue.len().min(n)).collect(),
        AllocationPolicy::OneInFour => {
            let mut picked = Vec::with_capacity(n);
            // Out-of-turn children always come first.
            let out_of_turn = queue
                .iter()
                .take_while(|k| k.rank == RANK_OUT_OF_TURN)
                .count();
            picked.extend((0..out_of_turn).take(n));
            // The rest by registration time, every fourth pick to the first-priority head.
            let mut first: Vec<usize> = (out_of_turn..queue.len())
                .filter(|&i| queue[i].rank == RANK_FIRST_PRIORITY)
                .collect();
            let mut general: Vec<usize> = (out_of_turn..queue.len()).collect();
            general.sort_by(|&a, &b| {
                (
                    queue[a].registered_at,
                    queue[a].registration_seq,
                    &queue[a].id,
                )
                    .cmp(&(
                        queue[b].registered_at,
                        queue[b].registration_seq,
                        &queue[b].id,
                    ))
            });
            first.reverse();
            general.reverse();
            let mut slot = 0usize;
            while picked.len() < n && (!first.is_empty() || !general.is_empty()) {
                slot += 1;
                let from_first = slot % 4 == 1 && !first.is_empty() || general.is_empty();
                let next = if from_first {
                    first.pop()
                } else {
                    general.pop()
                };
                if let Some(i) = next {
                    if !picked.contains(&i) {
                        picked.push(i);
                    }
                }
            }
            picked
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn cohorts_change_at_the_first_of_september() {
        assert_eq!(cohort_of(d(2022, 9, 1)), 2022);
        assert_eq!(cohort_of(d(2022, 9, 2)), 2023);
        assert_eq!(cohort_of(d(2023, 3, 15)), 2023);
        // On 22 November 2026 the next 1 September is in 2027.
        let today = d(2026, 11, 22);
        assert_eq!(age_group(d(2023, 3, 15), today), 4);
        assert_eq!(age_group(d(2023, 9, 2), today), 3);
        assert_eq!(age_group(d(2023, 9, 1), today), 4);
        // On 1 September itself, that day counts.
        assert_eq!(age_group(d(2023, 9, 1), d(2026, 9, 1)), 3);
        assert_eq!(cohort_of_age_group(3, today), 2024);
        assert_eq!(age_group_of_cohort(cohort_of_age_group(5, today), today), 5);
    }

    #[test]
    fn age_in_full_years() {
        assert_eq!(age_on(d(2019, 11, 22), d(2026, 11, 22)), 7);
        assert_eq!(age_on(d(2019, 11, 23), d(2026, 11, 22)), 6);
        assert_eq!(age_on(d(2020, 2, 29), d(2021, 2, 28)), 0);
    }

    fn key(rank: Rank, t: i64, id: &str) -> QueueKey {
        QueueKey {
            rank,
            registered_at: t,
            registration_seq: t as u64,
            id: id.into(),
        }
    }

    #[test]
    fn queue_order_is_rank_then_time_then_number() {
        let mut v = [
            key(2, 1, "a"),
            key(1, 5, "b"),
            key(0, 9, "c"),
            key(2, 0, "d"),
        ];
        v.sort();
        let ids: Vec<_> = v.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "d", "a"]);
    }

    #[test]
    fn strict_policy_takes_the_head() {
        let q = vec![key(0, 3, "a"), key(1, 2, "b"), key(2, 1, "c")];
        assert_eq!(select_for_run(AllocationPolicy::Strict, &q, 2), vec![0, 1]);
        assert_eq!(
            select_for_run(AllocationPolicy::Strict, &q, 9),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn one_in_four_gives_first_priority_every_fourth_place() {
        // out-of-turn o; first-priority f1,f2 registered late; general g1..g6 registered early.
        let mut q = vec![key(0, 50, "o"), key(1, 40, "f1"), key(1, 41, "f2")];
        for i in 1..=6 {
            q.push(key(2, i, &format!("g{i}")));
        }
        let picked = select_for_run(AllocationPolicy::OneInFour, &q, 6);
        let ids: Vec<_> = picked.iter().map(|&i| q[i].id.as_str()).collect();
        assert_eq!(ids, ["o", "f1", "g1", "g2", "g3", "f2"]);
    }
}
