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
pub mod world;

pub use world::{Backend, Config, Failed, Report, World};

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

/// The smallest simulation of the same seed that still breaks the same invariant: the year cut
/// to the day after the failure, then fewer families (halved while it still fails). Each
/// candidate is a whole run of its own (a changed size draws another schedule from the seed),
/// so the shrunk failure is a replayable run, printed with its own replay command.
pub async fn shrink(failed: &Failed) -> Failed {
    let mut best = failed.clone();
    let same = |f: &Failed| f.violation.invariant == failed.violation.invariant;
    let shorter = Config {
        days: (failed.day + 1).max(1),
        ..failed.config
    };
    if shorter.days < best.config.days {
        if let Err(f) = run(failed.seed, shorter).await {
            if same(&f) {
                best = f;
            }
        }
    }
    loop {
        let fewer = Config {
            families: best.config.families / 2,
            ..best.config
        };
        if fewer.families == 0 {
            return best;
        }
        match run(failed.seed, fewer).await {
            Err(f) if same(&f) && f.step <= best.step => best = f,
            _ => return best,
        }
    }
}
