//! The cases. Each takes a fresh store and owns its district, ids and IINs; none depends on another.

use crate::fixtures::*;
use futures::future::join_all;
use futures::StreamExt;
use kezek_core::calendar::Calendar;
use kezek_core::domain::*;
use kezek_core::lifecycle::{next_due, Command, Sweep};
use kezek_core::ports::{
    stores::*, Attempt, ChangeSet, CodeRecord, CommitError, Conflict, Credentials, Delivery, Outbox,
};
use kezek_core::queue_book;
use kezek_core::reference::Reference;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What every case needs of the store under test.
pub trait Subject: Store + Outbox + Credentials + 'static {}
impl<S: Store + Outbox + Credentials + 'static> Subject for S {}

async fn spawn_all<S, T, F, Fut>(s: &Arc<S>, items: Vec<T>, f: F) -> Vec<Fut::Output>
where
    S: Subject,
    T: Send + 'static,
    F: Fn(Arc<S>, T) -> Fut,
    Fut: std::future::Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let handles: Vec<_> = items
        .into_iter()
        .map(|t| tokio::spawn(f(s.clone(), t)))
        .collect();
    join_all(handles)
        .await
        .into_iter()
        .map(|h| h.expect("task panicked"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Registration sequences

/// `next_sequence` counts 1, 2, 3, … per (district, year), each pair on its own.
pub async fn next_sequence_counts_per_district_and_year<S: Subject>(s: Arc<S>) {
    let a = district().code;
    let b = district().code;
    for want in 1..=3 {
        assert_eq!(s.next_sequence(&a, 2026).await.unwrap(), want);
    }
    assert_eq!(
        s.next_sequence(&a, 2027).await.unwrap(),
        1,
        "a new year starts at 1"
    );
    assert_eq!(
        s.next_sequence(&b, 2026).await.unwrap(),
        1,
        "a new district starts at 1"
    );
    assert_eq!(s.next_sequence(&a, 2026).await.unwrap(), 4);
    assert_eq!(s.next_sequence(&b, 2026).await.unwrap(), 2);
    assert_eq!(s.next_sequence(&a, 2027).await.unwrap(), 2);
}

/// 20 concurrent `next_sequence` calls get 1..=20, each once; the next call gets 21.
pub async fn next_sequence_concurrent_calls_are_distinct<S: Subject>(s: Arc<S>) {
    let d = district().code;
    let mut got: Vec<u64> = spawn_all(&s, vec![d.clone(); 20], |s, d| async move {
        s.next_sequence(&d, 2026).await.unwrap()
    })
    .await;
    got.sort_unstable();
    assert_eq!(got, (1..=20).collect::<Vec<u64>>());
    assert_eq!(s.next_sequence(&d, 2026).await.unwrap(), 21);
}

// ---------------------------------------------------------------------------------------------
// Commit: create, read back, versions

/// A submit commits and reads back equal; a change at the right version replaces it.
pub async fn commit_create_and_read_back<S: Subject>(s: Arc<S>) {
    s.ping().await.expect("ping");
    let d = district();
    let cs = submission(&*s, &d, Sub::new(child(born()), base())).await;
    let app = cs.application.clone();
    assert_eq!(s.application(&app.id).await.unwrap(), None);
    commit_ok(&*s, cs.clone()).await;

    let got = s.application(&app.id).await.unwrap().expect("stored");
    assert_eq!(got, app);
    assert_eq!(got.version, 1);
    assert_eq!(got.status(), Status::Queued);
    assert_eq!(got.registration_number, "ТСТ.2026.1");
    assert_eq!(s.history(&app.id).await.unwrap(), vec![cs.history.clone()]);
    assert_eq!(cs.notifications.len(), 1);
    assert_eq!(
        pending_of(&*s, &[&app.id]).await,
        vec![format!("{}:1:registered", app.id)]
    );
    assert_eq!(s.application(&uuid()).await.unwrap(), None);

    // The next version at expected_version 1.
    let withdraw = decide(&app, Command::Withdraw, base() + minutes(5));
    assert_eq!(withdraw.expected_version, Some(1));
    commit_ok(&*s, withdraw.clone()).await;
    let got = s.application(&app.id).await.unwrap().expect("stored");
    assert_eq!(got, withdraw.application);
    assert_eq!(got.version, 2);
    assert_eq!(got.status(), Status::Archived);
}

/// A stale expected version, a create of an existing id and an update of a missing id are all
/// refused as `Stale`, and nothing of them is written.
pub async fn commit_stale_version_writes_nothing<S: Subject>(s: Arc<S>) {
    let d = district();
    put_new(&*s, &kindergarten(&d, &[(3, 5)])).await;
    let kid = child(born());
    let parent = adult();
    let v1 = submit(&*s, &d, Sub::new(kid.clone(), base()).by(&parent)).await;
    let offer_cs = decide(&v1, offer(&v1, base() + minutes(1)), base() + minutes(1));
    // Decided from version 1, committed after version 2 exists.
    let stale = decide(&v1, Command::Withdraw, base() + minutes(2));
    let v2 = commit_ok(&*s, offer_cs.clone()).await.application;
    assert_eq!(v2.version, 2);
    assert_eq!(v2.status(), Status::VoucherOffered);

    let other_kid = child(born());
    let watched = [v1.id.as_str()];
    let people = [&kid, &parent, &other_kid];
    let before = snapshot(&*s, &d, cohort(&v1), &watched, &people).await;
    assert_eq!(before.outstanding[3], 1);

    // Stale update (its ReleaseChild effect and notification must not land either).
    assert_eq!(conflict_of(s.commit(stale).await), Conflict::Stale);
    assert_eq!(
        snapshot(&*s, &d, cohort(&v1), &watched, &people).await,
        before
    );
    // Retrying the committed offer: stale, the voucher is not counted twice.
    assert_eq!(conflict_of(s.commit(offer_cs).await), Conflict::Stale);
    assert_eq!(
        snapshot(&*s, &d, cohort(&v1), &watched, &people).await,
        before
    );
    // The child is still locked by v2.
    let dup = submission(&*s, &d, Sub::new(kid.clone(), base())).await;
    assert_eq!(conflict_of(s.commit(dup).await), Conflict::DuplicateChild);

    // Create of an existing id: the same submit again, and another child under the same id.
    let again = submission(
        &*s,
        &d,
        Sub::new(kid.clone(), base()).id(&v1.id).by(&parent),
    )
    .await;
    assert_eq!(conflict_of(s.commit(again).await), Conflict::Stale);
    let hijack = submission(&*s, &d, Sub::new(other_kid.clone(), base()).id(&v1.id)).await;
    assert_eq!(conflict_of(s.commit(hijack).await), Conflict::Stale);
    assert_eq!(
        snapshot(&*s, &d, cohort(&v1), &watched, &people).await,
        before
    );
    assert_eq!(s.application(&v1.id).await.unwrap(), Some(v2));

    // An update of an application that does not exist.
    let mut ghost = submission(&*s, &d, Sub::new(other_kid.clone(), base())).await;
    ghost.expected_version = Some(1);
    let ghost_id = ghost.application.id.clone();
    assert_eq!(conflict_of(s.commit(ghost).await), Conflict::Stale);
    assert_eq!(s.application(&ghost_id).await.unwrap(), None);
    assert_eq!(s.history(&ghost_id).await.unwrap(), vec![]);
    assert_eq!(
        snapshot(&*s, &d, cohort(&v1), &watched, &people).await,
        before
    );

    // None of the refused creates took the other child's lock.
    let fine = submit(&*s, &d, Sub::new(other_kid.clone(), base())).await;
    assert_eq!(
        ids(&s.applications_by_child(&other_kid).await.unwrap()),
        vec![fine.id]
    );
}

// ---------------------------------------------------------------------------------------------
// The one-live-application-per-child lock

/// A second live application of a child is refused; after the first is archived, one commits.
pub async fn duplicate_child_refused_until_archived<S: Subject>(s: Arc<S>) {
    let d = district();
    let kid = child(born());
    let (p1, p2) = (adult(), adult());
    let first = submit(&*s, &d, Sub::new(kid.clone(), base()).by(&p1)).await;

    let dup = submission(&*s, &d, Sub::new(kid.clone(), base() + minutes(1)).by(&p2)).await;
    let dup_id = dup.application.id.clone();
    let watched = [first.id.as_str(), dup_id.as_str()];
    let people = [&kid, &p1, &p2];
    let before = snapshot(&*s, &d, cohort(&first), &watched, &people).await;
    assert_eq!(conflict_of(s.commit(dup).await), Conflict::DuplicateChild);
    assert_eq!(
        snapshot(&*s, &d, cohort(&first), &watched, &people).await,
        before
    );
    assert_eq!(s.application(&dup_id).await.unwrap(), None);
    assert_eq!(s.applications_by_applicant(&p2).await.unwrap(), vec![]);

    // Archived (withdrawn): the ReleaseChild effect frees the child.
    let archived = act(&*s, &first, Command::Withdraw, base() + minutes(2)).await;
    assert_eq!(archived.status(), Status::Archived);
    let second = submit(&*s, &d, Sub::new(kid.clone(), base() + minutes(3)).by(&p2)).await;
    assert_eq!(
        sorted_ids(&s.applications_by_child(&kid).await.unwrap()),
        sorted(vec![first.id.clone(), second.id.clone()])
    );
    // And the new one holds the lock again.
    let third = submission(&*s, &d, Sub::new(kid.clone(), base() + minutes(4)).by(&p1)).await;
    assert_eq!(conflict_of(s.commit(third).await), Conflict::DuplicateChild);
    assert_eq!(count(&*s, &d.code, Status::Queued).await, 1);
    assert_eq!(count(&*s, &d.code, Status::Archived).await, 1);
}

/// One applicant holds at most `MAX_LIVE_APPLICATIONS_PER_APPLICANT` live applications: the
/// next submit is refused with nothing written (not the child's lock either); concurrent
/// submits at the edge land only up to the limit; an archived one frees a slot.
pub async fn applicant_limit_counts_live_applications<S: Subject>(s: Arc<S>) {
    use kezek_core::rules::MAX_LIVE_APPLICATIONS_PER_APPLICANT as MAX;
    let d = district();
    let parent = adult();
    let mut held = Vec::new();
    for i in 0..MAX - 2 {
        let kid = child(born());
        held.push(
            submit(
                &*s,
                &d,
                Sub::new(kid, base() + minutes(i64::from(i))).by(&parent),
            )
            .await,
        );
    }
    // Four at once for the last two slots: exactly two land.
    let items: Vec<(usize, _, _)> = (0..4).map(|i| (i, d.clone(), parent.clone())).collect();
    let results = spawn_all(&s, items, |s, (i, d, parent)| async move {
        let cs = submission(
            &*s,
            &d,
            Sub::new(child(born()), base() + minutes(30 + i as i64)).by(&parent),
        )
        .await;
        s.commit(cs).await
    })
    .await;
    let landed = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(landed, 2, "{results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert_eq!(r, &Err(CommitError::Conflict(Conflict::ApplicantLimit)));
    }
    let mine = s.applications_by_applicant(&parent).await.unwrap();
    assert_eq!(mine.len(), MAX as usize);

    // One more: refused, nothing written, and the child is free for its own parent.
    let kid = child(born());
    let refused = submission(
        &*s,
        &d,
        Sub::new(kid.clone(), base() + minutes(40)).by(&parent),
    )
    .await;
    let refused_id = refused.application.id.clone();
    let watched = [held[0].id.as_str(), refused_id.as_str()];
    let people = [&kid, &parent];
    let before = snapshot(&*s, &d, cohort(&held[0]), &watched, &people).await;
    assert_eq!(
        conflict_of(s.commit(refused).await),
        Conflict::ApplicantLimit
    );
    assert_eq!(
        snapshot(&*s, &d, cohort(&held[0]), &watched, &people).await,
        before
    );
    let other_parent = adult();
    let theirs = submit(
        &*s,
        &d,
        Sub::new(kid.clone(), base() + minutes(41)).by(&other_parent),
    )
    .await;
    assert_eq!(
        ids(&s.applications_by_child(&kid).await.unwrap()),
        vec![theirs.id]
    );

    // Archived (withdrawn): one slot again, and only one.
    let gone = act(&*s, &held[0], Command::Withdraw, base() + minutes(50)).await;
    assert_eq!(gone.status(), Status::Archived);
    submit(
        &*s,
        &d,
        Sub::new(child(born()), base() + minutes(51)).by(&parent),
    )
    .await;
    let again = submission(
        &*s,
        &d,
        Sub::new(child(born()), base() + minutes(52)).by(&parent),
    )
    .await;
    assert_eq!(conflict_of(s.commit(again).await), Conflict::ApplicantLimit);
    assert_eq!(
        count(&*s, &d.code, Status::Queued).await,
        u64::from(MAX) + 1
    );
}

/// 8 concurrent submissions of one child: exactly one application.
pub async fn concurrent_submissions_of_one_child_one_wins<S: Subject>(s: Arc<S>) {
    let d = district();
    let kid = child(born());
    let items: Vec<(usize, _, _)> = (0..8).map(|i| (i, d.clone(), kid.clone())).collect();
    let results = spawn_all(&s, items, |s, (i, d, kid)| async move {
        let now = base() + minutes(i as i64);
        let cs = submission(&*s, &d, Sub::new(kid, now)).await;
        let id = cs.application.id.clone();
        (id, s.commit(cs).await)
    })
    .await;
    let winners: Vec<&String> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one commit wins: {results:?}");
    for (_, r) in results.iter().filter(|(_, r)| r.is_err()) {
        assert_eq!(r, &Err(CommitError::Conflict(Conflict::DuplicateChild)));
    }
    assert_eq!(
        ids(&s.applications_by_child(&kid).await.unwrap()),
        vec![winners[0].clone()]
    );
    assert_eq!(
        counts(&*s, &d.code).await,
        status_map(&[(Status::Queued, 1)])
    );
    assert_eq!(s.counts(Some(&d.code)).await.unwrap(), (1, 0));
    let all: Vec<&str> = results.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        pending_of(&*s, &all).await,
        vec![format!("{}:1:registered", winners[0])]
    );
}

// ---------------------------------------------------------------------------------------------
// History and lookups

/// One history entry per commit, oldest first, equal to what was committed.
pub async fn history_is_oldest_first_one_per_commit<S: Subject>(s: Arc<S>) {
    let d = district();
    put_new(&*s, &kindergarten(&d, &[(3, 2)])).await;
    let c1 = submission(&*s, &d, Sub::new(child(born()), base())).await;
    let v1 = commit_ok(&*s, c1.clone()).await.application;
    let t = base();
    let c2 = commit_ok(&*s, decide(&v1, offer(&v1, t), t + minutes(60))).await;
    let c3 = commit_ok(&*s, decide(&c2.application, confirm(), t + minutes(120))).await;
    let c4 = commit_ok(
        &*s,
        decide(&c3.application, Command::Refuse, t + minutes(180)),
    )
    .await;
    // Another application's history stays its own.
    let other = submit(&*s, &d, Sub::new(child(born()), base())).await;

    let h = s.history(&v1.id).await.unwrap();
    assert_eq!(
        h,
        vec![c1.history, c2.history, c3.history, c4.history.clone()]
    );
    assert_eq!(
        h.iter().map(|e| e.version).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(
        h.iter().map(|e| e.action).collect::<Vec<_>>(),
        [
            Action::Submit,
            Action::OfferVoucher,
            Action::ConfirmVoucher,
            Action::Refuse
        ]
    );
    assert_eq!(
        h.iter().map(|e| (e.from, e.to)).collect::<Vec<_>>(),
        [
            (None, Status::Queued),
            (Some(Status::Queued), Status::VoucherOffered),
            (Some(Status::VoucherOffered), Status::VoucherActive),
            (Some(Status::VoucherActive), Status::Archived),
        ]
    );
    assert_eq!(c4.history.reason.as_deref(), Some("voucher_refused"));
    assert_eq!(s.history(&other.id).await.unwrap().len(), 1);
    assert_eq!(s.history(&uuid()).await.unwrap(), vec![]);
}

/// Applications by applicant and by child, all statuses, current versions.
pub async fn applications_by_applicant_and_child<S: Subject>(s: Arc<S>) {
    let d = district();
    let (p, q) = (adult(), adult());
    let (c1, c2, c3) = (child(born()), child(born()), child(born()));
    let a1 = submit(&*s, &d, Sub::new(c1.clone(), base()).by(&p)).await;
    let a2 = submit(&*s, &d, Sub::new(c2.clone(), base()).by(&p)).await;
    let a3 = submit(&*s, &d, Sub::new(c3.clone(), base()).by(&q)).await;

    assert_eq!(
        sorted_ids(&s.applications_by_applicant(&p).await.unwrap()),
        sorted(vec![a1.id.clone(), a2.id.clone()])
    );
    assert_eq!(
        s.applications_by_applicant(&q).await.unwrap(),
        vec![a3.clone()]
    );
    assert_eq!(
        s.applications_by_child(&c1).await.unwrap(),
        vec![a1.clone()]
    );
    assert_eq!(
        s.applications_by_child(&c3).await.unwrap(),
        vec![a3.clone()]
    );
    assert_eq!(s.applications_by_applicant(&adult()).await.unwrap(), vec![]);
    assert_eq!(
        s.applications_by_child(&child(born())).await.unwrap(),
        vec![]
    );

    // c1's application is withdrawn; q submits c1 again.
    let a1_done = act(&*s, &a1, Command::Withdraw, base() + minutes(1)).await;
    let a4 = submit(&*s, &d, Sub::new(c1.clone(), base() + minutes(2)).by(&q)).await;
    let mut by_c1 = s.applications_by_child(&c1).await.unwrap();
    by_c1.sort_by(|a, b| a.id.cmp(&b.id));
    let mut want = vec![a1_done.clone(), a4.clone()];
    want.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(by_c1, want, "all statuses, current versions");
    let by_p = s.applications_by_applicant(&p).await.unwrap();
    assert_eq!(by_p.len(), 2);
    assert!(by_p.contains(&a1_done) && by_p.contains(&a2));
    assert_eq!(
        sorted_ids(&s.applications_by_applicant(&q).await.unwrap()),
        sorted(vec![a3.id.clone(), a4.id.clone()])
    );
}

// ---------------------------------------------------------------------------------------------
// The queue

async fn assert_queue<S: Subject>(s: &S, district: &str, cohort: i32, want: &[&Application]) {
    let got = s.queue(district, cohort, ALL).await.unwrap();
    let want_ids: Vec<String> = want.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids(&got), want_ids, "queue order");
    let r = Reference::builtin();
    for (i, app) in got.iter().enumerate() {
        let pos = s
            .queue_position(district, cohort, &app.queue_key(r))
            .await
            .unwrap();
        assert_eq!(pos, i as u64 + 1, "position of {}", app.id);
        // The next page after this one: the rest in order, and at most the limit.
        let key = app.queue_key(r);
        let rest = s.queue_after(district, cohort, &key, ALL).await.unwrap();
        assert_eq!(ids(&rest), want_ids[i + 1..].to_vec(), "after {}", app.id);
        let one = s.queue_after(district, cohort, &key, 1).await.unwrap();
        assert_eq!(
            ids(&one),
            want_ids[i + 1..]
                .iter()
                .take(1)
                .cloned()
                .collect::<Vec<_>>()
        );
    }
    // The queue's book agrees: each position counted from it, and each child's history of
    // moves (from its registration, each move starting where the last ended) ends there.
    let book = s.queue_book(district, cohort).await.unwrap();
    for (i, app) in got.iter().enumerate() {
        let me = queue_book::Place::of(&app.queue_key(r));
        assert_eq!(
            queue_book::position(&book, &me),
            i as u64 + 1,
            "book position of {}",
            app.id
        );
        let moves = queue_book::history(&book, &me);
        assert_eq!(moves.first().map(|m| m.from), Some(None), "{}", app.id);
        assert_eq!(
            moves.last().and_then(|m| m.to),
            Some(i as u64 + 1),
            "{}",
            app.id
        );
        for pair in moves.windows(2) {
            assert_eq!(pair[0].to, pair[1].from, "{}: {moves:?}", app.id);
        }
    }
}

/// Rank first, then registration time, then registration number; positions 1..n.
pub async fn queue_orders_by_rank_then_time_then_number<S: Subject>(s: Arc<S>) {
    let d = district();
    let t = base();
    // Two general applications at the same instant: the lower sequence goes first even when its
    // id sorts last.
    let s_low = s.next_sequence(&d.code, 2026).await.unwrap();
    let s_high = s.next_sequence(&d.code, 2026).await.unwrap();
    let (mut u1, mut u2) = (uuid(), uuid());
    if u1 < u2 {
        std::mem::swap(&mut u1, &mut u2);
    }
    let tie_low = submit(&*s, &d, Sub::new(child(born()), t).seq(s_low).id(&u1)).await;
    let out_of_turn = submit(
        &*s,
        &d,
        Sub::new(child(born()), t + minutes(120)).privilege("military"),
    )
    .await;
    let tie_high = submit(&*s, &d, Sub::new(child(born()), t).seq(s_high).id(&u2)).await;
    // Registered earliest but numbered last: time goes before the number.
    let early = submit(&*s, &d, Sub::new(child(born()), t - minutes(60))).await;
    let first = submit(
        &*s,
        &d,
        Sub::new(child(born()), t + minutes(60)).privilege("orphan"),
    )
    .await;
    assert!(early.registration_seq > tie_high.registration_seq);

    let c = cohort(&early);
    let want = [&out_of_turn, &first, &early, &tie_low, &tie_high];
    assert_queue(&*s, &d.code, c, &want).await;
    let head = s.queue(&d.code, c, 3).await.unwrap();
    assert_eq!(
        head,
        vec![out_of_turn.clone(), first.clone(), early.clone()]
    );
    assert_eq!(s.queue(&d.code, c + 1, ALL).await.unwrap(), vec![]);
    assert_eq!(s.queue(&district().code, c, ALL).await.unwrap(), vec![]);
}

/// A rejected privilege moves the child into the general order by registration time.
pub async fn privilege_rejection_moves_child_to_general<S: Subject>(s: Arc<S>) {
    let d = district();
    let t = base();
    let g1 = submit(&*s, &d, Sub::new(child(born()), t)).await;
    let f = submit(
        &*s,
        &d,
        Sub::new(child(born()), t + minutes(60)).privilege("orphan"),
    )
    .await;
    let g2 = submit(&*s, &d, Sub::new(child(born()), t + minutes(120))).await;
    let c = cohort(&g1);
    assert_queue(&*s, &d.code, c, &[&f, &g1, &g2]).await;

    let rejected = act(
        &*s,
        &f,
        Command::RejectPrivilege {
            reason: "documents expired".into(),
        },
        t + minutes(180),
    )
    .await;
    assert_eq!(rejected.registered_at, f.registered_at);
    assert_queue(&*s, &d.code, c, &[&g1, &rejected, &g2]).await;
    let r = Reference::builtin();
    assert_eq!(
        s.queue_position(&d.code, c, &rejected.queue_key(r))
            .await
            .unwrap(),
        2
    );
}

/// Offered, stop-listed and archived applications leave the queue; a restore keeps the place.
pub async fn queue_holds_only_queued_and_restore_keeps_position<S: Subject>(s: Arc<S>) {
    let d = district();
    put_new(&*s, &kindergarten(&d, &[(3, 3)])).await;
    let t = base();
    let a = submit(&*s, &d, Sub::new(child(born()), t)).await;
    let b = submit(&*s, &d, Sub::new(child(born()), t + minutes(1))).await;
    let c_app = submit(&*s, &d, Sub::new(child(born()), t + minutes(2))).await;
    let c = cohort(&a);
    assert_queue(&*s, &d.code, c, &[&a, &b, &c_app]).await;

    let offered = act(&*s, &b, offer(&b, t + minutes(60)), t + minutes(60)).await;
    assert_queue(&*s, &d.code, c, &[&a, &c_app]).await;

    let confirm_by = offered.voucher().as_ref().expect("voucher").confirm_by;
    let stop = act(
        &*s,
        &offered,
        Command::Sweep,
        confirm_by + chrono::Duration::seconds(1),
    )
    .await;
    assert_eq!(stop.status(), Status::StopListed);
    assert_queue(&*s, &d.code, c, &[&a, &c_app]).await;

    let restored = act(
        &*s,
        &stop,
        Command::Restore,
        confirm_by + chrono::Duration::days(1),
    )
    .await;
    assert_eq!(restored.status(), Status::Queued);
    assert_eq!(restored.registered_at, b.registered_at);
    assert_queue(&*s, &d.code, c, &[&a, &restored, &c_app]).await;
    let r = Reference::builtin();
    assert_eq!(
        s.queue_position(&d.code, c, &restored.queue_key(r))
            .await
            .unwrap(),
        2
    );

    let gone = act(&*s, &a, Command::Withdraw, t + minutes(90)).await;
    assert_eq!(gone.status(), Status::Archived);
    assert_queue(&*s, &d.code, c, &[&restored, &c_app]).await;
}

/// Each (district, cohort) is its own queue.
pub async fn cohorts_and_districts_are_separate_queues<S: Subject>(s: Arc<S>) {
    let (d, e) = (district(), district());
    let t = base();
    let x1 = submit(&*s, &d, Sub::new(child(born()), t)).await;
    let y1 = submit(&*s, &d, Sub::new(child(day(2024, 3, 1)), t + minutes(1))).await;
    let x2 = submit(&*s, &d, Sub::new(child(born()), t + minutes(2))).await;
    let z1 = submit(&*s, &e, Sub::new(child(born()), t + minutes(3))).await;
    assert_eq!((cohort(&x1), cohort(&y1), cohort(&z1)), (2023, 2024, 2023));

    assert_queue(&*s, &d.code, 2023, &[&x1, &x2]).await;
    assert_queue(&*s, &d.code, 2024, &[&y1]).await;
    assert_queue(&*s, &e.code, 2023, &[&z1]).await;
    assert_eq!(s.queue(&e.code, 2024, ALL).await.unwrap(), vec![]);
    let r = Reference::builtin();
    // y1 and z1 head their own queues even though registered after x1.
    assert_eq!(
        s.queue_position(&d.code, 2024, &y1.queue_key(r))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.queue_position(&e.code, 2023, &z1.queue_key(r))
            .await
            .unwrap(),
        1
    );
}

// ---------------------------------------------------------------------------------------------
// Sweeps

/// `due(sweep, now, limit)`: only due applications of that sweep, earliest first, at most
/// `limit`; with 1,000 live applications and 10 due it returns exactly those 10.
///
/// This case works in February 2025 – January 2026, before every other case's deadlines, so on a
/// shared table its `due` queries see only its own applications.
/// Applications not due in the `due` case: enough that a scan would show, few enough for the
/// emulator (moto copies a table per transaction). The budget tests of the DynamoDB adapter check
/// the sweep at 10,000 live applications.
pub const DUE_BACKGROUND: usize = 190;

pub async fn due_returns_only_due_earliest_first<S: Subject>(s: Arc<S>) {
    let d = district();
    let cal = Calendar::builtin();
    let born_2022 = day(2022, 3, 1);
    let t0 = at(day(2025, 2, 3), 10, 0);
    put_new(&*s, &kindergarten(&d, &[(3, 10)])).await;

    let queued: Vec<Application> = futures::stream::iter(0..DUE_BACKGROUND)
        .map(|_| {
            let (s, d) = (s.clone(), d.clone());
            async move { submit(&*s, &d, Sub::new(child(born_2022), t0)).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let queued_ids: BTreeSet<String> = queued.iter().map(|a| a.id.clone()).collect();

    // Ten offers on ten consecutive working days: ten distinct expiry due times.
    let mut offered = Vec::new();
    for i in 0..10 {
        let app = submit(&*s, &d, Sub::new(child(born_2022), t0)).await;
        let when = at(cal.nth_working_day_after(day(2025, 2, 3), i), 10, 0);
        offered.push(act(&*s, &app, offer(&app, when), when).await);
    }
    let due_at: Vec<_> = offered
        .iter()
        .map(|a| match next_due(a) {
            Some((Sweep::Expiry, t)) => t,
            other => panic!("offered application due {other:?}"),
        })
        .collect();
    assert!(
        due_at.windows(2).all(|w| w[0] < w[1]),
        "fixture: distinct due times"
    );
    assert_eq!(
        count(&*s, &d.code, Status::Queued).await,
        DUE_BACKGROUND as u64
    );
    assert_eq!(count(&*s, &d.code, Status::VoucherOffered).await, 10);

    let now = at(day(2025, 2, 28), 12, 0);
    assert!(due_at[9] <= now);
    let got = s.due(Sweep::Expiry, now, 100).await.unwrap();
    assert_eq!(
        got, offered,
        "exactly the 10 due, earliest first, as stored"
    );
    // The parts a scheduled sweep fans out to: each due application in exactly one part, each
    // part earliest first, and no part past the last.
    let parts = s.due_parts();
    assert!(parts >= 1);
    let mut in_parts = Vec::new();
    for part in 0..parts {
        let page = s.due_in_part(Sweep::Expiry, part, now, 100).await.unwrap();
        let times: Vec<_> = page.iter().map(|a| next_due(a).expect("due").1).collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "part {part} earliest first"
        );
        in_parts.extend(page);
    }
    in_parts.sort_by_key(|a| next_due(a).expect("due").1);
    assert_eq!(
        in_parts, offered,
        "the parts together are the due set, once each"
    );
    assert_eq!(
        s.due_in_part(Sweep::Expiry, parts, now, 100).await.unwrap(),
        vec![]
    );
    assert_eq!(
        ids(&s.due(Sweep::Expiry, now, 4).await.unwrap()),
        ids(&offered[..4])
    );
    // `now` is inclusive.
    assert_eq!(
        ids(&s.due(Sweep::Expiry, due_at[5], 100).await.unwrap()),
        ids(&offered[..6])
    );
    assert_eq!(
        ids(&s
            .due(Sweep::Expiry, due_at[5] - chrono::Duration::seconds(1), 100)
            .await
            .unwrap()),
        ids(&offered[..5])
    );
    assert_eq!(
        s.due(Sweep::Expiry, due_at[0] - chrono::Duration::seconds(1), 100)
            .await
            .unwrap(),
        vec![]
    );
    // The queued ones belong to the reconfirmation sweep and are not due before January 2026.
    assert_eq!(
        s.due(Sweep::Reconfirmation, now, 100).await.unwrap(),
        vec![]
    );
    let later = at(day(2026, 1, 10), 12, 0);
    let reconfirm = s.due(Sweep::Reconfirmation, later, 7).await.unwrap();
    assert_eq!(reconfirm.len(), 7);
    for a in &reconfirm {
        assert!(queued_ids.contains(&a.id), "{} is one of the queued", a.id);
        assert!(matches!(next_due(a), Some((Sweep::Reconfirmation, t)) if t <= later));
    }
    assert_eq!(
        s.due(Sweep::Expiry, later, 100).await.unwrap().len(),
        10,
        "the reconfirmation due times are not expiry's"
    );

    // Leaving a due status leaves the index; a sent reminder moves the due time to the deadline.
    act(&*s, &offered[0], Command::Refuse, due_at[0] - minutes(60)).await;
    let swept = act(&*s, &offered[1], Command::Sweep, due_at[1] + minutes(1)).await;
    let (_, swept_due) = next_due(&swept).expect("still due");
    assert_eq!(
        swept_due,
        swept.voucher().as_ref().expect("voucher").confirm_by
    );
    let got = s.due(Sweep::Expiry, now, 100).await.unwrap();
    assert_eq!(got.len(), 9);
    assert!(!got.iter().any(|a| a.id == offered[0].id));
    assert!(
        got.contains(&swept),
        "the swept application at its new version"
    );
    let times: Vec<_> = got.iter().map(|a| next_due(a).expect("due").1).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "earliest first");
    assert!(times.iter().all(|t| *t <= now));
    // Between the reminder and the deadline it is not due.
    assert!(!s
        .due(Sweep::Expiry, due_at[1] + minutes(2), 100)
        .await
        .unwrap()
        .iter()
        .any(|a| a.id == swept.id));
}

// ---------------------------------------------------------------------------------------------
// Kindergartens, vouchers and places

/// Create at `None`, replace at the current version, refuse a stale one; filter by district.
pub async fn kindergartens_put_with_versions<S: Subject>(s: Arc<S>) {
    let (d, e) = (district(), district());
    let k1 = kindergarten(&d, &[(3, 10), (4, 5)]);
    let k2 = kindergarten(&d, &[(2, 1)]);
    let k3 = kindergarten(&e, &[(3, 7)]);
    assert_eq!(s.kindergarten(&k1.id).await.unwrap(), None);
    for k in [&k1, &k2, &k3] {
        put_new(&*s, k).await;
    }
    assert_eq!(s.kindergarten(&k1.id).await.unwrap(), Some(k1.clone()));
    assert_eq!(
        conflict_of(s.put_kindergarten(k1.clone(), None).await),
        Conflict::Stale,
        "create of an existing id"
    );

    let mut k1b = k1.clone();
    k1b.version = 2;
    k1b.name_ru = "Балбобек-2".into();
    k1b.free_places.insert(3, 9);
    s.put_kindergarten(k1b.clone(), Some(1)).await.unwrap();
    assert_eq!(s.kindergarten(&k1.id).await.unwrap(), Some(k1b.clone()));

    let mut k1c = k1.clone();
    k1c.version = 2;
    k1c.name_ru = "stale".into();
    assert_eq!(
        conflict_of(s.put_kindergarten(k1c, Some(1)).await),
        Conflict::Stale
    );
    assert_eq!(s.kindergarten(&k1.id).await.unwrap(), Some(k1b.clone()));
    let ghost = kindergarten(&d, &[(3, 1)]);
    assert_eq!(
        conflict_of(s.put_kindergarten(ghost.clone(), Some(1)).await),
        Conflict::Stale,
        "update of a missing id"
    );
    assert_eq!(s.kindergarten(&ghost.id).await.unwrap(), None);

    let mut in_d = s.kindergartens(Some(&d.code)).await.unwrap();
    in_d.sort_by(|a, b| a.id.cmp(&b.id));
    let mut want = vec![k1b.clone(), k2.clone()];
    want.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(in_d, want);
    assert_eq!(
        s.kindergartens(Some(&e.code)).await.unwrap(),
        vec![k3.clone()]
    );
    assert_eq!(
        s.kindergartens(Some(&district().code)).await.unwrap(),
        vec![]
    );
    let everything = s.kindergartens(None).await.unwrap();
    for k in [&k1b, &k2, &k3] {
        assert!(everything.contains(k), "{} in the whole catalogue", k.id);
    }
}

/// An offer is refused with `NoVoucherPlace` once outstanding vouchers cover the district's
/// free places of the age group; a released voucher frees one.
pub async fn voucher_offers_limited_by_free_places<S: Subject>(s: Arc<S>) {
    let (d, e) = (district(), district());
    put_new(&*s, &kindergarten(&d, &[(3, 1)])).await;
    put_new(&*s, &kindergarten(&d, &[(3, 1), (4, 5)])).await;
    put_new(&*s, &kindergarten(&e, &[(3, 10)])).await;
    let t = base();
    let apps: Vec<Application> = {
        let mut v = Vec::new();
        for i in 0..3 {
            v.push(submit(&*s, &d, Sub::new(child(born()), t + minutes(i))).await);
        }
        v
    };
    let o1 = act(&*s, &apps[0], offer(&apps[0], t), t + minutes(10)).await;
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 1);
    act(&*s, &apps[1], offer(&apps[1], t), t + minutes(10)).await;
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 2);

    let watched = [apps[2].id.as_str()];
    let before = snapshot(&*s, &d, 2023, &watched, &[&apps[2].child_iin]).await;
    let third = decide(&apps[2], offer(&apps[2], t), t + minutes(10));
    assert_eq!(
        conflict_of(s.commit(third.clone()).await),
        Conflict::NoVoucherPlace
    );
    assert_eq!(
        snapshot(&*s, &d, 2023, &watched, &[&apps[2].child_iin]).await,
        before
    );
    assert_eq!(s.outstanding_vouchers(&d.code, 4).await.unwrap(), 0);
    assert_eq!(s.outstanding_vouchers(&e.code, 3).await.unwrap(), 0);

    // Another age group has its own pool.
    let older = submit(&*s, &d, Sub::new(child(day(2022, 3, 1)), t)).await;
    act(&*s, &older, offer(&older, t), t + minutes(11)).await;
    assert_eq!(s.outstanding_vouchers(&d.code, 4).await.unwrap(), 1);
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 2);

    // Refused: ReleaseVoucher; the third offer now fits.
    act(&*s, &o1, Command::Refuse, t + minutes(20)).await;
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 1);
    commit_ok(&*s, third).await;
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 2);
    assert_eq!(
        counts(&*s, &d.code).await,
        status_map(&[(Status::VoucherOffered, 3), (Status::Archived, 1)])
    );
}

/// TakePlace decrements the kindergarten's free places and the outstanding vouchers, and is
/// refused with `NoFreePlace` at zero.
pub async fn take_place_decrements_and_refuses_at_zero<S: Subject>(s: Arc<S>) {
    let d = district();
    let ka = kindergarten(&d, &[(3, 1), (4, 2)]);
    let kb = kindergarten(&d, &[(3, 1)]);
    put_new(&*s, &ka).await;
    put_new(&*s, &kb).await;
    let t = base();
    let mut active = Vec::new();
    for i in 0..2 {
        let app = submit(&*s, &d, Sub::new(child(born()), t + minutes(i))).await;
        let o = act(&*s, &app, offer(&app, t), t + minutes(10)).await;
        active.push(act(&*s, &o, confirm(), t + minutes(20)).await);
    }
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 2);

    // Both decide with ka as read while it had its place.
    let first = decide(&active[0], choose(&ka), t + minutes(30));
    let second = decide(&active[1], choose(&ka), t + minutes(30));
    let enrolled = commit_ok(&*s, first).await.application;
    assert_eq!(enrolled.status(), Status::Enrolled);
    assert_eq!(free(&*s, &ka.id, 3).await, 0);
    assert_eq!(free(&*s, &ka.id, 4).await, 2, "other age groups untouched");
    assert_eq!(free(&*s, &kb.id, 3).await, 1);
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 1);

    let watched = [active[1].id.as_str()];
    let before = snapshot(&*s, &d, 2023, &watched, &[]).await;
    assert_eq!(conflict_of(s.commit(second).await), Conflict::NoFreePlace);
    assert_eq!(snapshot(&*s, &d, 2023, &watched, &[]).await, before);
    assert_eq!(free(&*s, &ka.id, 3).await, 0, "never below zero");

    let other = act(&*s, &active[1], choose(&kb), t + minutes(40)).await;
    assert_eq!(other.status(), Status::Enrolled);
    assert_eq!(free(&*s, &kb.id, 3).await, 0);
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 0);
    assert_eq!(
        counts(&*s, &d.code).await,
        status_map(&[(Status::Enrolled, 2)])
    );
    // An enrolled child is live: no second application.
    let again = submission(
        &*s,
        &d,
        Sub::new(enrolled.child_iin.clone(), t + minutes(50)),
    )
    .await;
    assert_eq!(conflict_of(s.commit(again).await), Conflict::DuplicateChild);
}

/// 10 parents with active vouchers choose the last free place of one kindergarten at once:
/// exactly one wins, nine get `NoFreePlace`, free places end at 0.
pub async fn last_free_place_concurrent_choices_one_wins<S: Subject>(s: Arc<S>) {
    let d = district();
    let k = kindergarten(&d, &[(3, 1)]);
    let spare = kindergarten(&d, &[(3, 9)]);
    put_new(&*s, &k).await;
    put_new(&*s, &spare).await;
    let t = base();
    let mut changes = Vec::new();
    for i in 0..10 {
        let app = submit(&*s, &d, Sub::new(child(born()), t + minutes(i))).await;
        let o = act(&*s, &app, offer(&app, t), t + minutes(30)).await;
        let a = act(&*s, &o, confirm(), t + minutes(40)).await;
        changes.push(decide(&a, choose(&k), t + minutes(50)));
    }
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 10);
    let app_ids: Vec<String> = changes.iter().map(|c| c.application.id.clone()).collect();

    let results = spawn_all(&s, changes, |s, cs| async move { s.commit(cs).await }).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "exactly one enrolled: {results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert_eq!(r, &Err(CommitError::Conflict(Conflict::NoFreePlace)));
    }
    assert_eq!(free(&*s, &k.id, 3).await, 0);
    assert_eq!(free(&*s, &spare.id, 3).await, 9);
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 9);
    assert_eq!(
        counts(&*s, &d.code).await,
        status_map(&[(Status::Enrolled, 1), (Status::VoucherActive, 9)])
    );
    let refs: Vec<&str> = app_ids.iter().map(String::as_str).collect();
    let enrolled_notes: Vec<String> = pending_of(&*s, &refs)
        .await
        .into_iter()
        .filter(|id| id.ends_with(":enrolled"))
        .collect();
    assert_eq!(enrolled_notes.len(), 1);
    for id in &app_ids {
        let a = s.application(id).await.unwrap().expect("stored");
        let h = s.history(id).await.unwrap();
        match a.status() {
            Status::Enrolled => {
                assert_eq!(a.version, 4);
                assert_eq!(h.len(), 4);
                assert_eq!(enrolled_notes[0], format!("{id}:4:enrolled"));
            }
            Status::VoucherActive => {
                assert_eq!(a.version, 3);
                assert_eq!(h.len(), 3);
            }
            other => panic!("unexpected status {other}"),
        }
    }
}

/// A voucher run's offers committed concurrently never exceed the places; a retried run offers
/// nothing more.
pub async fn concurrent_offers_never_exceed_places<S: Subject>(s: Arc<S>) {
    let d = district();
    put_new(&*s, &kindergarten(&d, &[(3, 5)])).await;
    let t = base();
    let mut apps = Vec::new();
    for i in 0..12 {
        apps.push(submit(&*s, &d, Sub::new(child(born()), t + minutes(i))).await);
    }
    let run = t + minutes(60);
    let changes: Vec<ChangeSet> = apps.iter().map(|a| decide(a, offer(a, run), run)).collect();
    let results = spawn_all(
        &s,
        changes.clone(),
        |s, cs| async move { s.commit(cs).await },
    )
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        5,
        "{results:?}"
    );
    for r in results.iter().filter(|r| r.is_err()) {
        assert_eq!(r, &Err(CommitError::Conflict(Conflict::NoVoucherPlace)));
    }
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 5);

    // The run retried: the same change sets again, all at once.
    let retry = spawn_all(&s, changes, |s, cs| async move { s.commit(cs).await }).await;
    for (first, again) in results.iter().zip(&retry) {
        let want = if first.is_ok() {
            Conflict::Stale
        } else {
            Conflict::NoVoucherPlace
        };
        assert_eq!(again, &Err(CommitError::Conflict(want)));
    }
    assert_eq!(s.outstanding_vouchers(&d.code, 3).await.unwrap(), 5);
    assert_eq!(
        counts(&*s, &d.code).await,
        status_map(&[(Status::VoucherOffered, 5), (Status::Queued, 7)])
    );
    assert_eq!(s.queue(&d.code, 2023, ALL).await.unwrap().len(), 7);
}

// ---------------------------------------------------------------------------------------------
// Stats, profiles, links

/// Status counts of a district follow every transition, and only that district's.
pub async fn status_counts_follow_transitions<S: Subject>(s: Arc<S>) {
    let (d, e) = (district(), district());
    let k = kindergarten(&d, &[(3, 5)]);
    put_new(&*s, &k).await;
    let t = base();
    assert_eq!(counts(&*s, &d.code).await, status_map(&[]));
    let mut apps = Vec::new();
    for i in 0..4 {
        apps.push(submit(&*s, &d, Sub::new(child(born()), t + minutes(i))).await);
    }
    submit(&*s, &e, Sub::new(child(born()), t)).await;
    assert_eq!(
        counts(&*s, &d.code).await,
        status_map(&[(Status::Queued, 4)])
    );

    let o = act(&*s, &apps[0], offer(&apps[0], t), t + minutes(10)).await;
    assert_eq!(
        counts(&*s, &d.code).await,
        status_map(&[(Status::Queued, 3), (Status::VoucherOffered, 1)])
    );
    let a = act(&*s, &o, confirm(), t + minutes(20)).await;
    assert_eq!(
        counts(&*s, &d.code).await,
        status_map(&[(Status::Queued, 3), (Status::VoucherActive, 1)])
    );
    act(&*s, &a, choose(&k), t + minutes(30)).await;
    let o2 = act(&*s, &apps[1], offer(&apps[1], t), t + minutes(40)).await;
    let confirm_by = o2.voucher().as_ref().expect("voucher").confirm_by;
    act(&*s, &o2, Command::Sweep, confirm_by + minutes(1)).await;
    act(&*s, &apps[2], Command::Withdraw, t + minutes(50)).await;
    assert_eq!(
        counts(&*s, &d.code).await,
        status_map(&[
            (Status::Queued, 1),
            (Status::Enrolled, 1),
            (Status::StopListed, 1),
            (Status::Archived, 1),
        ])
    );
    assert_eq!(
        counts(&*s, &e.code).await,
        status_map(&[(Status::Queued, 1)])
    );
    assert_eq!(counts(&*s, &district().code).await, status_map(&[]));
}

/// Profiles put/get/replace; links are a set per parent.
pub async fn profiles_and_linked_children<S: Subject>(s: Arc<S>) {
    let (p, q) = (adult(), adult());
    assert_eq!(s.profile(&p).await.unwrap(), None);
    let mut prof = Profile {
        iin: p.clone(),
        name: Some("Айгерим".into()),
        email: Some("aigerim@example.kz".into()),
        phone: None,
        language: Language::Kk,
    };
    s.put_profile(prof.clone()).await.unwrap();
    assert_eq!(s.profile(&p).await.unwrap(), Some(prof.clone()));
    prof.email = Some("new@example.kz".into());
    prof.phone = Some("+77017654321".into());
    prof.language = Language::En;
    s.put_profile(prof.clone()).await.unwrap();
    assert_eq!(s.profile(&p).await.unwrap(), Some(prof));
    assert_eq!(s.profile(&q).await.unwrap(), None);

    let (c1, c2) = (child(born()), child(born()));
    assert_eq!(s.linked_children(&p).await.unwrap(), vec![]);
    s.link_child(&p, &c1).await.unwrap();
    s.link_child(&p, &c2).await.unwrap();
    s.link_child(&p, &c1).await.unwrap();
    s.link_child(&q, &c2).await.unwrap();
    let mut got = s.linked_children(&p).await.unwrap();
    got.sort();
    let mut want = vec![c1.clone(), c2.clone()];
    want.sort();
    assert_eq!(got, want, "each child once");
    assert_eq!(s.linked_children(&q).await.unwrap(), vec![c2]);
    assert_eq!(s.linked_children(&c1).await.unwrap(), vec![]);
}

// ---------------------------------------------------------------------------------------------
// The outbox

/// Notifications commit with their change and only then: refused commits add none.
pub async fn outbox_follows_commits<S: Subject>(s: Arc<S>) {
    let d = district(); // no kindergartens: every offer is refused
    let kid = child(born());
    let t = base();
    let a = submit(&*s, &d, Sub::new(kid.clone(), t)).await;
    let reg = format!("{}:1:registered", a.id);
    assert_eq!(pending_of(&*s, &[&a.id]).await, vec![reg.clone()]);
    assert_eq!(s.counts(Some(&d.code)).await.unwrap(), (1, 0));

    let stale_base = a.clone();
    let withdrawn = act(&*s, &a, Command::Withdraw, t + minutes(1)).await;
    let archived_note = format!("{}:2:archived", a.id);
    assert_eq!(
        pending_of(&*s, &[&a.id]).await,
        vec![reg.clone(), archived_note.clone()],
        "oldest first"
    );
    // Stale: a second decision from version 1.
    let stale = decide(&stale_base, Command::Withdraw, t + minutes(2));
    assert_eq!(conflict_of(s.commit(stale).await), Conflict::Stale);
    // DuplicateChild: b of a child who has a live application.
    let live = submit(&*s, &d, Sub::new(kid.clone(), t + minutes(3))).await;
    let dup = submission(&*s, &d, Sub::new(kid.clone(), t + minutes(4))).await;
    let dup_id = dup.application.id.clone();
    assert_eq!(conflict_of(s.commit(dup).await), Conflict::DuplicateChild);
    // NoVoucherPlace.
    let no_place = decide(&live, offer(&live, t), t + minutes(5));
    assert_eq!(
        conflict_of(s.commit(no_place).await),
        Conflict::NoVoucherPlace
    );

    assert_eq!(
        pending_of(&*s, &[&a.id, &live.id, &dup_id]).await,
        vec![reg, archived_note, format!("{}:1:registered", live.id)]
    );
    assert_eq!(s.counts(Some(&d.code)).await.unwrap(), (3, 0));
    assert_eq!(withdrawn.version, 2);
}

/// `enqueue` is idempotent per id; `mark` takes a notification out of pending and counts a
/// failure; counts are per district.
pub async fn outbox_enqueue_mark_and_counts<S: Subject>(s: Arc<S>) {
    let (d, e) = (district(), district());
    let t = base();
    let mut apps = Vec::new();
    for i in 0..3 {
        apps.push(submit(&*s, &d, Sub::new(child(born()), t + minutes(i))).await);
    }
    let note = |a: &Application| format!("{}:1:registered", a.id);
    let refs: Vec<&str> = apps.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        pending_of(&*s, &refs).await,
        apps.iter().map(note).collect::<Vec<_>>(),
        "pending oldest first"
    );
    assert_eq!(s.counts(Some(&d.code)).await.unwrap(), (3, 0));
    assert_eq!(s.counts(Some(&e.code)).await.unwrap(), (0, 0));

    // A one-time code belongs to no application.
    let otp = Notification {
        id: format!("otp:{}", uuid()),
        application_id: None,
        kind: NotificationKind::OtpCode,
        language: Language::Kk,
        email: None,
        phone: Some("+77011234567".into()),
        params: [("code".to_owned(), Param::Text("123456".into()))]
            .into_iter()
            .collect(),
        created_at: t,
    };
    s.enqueue(otp.clone()).await.unwrap();
    s.enqueue(otp.clone()).await.unwrap();
    let pending = s.pending(ALL).await.unwrap();
    let copies: Vec<&Notification> = pending.iter().filter(|n| n.id == otp.id).collect();
    assert_eq!(copies, vec![&otp], "enqueued once");
    assert_eq!(s.counts(Some(&d.code)).await.unwrap(), (3, 0));
    // The region's count includes notifications of no district (one-time codes). The case's
    // district is made up, so it is not among the region's districts.
    let (all_pending, _) = s.counts(None).await.unwrap();
    assert!(
        all_pending >= 1,
        "the region counts the code: {all_pending}"
    );

    s.mark(&note(&apps[0]), Delivery::Delivered { at: t + minutes(5) })
        .await
        .unwrap();
    assert_eq!(
        pending_of(&*s, &refs).await,
        vec![note(&apps[1]), note(&apps[2])]
    );
    assert_eq!(s.counts(Some(&d.code)).await.unwrap(), (2, 0));
    // Idempotent.
    s.mark(&note(&apps[0]), Delivery::Delivered { at: t + minutes(6) })
        .await
        .unwrap();
    assert_eq!(s.counts(Some(&d.code)).await.unwrap(), (2, 0));

    s.mark(
        &note(&apps[1]),
        Delivery::Failed {
            at: t + minutes(7),
            error: "smtp 550".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(pending_of(&*s, &refs).await, vec![note(&apps[2])]);
    assert_eq!(s.counts(Some(&d.code)).await.unwrap(), (1, 1));
    // The region still counts the pending one-time code (the case's district is made up).
    let (all_pending, _) = s.counts(None).await.unwrap();
    assert!(
        all_pending >= 1,
        "the region counts the code: {all_pending}"
    );

    s.mark(&otp.id, Delivery::Delivered { at: t + minutes(8) })
        .await
        .unwrap();
    assert!(!s.pending(ALL).await.unwrap().iter().any(|n| n.id == otp.id));
    s.mark(
        &format!("unknown:{}", uuid()),
        Delivery::Delivered { at: t },
    )
    .await
    .unwrap();
    assert_eq!(s.counts(Some(&d.code)).await.unwrap(), (1, 1));
    assert_eq!(s.counts(Some(&e.code)).await.unwrap(), (0, 0));
}

/// A send is claimed once per notification and channel: a second claim while the first holds
/// reads busy, one after the send is recorded reads already sent, one after a release or an
/// expired lease claims again; concurrent claims give exactly one claimant.
pub async fn send_claims_hold_once_per_channel<S: Subject>(s: Arc<S>) {
    use kezek_core::ports::{Channel, SendClaim};
    let t = base();
    let lease = chrono::Duration::minutes(2);
    let id = format!("{}:1:registered", uuid());
    let claim = |c: Channel, at| {
        let s = s.clone();
        let id = id.clone();
        async move { s.claim_send(&id, c, at, lease).await.unwrap() }
    };
    assert_eq!(claim(Channel::Email, t).await, SendClaim::Claimed);
    assert_eq!(claim(Channel::Email, t + minutes(1)).await, SendClaim::Busy);
    assert_eq!(
        claim(Channel::Sms, t).await,
        SendClaim::Claimed,
        "channels are apart"
    );
    // A lease that ran out (the sender crashed) may be claimed again.
    assert_eq!(
        claim(Channel::Email, t + minutes(3)).await,
        SendClaim::Claimed
    );
    s.record_sent(&id, Channel::Email, t + minutes(3))
        .await
        .unwrap();
    assert_eq!(
        claim(Channel::Email, t + minutes(10)).await,
        SendClaim::AlreadySent
    );
    // Releasing a sent record changes nothing; releasing a claim frees it at once.
    s.release_send(&id, Channel::Email).await.unwrap();
    assert_eq!(
        claim(Channel::Email, t + minutes(11)).await,
        SendClaim::AlreadySent
    );
    s.release_send(&id, Channel::Sms).await.unwrap();
    assert_eq!(
        claim(Channel::Sms, t + minutes(1)).await,
        SendClaim::Claimed
    );

    let other = format!("{}:2:voucher_offered", uuid());
    let outcomes = spawn_all(&s, (0..8).collect(), move |s, _| {
        let other = other.clone();
        async move {
            s.claim_send(&other, Channel::Email, t, lease)
                .await
                .unwrap()
        }
    })
    .await;
    let claimed = outcomes
        .iter()
        .filter(|o| **o == SendClaim::Claimed)
        .count();
    assert_eq!(
        claimed, 1,
        "one claimant among concurrent deliveries: {outcomes:?}"
    );
}

/// Rate-limit windows count up to their limit and no further, also under concurrent requests;
/// windows and keys are apart.
pub async fn rate_limit_windows_count_to_the_limit<S: Subject>(s: Arc<S>) {
    let key = format!("otp-iin#{}", uuid());
    let end = chrono::Utc::now() + chrono::Duration::minutes(30);
    let results = spawn_all(&s, (0..8).collect(), |s, _| {
        let key = key.clone();
        async move { s.hit(&key, end, 5).await.unwrap() }
    })
    .await;
    assert_eq!(results.iter().filter(|ok| **ok).count(), 5, "{results:?}");
    assert!(!s.hit(&key, end, 5).await.unwrap(), "the window is full");
    let next = end + chrono::Duration::hours(1);
    assert!(s.hit(&key, next, 5).await.unwrap(), "a new window");
    assert!(
        s.hit(&format!("{key}x"), end, 5).await.unwrap(),
        "another key"
    );
}

/// A code replaces the earlier one, counts wrong attempts and is taken once, even by concurrent
/// requests.
pub async fn one_time_codes_count_attempts_and_work_once<S: Subject>(s: Arc<S>) {
    let iin = adult();
    let now = chrono::Utc::now();
    let rec = |hash: &str| CodeRecord {
        iin: iin.clone(),
        phone: "+77011234567".into(),
        hash: hash.into(),
        issued_at: now,
        expires_at: now + chrono::Duration::minutes(5),
        attempts: 0,
    };
    assert_eq!(s.code(&iin).await.unwrap(), None);
    s.put_code(rec("h1")).await.unwrap();
    s.put_code(rec("h2")).await.unwrap();
    let stored = s.code(&iin).await.unwrap().expect("stored");
    assert_eq!(stored.hash, "h2", "the newest code replaces the earlier");
    assert_eq!(stored.phone, "+77011234567");
    assert_eq!(
        stored.expires_at.timestamp(),
        rec("h2").expires_at.timestamp()
    );
    assert_eq!(
        s.count_attempt(&iin, "h1", 5).await.unwrap(),
        Attempt::Gone,
        "replaced"
    );
    assert_eq!(
        s.count_attempt(&iin, "h2", 5).await.unwrap(),
        Attempt::Counted(1)
    );
    assert_eq!(
        s.count_attempt(&iin, "h2", 5).await.unwrap(),
        Attempt::Counted(2)
    );
    assert_eq!(s.code(&iin).await.unwrap().unwrap().attempts, 2);
    assert!(!s.take_code(&iin, "h1").await.unwrap());
    let taken = spawn_all(&s, (0..6).collect(), |s, _| {
        let iin = iin.clone();
        async move { s.take_code(&iin, "h2").await.unwrap() }
    })
    .await;
    assert_eq!(taken.iter().filter(|t| **t).count(), 1, "{taken:?}");
    assert_eq!(s.code(&iin).await.unwrap(), None);
    assert_eq!(s.count_attempt(&iin, "h2", 5).await.unwrap(), Attempt::Gone);
    // Attempts are counted up to the limit and no further, also when they race (issue 16).
    s.put_code(rec("h3")).await.unwrap();
    let counted = spawn_all(&s, (0..40).collect(), |s, _| {
        let iin = iin.clone();
        async move { s.count_attempt(&iin, "h3", 5).await.unwrap() }
    })
    .await;
    let mut numbers: Vec<u32> = counted
        .iter()
        .filter_map(|a| match a {
            Attempt::Counted(n) => Some(*n),
            _ => None,
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, [1, 2, 3, 4, 5], "{counted:?}");
    assert_eq!(
        counted.iter().filter(|a| **a == Attempt::Exhausted).count(),
        35
    );
    assert_eq!(s.code(&iin).await.unwrap().unwrap().attempts, 5);
}

/// Markers (lockouts, nonces) are read and taken once; the staff register answers operators.
pub async fn markers_and_staff_register<S: Subject>(s: Arc<S>) {
    let key = format!("NONCE#{}", uuid());
    let until = chrono::Utc::now() + chrono::Duration::minutes(5);
    assert_eq!(s.marker(&key).await.unwrap(), None);
    s.put_marker(&key, until).await.unwrap();
    assert_eq!(
        s.marker(&key).await.unwrap().map(|t| t.timestamp()),
        Some(until.timestamp())
    );
    let taken = spawn_all(&s, (0..6).collect(), |s, _| {
        let key = key.clone();
        async move { s.take_marker(&key).await.unwrap() }
    })
    .await;
    assert_eq!(taken.iter().filter(|t| t.is_some()).count(), 1);
    assert_eq!(s.marker(&key).await.unwrap(), None);

    let op = adult();
    assert_eq!(s.operator_districts(&op).await.unwrap(), None);
    s.put_operator(&op, vec!["kokshetau".into(), "burabay".into()])
        .await
        .unwrap();
    assert_eq!(
        s.operator_districts(&op).await.unwrap(),
        Some(vec!["kokshetau".to_owned(), "burabay".to_owned()])
    );
}

/// Documents are recorded by id and replaced by the same id.
pub async fn documents_put_and_read_back<S: Subject>(s: Arc<S>) {
    use kezek_core::documents::{DocumentKind, DocumentRecord};
    let id = uuid();
    assert_eq!(s.document(&id).await.unwrap(), None);
    let mut d = DocumentRecord {
        id: id.clone(),
        owner: adult(),
        kind: DocumentKind::Upload,
        name: "справка.pdf".into(),
        content_type: "application/pdf".into(),
        size: 1024,
        application_id: None,
        key: format!("uploads/x/{id}"),
        created_at: base(),
    };
    s.put_document(d.clone()).await.unwrap();
    assert_eq!(s.document(&id).await.unwrap(), Some(d.clone()));
    d.kind = DocumentKind::Registration;
    d.application_id = Some("app-1".into());
    s.put_document(d.clone()).await.unwrap();
    assert_eq!(s.document(&id).await.unwrap(), Some(d));
}
