use super::*;
use crate::queue::{select_for_run, QueueKey};
use crate::queue_book::{position, Place};
use crate::reference::{RANK_FIRST_PRIORITY, RANK_GENERAL};
use std::collections::{BTreeSet, HashMap};

/// 12:00 in Asia/Almaty of a day, as a book's microseconds.
fn micros(m: Month, day: u32) -> i64 {
    NaiveDate::from_ymd_opt(m.year(), m.month(), day)
        .and_then(|d| d.and_hms_opt(7, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or_default()
}

fn ev(at: i64, enters: bool, place: Place, why: Why) -> QueueEvent {
    QueueEvent {
        at,
        enters,
        place,
        why,
        run: String::new(),
    }
}

fn standing(p: &Place) -> Standing {
    Standing {
        rank: p.rank,
        registered_at: p.registered_at,
        seq: p.seq,
    }
}

#[test]
fn months_are_calendar_months_in_almaty() {
    let m = Month::new(2026, 12);
    assert_eq!(m.code(), "2026-12");
    assert_eq!(m.plus(1).code(), "2027-01");
    assert_eq!(m.plus(-12).code(), "2025-12");
    assert_eq!(Month::parse("2027-01"), Some(m.plus(1)));
    assert_eq!(Month::parse("2027-13"), None);
    assert_eq!(Month::parse("x"), None);
    // 2026-11-30 20:00 UTC is 1 December in Almaty
    let t = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(20, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or_default();
    assert_eq!(Month::of_micros(t), m);
}

#[test]
fn before_is_the_position_less_one_in_strict_order() {
    let now = Month::new(2026, 11);
    let place = |rank, t: i64| Place {
        rank,
        registered_at: t,
        seq: t as u64,
    };
    let me = place(RANK_GENERAL, 50);
    let events = vec![
        ev(
            micros(now.plus(-3), 1),
            true,
            place(RANK_GENERAL, 10),
            Why::Registered,
        ),
        ev(
            micros(now.plus(-3), 2),
            true,
            place(RANK_GENERAL, 20),
            Why::Registered,
        ),
        ev(micros(now.plus(-3), 3), true, me, Why::Registered),
        ev(
            micros(now.plus(-2), 1),
            true,
            place(RANK_FIRST_PRIORITY, 60),
            Why::Registered,
        ),
        ev(
            micros(now.plus(-2), 5),
            true,
            place(RANK_GENERAL, 70),
            Why::Registered,
        ),
        ev(
            micros(now.plus(-1), 9),
            false,
            place(RANK_GENERAL, 10),
            Why::Voucher,
        ),
    ];
    let s = standing(&me);
    assert_eq!(
        before(&events, &s, AllocationPolicy::Strict) + 1,
        position(&events, &me)
    );
    assert_eq!(before(&events, &s, AllocationPolicy::Strict), 2);
    // one in four: the first-priority child registered later is not before it
    assert_eq!(before(&events, &s, AllocationPolicy::OneInFour), 1);
    let p = pace(&events, &s, AllocationPolicy::Strict, now);
    // a voucher before it (+1), a privileged entry before it (−1)
    assert_eq!((p.vouchers, p.entered, p.yearly()), (1, 1, 0));
    assert_eq!(range(&p, 2, now), Range::NoMovement);
}

#[test]
fn the_range_follows_the_season_and_this_months_runs() {
    let now = Month::new(2026, 5);
    let back = Standing::at_the_back(RANK_GENERAL);
    let place = |t: i64| Place {
        rank: RANK_GENERAL,
        registered_at: t,
        seq: t as u64,
    };
    let mut events = Vec::new();
    let mut t = 0;
    // last July and August: 30 vouchers each; October: 6
    for (m, n) in [
        (Month::new(2025, 7), 30),
        (Month::new(2025, 8), 30),
        (Month::new(2025, 10), 6),
    ] {
        for _ in 0..n {
            t += 1;
            events.push(ev(micros(m.plus(-20), 1), true, place(t), Why::Registered));
            events.push(ev(micros(m, 15), false, place(t), Why::Voucher));
        }
    }
    let p = pace(&events, &back, AllocationPolicy::Strict, now);
    assert_eq!((p.vouchers, p.summer_vouchers, p.yearly()), (66, 60, 66));
    // 10 before it: the fast pace covers 11 in July (42), the slow one too (19.5)
    assert_eq!(
        range(&p, 10, now),
        Range::Months {
            earliest: Month::new(2026, 7),
            latest: Some(Month::new(2026, 7))
        }
    );
    // 70 before it: July and August at the fast pace (84); the slow pace (19.5 a summer month,
    // 3.9 in October) needs next August
    assert_eq!(
        range(&p, 70, now),
        Range::Months {
            earliest: Month::new(2026, 8),
            latest: Some(Month::new(2027, 8))
        }
    );
    // in October 2026 the 2025 summer has left the window (October 2025 to September 2026), and
    // this October's run (6) already made this month's movement: the next is October 2027
    let oct = Month::new(2026, 10);
    let mut later = events.clone();
    for _ in 0..6 {
        t += 1;
        later.push(ev(
            micros(oct.plus(-20), 1),
            true,
            place(t),
            Why::Registered,
        ));
        later.push(ev(micros(oct, 3), false, place(t), Why::Voucher));
    }
    let p = pace(&later, &back, AllocationPolicy::Strict, oct);
    assert_eq!(p.this_month, 6);
    assert!(matches!(
        range(&p, 3, oct),
        Range::Months { earliest, .. } if earliest == Month::new(2027, 10)
    ));
}

/// A deterministic generator for the simulated history (no crate needed for a test's dice).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, per_thousand: u64) -> bool {
        self.below(1000) < per_thousand
    }
}

/// Five years of one district's cohort queue: registrations (a share privileged), withdrawals,
/// a voucher run most months and the big July–August runs (places varying from year to year),
/// offers refused to the stop-list and restored. Returns the book and each child's voucher
/// months.
fn simulate(
    seed: u64,
    policy: AllocationPolicy,
    start: Month,
    months: i32,
) -> (Vec<QueueEvent>, HashMap<Place, Vec<Month>>) {
    let mut dice = Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut events = Vec::new();
    let mut queue: BTreeSet<Place> = BTreeSet::new();
    let mut offered: HashMap<Place, Vec<Month>> = HashMap::new();
    let mut seq = 0u64;
    let mut stop_listed: Vec<Place> = Vec::new();
    // this year's weight of places (a good or a poor year for free places)
    let mut year_weight = 100;
    for k in 0..months {
        let m = start.plus(k);
        if m.month() == 1 {
            year_weight = 75 + dice.below(51);
        }
        // restores from last month's stop-list, with the original registration time
        for p in std::mem::take(&mut stop_listed) {
            events.push(ev(micros(m, 3), true, p, Why::Restored));
            queue.insert(p);
        }
        for _ in 0..(18 + dice.below(18)) {
            seq += 1;
            let rank = match dice.below(100) {
                0..=2 => RANK_OUT_OF_TURN,
                3..=11 => RANK_FIRST_PRIORITY,
                _ => RANK_GENERAL,
            };
            let at = micros(m, 1 + dice.below(25) as u32) + seq as i64;
            let p = Place {
                rank,
                registered_at: at,
                seq,
            };
            events.push(ev(at, true, p, Why::Registered));
            queue.insert(p);
        }
        let leaving: Vec<Place> = queue.iter().copied().filter(|_| dice.chance(6)).collect();
        for p in leaving {
            events.push(ev(micros(m, 27), false, p, Why::Withdrawn));
            queue.remove(&p);
        }
        if k < 12 {
            continue; // too young for a run yet
        }
        let places = match m.month() {
            7 | 8 => 70 + dice.below(60),
            _ if dice.chance(200) => 0,
            _ => 4 + dice.below(14),
        } * year_weight
            / 100;
        let keys: Vec<QueueKey> = queue
            .iter()
            .map(|p| QueueKey {
                rank: p.rank,
                registered_at: p.registered_at,
                registration_seq: p.seq,
                id: format!("{:08}", p.seq),
            })
            .collect();
        let all: Vec<Place> = queue.iter().copied().collect();
        for i in select_for_run(policy, &keys, places as usize) {
            let p = all[i];
            events.push(ev(micros(m, 28), false, p, Why::Voucher));
            queue.remove(&p);
            offered.entry(p).or_default().push(m);
            if dice.chance(40) {
                stop_listed.push(p);
            }
        }
    }
    events.sort_by_key(|e| e.at);
    (events, offered)
}

/// The back-test: on simulated histories, how often the month of the real offer fell in the
/// range given at the start of a month (children still waiting at the simulation's end count
/// only where the range had already ended).
fn back_test(policy: AllocationPolicy) -> (u64, u64, f64) {
    let start = Month::new(2021, 1);
    let months = 72;
    let (mut hits, mut total, mut width) = (0u64, 0u64, 0i64);
    for seed in 1..=12u64 {
        let (events, offered) = simulate(seed, policy, start, months);
        let end = start.plus(months);
        for k in (24..48).step_by(3) {
            let now = start.plus(k);
            let cut = micros(now, 1) - 7 * 3_600_000_000;
            let seen: Vec<QueueEvent> = events.iter().filter(|e| e.at < cut).cloned().collect();
            let mut queued: BTreeSet<Place> = BTreeSet::new();
            for e in &seen {
                if e.enters {
                    queued.insert(e.place);
                } else {
                    queued.remove(&e.place);
                }
            }
            for (i, p) in queued.iter().enumerate() {
                if i % 4 != 0 {
                    continue;
                }
                let me = standing(p);
                let pc = pace(&seen, &me, policy, now);
                let Range::Months { earliest, latest } =
                    range(&pc, before(&seen, &me, policy), now)
                else {
                    continue;
                };
                let real = offered
                    .get(p)
                    .and_then(|ms| ms.iter().copied().find(|m| *m >= now));
                let withdrew = events
                    .iter()
                    .any(|e| e.at >= cut && e.place == *p && e.why == Why::Withdrawn);
                if withdrew {
                    continue;
                }
                let hit = match (real, latest) {
                    (Some(r), Some(l)) => earliest <= r && r <= l,
                    (Some(r), None) => earliest <= r,
                    (None, Some(l)) if l < end => false,
                    (None, _) => continue, // still waiting, the range not over yet
                };
                total += 1;
                hits += u64::from(hit);
                width += latest.map_or(HORIZON, |l| l.0 - earliest.0 + 1) as i64;
            }
        }
    }
    (hits, total, width as f64 / total.max(1) as f64)
}

#[test]
fn the_back_test_finds_most_real_months_in_the_range() {
    for policy in [AllocationPolicy::Strict, AllocationPolicy::OneInFour] {
        let (hits, total, width) = back_test(policy);
        let share = hits as f64 / total.max(1) as f64;
        println!(
            "wait estimate back-test ({policy:?}): {hits} of {total} real offer months in the range ({:.1}%), mean width {width:.1} months",
            share * 100.0
        );
        assert!(total > 1000, "too few estimates to judge: {total}");
        assert!(share >= 0.8, "only {:.1}% in range", share * 100.0);
        assert!(width < 12.0, "ranges too wide to help: {width:.1} months");
    }
}
