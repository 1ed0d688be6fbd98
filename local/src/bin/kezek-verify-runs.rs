//! `kezek-verify-runs`: checks a district's published voucher-run log, anyone can run it.
//!
//! ```text
//! kezek-verify-runs <file.json|->
//! ```
//!
//! The input is the body of `GET /v1/public/voucher-runs?district=X`
//! (`{"district": "...", "entries": [...]}`) or a bare array of entries; `-` reads stdin. The
//! checks are `kezek_core::run_log::verify`: the hash chain, the head in queue order, offers within
//! the places, no child skipped in the allocation policy's order.
//!
//! Exit 0 and `ok: N runs, M offers; head <hash>` when the log verifies (then a line
//! `open: run <id> started at entry <seq> …` for each run without its outcome yet); exit 1 and
//! `entry S: <problem>` naming the first entry that fails; exit 2 on unreadable or malformed input.

use kezek_core::run_log::{self, RunLogEntry};
use serde_json::Value;
use std::io::Read;
use std::process::ExitCode;

const USAGE: &str = "usage: kezek-verify-runs <file.json|->";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if path == "-h" || path == "--help" {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let (district, entries) = match read(path).and_then(|text| parse(&text)) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("kezek-verify-runs: {e}");
            return ExitCode::from(2);
        }
    };
    let verified = match &district {
        Some(d) => run_log::verify_district(d, &entries),
        None => run_log::verify(&entries),
    };
    match verified {
        Ok(v) => {
            let head = v.head_hash.as_deref().unwrap_or("none (empty log)");
            println!("ok: {} runs, {} offers; head {head}", v.runs, v.offers);
            for (seq, run_id) in &v.open {
                println!(
                    "open: run {run_id} started at entry {seq} has no outcome yet (running now, \
                     or cut off: the district's next run writes it from the queue's book)"
                );
            }
            ExitCode::SUCCESS
        }
        Err(violation) => {
            println!("{violation}");
            ExitCode::from(1)
        }
    }
}

/// The file's text, or stdin's for `-`.
fn read(path: &str) -> Result<String, String> {
    let mut text = String::new();
    if path == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("stdin: {e}"))?;
    } else {
        text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(text)
}

/// The published log: the district it is for (when the envelope names one) and its entries.
fn parse(text: &str) -> Result<(Option<String>, Vec<RunLogEntry>), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("malformed JSON: {e}"))?;
    let (district, entries) = match value {
        Value::Array(_) => (None, value),
        Value::Object(mut body) => {
            let district = match body.remove("district") {
                None | Some(Value::Null) => None,
                Some(Value::String(d)) => Some(d),
                Some(_) => return Err("\"district\" is not a string".into()),
            };
            let entries = body
                .remove("entries")
                .ok_or("no \"entries\" in the published log")?;
            (district, entries)
        }
        _ => return Err("expected {\"district\", \"entries\"} or an array of entries".into()),
    };
    let entries = serde_json::from_value(entries).map_err(|e| format!("malformed entry: {e}"))?;
    Ok((district, entries))
}
