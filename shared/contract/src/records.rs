//! Cases of what runs and sweeps leave behind: the run logs and the sweeps' records.

use crate::fixtures::*;
use crate::Subject;
use kezek_core::lifecycle::Sweep;
use kezek_core::ports::SweepRecord;
use kezek_core::reference::AllocationPolicy;
use kezek_core::run_log::{self, HeadEntry, RunRecord};
use std::sync::Arc;

fn record(district: &str, n: u32) -> RunRecord {
    RunRecord {
        run_id: uuid(),
        at: base() + minutes(i64::from(n)),
        district: district.to_owned(),
        age_group: 3,
        cohort: 2023,
        policy: AllocationPolicy::Strict,
        places: n,
        outstanding: 0,
        limit: None,
        head: (1..=n)
            .map(|i| HeadEntry {
                number: format!("ТСТ.2026.{i}"),
                rank: 2,
                registered_at: i64::from(i),
                seq: u64::from(i),
            })
            .collect(),
        offered: (1..=n).map(|i| format!("ТСТ.2026.{i}")).collect(),
        passed: Vec::new(),
        stage: run_log::Stage::Done,
    }
}

/// A district's run log: entries append in order, an entry's place is never taken twice (the
/// second append of a seq is refused and writes nothing), pages start after a seq, the newest
/// come newest first, and another district's log is apart. What is read back verifies.
pub async fn run_log_appends_in_order_and_never_replaces<S: Subject>(s: Arc<S>) {
    let d = district().code;
    let other = district().code;
    assert!(s.latest_runs(&d, 1).await.unwrap().is_empty());
    let mut last = None;
    // two runs, each its start and its outcome
    let runs = [record(&d, 1), record(&d, 2)];
    for (n, r) in runs
        .iter()
        .flat_map(|r| [r.started(), r.clone()])
        .enumerate()
    {
        let e = run_log::append(last.as_ref(), r);
        assert!(s.append_run(&e).await.unwrap(), "entry {}", n + 1);
        last = Some(e);
    }
    // A second entry 4 (another run that read the same last entry): refused, nothing changed.
    let rival = run_log::append(Some(&s.runs(&d, 2, 1).await.unwrap()[0]), record(&d, 9));
    assert_eq!(rival.seq, 4);
    assert!(!s.append_run(&rival).await.unwrap());
    let all = s.runs(&d, 0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(all[3], last.clone().unwrap(), "the first entry 4 stands");
    run_log::verify(&all).expect("the stored log verifies");
    assert_eq!(
        s.runs(&d, 2, 100)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(s.runs(&d, 0, 2).await.unwrap().len(), 2);
    assert_eq!(
        s.latest_runs(&d, 2)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![4, 3]
    );
    assert!(s.runs(&other, 0, 10).await.unwrap().is_empty());
    let first_other = run_log::append(None, record(&other, 1));
    assert!(s.append_run(&first_other).await.unwrap());
    assert_eq!(s.runs(&other, 0, 10).await.unwrap(), vec![first_other]);
    assert_eq!(s.runs(&d, 0, 100).await.unwrap().len(), 4);
}

/// Each sweep part keeps its last pass: a new pass replaces the part's record, other parts and
/// the other sweep keep theirs.
pub async fn sweep_records_keep_each_parts_last_pass<S: Subject>(s: Arc<S>) {
    let pass = |sweep, part, minute: i64, acted| SweepRecord {
        sweep,
        part,
        at: base() + minutes(minute),
        examined: acted + 1,
        acted,
    };
    // Parts 90 and 91: no sweep has so many, so a table shared with sweeps of other tests
    // holds no other record of them.
    s.record_sweep(&pass(Sweep::Expiry, 90, 0, 1))
        .await
        .unwrap();
    s.record_sweep(&pass(Sweep::Expiry, 91, 0, 2))
        .await
        .unwrap();
    s.record_sweep(&pass(Sweep::Reconfirmation, 90, 5, 3))
        .await
        .unwrap();
    s.record_sweep(&pass(Sweep::Expiry, 90, 15, 4))
        .await
        .unwrap();
    let mut got: Vec<SweepRecord> = s
        .sweep_records()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.part >= 90)
        .collect();
    got.sort_by_key(|r| (r.sweep, r.part));
    let want = vec![
        pass(Sweep::Expiry, 90, 15, 4),
        pass(Sweep::Expiry, 91, 0, 2),
        pass(Sweep::Reconfirmation, 90, 5, 3),
    ];
    assert_eq!(got, want);
}
