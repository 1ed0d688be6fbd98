//! `kezek-verify-runs` on a published voucher-run log: a real log verifies (exit 0), a tampered
//! one fails naming the entry (exit 1), garbage is bad input (exit 2).

use kezek_core::reference::AllocationPolicy;
use kezek_core::run_log::{append, HeadEntry, Passed, RunLogEntry, RunRecord, Stage};
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;

fn number(seq: u64) -> String {
    format!("КОК.2026.{seq}")
}

/// A one-in-four run: an out-of-turn child, a first-priority child registered late, general
/// children; `passed` is reached and passed over.
fn run(n: u32, places: u32, first: u64, passed: Option<u64>) -> RunRecord {
    let t0 = 1_767_225_600_000_000_i64;
    let child = |seq: u64, rank: u8, day: i64| HeadEntry {
        number: number(seq),
        rank,
        registered_at: t0 + day * 86_400_000_000,
        seq,
    };
    let head = vec![
        child(first + 9, 0, 60),
        child(first + 8, 1, 50),
        child(first, 2, 1),
        child(first + 1, 2, 2),
        child(first + 2, 2, 3),
    ];
    // The policy's order: out of turn, the first-priority head, then the general order by time.
    let order = [first + 9, first + 8, first, first + 1, first + 2];
    let offered = order
        .iter()
        .filter(|&&s| Some(s) != passed)
        .take(places as usize)
        .map(|&s| number(s))
        .collect();
    let reason = "not_eligible".to_owned();
    let passed = passed.map(|seq| Passed {
        number: number(seq),
        reason,
    });
    RunRecord {
        run_id: format!("run-{n}"),
        at: chrono::DateTime::parse_from_rfc3339(&format!("2026-06-0{n}T10:00:00+05:00"))
            .expect("time"),
        district: "KOK".into(),
        age_group: 3,
        cohort: 2023,
        policy: AllocationPolicy::OneInFour,
        places,
        outstanding: 0,
        limit: None,
        head,
        offered,
        passed: passed.into_iter().collect(),
        stage: Stage::Done,
    }
}

/// Each run's start, then its outcome.
fn chain(runs: impl IntoIterator<Item = RunRecord>) -> Vec<RunLogEntry> {
    let mut out: Vec<RunLogEntry> = Vec::new();
    for r in runs {
        out.push(append(out.last(), r.started()));
        out.push(append(out.last(), r));
    }
    out
}

fn log() -> Vec<RunLogEntry> {
    chain([
        run(1, 3, 1, None),
        run(2, 3, 20, Some(20)),
        run(3, 2, 40, None),
    ])
}

/// Writes `body` to a file of its own and runs the verifier on it: (exit code, stdout, stderr).
fn verify(name: &str, body: &str) -> (i32, String, String) {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("verify-runs-{name}.json"));
    std::fs::write(&path, body).expect("write the log");
    let out = Command::new(env!("CARGO_BIN_EXE_kezek-verify-runs"))
        .arg(&path)
        .output()
        .expect("run kezek-verify-runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

fn published(entries: &[RunLogEntry]) -> String {
    json!({ "district": "KOK", "entries": entries }).to_string()
}

#[test]
fn a_real_log_verifies() {
    let log = log();
    let (code, out, err) = verify("ok", &published(&log));
    assert_eq!(code, 0, "{out}{err}");
    let expected = format!("ok: 3 runs, 8 offers; head {}", log[5].hash);
    assert_eq!(out.trim(), expected);
    // A bare array of entries too.
    let bare = serde_json::to_string(&log).expect("json");
    assert_eq!(verify("bare", &bare).0, 0);
    // A run started and not finished: verified, and named as open.
    let mut open = log.clone();
    open.push(append(open.last(), run(4, 1, 60, None).started()));
    let (code, out, err) = verify("open", &published(&open));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("open: run run-4 started at entry 7 has no outcome yet"),
        "{out}"
    );
}

#[test]
fn a_tampered_log_fails_naming_the_entry() {
    // A child skipped: the second run's first general child offered nothing, the next one instead.
    let mut log = log();
    log[3].run.passed.clear();
    let (code, out, _) = verify("tampered", &published(&log));
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("entry 4: hash does not match"), "{out}");
    // The forger recomputes the chain: the skipped child is named.
    let runs = log.into_iter().filter(|e| e.run.stage == Stage::Done);
    let rechained = chain(runs.map(|e| e.run));
    let (code, out, _) = verify("rechained", &published(&rechained));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 4: КОК.2026.20 skipped"), "{out}");
    // Another district's log under this district's name.
    let body = json!({ "district": "AST", "entries": self::log() }).to_string();
    let (code, out, _) = verify("district", &body);
    assert_eq!(
        (code, out.trim()),
        (1, "entry 1: run of district KOK in the log of district AST")
    );
}

#[test]
fn garbage_is_bad_input() {
    for (name, body) in [
        ("garbage", "not json"),
        ("object", "{\"district\": \"KOK\"}"),
        ("entry", "[{\"seq\": 1}]"),
    ] {
        let (code, out, err) = verify(name, body);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(out.is_empty() && !err.is_empty(), "{name}: {out}{err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kezek-verify-runs"))
        .arg("/nonexistent/runs.json")
        .output()
        .expect("run kezek-verify-runs");
    assert_eq!(out.status.code(), Some(2));
}
