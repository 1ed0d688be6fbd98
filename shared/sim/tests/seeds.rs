//! The test command's share of the simulation (issue 20): 100 seeds of a simulated year on the
//! embedded store, faults on, every invariant after every step. Prints each seed's figures and
//! the totals; a failure prints its seed and its last steps (replay: `cargo run -p kezek-sim --
//! --seed N`).

use kezek_sim::{run, Config, Report};
use std::collections::BTreeMap;
use std::time::Instant;

const SEEDS: u64 = 100;

/// One thread's runtime: a simulation runs on one, as a Lambda invocation does.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn seeds(from: u64, step: u64) -> Vec<Result<(Report, u128), String>> {
    let rt = runtime();
    (from..=SEEDS)
        .step_by(step as usize)
        .map(|seed| {
            let t = Instant::now();
            rt.block_on(run(seed, Config::YEAR))
                .map(|r| (r, t.elapsed().as_millis()))
                .map_err(|f| f.to_string())
        })
        .collect()
}

#[test]
fn a_hundred_simulated_years_keep_every_invariant() {
    let started = Instant::now();
    // two threads: the CI machine's two cores
    let other = std::thread::spawn(|| seeds(2, 2));
    let mut results = seeds(1, 2);
    results.extend(other.join().expect("the other thread"));
    let (mut steps, mut checks, mut ms) = (0u64, 0u64, Vec::new());
    let mut faults: BTreeMap<String, u64> = BTreeMap::new();
    let (mut offers, mut enrolled, mut actions, mut messages, mut recovered) = (0, 0, 0, 0, 0);
    let (mut operators, mut documents) = (0, 0);
    let (mut links, mut co_actions, mut strangers) = (0, 0, 0);
    for r in &results {
        match r {
            Ok((r, t)) => {
                steps += r.steps;
                checks += r.checks;
                offers += r.offers;
                enrolled += r.enrolled;
                actions += r.parent_actions;
                messages += r.messages;
                recovered += r.recovered_runs;
                operators += r.operator_actions;
                documents += r.documents;
                links += r.links;
                co_actions += r.co_parent_actions;
                strangers += r.strangers_refused;
                ms.push(*t);
                for (k, v) in &r.faults {
                    *faults.entry(k.clone()).or_insert(0) += v;
                }
            }
            Err(f) => panic!("{f}"),
        }
    }
    ms.sort_unstable();
    println!(
        "simulation: {} seeds in {:.1} s: {steps} steps, {checks} invariant checks, {actions} parent actions, {offers} offers, {enrolled} enrolled, {messages} messages, {documents} documents, {operators} operator actions, {links} links ({co_actions} actions of the other parent, {strangers} strangers refused), {recovered} cut-off runs recovered; per seed p50 {} ms, max {} ms",
        results.len(),
        started.elapsed().as_secs_f64(),
        ms[ms.len() / 2],
        ms[ms.len() - 1]
    );
    println!("faults injected: {faults:?}");
    assert_eq!(results.len() as u64, SEEDS);
    for kind in [
        kezek_sim::faulty::FAIL_BEFORE,
        kezek_sim::faulty::LOST_ANSWER,
        kezek_sim::faulty::RETRY_REFUSED,
        kezek_sim::faulty::THROTTLED,
        kezek_sim::faulty::CONFLICT,
        kezek_sim::faulty::KILLED,
        kezek_sim::faulty::KILLED_BEFORE,
        kezek_sim::faulty::KILLED_AFTER_SEND,
        kezek_sim::faulty::UNRECORDED,
        kezek_sim::world::PROVIDER_DOWN,
        kezek_sim::world::S3_DOWN,
        kezek_sim::world::OUTAGE,
        kezek_sim::sqs::SQS_DOWN,
        kezek_sim::sqs::SQS_AGAIN,
        kezek_sim::sqs::RELAY_GAVE_UP,
        kezek_sim::sqs::DEAD_LETTERS,
        kezek_sim::world::CLOCK_JUMP,
    ] {
        assert!(
            faults.get(kind).copied().unwrap_or(0) > 0,
            "no fault of kind {kind} injected"
        );
    }
    assert!(
        offers > 0 && enrolled > 0,
        "the years moved: {offers} offers, {enrolled} enrolled"
    );
    assert!(recovered > 0, "no run was cut off and recovered");
    assert!(
        links > 0 && co_actions > 0 && strangers > 0,
        "links {links}, the other parents' actions {co_actions}, strangers refused {strangers}"
    );
    assert!(
        operators > 0 && documents > 0,
        "operators acted ({operators}) and documents were issued ({documents})"
    );
}

/// A seed replays: the same schedule, the same figures.
#[test]
fn a_seed_replays_its_year() {
    let rt = runtime();
    let small = Config {
        families: 12,
        ..Config::YEAR
    };
    let a = rt.block_on(run(7, small)).expect("seed 7");
    let b = rt.block_on(run(7, small)).expect("seed 7 again");
    assert_eq!(
        (a.steps, a.submitted, a.parent_actions, a.refused, &a.faults),
        (b.steps, b.submitted, b.parent_actions, b.refused, &b.faults)
    );
}

/// The steps of a year, replayed on their own (nothing scheduled, each step with its own
/// chances), run the same year: the replay the shrinking relies on.
#[test]
fn a_years_steps_replayed_run_the_same_year() {
    let rt = runtime();
    let small = Config {
        families: 12,
        days: 120,
        ..Config::YEAR
    };
    let a = rt.block_on(run(11, small)).expect("seed 11");
    let b = rt
        .block_on(kezek_sim::replay(11, small, a.log.clone()))
        .expect("seed 11's steps");
    assert!(a.steps > 100, "{} steps", a.steps);
    assert_eq!(
        (
            a.steps,
            a.submitted,
            a.parent_actions,
            a.refused,
            a.offers,
            &a.faults
        ),
        (
            b.steps,
            b.submitted,
            b.parent_actions,
            b.refused,
            b.offers,
            &b.faults
        )
    );
    assert_eq!(a.log, b.log);
}
