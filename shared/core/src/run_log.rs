//! The voucher-run log: what each run saw and did, as an append-only, hash-chained log per
//! district that anyone can check with [`verify`] (the `kezek-verify-runs` command) on the
//! published log and the open data.
//!
//! An entry holds one run (the policy, the places and outstanding vouchers read, the head of the
//! queue in queue order by registration number and order key, the offers in the order made, the
//! children reached and passed over, with why) and the hash of the entry before it.
//!
//! [`verify`] checks, entry by entry (the first violation wins, the chain before the content):
//! the sequence (1, 2, 3…), the link to the previous entry ([`GENESIS`] for the first), the hash,
//! one district, the head in queue order, offers never above the places not covered by
//! outstanding vouchers, and that walking the allocation policy's order
//! ([`select_for_run`] on the head) every child the run reached was either the next one offered
//! or passed over with a reason, so no child higher in the order was skipped.
//!
//! A run walks the policy's order until it has offered as many vouchers as the places allow. A
//! passed child whose reason [`stops_run`] (`no_place`: the places went meanwhile; `error`) ends
//! the run there: a run that offered fewer than allowed without such a stop must have reached
//! every child of its head.

use crate::queue::{select_for_run, QueueKey};
use crate::reference::{AllocationPolicy, Rank};
use crate::time::Time;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Why a run passed over a child it reached: the `reason` of [`Passed`] (stable snake_case).
pub mod reason {
    /// The child's own lifecycle decision refused the offer (e.g. its reconfirmation lapsed).
    pub const NOT_ELIGIBLE: &str = "not_eligible";
    /// The application changed between the run's read and the offer's commit.
    pub const CHANGED: &str = "changed";
    /// The places were taken meanwhile: the run stopped at this child.
    pub const NO_PLACE: &str = "no_place";
    /// The store failed: the run stopped at this child.
    pub const ERROR: &str = "error";
}

/// Whether a passed child's reason ended the run at that child.
pub fn stops_run(reason: &str) -> bool {
    reason == reason::NO_PLACE || reason == reason::ERROR
}

/// A child of the head as the run read it: the registration number and the order key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadEntry {
    /// Registration number, e.g. `КОК.2026.248`.
    pub number: String,
    /// Privilege rank in force (0 out of turn, 1 first priority, 2 general).
    pub rank: Rank,
    /// Registration time, microseconds since the epoch.
    pub registered_at: i64,
    /// Registration sequence number.
    pub seq: u64,
}

/// A child the run reached in the policy's order and did not offer a voucher to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passed {
    pub number: String,
    /// Stable snake_case reason, see [`reason`].
    pub reason: String,
}

/// What one voucher run saw and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    pub run_id: String,
    pub at: Time,
    /// District code, e.g. `KOK`.
    pub district: String,
    pub age_group: u8,
    pub cohort: i32,
    pub policy: AllocationPolicy,
    /// Free places read.
    pub places: u32,
    /// Vouchers outstanding read.
    pub outstanding: u32,
    /// The head as read, in queue order.
    pub head: Vec<HeadEntry>,
    /// Registration numbers, in the order the offers were made.
    pub offered: Vec<String>,
    /// Children the run reached in the policy's order and did not offer, with why.
    pub passed: Vec<Passed>,
}

impl RunRecord {
    /// How many vouchers the places allowed: free places not covered by outstanding vouchers.
    pub fn allowed(&self) -> u32 {
        self.places.saturating_sub(self.outstanding)
    }
}

/// One entry of a district's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunLogEntry {
    /// 1, 2, 3… per district.
    pub seq: u64,
    /// The previous entry's `hash` ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// [`entry_hash`] of this entry.
    pub hash: String,
    pub run: RunRecord,
}

/// The hashed part of an entry, in its canonical field order.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: u64,
    prev_hash: &'a str,
    run: &'a RunRecord,
}

/// The canonical text of an entry that [`entry_hash`] hashes: compact JSON (no whitespace) of
/// `{"seq":…,"prev_hash":"…","run":{…}}`, the run's fields in declaration order
/// (`run_id, at, district, age_group, cohort, policy, places, outstanding, head, offered,
/// passed`; a head entry `number, rank, registered_at, seq`; a passed child `number, reason`).
/// Numbers are plain integers; strings are UTF-8 as is (no `\u` escapes for non-ASCII), with only
/// `"`, `\` and control characters escaped (as `serde_json` does); `policy` is `"strict"` or
/// `"one_in_four"`; `at` is RFC 3339 as chrono writes it (fractional seconds only when not zero,
/// in 3, 6 or 9 digits; `Z` for a zero offset, else `+05:00`). There are no maps, so the order is
/// fixed: the canonical text is the entry as served, without its `hash`, compacted.
pub fn canonical(seq: u64, prev_hash: &str, run: &RunRecord) -> String {
    serde_json::to_string(&Canonical {
        seq,
        prev_hash,
        run,
    })
    .unwrap_or_default() // plain structs of strings and integers: serialization cannot fail
}

/// Lowercase hex SHA-256 of the entry's [`canonical`] text.
pub fn entry_hash(seq: u64, prev_hash: &str, run: &RunRecord) -> String {
    let digest = Sha256::digest(canonical(seq, prev_hash, run).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The entry that follows `prev` (or the first of a log) for a run.
pub fn append(prev: Option<&RunLogEntry>, run: RunRecord) -> RunLogEntry {
    let (seq, prev_hash) = match prev {
        Some(p) => (p.seq + 1, p.hash.clone()),
        None => (1, GENESIS.to_owned()),
    };
    let hash = entry_hash(seq, &prev_hash, &run);
    RunLogEntry {
        seq,
        prev_hash,
        hash,
        run,
    }
}

/// The queue key of a head entry (the registration number as id), for [`select_for_run`].
pub fn head_key(e: &HeadEntry) -> QueueKey {
    QueueKey {
        rank: e.rank,
        registered_at: e.registered_at,
        registration_seq: e.seq,
        id: e.number.clone(),
    }
}

/// A log that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub runs: usize,
    pub offers: usize,
    /// The last entry's hash (none for an empty log).
    pub head_hash: Option<String>,
}

/// The first entry that fails, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq}: {problem}")]
pub struct Violation {
    /// The `seq` the entry carries.
    pub seq: u64,
    pub problem: Problem,
}

/// What is wrong with an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("out of sequence: entry {expected} was expected here")]
    OutOfSequence { expected: u64 },
    #[error("broken chain: prev_hash is not the hash of the entry before it")]
    BrokenLink,
    #[error("hash does not match the entry's content (edited entry or edited hash)")]
    HashMismatch,
    #[error("run of district {district} in the log of district {expected}")]
    OtherDistrict { district: String, expected: String },
    #[error("{number} appears twice in the head")]
    InHeadTwice { number: String },
    #[error("head not in queue order (rank, registration time, sequence) at {number}")]
    HeadOutOfOrder { number: String },
    #[error("{offered} offers made but the places allowed only {allowed}")]
    TooManyOffers { offered: usize, allowed: u32 },
    #[error("offer to {number}, who is not in the head the run read")]
    OfferedOutsideHead { number: String },
    #[error("{number} offered twice")]
    OfferedTwice { number: String },
    #[error("{number} passed over but not in the head the run read")]
    PassedOutsideHead { number: String },
    #[error("{number} passed over twice")]
    PassedTwice { number: String },
    #[error("{number} both offered and passed over")]
    OfferedAndPassed { number: String },
    #[error("{number} passed over without a reason")]
    Unexplained { number: String },
    #[error("{number} skipped: reached in the policy's order, neither offered nor passed over with a reason")]
    Skipped { number: String },
    #[error("offer to {number} after the run stopped")]
    OfferedAfterStop { number: String },
    #[error("offer to {number}, whom the run never reached in the policy's order")]
    OfferNotReached { number: String },
    #[error("{number} passed over but the run never reached it in the policy's order")]
    PassedNotReached { number: String },
}

/// Checks a district's whole log, from its first entry: see the module documentation.
pub fn verify(entries: &[RunLogEntry]) -> Result<Verified, Violation> {
    let district = entries.first().map(|e| e.run.district.clone());
    verify_district(district.as_deref().unwrap_or(""), entries)
}

/// [`verify`] for the published log of `district`: every entry must be of that district.
pub fn verify_district(district: &str, entries: &[RunLogEntry]) -> Result<Verified, Violation> {
    let mut prev: Option<&RunLogEntry> = None;
    let mut offers = 0;
    for e in entries {
        let seq = e.seq;
        let fail = |problem| Violation { seq, problem };
        let (expected, prev_hash) = prev.map_or((1, GENESIS), |p| (p.seq + 1, p.hash.as_str()));
        if e.seq != expected {
            return Err(fail(Problem::OutOfSequence { expected }));
        }
        if e.prev_hash != prev_hash {
            return Err(fail(Problem::BrokenLink));
        }
        if entry_hash(e.seq, &e.prev_hash, &e.run) != e.hash {
            return Err(fail(Problem::HashMismatch));
        }
        if e.run.district != district {
            let (district, expected) = (e.run.district.clone(), district.to_owned());
            return Err(fail(Problem::OtherDistrict { district, expected }));
        }
        check_run(&e.run).map_err(fail)?;
        offers += e.run.offered.len();
        prev = Some(e);
    }
    Ok(Verified {
        runs: entries.len(),
        offers,
        head_hash: prev.map(|p| p.hash.clone()),
    })
}

/// The content checks of one run.
pub fn check_run(run: &RunRecord) -> Result<(), Problem> {
    let mut in_head = HashSet::new();
    for h in &run.head {
        if !in_head.insert(h.number.as_str()) {
            let number = h.number.clone();
            return Err(Problem::InHeadTwice { number });
        }
    }
    let keys: Vec<QueueKey> = run.head.iter().map(head_key).collect();
    if let Some(w) = keys.windows(2).find(|w| w[0] >= w[1]) {
        let number = w[1].id.clone();
        return Err(Problem::HeadOutOfOrder { number });
    }
    let mut offered = HashSet::new();
    for n in &run.offered {
        if !in_head.contains(n.as_str()) {
            return Err(Problem::OfferedOutsideHead { number: n.clone() });
        }
        if !offered.insert(n.as_str()) {
            return Err(Problem::OfferedTwice { number: n.clone() });
        }
    }
    let mut passed: HashMap<&str, &str> = HashMap::new();
    for p in &run.passed {
        let number = p.number.clone();
        if !in_head.contains(p.number.as_str()) {
            return Err(Problem::PassedOutsideHead { number });
        }
        if offered.contains(p.number.as_str()) {
            return Err(Problem::OfferedAndPassed { number });
        }
        if passed.insert(&p.number, &p.reason).is_some() {
            return Err(Problem::PassedTwice { number });
        }
        if p.reason.trim().is_empty() {
            return Err(Problem::Unexplained { number });
        }
    }
    let (offered, allowed) = (run.offered.len(), run.allowed());
    if offered > allowed as usize {
        return Err(Problem::TooManyOffers { offered, allowed });
    }
    // Walk the policy's order as the run does: stop once the places are offered.
    let order = select_for_run(run.policy, &keys, keys.len());
    let mut next = 0;
    let mut reached = HashSet::new();
    for &i in &order {
        if next >= allowed as usize {
            break;
        }
        let number = keys[i].id.as_str();
        reached.insert(number);
        if run.offered.get(next).map(String::as_str) == Some(number) {
            next += 1;
            continue;
        }
        match passed.get(number) {
            None => {
                let number = number.to_owned();
                return Err(Problem::Skipped { number });
            }
            Some(r) if stops_run(r) => {
                if let Some(n) = run.offered.get(next) {
                    return Err(Problem::OfferedAfterStop { number: n.clone() });
                }
                break;
            }
            Some(_) => {}
        }
    }
    if let Some(n) = run.offered.get(next) {
        return Err(Problem::OfferNotReached { number: n.clone() });
    }
    let mut unreached = run.passed.iter().map(|p| &p.number);
    if let Some(number) = unreached.find(|n| !reached.contains(n.as_str())).cloned() {
        return Err(Problem::PassedNotReached { number });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
            head,
            offered,
            passed,
        }
    }

    fn chain(runs: impl IntoIterator<Item = RunRecord>) -> Vec<RunLogEntry> {
        let mut out: Vec<RunLogEntry> = Vec::new();
        for r in runs {
            out.push(append(out.last(), r));
        }
        out
    }

    /// A forger who edits runs and recomputes the whole chain.
    fn rechain(entries: &[RunLogEntry]) -> Vec<RunLogEntry> {
        chain(entries.iter().map(|e| e.run.clone()))
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
        assert_eq!(log[0].run.offered, nums(&[31, 1, 2]));
        assert_eq!(log[1].run.offered, nums(&[32, 22, 6, 8]));
        assert_eq!(log[1].run.passed, vec![pass(7, "changed")]);
        assert!(log[2].run.offered.is_empty());
        assert_eq!(log[3].run.offered, nums(&[24]));
        let ok = verify(&log).expect("verifies");
        assert_eq!((ok.runs, ok.offers), (4, 8));
        assert_eq!(ok.head_hash.as_deref(), Some(log[3].hash.as_str()));
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
        log[1].run.offered.retain(|n| *n != num(6));
        log[1].run.offered.push(num(9));
        assert_eq!(fails(&rechain(&log)), (2, Skipped { number: num(6) }));
        // An offer out of the policy's order skips the child that came first.
        let mut log = self::log();
        log[0].run.offered.swap(0, 1);
        assert_eq!(fails(&rechain(&log)), (1, Skipped { number: num(31) }));
        // A run that offered fewer than allowed without a stop must have reached everyone.
        let mut log = self::log();
        log[3].run.passed[0].reason = reason::NOT_ELIGIBLE.into();
        assert_eq!(fails(&rechain(&log)), (4, Skipped { number: num(13) }));
    }

    #[test]
    fn one_offer_too_many_is_named() {
        let mut log = log();
        log[1].run.offered.push(num(9));
        let (offered, allowed) = (5, 4);
        assert_eq!(
            fails(&rechain(&log)),
            (2, TooManyOffers { offered, allowed })
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
        log[0].run.head.swap(0, 1); // 31 (out of turn) after 21 (first priority)
        assert_eq!(
            fails(&rechain(&log)),
            (1, HeadOutOfOrder { number: num(31) })
        );
    }

    /// Each case: the run edited (then the whole chain recomputed), the problem expected.
    macro_rules! tampered {
        ($(($at:expr, $edit:expr, $problem:expr),)*) => {$({
            let mut log = log();
            let edit: fn(&mut RunRecord) = $edit;
            edit(&mut log[$at - 1].run);
            assert_eq!(fails(&rechain(&log)), ($at as u64, $problem));
        })*};
    }

    #[test]
    fn inconsistent_runs_are_named() {
        let (district, expected) = ("AST".into(), "KOK".into());
        let other = OtherDistrict { district, expected };
        tampered! {
            (3, |r| r.district = "AST".into(), other),
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
}
