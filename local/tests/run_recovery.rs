//! A voucher run cut off between its start and its outcome (its process ended after some
//! offers): the district's next run writes the cut-off run's outcome from the queue's book before
//! its own start, so no offer goes unlogged and the log verifies (issue 19).

mod pages;
use pages::desk::*;

use kezek_core::domain::{Actor, RunLogRef};
use kezek_core::lifecycle::{self, Command};
use kezek_core::run_log::{self, reason, Passed, RunRecord, Stage};
use kezek_core::values::RegistrationNumber;

#[tokio::test]
async fn the_next_run_writes_a_cut_off_runs_outcome_from_the_book() {
    let (local, _) = runner_with_staff().await;
    let registered = register(&local, 5).await;
    let (age, _) = places_for(&local, 3).await;
    let svc = &local.api.service;
    let store = &svc.store;
    let mut apps = Vec::new();
    for (number, _) in &registered {
        let typed = RegistrationNumber::parse(number, svc.reference()).unwrap();
        apps.push(store.application_by_number(&typed).await.unwrap().unwrap());
    }
    let now = svc.now();
    let district = svc.reference().district("KOK").unwrap().clone();

    // A run's start as a run writes it: what it read (3 places, the five in queue order).
    let started = RunRecord {
        run_id: "cafebabe-cut-off".into(),
        at: now,
        district: "KOK".into(),
        age_group: age,
        cohort: kezek_core::queue::cohort_of_age_group(age, kezek_core::time::local_date(now)),
        policy: district.allocation,
        places: 3,
        outstanding: 0,
        limit: None,
        head: apps
            .iter()
            .map(|a| {
                let k = a.queue_key(svc.reference());
                run_log::HeadEntry {
                    number: a.registration_number.clone(),
                    rank: k.rank,
                    registered_at: k.registered_at,
                    seq: k.registration_seq,
                }
            })
            .collect(),
        offered: Vec::new(),
        passed: Vec::new(),
        stage: Stage::Started,
    };
    let start = run_log::append(None, started);
    assert!(store.append_run(&start).await.unwrap());
    // Its first two offers land; then its process ends.
    for app in &apps[..2] {
        let offer = Command::OfferVoucher {
            run_id: start.run.run_id.clone(),
            age_group: age,
            log: Some(RunLogRef {
                seq: start.seq,
                hash: start.hash.clone(),
            }),
        };
        let ctx = lifecycle::Context {
            now,
            calendar: kezek_core::calendar::Calendar::builtin(),
            reference: svc.reference(),
        };
        let d = lifecycle::apply(app, offer, &Actor::System, ctx).unwrap();
        store.commit(d.into()).await.unwrap();
    }
    let open = run_log::verify(&store.runs("KOK", 0, 100).await.unwrap()).unwrap();
    assert_eq!(open.open, vec![(1, "cafebabe-cut-off".to_owned())]);

    // Within 15 minutes it may still be running: the next run leaves it open.
    local
        .clock
        .set((now + chrono::Duration::minutes(5)).with_timezone(&chrono::Utc));
    let input = || kezek_core::inputs::RunInput {
        district: "KOK".into(),
        age_group: i64::from(age),
    };
    let early = svc.voucher_run(None, input()).await.unwrap();
    assert_eq!(early.offered, 1, "the third place");
    let log = store.runs("KOK", 0, 100).await.unwrap();
    assert_eq!(
        run_log::verify(&log).unwrap().open,
        vec![(1, "cafebabe-cut-off".to_owned())]
    );

    // Later, the next run finishes it first: its two offers, the child after them where it was
    // cut off.
    local
        .clock
        .set((now + chrono::Duration::minutes(20)).with_timezone(&chrono::Utc));
    let late = svc.voucher_run(None, input()).await.unwrap();
    assert_eq!(late.offered, 0, "no place left");
    let log = store.runs("KOK", 0, 100).await.unwrap();
    let recovered = log
        .iter()
        .find(|e| e.run.stage == Stage::Recovered)
        .expect("the cut-off run's outcome");
    assert_eq!(recovered.run.run_id, "cafebabe-cut-off");
    assert_eq!(
        recovered.run.offered,
        vec![
            apps[0].registration_number.clone(),
            apps[1].registration_number.clone()
        ]
    );
    assert_eq!(
        recovered.run.passed,
        vec![Passed {
            number: apps[2].registration_number.clone(),
            reason: reason::CUT_OFF.into()
        }]
    );
    let verified = run_log::verify(&log).expect("the log verifies");
    assert!(verified.open.is_empty(), "{:?}", verified.open);
    assert_eq!(verified.offers, 3);
}
