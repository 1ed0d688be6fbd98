use super::*;
use crate::reference::{RANK_FIRST_PRIORITY as F, RANK_GENERAL as G, RANK_OUT_OF_TURN as O};
use AllocationPolicy::{OneInFour, Strict};
use Problem::*;

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z
/// Heads by registration seq: below 20 general (registered on day `seq`), 20 to 29 first
/// priority (day `seq + 30`), 30 and above out of turn (day `seq + 40`); in any order.
const H1: &[u64] = &[1, 2, 4, 5, 21, 31];
const H2: &[u64] = &[6, 7, 8, 9, 10, 22, 23, 32];
const H4: &[u64] = &[12, 13, 14, 24];

fn num(seq: u64) -> String {
    format!("КОК.2026.{seq}")
}

fn pass(seq: u64, reason: &str) -> Passed {
    let (number, reason) = (num(seq), reason.to_owned());
    Passed { number, reason }
}

/// A run as the service walks it: the head in queue order, the policy's order until the places
/// are offered, the `refused` children passed over with their reason.
fn run(
    (n, policy, places, outstanding): (u32, AllocationPolicy, u32, u32),
    seqs: &[u64],
    refused: &[(u64, &str)],
) -> RunRecord {
    let child = |&seq: &u64| {
        let (rank, day) = match seq {
            0..20 => (G, seq),
            20..30 => (F, seq + 30),
            _ => (O, seq + 40),
        };
        let registered_at = T0 + day as i64 * DAY + seq as i64;
        HeadEntry {
            number: num(seq),
            rank,
            registered_at,
            seq,
        }
    };
    let mut head: Vec<HeadEntry> = seqs.iter().map(child).collect();
    head.sort_by_key(head_key);
    let keys: Vec<_> = head.iter().map(head_key).collect();
    let allowed = places.saturating_sub(outstanding) as usize;
    let (mut offered, mut passed) = (Vec::new(), Vec::new());
    for i in select_for_run(policy, &keys, keys.len()) {
        if offered.len() >= allowed {
            break;
        }
        match refused.iter().find(|(s, _)| *s == head[i].seq) {
            None => offered.push(head[i].number.clone()),
            Some(&(seq, r)) => {
                passed.push(pass(seq, r));
                if stops_run(r) {
                    break;
                }
            }
        }
    }
    let at = chrono::DateTime::parse_from_rfc3339(&format!("2026-06-0{n}T10:00:00.250+05:00"));
    let (run_id, district) = (format!("run-{n}"), "KOK".to_owned());
    let at = at.expect("time");
    RunRecord {
        run_id,
        at,
        district,
        age_group: 3,
        cohort: 2023,
        policy,
        places,
        outstanding,
        limit: None,
        head,
        offered,
        passed,
        stage: Stage::Done,
    }
}

/// Each run's two entries: its start, then its outcome (run `k`'s outcome is entry `2k`).
fn chain(runs: impl IntoIterator<Item = RunRecord>) -> Vec<RunLogEntry> {
    let mut out: Vec<RunLogEntry> = Vec::new();
    for r in runs {
        out.push(append(out.last(), r.started()));
        out.push(append(out.last(), r));
    }
    out
}

/// A forger who edits runs' outcomes and recomputes the whole chain, starts included.
fn rechain(entries: &[RunLogEntry]) -> Vec<RunLogEntry> {
    chain(
        entries
            .iter()
            .filter(|e| e.run.stage != Stage::Started)
            .map(|e| e.run.clone()),
    )
}

fn log() -> Vec<RunLogEntry> {
    chain([
        // Strict, 3 places: out of turn, first priority (reconfirmation lapsed), general.
        run((1, Strict, 3, 0), H1, &[(21, reason::NOT_ELIGIBLE)]),
        // One in four, 5 places, 1 outstanding: out of turn first, the first-priority head at
        // the first slot, then the general order by time; one changed meanwhile.
        run((2, OneInFour, 5, 1), H2, &[(7, reason::CHANGED)]),
        // Every place covered by outstanding vouchers: nothing read, nothing offered.
        run((3, OneInFour, 2, 2), &[], &[]),
        // One in four, 3 allowed: the first offer, then the places went: the run stopped.
        run((4, OneInFour, 4, 1), H4, &[(12, reason::NO_PLACE)]),
    ])
}

fn fails(entries: &[RunLogEntry]) -> (u64, Problem) {
    let v = verify(entries).expect_err("tampered log verified");
    (v.seq, v.problem)
}

#[test]
fn a_real_log_verifies() {
    let log = log();
    let nums = |v: &[u64]| v.iter().map(|&s| num(s)).collect::<Vec<_>>();
    assert_eq!(log[1].run.offered, nums(&[31, 1, 2]));
    assert_eq!(log[3].run.offered, nums(&[32, 22, 6, 8]));
    assert_eq!(log[3].run.passed, vec![pass(7, "changed")]);
    assert!(log[5].run.offered.is_empty());
    assert_eq!(log[7].run.offered, nums(&[24]));
    assert_eq!(log[0].run, log[1].run.started());
    let ok = verify(&log).expect("verifies");
    assert_eq!((ok.runs, ok.offers), (4, 8));
    assert!(ok.open.is_empty());
    assert_eq!(ok.head_hash.as_deref(), Some(log[7].hash.as_str()));
    assert_eq!(log[0].prev_hash, GENESIS);
    assert_eq!(log[2].prev_hash, log[1].hash);
    assert_eq!(verify(&[]).map(|v| v.head_hash), Ok(None));
    // As published: JSON out and back.
    let json = serde_json::to_string(&log).expect("json");
    let back: Vec<RunLogEntry> = serde_json::from_str(&json).expect("parse");
    assert_eq!(verify(&back), Ok(ok));
    assert_eq!(verify_district("AST", &log).map_err(|v| v.seq), Err(1));
}

#[test]
fn the_canonical_form_is_compact_json_in_field_order() {
    let mut run = run((1, OneInFour, 1, 0), &[1], &[]);
    run.run_id = "r".into();
    run.at = chrono::DateTime::parse_from_rfc3339("2026-06-01T10:00:00+05:00").expect("time");
    run.head[0].registered_at = 5;
    let text = concat!(
        r#"{"seq":1,"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","#,
        r#""run":{"run_id":"r","at":"2026-06-01T10:00:00+05:00","district":"KOK","age_group":3,"#,
        r#""cohort":2023,"policy":"one_in_four","places":1,"outstanding":0,"#,
        r#""head":[{"number":"КОК.2026.1","rank":2,"registered_at":5,"seq":1}],"#,
        r#""offered":["КОК.2026.1"],"passed":[]}}"#
    );
    assert_eq!(canonical(1, GENESIS, &run), text);
    // printf '%s' "$text" | sha256sum
    let sha = "f2096d2b07ec8bf001f722958150977e5b352beab5782c422da501cfdd03d828";
    assert_eq!(entry_hash(1, GENESIS, &run), sha);
}

#[test]
fn a_skipped_child_is_named() {
    let mut log = log();
    log[3].run.offered.retain(|n| *n != num(6));
    log[3].run.offered.push(num(9));
    assert_eq!(fails(&rechain(&log)), (4, Skipped { number: num(6) }));
    // An offer out of the policy's order skips the child that came first.
    let mut log = self::log();
    log[1].run.offered.swap(0, 1);
    assert_eq!(fails(&rechain(&log)), (2, Skipped { number: num(31) }));
    // A run that offered fewer than allowed without a stop must have reached everyone.
    let mut log = self::log();
    log[7].run.passed[0].reason = reason::NOT_ELIGIBLE.into();
    assert_eq!(fails(&rechain(&log)), (8, Skipped { number: num(13) }));
}

#[test]
fn one_offer_too_many_is_named() {
    let mut log = log();
    log[3].run.offered.push(num(9));
    let (offered, allowed) = (5, 4);
    assert_eq!(
        fails(&rechain(&log)),
        (4, TooManyOffers { offered, allowed })
    );
}

#[test]
fn a_reordered_entry_is_named() {
    let mut log = log();
    log.swap(1, 2);
    assert_eq!(fails(&log), (3, OutOfSequence { expected: 2 }));
    let mut log = self::log();
    log.remove(1);
    assert_eq!(fails(&log), (3, OutOfSequence { expected: 2 }));
}

#[test]
fn an_edited_hash_is_named() {
    let mut log = log();
    log[1].hash = log[0].hash.clone();
    assert_eq!(fails(&log), (2, HashMismatch));
    let mut log = self::log();
    log[0].prev_hash = "1".repeat(64);
    assert_eq!(fails(&log), (1, BrokenLink));
}

#[test]
fn an_edited_field_breaks_the_hash_or_the_next_link() {
    let mut log = log();
    log[2].run.places = 9;
    assert_eq!(fails(&log), (3, HashMismatch));
    let mut log = self::log();
    log[0].run.run_id = "forged".into();
    log[0].hash = entry_hash(1, GENESIS, &log[0].run);
    assert_eq!(fails(&log), (2, BrokenLink));
}

#[test]
fn a_reordered_head_is_named() {
    let mut log = log();
    log[1].run.head.swap(0, 1); // 31 (out of turn) after 21 (first priority)
    assert_eq!(
        fails(&rechain(&log)),
        (2, HeadOutOfOrder { number: num(31) })
    );
}

/// Each case: the run edited (then the whole chain recomputed), the problem expected.
macro_rules! tampered {
    ($(($at:expr, $edit:expr, $problem:expr),)*) => {$({
        let mut log = log();
        let edit: fn(&mut RunRecord) = $edit;
        edit(&mut log[2 * $at - 1].run);
        assert_eq!(fails(&rechain(&log)), (2 * $at as u64, $problem));
    })*};
}

#[test]
fn inconsistent_runs_are_named() {
    let (district, expected) = ("AST".into(), "KOK".into());
    let mut log = log();
    log[5].run.district = "AST".into();
    // the forger's start of run 3 is of AST too: the first entry of another district
    assert_eq!(
        fails(&rechain(&log)),
        (5, OtherDistrict { district, expected })
    );
    tampered! {
        (1, |r| r.offered.push(num(99)), OfferedOutsideHead { number: num(99) }),
        (1, |r| r.offered.push(num(31)), OfferedTwice { number: num(31) }),
        (1, |r| r.passed[0].reason = " ".into(), Unexplained { number: num(21) }),
        (1, |r| r.passed.push(pass(1, "changed")), OfferedAndPassed { number: num(1) }),
        (1, |r| r.passed.push(pass(21, "changed")), PassedTwice { number: num(21) }),
        (1, |r| r.passed.push(pass(99, "changed")), PassedOutsideHead { number: num(99) }),
        (1, |r| r.passed.push(pass(5, "changed")), PassedNotReached { number: num(5) }),
        (1, |r| r.head.push(r.head[1].clone()), InHeadTwice { number: num(21) }),
        (4, |r| r.offered.push(num(13)), OfferedAfterStop { number: num(13) }),
    }
}

#[test]
fn each_outcome_follows_its_runs_start() {
    let runs = || log().into_iter().filter(|e| e.run.stage == Stage::Done);
    let run_id = "run-2".to_owned();
    // an outcome with no start
    let mut bare: Vec<RunRecord> = runs().map(|e| e.run).collect();
    let mut entries = Vec::new();
    for (i, r) in bare.drain(..).enumerate() {
        if i != 1 {
            entries.push(append(entries.last(), r.started()));
        }
        entries.push(append(entries.last(), r));
    }
    assert_eq!(
        fails(&entries),
        (
            3,
            NotStarted {
                run_id: run_id.clone()
            }
        )
    );
    // started twice; a start with an outcome in it
    let mut log = log();
    log.insert(3, log[2].clone());
    let log: Vec<RunLogEntry> = log.into_iter().fold(Vec::new(), |mut out, e| {
        out.push(append(out.last(), e.run));
        out
    });
    assert_eq!(
        fails(&log),
        (
            4,
            StartedTwice {
                run_id: run_id.clone()
            }
        )
    );
    let mut log = self::log();
    log[2].run.offered.push(num(6));
    let log: Vec<RunLogEntry> = log.into_iter().fold(Vec::new(), |mut out, e| {
        out.push(append(out.last(), e.run));
        out
    });
    assert_eq!(fails(&log), (3, StartedWithOutcome));
    // an outcome that read more places than its start said
    let mut log = self::log();
    log[3].run.places += 1;
    let log: Vec<RunLogEntry> = log.into_iter().fold(Vec::new(), |mut out, e| {
        out.push(append(out.last(), e.run));
        out
    });
    assert_eq!(fails(&log), (4, DiffersFromStart { run_id }));
}

#[test]
fn a_run_cut_off_is_open_until_recovered_from_the_book() {
    // Strict, 3 places over H1 (31, 21, 1, 2, 4, 5): the run offered 31, passed 21 (its
    // reconfirmation lapsed), offered 1, and its process ended before 2.
    let whole = run((1, Strict, 3, 0), H1, &[(21, reason::NOT_ELIGIBLE)]);
    let mut log = chain([]);
    log.push(append(None, whole.started()));
    let open = verify(&log).expect("a start alone verifies");
    assert_eq!(open.open, vec![(1, "run-1".to_owned())]);
    assert_eq!((open.runs, open.offers), (0, 0));
    // the next run finds in the book the vouchers with this run's id: 31 and 1
    let offered: HashSet<String> = [num(31), num(1)].into_iter().collect();
    let recovered = recover(&log[0].run, &offered);
    assert_eq!(recovered.stage, Stage::Recovered);
    assert_eq!(recovered.offered, vec![num(31), num(1)]);
    assert_eq!(
        recovered.passed,
        vec![pass(21, reason::UNRECORDED), pass(2, reason::CUT_OFF)]
    );
    log.push(append(log.last(), recovered));
    let done = verify(&log).expect("recovered verifies");
    assert!(done.open.is_empty());
    assert_eq!((done.runs, done.offers), (1, 2));
    // its stored form names the stage; a run's own outcome does not
    let json = serde_json::to_string(&log[1]).expect("json");
    assert!(json.contains(r#""stage":"recovered""#), "{json}");
    assert!(!serde_json::to_string(&whole)
        .expect("json")
        .contains("stage"));
    // every place offered before the cut: nothing passed after the last offer
    let all: HashSet<String> = [num(31), num(1), num(2)].into_iter().collect();
    let r = recover(&log[0].run, &all);
    assert_eq!(r.passed, vec![pass(21, reason::UNRECORDED)]);
    assert_eq!(check_run(&r), Ok(()));
}
