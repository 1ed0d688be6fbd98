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
//! A run writes two entries ([`Stage`]): what it read, before its first offer, and what it did.
//! An outcome must follow its run's start and repeat what it read; a start without an outcome
//! is reported as open ([`Verified::open`]), a run in progress or cut off (the district's next
//! run writes a cut-off run's outcome from the queue's book: [`recover`]).
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
    /// A recovered run ([`super::recover`]) passed this child before an offer it made, for a
    /// reason it could not write down: the child's own history says what happened to it.
    pub const UNRECORDED: &str = "unrecorded";
    /// A recovered run was cut off here (its process ended): no offer after this child.
    pub const CUT_OFF: &str = "cut_off";
}

/// Whether a passed child's reason ended the run at that child.
pub fn stops_run(reason: &str) -> bool {
    reason == reason::NO_PLACE || reason == reason::ERROR || reason == reason::CUT_OFF
}

/// Which of a run's entries an entry is. A run writes two: what it read before its first offer
/// ([`Stage::Started`], its `offered` and `passed` empty), then what it did ([`Stage::Done`]),
/// repeating what it read. A run cut off between the two (its process ended) is finished by the
/// next run of the district from the queue's book ([`Stage::Recovered`]): no offer goes
/// unlogged, and the log's entry that families hold was written before their offer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Started,
    /// Not written in the entry (the form of every outcome written by its own run).
    #[default]
    Done,
    Recovered,
}

impl Stage {
    pub fn is_done(&self) -> bool {
        *self == Stage::Done
    }
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
    /// The most this run may offer, when fewer than the places allow: a unit of the scheduled
    /// runs (`OFFERS_PER_PART`), whose places left go to the next unit. Absent: no such limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The head as read, in queue order.
    pub head: Vec<HeadEntry>,
    /// Registration numbers, in the order the offers were made.
    pub offered: Vec<String>,
    /// Children the run reached in the policy's order and did not offer, with why.
    pub passed: Vec<Passed>,
    /// `started` or `recovered`; absent for a run's own outcome ([`Stage`]).
    #[serde(default, skip_serializing_if = "Stage::is_done")]
    pub stage: Stage,
}

impl RunRecord {
    /// How many vouchers the run could offer: free places not covered by outstanding vouchers,
    /// at most its limit.
    pub fn allowed(&self) -> u32 {
        let free = self.places.saturating_sub(self.outstanding);
        self.limit.map_or(free, |l| free.min(l))
    }

    /// The run's first entry: what it read, nothing done yet.
    pub fn started(&self) -> RunRecord {
        RunRecord {
            offered: Vec::new(),
            passed: Vec::new(),
            stage: Stage::Started,
            ..self.clone()
        }
    }

    /// Whether two entries of a run read the same (all but the outcome and the stage).
    fn read_as(&self, started: &RunRecord) -> bool {
        self.started() == *started
    }
}

/// The outcome of a run cut off after its start: the children of its head whose voucher events
/// in the queue's book carry its id (`offered`, any order), walked in the policy's order; a child
/// passed before an offer is [`reason::UNRECORDED`], the first child after the last offer (while
/// places were left) is where it was [`reason::CUT_OFF`].
pub fn recover(started: &RunRecord, offered: &HashSet<String>) -> RunRecord {
    let keys: Vec<QueueKey> = started.head.iter().map(head_key).collect();
    let mut run = RunRecord {
        stage: Stage::Recovered,
        ..started.clone()
    };
    let mut left = started
        .head
        .iter()
        .filter(|h| offered.contains(&h.number))
        .count();
    for i in select_for_run(started.policy, &keys, keys.len()) {
        if run.offered.len() >= started.allowed() as usize {
            break;
        }
        let number = keys[i].id.clone();
        if offered.contains(&number) {
            run.offered.push(number);
            left -= 1;
            continue;
        }
        let reason = if left > 0 {
            reason::UNRECORDED
        } else {
            reason::CUT_OFF
        };
        run.passed.push(Passed {
            number,
            reason: reason.to_owned(),
        });
        if left == 0 {
            break;
        }
    }
    run
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
/// (`run_id, at, district, age_group, cohort, policy, places, outstanding`, `limit` only when
/// set, `head, offered, passed`, then `stage` only when it is `started` or `recovered`; a head
/// entry `number, rank, registered_at, seq`; a passed child `number, reason`).
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
    /// Runs with their outcome (done or recovered).
    pub runs: usize,
    pub offers: usize,
    /// The last entry's hash (none for an empty log).
    pub head_hash: Option<String>,
    /// Runs started and not finished yet (`seq` of the start, run id): running now, or cut off
    /// and waiting for the district's next run to recover them.
    pub open: Vec<(u64, String)>,
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
    #[error("a started entry with offers or passed children")]
    StartedWithOutcome,
    #[error("run {run_id} started twice")]
    StartedTwice { run_id: String },
    #[error("outcome of run {run_id}, which no earlier entry started")]
    NotStarted { run_id: String },
    #[error("outcome of run {run_id} read other places, policy or head than its start")]
    DiffersFromStart { run_id: String },
}

/// Checks a district's whole log, from its first entry: see the module documentation.
pub fn verify(entries: &[RunLogEntry]) -> Result<Verified, Violation> {
    let district = entries.first().map(|e| e.run.district.clone());
    verify_district(district.as_deref().unwrap_or(""), entries)
}

/// [`verify`] for the published log of `district`: every entry must be of that district.
pub fn verify_district(district: &str, entries: &[RunLogEntry]) -> Result<Verified, Violation> {
    let mut prev: Option<&RunLogEntry> = None;
    let (mut offers, mut runs) = (0, 0);
    let mut open: Vec<(u64, &RunRecord)> = Vec::new();
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
        let run_id = e.run.run_id.clone();
        let started = open.iter().position(|(_, r)| r.run_id == run_id);
        match (e.run.stage, started) {
            (Stage::Started, Some(_)) => return Err(fail(Problem::StartedTwice { run_id })),
            (Stage::Started, None) => {
                if !e.run.offered.is_empty() || !e.run.passed.is_empty() {
                    return Err(fail(Problem::StartedWithOutcome));
                }
                open.push((e.seq, &e.run));
            }
            (_, None) => return Err(fail(Problem::NotStarted { run_id })),
            (_, Some(i)) => {
                if !e.run.read_as(open[i].1) {
                    return Err(fail(Problem::DiffersFromStart { run_id }));
                }
                open.remove(i);
                check_run(&e.run).map_err(fail)?;
                offers += e.run.offered.len();
                runs += 1;
            }
        }
        prev = Some(e);
    }
    Ok(Verified {
        runs,
        offers,
        head_hash: prev.map(|p| p.hash.clone()),
        open: open
            .into_iter()
            .map(|(seq, r)| (seq, r.run_id.clone()))
            .collect(),
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
#[path = "run_log_tests.rs"]
mod tests;
