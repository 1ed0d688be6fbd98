//! The queue book (issue 19) over a scripted stretch of a district's year: registrations,
//! privileged entries, voucher runs, a withdrawal, a rejected privilege, a stop-list and a
//! restore. Each queued child's history explains every move, starts at its registration, runs
//! move by move and ends at its exact position.

use crate::fixtures::*;
use crate::Subject;
use kezek_core::domain::*;
use kezek_core::lifecycle::Command;
use kezek_core::queue_book::{self, MoveWhy, Place};
use kezek_core::reference::Reference;
use kezek_core::wait_estimate as wait;
use std::sync::Arc;

fn run(id: &str) -> Command {
    Command::OfferVoucher {
        run_id: id.to_owned(),
        age_group: 3,
        log: None,
    }
}

fn days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}

/// A stretch of a district's year; the histories of a general child and of a privileged one
/// whose claim is rejected, step by step, and every queued child's history checked whole.
pub async fn a_year_of_a_district_explains_every_move<S: Subject>(s: Arc<S>) {
    let d = district();
    put_new(&*s, &kindergarten(&d, &[(3, 10)])).await;
    let t = base();
    let mut g = Vec::new();
    for i in 0..8 {
        g.push(submit(&*s, &d, Sub::new(child(born()), t + days(i))).await);
    }
    let first = submit(
        &*s,
        &d,
        Sub::new(child(born()), t + days(10)).privilege("orphan"),
    )
    .await;
    let military = submit(
        &*s,
        &d,
        Sub::new(child(born()), t + days(20)).privilege("military"),
    )
    .await;
    // A run offers the out-of-turn child and the first general one.
    act(&*s, &military, run("aaaaaaaa-run-1"), t + days(30)).await;
    act(&*s, &g[0], run("aaaaaaaa-run-1"), t + days(30) + minutes(1)).await;
    act(&*s, &g[1], Command::Withdraw, t + days(40)).await;
    let first = act(
        &*s,
        &first,
        Command::RejectPrivilege {
            reason: "no proof".into(),
        },
        t + days(50),
    )
    .await;
    // g2: offered, lapsed to the stop-list, restored with its original time.
    let offered = act(&*s, &g[2], run("bbbbbbbb-run-2"), t + days(60)).await;
    let by = offered.voucher().as_ref().expect("voucher").confirm_by;
    let stopped = act(
        &*s,
        &offered,
        Command::Sweep,
        by + chrono::Duration::seconds(1),
    )
    .await;
    assert_eq!(stopped.status(), Status::StopListed);
    let restored = act(&*s, &stopped, Command::Restore, by + days(1)).await;
    assert_eq!(restored.status(), Status::Queued);
    // g3: offered and never back.
    act(&*s, &g[3], run("cccccccc-run-3"), by + days(10)).await;

    let r = Reference::builtin();
    let c = cohort(&g[7]);
    let queue = s.queue(&d.code, c, 100).await.unwrap();
    let want = [&restored, &g[4], &g[5], &g[6], &g[7], &first];
    assert_eq!(
        ids(&queue),
        want.iter().map(|a| a.id.clone()).collect::<Vec<_>>()
    );
    let book = s.queue_book(&d.code, c).await.unwrap();
    for (i, app) in queue.iter().enumerate() {
        let me = Place::of(&app.queue_key(r));
        let position = i as u64 + 1;
        assert_eq!(queue_book::position(&book, &me), position);
        assert_eq!(
            s.queue_position(&d.code, c, &app.queue_key(r))
                .await
                .unwrap(),
            position
        );
        let moves = queue_book::history(&book, &me);
        assert_eq!(moves[0].from, None, "{}", app.id);
        assert_eq!(moves.last().and_then(|m| m.to), Some(position));
        let mut at = None;
        for m in &moves {
            assert_eq!(m.from, at, "each move starts where the last ended");
            at = m.to;
        }
    }
    let steps = |app: &Application| -> Vec<(Option<u64>, Option<u64>, MoveWhy, u64)> {
        queue_book::history(&book, &Place::of(&app.queue_key(r)))
            .iter()
            .map(|m| (m.from, m.to, m.why, m.count))
            .collect()
    };
    // The last general child: every move ahead of it, with why.
    assert_eq!(
        steps(&g[7]),
        vec![
            (None, Some(8), MoveWhy::Registered, 1),
            (Some(8), Some(9), MoveWhy::PrivilegedEnteredAhead, 1),
            (Some(9), Some(10), MoveWhy::PrivilegedEnteredAhead, 1),
            (Some(10), Some(8), MoveWhy::VouchersAhead, 2),
            (Some(8), Some(7), MoveWhy::LeftAhead, 1),
            (Some(7), Some(6), MoveWhy::PrivilegeRejectedAhead, 1),
            (Some(6), Some(5), MoveWhy::VouchersAhead, 1),
            (Some(5), Some(6), MoveWhy::RestoredAhead, 1),
            (Some(6), Some(5), MoveWhy::VouchersAhead, 1),
        ]
    );
    // The child whose first-priority claim was rejected.
    assert_eq!(
        steps(&first),
        vec![
            (None, Some(1), MoveWhy::Registered, 1),
            (Some(1), Some(2), MoveWhy::PrivilegedEnteredAhead, 1),
            (Some(2), Some(1), MoveWhy::VouchersAhead, 1),
            (Some(1), Some(7), MoveWhy::PrivilegeRejected, 1),
            (Some(7), Some(6), MoveWhy::VouchersAhead, 1),
            (Some(6), Some(7), MoveWhy::RestoredAhead, 1),
            (Some(7), Some(6), MoveWhy::VouchersAhead, 1),
        ]
    );
    // The wait estimate's figures for the last general child (issue 19): the children before
    // it and the stretch's movement before it, as seen a month after.
    let now = wait::Month::of_micros(book.iter().map(|e| e.at).max().unwrap_or_default()).plus(1);
    let key = g[7].queue_key(r);
    let me = wait::Standing {
        rank: key.rank,
        registered_at: key.registered_at,
        seq: key.registration_seq,
    };
    let strict = kezek_core::reference::AllocationPolicy::Strict;
    assert_eq!(wait::before(&book, &me, strict), 4);
    let pace = wait::pace(&book, &me, strict, now);
    // vouchers: the military child, g0, g2 and g3; left: g1 and the rejected privileged place;
    // entered before it: the military and first-priority registrations and g2's restore
    assert_eq!((pace.vouchers, pace.left, pace.entered), (4, 2, 3));
    assert_eq!(pace.yearly(), 3);
    assert!(matches!(
        wait::range(&pace, 4, now),
        wait::Range::Months { earliest, .. } if earliest >= now
    ));
    // The restored child: its own way out and back.
    let own: Vec<MoveWhy> = steps(&restored).iter().map(|m| m.2).collect();
    assert_eq!(own.first(), Some(&MoveWhy::Registered));
    assert!(own.contains(&MoveWhy::LeftQueue) && own.contains(&MoveWhy::Restored));
}
