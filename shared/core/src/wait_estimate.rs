//! The wait estimate (issue 19): a range of months when a queued child's voucher is likely,
//! from its own queue's book: how fast the children before it in the district's order of
//! offering left that queue in the last twelve months, month by month (so the July–August
//! season weighs as it did), less the children who came in before it (a privilege, a restore
//! with the original registration time). An estimate, not a promise.
//!
//! The method, in the words the parents read (the `basis`):
//! 1. *Before the child*: the children its district would offer a voucher before it. Strict
//!    order: every child ahead in the queue. One in four: out-of-turn children, then everyone
//!    registered earlier (first-priority children registered later take one voucher in four,
//!    which only slows the general order).
//! 2. *The pace*: for each of the last twelve full months, the children before it (as if it had
//!    stood where it stands now) who left the queue (vouchers, withdrawals, archives), minus the
//!    ones who entered before it (privileged registrations, restores, rejected privileges that
//!    moved a child behind-to-before). Runs made this month count against this month.
//! 3. *The range*: walking forward month by month with that month-of-year's pace, the month the
//!    children before it and the child itself are covered; the earliest at [`FAST`] times the
//!    pace, the latest at [`SLOW`] times it (back-tested: see the tests).
//! 4. A cohort without any voucher in the last twelve months (too young to be served yet) takes
//!    the pace of the cohort one year older, which stood at its age a year ago.
//!
//! Pure: no I/O, no clock (the caller passes the month).

use crate::queue_book::{QueueEvent, Why};
use crate::reference::{AllocationPolicy, Rank, RANK_OUT_OF_TURN};
use chrono::{DateTime, Datelike, NaiveDate};

/// The pace factor of the earliest month.
pub const FAST: f64 = 1.3;
/// The pace factor of the latest month.
pub const SLOW: f64 = 0.7;
/// The months looked back on.
pub const WINDOW: i32 = 12;
/// The months looked forward to at most (a child leaves the queue for school by then).
pub const HORIZON: i32 = 84;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Month {
        Month(year * 12 + month.clamp(1, 12) as i32 - 1)
    }

    pub fn of(date: NaiveDate) -> Month {
        Month::new(date.year(), date.month())
    }

    /// The month (Asia/Almaty, UTC+5) of a book event's time, microseconds since the epoch.
    pub fn of_micros(at: i64) -> Month {
        let utc = DateTime::from_timestamp_micros(at).unwrap_or_default();
        Month::of(crate::time::local_date(crate::time::local(utc)))
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// 1–12.
    pub fn month(self) -> u32 {
        (self.0.rem_euclid(12) + 1) as u32
    }

    pub fn plus(self, months: i32) -> Month {
        Month(self.0 + months)
    }

    /// `YYYY-MM`.
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.year(), self.month())
    }

    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        let (y, m) = (y.parse().ok()?, m.parse::<u32>().ok()?);
        ((1..=12).contains(&m) && y > 0).then(|| Month::new(y, m))
    }
}

/// Whose past the pace comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The child's own queue (district and birth cohort).
    OwnCohort,
    /// The queue of the cohort one year older (this one had no voucher in the window).
    OlderCohort,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::OwnCohort => "own_cohort",
            Source::OlderCohort => "older_cohort",
        }
    }
}

/// Where a child stands in the policy's order: its rank, registration time and sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub rank: Rank,
    pub registered_at: i64,
    pub seq: u64,
}

impl Standing {
    /// The last place of a queue for a child of `rank`: every child of that rank or better is
    /// before it (the older cohort's pace).
    pub fn at_the_back(rank: Rank) -> Standing {
        Standing {
            rank,
            registered_at: i64::MAX,
            seq: u64::MAX,
        }
    }

    fn is(&self, e: &QueueEvent) -> bool {
        e.place.registered_at == self.registered_at && e.place.seq == self.seq
    }

    /// Whether the event's child comes before this one in the order the policy offers.
    fn before(&self, policy: AllocationPolicy, e: &QueueEvent) -> bool {
        let p = &e.place;
        let earlier = (p.registered_at, p.seq) < (self.registered_at, self.seq);
        match policy {
            AllocationPolicy::Strict => {
                (p.rank, p.registered_at, p.seq) < (self.rank, self.registered_at, self.seq)
            }
            AllocationPolicy::OneInFour if self.rank == RANK_OUT_OF_TURN => {
                p.rank == RANK_OUT_OF_TURN && earlier
            }
            AllocationPolicy::OneInFour => p.rank == RANK_OUT_OF_TURN || earlier,
        }
    }

    /// Whether an entry before this child is one that can happen again while it waits (not the
    /// registration of a child of its own rank or worse, which came before it registered).
    fn recurs(&self, policy: AllocationPolicy, e: &QueueEvent) -> bool {
        match e.why {
            Why::Registered => match policy {
                AllocationPolicy::Strict => e.place.rank < self.rank,
                AllocationPolicy::OneInFour => {
                    e.place.rank == RANK_OUT_OF_TURN && self.rank != RANK_OUT_OF_TURN
                }
            },
            _ => true,
        }
    }
}

/// The children before a child now, in the policy's order.
pub fn before(events: &[QueueEvent], me: &Standing, policy: AllocationPolicy) -> u64 {
    let n: i64 = events
        .iter()
        .filter(|e| !me.is(e) && me.before(policy, e))
        .map(|e| if e.enters { 1 } else { -1 })
        .sum();
    n.max(0) as u64
}

/// A queue's movement before a child, by calendar month, over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Pace {
    /// Net children covered in each month of the year (index 0 = January), over the window.
    pub by_month: [i64; 12],
    /// Of those, the vouchers offered to children before it, over the window.
    pub vouchers: u64,
    /// Vouchers of the window offered in July and August.
    pub summer_vouchers: u64,
    /// Children before it who left otherwise (withdrawn, archived), over the window.
    pub left: u64,
    /// Children who entered before it (privilege, restore), over the window.
    pub entered: u64,
    /// Net movement so far in the current month.
    pub this_month: i64,
}

impl Pace {
    /// Net children covered over the window.
    pub fn yearly(&self) -> i64 {
        self.by_month.iter().sum()
    }
}

/// The pace of a queue before a child: the window is the [`WINDOW`] full months before `now`.
pub fn pace(events: &[QueueEvent], me: &Standing, policy: AllocationPolicy, now: Month) -> Pace {
    let mut p = Pace {
        by_month: [0; 12],
        vouchers: 0,
        summer_vouchers: 0,
        left: 0,
        entered: 0,
        this_month: 0,
    };
    let from = now.plus(-WINDOW);
    for e in events {
        if me.is(e) || !me.before(policy, e) {
            continue;
        }
        let m = Month::of_micros(e.at);
        if m < from || m > now {
            continue;
        }
        let delta = if e.enters {
            if !me.recurs(policy, e) {
                continue;
            }
            -1
        } else {
            1
        };
        if m == now {
            p.this_month += delta;
            continue;
        }
        p.by_month[(m.month() - 1) as usize] += delta;
        match (e.enters, e.why) {
            (true, _) => p.entered += 1,
            (false, Why::Voucher) => {
                p.vouchers += 1;
                if matches!(m.month(), 7 | 8) {
                    p.summer_vouchers += 1;
                }
            }
            (false, _) => p.left += 1,
        }
    }
    p
}

/// A range of months, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Likely from `earliest` to `latest`; `latest` is `None` beyond the horizon.
    Months {
        earliest: Month,
        latest: Option<Month>,
    },
    /// The queue before the child did not move in the window.
    NoMovement,
    /// Not even at the fast pace within the horizon.
    BeyondHorizon,
}

/// The month the queue covers `need` children at `factor` times the pace, from `now`.
fn reached(pace: &Pace, need: u64, factor: f64, now: Month) -> Option<Month> {
    let mut covered = 0.0f64;
    for k in 0..HORIZON {
        let m = now.plus(k);
        let mut step = pace.by_month[(m.month() - 1) as usize] as f64;
        if k == 0 {
            // what this month's runs already did is in the count before the child
            step -= pace.this_month as f64;
        }
        covered += (step * factor).max(0.0);
        if covered + 1e-9 >= need as f64 {
            return Some(m);
        }
    }
    None
}

/// The range for a child with `before` children before it, at `pace`, from `now`.
pub fn range(pace: &Pace, before: u64, now: Month) -> Range {
    if pace.yearly() <= 0 {
        return Range::NoMovement;
    }
    let need = before + 1;
    match reached(pace, need, FAST, now) {
        None => Range::BeyondHorizon,
        Some(earliest) => Range::Months {
            earliest,
            latest: reached(pace, need, SLOW, now),
        },
    }
}

#[cfg(test)]
#[path = "wait_estimate_tests.rs"]
mod tests;
