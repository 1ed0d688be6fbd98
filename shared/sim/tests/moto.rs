//! The test command's simulation on DynamoDB (issue 20, part 4): 3 seeds of a shorter schedule
//! (8 families, 16 days from 1 September: the 10th's runs, the sweeps, the deliveries, the
//! issuer, the operators) against the DynamoDB adapter on moto, each on a table of its own, with
//! the commit faults injected in the SDK client (throttled, failed before sending, lost after
//! moto applied it) and the kills in the store's wrapper. Every invariant after every step.
//!
//! moto answers one request at a time, so the seeds run side by side only to overlap the client's
//! share. Two deliveries of one message go one after the other here (the races are the embedded
//! store's seeds' and the contract suite's on moto). A seed still does not replay exactly: the
//! e-mail and the SMS of a notification go out at once over real connections, and which request
//! reaches the fault dice first follows the network's timing.

use kezek_sim::{run_on_dynamodb, Config};
use std::collections::BTreeMap;
use std::time::Instant;

const SEEDS: [u64; 3] = [1, 2, 3];

#[test]
fn three_seeds_on_dynamodb_keep_every_invariant() {
    let endpoint = kezek_contract::moto::endpoint().to_owned();
    let cfg = Config {
        families: 8,
        days: 16,
        ..Config::YEAR
    };
    let started = Instant::now();
    let runs: Vec<_> = SEEDS
        .iter()
        .map(|&seed| {
            let endpoint = endpoint.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                let t = Instant::now();
                let r = rt.block_on(run_on_dynamodb(seed, cfg, &endpoint));
                (seed, r, t.elapsed().as_millis())
            })
        })
        .collect();
    let mut faults: BTreeMap<String, u64> = BTreeMap::new();
    let (mut steps, mut checks, mut offers, mut enrolled, mut documents) = (0, 0, 0, 0, 0);
    for run in runs {
        let (seed, r, ms) = run.join().expect("a seed's thread");
        let r = match r {
            Ok(Ok(r)) => r,
            Ok(Err(f)) => panic!("on DynamoDB: {f}"),
            Err(e) => panic!("seed {seed}: {e}"),
        };
        println!(
            "dynamodb seed {seed}: {} steps, {} checks, {} offers, {} enrolled, {} documents, {} messages; faults {:?}; {ms} ms",
            r.steps, r.checks, r.offers, r.enrolled, r.documents, r.messages, r.faults
        );
        steps += r.steps;
        checks += r.checks;
        offers += r.offers;
        enrolled += r.enrolled;
        documents += r.documents;
        for (k, v) in r.faults {
            *faults.entry(k).or_insert(0) += v;
        }
    }
    println!(
        "simulation on DynamoDB: {} seeds in {:.1} s: {steps} steps, {checks} invariant checks, {offers} offers, {enrolled} enrolled, {documents} documents; faults {faults:?}",
        SEEDS.len(),
        started.elapsed().as_secs_f64()
    );
    for kind in [
        kezek_sim::faulty::THROTTLED,
        kezek_sim::faulty::FAIL_BEFORE,
        kezek_sim::faulty::LOST_ANSWER,
    ] {
        assert!(
            faults.get(kind).copied().unwrap_or(0) > 0,
            "no fault of kind {kind} injected in the SDK client"
        );
    }
    assert!(offers > 0 && documents > 0, "the weeks moved");
}
