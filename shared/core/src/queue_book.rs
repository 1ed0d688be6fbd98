//! The queue book (issue 19): every change of a queue's membership or order as an event, written
//! in the same transaction as the state change that makes it. From it, a child's exact position
//! is a count (no reading of every child ahead), and its position history is a replay that says
//! why each move happened: children ahead got vouchers, left, were restored with their original
//! time, entered ahead with a privilege, lost their privilege; or the child's own restore or
//! rejected privilege. Counts only: a move never names another child.
//!
//! An event belongs to the bucket of the moving child's registration day and shard
//! ([`BookWrite`]), so no item is one that every registration of a campaign day must update.
//! Pure: no I/O, no clock.

use crate::domain::{Action, Application, HistoryEntry, State, Status};
use crate::queue::{cohort_of, fnv, Cohort, QueueKey};
use crate::reference::{Rank, Reference};
use crate::time::local_date;
use std::collections::BTreeMap;

/// Buckets per registration day of one queue: a campaign day's registrations spread over them.
pub const BOOK_SHARDS: u64 = 8;

/// A child's order key without its id: what the book compares (the registration sequence is
/// unique in a district and year, the registration time differs between years).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    pub rank: Rank,
    /// Microseconds since the epoch.
    pub registered_at: i64,
    pub seq: u64,
}

impl Place {
    pub fn of(key: &QueueKey) -> Place {
        Place {
            rank: key.rank,
            registered_at: key.registered_at,
            seq: key.registration_seq,
        }
    }

    /// The same child (its registration), whatever its rank.
    fn same_child(&self, other: &Place) -> bool {
        self.registered_at == other.registered_at && self.seq == other.seq
    }
}

/// Why a child entered or left a queue (stable snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Why {
    Registered,
    /// Back from the stop-list, with its original registration time.
    Restored,
    /// Offered a voucher.
    Voucher,
    Withdrawn,
    NotReconfirmed,
    /// Archived for another reason.
    Archived,
    /// Its privilege was rejected: it left its privileged place for the general order.
    PrivilegeRejected,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::Registered => "registered",
            Why::Restored => "restored",
            Why::Voucher => "voucher",
            Why::Withdrawn => "withdrawn",
            Why::NotReconfirmed => "not_reconfirmed",
            Why::Archived => "archived",
            Why::PrivilegeRejected => "privilege_rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Why> {
        [
            Why::Registered,
            Why::Restored,
            Why::Voucher,
            Why::Withdrawn,
            Why::NotReconfirmed,
            Why::Archived,
            Why::PrivilegeRejected,
        ]
        .into_iter()
        .find(|w| w.as_str() == s)
    }
}

/// One change of a queue: a child entered or left it at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEvent {
    /// Microseconds since the epoch.
    pub at: i64,
    pub enters: bool,
    pub place: Place,
    pub why: Why,
    /// The voucher run's id (its first 8 characters) for [`Why::Voucher`], else empty.
    pub run: String,
}

impl QueueEvent {
    /// `<at>|<+ or ->|<rank>|<registered µs>|<seq>|<why>|<run>`: the stored form.
    pub fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.at,
            if self.enters { '+' } else { '-' },
            self.place.rank,
            self.place.registered_at,
            self.place.seq,
            self.why.as_str(),
            self.run
        )
    }

    pub fn decode(s: &str) -> Option<QueueEvent> {
        let p: Vec<&str> = s.split('|').collect();
        let [at, sign, rank, registered_at, seq, why, run] = p.as_slice() else {
            return None;
        };
        Some(QueueEvent {
            at: at.parse().ok()?,
            enters: match *sign {
                "+" => true,
                "-" => false,
                _ => return None,
            },
            place: Place {
                rank: rank.parse().ok()?,
                registered_at: registered_at.parse().ok()?,
                seq: seq.parse().ok()?,
            },
            why: Why::parse(why)?,
            run: (*run).to_owned(),
        })
    }
}

/// What a change set adds to the book: its queue, the bucket (the moving child's registration
/// day, `YYYYMMDD` in Asia/Almaty, and shard) and the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookWrite {
    pub district: String,
    pub cohort: Cohort,
    pub day: String,
    pub shard: u64,
    pub events: Vec<QueueEvent>,
}

/// The book's bucket of an application: its registration day and shard.
pub fn bucket_of(app: &Application) -> (String, u64) {
    (
        local_date(app.registered_at).format("%Y%m%d").to_string(),
        fnv(&app.id) % BOOK_SHARDS,
    )
}

/// The events of a change: entering the queue (registered, restored), leaving it (a voucher,
/// a withdrawal, an archive) or moving in it (a rejected privilege: leaving the privileged
/// place, entering the general order). `None` when the queue does not change.
///
/// `app` is the application after the change, `previous` its status before (`None`: a
/// submission) and `history` the change's history entry: a change set's parts.
pub fn book_write(
    app: &Application,
    previous: Option<Status>,
    history: &HistoryEntry,
    reference: &Reference,
) -> Option<BookWrite> {
    let was = previous == Some(Status::Queued);
    let is = app.status() == Status::Queued;
    let at = history.at.timestamp_micros();
    let place = Place::of(&app.queue_key(reference));
    let event = |enters, place, why, run: &str| QueueEvent {
        at,
        enters,
        place,
        why,
        run: run.chars().take(8).collect(),
    };
    let events = match (was, is) {
        (false, true) => {
            let why = match previous {
                None => Why::Registered,
                Some(_) => Why::Restored,
            };
            vec![event(true, place, why, "")]
        }
        (true, false) => {
            let (why, run) = match (&history.action, &app.state) {
                (Action::OfferVoucher, State::VoucherOffered { offer }) => {
                    (Why::Voucher, offer.run_id.as_str())
                }
                (Action::OfferVoucher, _) => (Why::Voucher, ""),
                (Action::Withdraw, _) => (Why::Withdrawn, ""),
                (Action::NotReconfirmed, _) => (Why::NotReconfirmed, ""),
                _ => (Why::Archived, ""),
            };
            vec![event(false, place, why, run)]
        }
        (true, true) if history.action == Action::PrivilegeRejected => {
            let before = Place {
                rank: reference.rank_of(app.privilege.as_ref().map(|p| p.category.as_str())),
                ..place
            };
            vec![
                event(false, before, Why::PrivilegeRejected, ""),
                event(true, place, Why::PrivilegeRejected, ""),
            ]
        }
        _ => return None,
    };
    let (day, shard) = bucket_of(app);
    Some(BookWrite {
        district: app.district.clone(),
        cohort: cohort_of(app.child_birth_date),
        day,
        shard,
        events,
    })
}

/// The exact position of a child at `me` (queued): 1 + the children queued ahead of it.
pub fn position(events: &[QueueEvent], me: &Place) -> u64 {
    let ahead: i64 = events
        .iter()
        .filter(|e| e.place < *me && !e.place.same_child(me))
        .map(|e| if e.enters { 1 } else { -1 })
        .sum();
    ahead.max(0) as u64 + 1
}

/// Why a child's position moved (stable snake_case codes, labels in the texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoveWhy {
    /// Its own registration: the first position.
    Registered,
    /// Children ahead were offered vouchers (in one run).
    VouchersAhead,
    /// A child ahead withdrew or was archived.
    LeftAhead,
    /// A child with an out-of-turn or first-priority claim entered ahead.
    PrivilegedEnteredAhead,
    /// A child ahead came back from the stop-list with its original registration time.
    RestoredAhead,
    /// A child ahead lost its privilege and moved behind.
    PrivilegeRejectedAhead,
    /// Its own privilege was rejected: it moved to the general order.
    PrivilegeRejected,
    /// Its own restore from the stop-list.
    Restored,
    /// It left the queue (a voucher, a withdrawal, an archive).
    LeftQueue,
}

impl MoveWhy {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveWhy::Registered => "registered",
            MoveWhy::VouchersAhead => "vouchers_ahead",
            MoveWhy::LeftAhead => "left_ahead",
            MoveWhy::PrivilegedEnteredAhead => "privileged_entered_ahead",
            MoveWhy::RestoredAhead => "restored_ahead",
            MoveWhy::PrivilegeRejectedAhead => "privilege_rejected_ahead",
            MoveWhy::PrivilegeRejected => "privilege_rejected",
            MoveWhy::Restored => "restored",
            MoveWhy::LeftQueue => "left_queue",
        }
    }

    pub const ALL: [MoveWhy; 9] = [
        MoveWhy::Registered,
        MoveWhy::VouchersAhead,
        MoveWhy::LeftAhead,
        MoveWhy::PrivilegedEnteredAhead,
        MoveWhy::RestoredAhead,
        MoveWhy::PrivilegeRejectedAhead,
        MoveWhy::PrivilegeRejected,
        MoveWhy::Restored,
        MoveWhy::LeftQueue,
    ];
}

/// One move of a child's position: from where to where (`None`: not in the queue), why, and
/// how many children made it (the offers of one run are one move).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub at: i64,
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub why: MoveWhy,
    pub count: u64,
    /// The run, for [`MoveWhy::VouchersAhead`] (merging its offers).
    run: String,
}

/// Every move of the child registered at `me` (`registered_at` and `seq` name it; its rank may
/// change), oldest first, from the queue's book.
pub fn history(events: &[QueueEvent], me: &Place) -> Vec<Move> {
    let mut sorted: Vec<&QueueEvent> = events.iter().collect();
    sorted.sort_by_key(|e| e.at);
    // The queue as it stands while replaying: places → children there (0 or 1).
    let mut queued: BTreeMap<Place, i64> = BTreeMap::new();
    let mut mine: Option<Place> = None;
    // The children queued ahead of `mine`.
    let mut ahead: i64 = 0;
    let mut last: Option<u64> = None;
    let mut moves: Vec<Move> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        // One mover's events at one instant are one step (a rejection: leave and enter).
        let first = sorted[i];
        let mut group = vec![first];
        while i + group.len() < sorted.len() {
            let next = sorted[i + group.len()];
            if next.at == first.at && next.place.same_child(&first.place) {
                group.push(next);
            } else {
                break;
            }
        }
        i += group.len();
        for e in &group {
            let n = queued.entry(e.place).or_insert(0);
            *n += if e.enters { 1 } else { -1 };
            if *n <= 0 {
                queued.remove(&e.place);
            }
        }
        let own = first.place.same_child(me);
        if own {
            mine = group.iter().rev().find(|e| e.enters).map(|e| e.place);
            if group.iter().all(|e| !e.enters) {
                mine = None;
            }
            // Counted whole only at the child's own steps (a few); every other step moves the
            // count by its events ahead, so a replay is O(n log n), not O(n²).
            if let Some(p) = mine {
                ahead = queued
                    .range(..p)
                    .filter(|(q, _)| !q.same_child(&p))
                    .map(|(_, n)| *n)
                    .sum();
            }
        } else if let Some(p) = mine {
            for e in &group {
                if e.place < p && !e.place.same_child(&p) {
                    ahead += if e.enters { 1 } else { -1 };
                }
            }
        }
        let now = mine.map(|_| ahead.max(0) as u64 + 1);
        if now == last {
            continue;
        }
        let why = if own {
            match (last, now, first.why) {
                (None, Some(_), Why::Registered) => MoveWhy::Registered,
                (None, Some(_), _) => MoveWhy::Restored,
                (Some(_), None, _) => MoveWhy::LeftQueue,
                _ => MoveWhy::PrivilegeRejected,
            }
        } else {
            match first.why {
                Why::Voucher => MoveWhy::VouchersAhead,
                Why::Withdrawn | Why::NotReconfirmed | Why::Archived => MoveWhy::LeftAhead,
                Why::Registered => MoveWhy::PrivilegedEnteredAhead,
                Why::Restored => MoveWhy::RestoredAhead,
                Why::PrivilegeRejected => MoveWhy::PrivilegeRejectedAhead,
            }
        };
        let run = if why == MoveWhy::VouchersAhead {
            first.run.clone()
        } else {
            String::new()
        };
        match moves.last_mut() {
            Some(m) if why == MoveWhy::VouchersAhead && m.why == why && m.run == run => {
                m.to = now;
                m.count += 1;
                m.at = first.at;
            }
            _ => moves.push(Move {
                at: first.at,
                from: last,
                to: now,
                why,
                count: 1,
                run,
            }),
        }
        last = now;
    }
    moves
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(rank: Rank, t: i64) -> Place {
        Place {
            rank,
            registered_at: t,
            seq: t as u64,
        }
    }

    fn ev(at: i64, enters: bool, p: Place, why: Why, run: &str) -> QueueEvent {
        QueueEvent {
            at,
            enters,
            place: p,
            why,
            run: run.into(),
        }
    }

    #[test]
    fn events_round_trip_their_stored_form() {
        let e = ev(
            1_767_225_600_000_000,
            false,
            place(1, 42),
            Why::Voucher,
            "ab12cd34",
        );
        assert_eq!(QueueEvent::decode(&e.encode()), Some(e));
        assert_eq!(QueueEvent::decode("1|?|2|3|4|voucher|"), None);
        assert_eq!(QueueEvent::decode("1|+|2|3|4|nonsense|"), None);
        assert_eq!(QueueEvent::decode(""), None);
    }

    /// A year of one queue: every move explained, the sum of moves is the last position, and
    /// the last position is the count's.
    #[test]
    fn a_history_explains_every_move() {
        let (a, b, c, me, d) = (
            place(2, 10),
            place(2, 20),
            place(2, 30),
            place(2, 40),
            place(2, 50),
        );
        let privileged = place(1, 60);
        let mut events = vec![
            ev(10, true, a, Why::Registered, ""),
            ev(20, true, b, Why::Registered, ""),
            ev(30, true, c, Why::Registered, ""),
            ev(40, true, me, Why::Registered, ""),
            ev(50, true, d, Why::Registered, ""), // behind: no move
            ev(60, true, privileged, Why::Registered, ""), // ahead: 4 → 5
            ev(70, false, a, Why::Voucher, "run1"), // one run: 5 → 3
            ev(71, false, privileged, Why::Voucher, "run1"),
            ev(80, false, b, Why::Withdrawn, ""),   // 3 → 2
            ev(90, false, d, Why::Voucher, "run2"), // behind (never happens in a run, but no move)
            ev(100, true, b, Why::Restored, ""),    // b back with its time: 2 → 3
        ];
        let moves = history(&events, &me);
        let got: Vec<(Option<u64>, Option<u64>, MoveWhy, u64)> = moves
            .iter()
            .map(|m| (m.from, m.to, m.why, m.count))
            .collect();
        assert_eq!(
            got,
            vec![
                (None, Some(4), MoveWhy::Registered, 1),
                (Some(4), Some(5), MoveWhy::PrivilegedEnteredAhead, 1),
                (Some(5), Some(3), MoveWhy::VouchersAhead, 2),
                (Some(3), Some(2), MoveWhy::LeftAhead, 1),
                (Some(2), Some(3), MoveWhy::RestoredAhead, 1),
            ]
        );
        assert_eq!(position(&events, &me), 3);
        let sum: i64 = moves
            .iter()
            .skip(1)
            .map(|m| m.to.unwrap_or(0) as i64 - m.from.unwrap_or(0) as i64)
            .sum();
        assert_eq!(4 + sum, 3);

        // My own privilege rejected (I was first priority) and then my voucher.
        let mine = place(1, 40);
        events = vec![
            ev(10, true, place(2, 10), Why::Registered, ""),
            ev(40, true, mine, Why::Registered, ""),
            ev(50, false, mine, Why::PrivilegeRejected, ""),
            ev(50, true, place(2, 40), Why::PrivilegeRejected, ""),
            ev(60, false, place(2, 40), Why::Voucher, "run3"),
        ];
        let got: Vec<(Option<u64>, Option<u64>, MoveWhy)> = history(&events, &mine)
            .iter()
            .map(|m| (m.from, m.to, m.why))
            .collect();
        assert_eq!(
            got,
            vec![
                (None, Some(1), MoveWhy::Registered),
                (Some(1), Some(2), MoveWhy::PrivilegeRejected),
                (Some(2), None, MoveWhy::LeftQueue),
            ]
        );
    }

    #[test]
    fn a_rejection_ahead_that_stays_ahead_moves_nobody() {
        let me = place(2, 40);
        let events = vec![
            ev(10, true, place(1, 10), Why::Registered, ""),
            ev(40, true, me, Why::Registered, ""),
            ev(50, false, place(1, 10), Why::PrivilegeRejected, ""),
            ev(50, true, place(2, 10), Why::PrivilegeRejected, ""),
            ev(60, true, place(1, 60), Why::Registered, ""),
            ev(70, false, place(1, 60), Why::PrivilegeRejected, ""),
            ev(70, true, place(2, 60), Why::PrivilegeRejected, ""),
        ];
        let got: Vec<MoveWhy> = history(&events, &me).iter().map(|m| m.why).collect();
        assert_eq!(
            got,
            vec![
                MoveWhy::Registered,
                MoveWhy::PrivilegedEnteredAhead,
                MoveWhy::PrivilegeRejectedAhead
            ]
        );
        assert_eq!(position(&events, &me), 2);
    }
}
