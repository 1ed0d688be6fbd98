//! Nothing lost, nothing doubled (issue 20): a deterministic simulation of a whole year under
//! faults. One seed drives the families (register, reconfirm, confirm, extend, choose, refuse,
//! restore, withdraw; on time, late and twice at once), the operators' runs, the summer's
//! scheduled runs, the sweeps and the deliveries, over the real use cases and the embedded store
//! behind a store that injects faults ([`faulty`]). The invariants ([`check`]) are checked after
//! every step and at the end; a failure names its seed, which replays the same schedule:
//! `cargo run -p kezek-sim -- --seed N`.

pub mod check;
pub mod dice;
mod dynamo;
mod families;
pub mod faulty;
pub mod issuing;
mod operators;
mod parts;
mod schedules;
pub mod sqs;
mod types;
pub mod world;

pub use world::{Backend, Config, Event, Failed, Report, Step, World};

/// One seed's year.
pub async fn run(seed: u64, cfg: Config) -> Result<Report, Failed> {
    World::new(seed, cfg).await.run().await
}

/// One seed's simulation on DynamoDB at `endpoint` (moto), faults in the SDK client; `Err` with
/// the reason when the table cannot be made.
pub async fn run_on_dynamodb(
    seed: u64,
    cfg: Config,
    endpoint: &str,
) -> Result<Result<Report, Failed>, String> {
    let backend = Backend::DynamoDb {
        endpoint: endpoint.to_owned(),
    };
    Ok(World::on(seed, cfg, backend).await?.run().await)
}

/// Runs only the given steps of a seed's schedule, in order (each with the chances it had in
/// the whole run); nothing else is scheduled.
pub async fn replay(seed: u64, cfg: Config, steps: Vec<Step>) -> Result<Report, Failed> {
    let mut w = World::new(seed, cfg).await;
    w.replay = Some(steps.into());
    w.run().await
}

/// The shortest list of the failed run's steps that still breaks the same invariant, found by
/// delta debugging (ddmin): drop a part of the steps, replay the rest, keep the drop when the
/// same invariant still breaks, and go to finer parts when no part can go. Each candidate is a
/// replay of its own, so the result replays too: `--seed N --keep i,j,…` (the steps' places in
/// the seed's schedule). At most `budget` replays.
pub async fn shrink(failed: &Failed, budget: usize) -> Failed {
    let mut best = failed.clone();
    let same = |f: &Failed| f.violation.invariant == failed.violation.invariant;
    let mut parts = 2usize;
    let mut tries = 0;
    while best.log.len() >= 2 && tries < budget {
        let len = best.log.len();
        let size = len.div_ceil(parts);
        let mut dropped = false;
        for i in 0..parts {
            let (from, to) = (i * size, ((i + 1) * size).min(len));
            if from >= to {
                continue;
            }
            let rest: Vec<Step> = best.log[..from]
                .iter()
                .chain(&best.log[to..])
                .copied()
                .collect();
            tries += 1;
            if let Err(f) = replay(failed.seed, failed.config, rest).await {
                if same(&f) && f.log.len() < len {
                    best = f;
                    dropped = true;
                    break;
                }
            }
            if tries >= budget {
                break;
            }
        }
        if dropped {
            parts = (parts - 1).max(2);
        } else {
            if parts >= len {
                break;
            }
            parts = (parts * 2).min(len);
        }
    }
    best
}
