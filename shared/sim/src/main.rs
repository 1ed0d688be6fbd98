//! `kezek-sim`: one seed (`--seed N`, replays it), a range (`--seeds 1..100`), or a soak
//! (`--soak SECONDS`, seeds from `--from` on until the time is up). Prints each seed's figures;
//! exits 1 on the first failure, with its seed and its last steps. `--dynamodb URL` runs the
//! seeds on DynamoDB (moto) instead of the embedded store.

use clap::Parser;
use kezek_sim::{run, Config, Report};
use std::time::Instant;

#[derive(Parser)]
#[command(about = "A deterministic simulation of a year of Kezek under faults")]
struct Args {
    /// One seed.
    #[arg(long)]
    seed: Option<u64>,
    /// A range of seeds, `A..B` (B excluded).
    #[arg(long)]
    seeds: Option<String>,
    /// Run seeds for this many seconds.
    #[arg(long)]
    soak: Option<u64>,
    /// The first seed of a soak.
    #[arg(long, default_value_t = 1)]
    from: u64,
    /// Families in the simulated districts.
    #[arg(long, default_value_t = Config::YEAR.families)]
    families: usize,
    /// Days simulated.
    #[arg(long, default_value_t = Config::YEAR.days)]
    days: i64,
    /// Run on DynamoDB at this endpoint (moto, e.g. `$AWS_ENDPOINT_URL`), each seed on a table
    /// of its own, the commit faults in the SDK client.
    #[arg(long)]
    dynamodb: Option<String>,
    /// With `--seed`: replay only these steps of its schedule (their places, `3,17,250`), as a
    /// shrunk failure prints them.
    #[arg(long, value_delimiter = ',')]
    keep: Option<Vec<u64>>,
}

fn line(r: &Report, ms: u128) -> String {
    format!(
        "seed {}: {} steps, {} checks, {} submitted, {} parent actions ({} refused), {} offers, {} enrolled, {} sweeps, {} messages, {} documents, {} operator actions, {} links ({} actions of the other parent, {} strangers refused), {} runs recovered; faults {:?}; {ms} ms",
        r.seed, r.steps, r.checks, r.submitted, r.parent_actions, r.refused, r.offers, r.enrolled, r.sweeps, r.messages, r.documents, r.operator_actions, r.links, r.co_parent_actions, r.strangers_refused, r.recovered_runs, r.faults
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let cfg = Config {
        families: args.families,
        days: args.days,
        ..Config::YEAR
    };
    let seeds: Box<dyn Iterator<Item = u64>> = match (args.seed, &args.seeds, args.soak) {
        (Some(s), _, _) => Box::new(std::iter::once(s)),
        (_, Some(range), _) => {
            let (a, b) = range.split_once("..").unwrap_or(("1", "101"));
            let (a, b) = (a.parse().unwrap_or(1), b.parse().unwrap_or(101));
            Box::new(a..b)
        }
        _ => Box::new(args.from..),
    };
    if let (Some(seed), Some(keep)) = (args.seed, &args.keep) {
        std::process::exit(replay_kept(seed, cfg, keep).await);
    }
    let started = Instant::now();
    let mut total = Report::default();
    let mut n = 0u64;
    for seed in seeds {
        if let Some(limit) = args.soak {
            if started.elapsed().as_secs() >= limit {
                break;
            }
        }
        let t = Instant::now();
        let outcome = match &args.dynamodb {
            None => run(seed, cfg).await,
            Some(endpoint) => match kezek_sim::run_on_dynamodb(seed, cfg, endpoint).await {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            },
        };
        match outcome {
            Ok(r) => {
                println!("{}", line(&r, t.elapsed().as_millis()));
                n += 1;
                total.steps += r.steps;
                total.checks += r.checks;
                for (k, v) in r.faults {
                    *total.faults.entry(k).or_insert(0) += v;
                }
            }
            Err(f) => {
                print!("{f}");
                if args.dynamodb.is_some() {
                    // the shrinking replays on the embedded store: not this failure's
                    std::process::exit(1);
                }
                let small = kezek_sim::shrink(&f, SHRINK_BUDGET).await;
                print_shrunk(&f, &small);
                std::process::exit(1);
            }
        }
    }
    println!(
        "{n} seeds passed in {:.1} s: {} steps, {} checks, faults {:?}",
        started.elapsed().as_secs_f64(),
        total.steps,
        total.checks,
        total.faults
    );
}

/// Replays at most this many candidates while shrinking.
const SHRINK_BUDGET: usize = 400;

fn print_shrunk(f: &kezek_sim::Failed, small: &kezek_sim::Failed) {
    let keep: Vec<String> = small.log.iter().map(|s| s.index.to_string()).collect();
    println!(
        "shrunk from {} steps to {}: {}",
        f.log.len(),
        small.log.len(),
        small.violation
    );
    for s in &small.log {
        println!("  {s}");
    }
    println!("what they did:");
    for t in &small.trail {
        println!("  {t}");
    }
    println!(
        "replay: cargo run -p kezek-sim -- --seed {} --families {} --days {} --keep {}",
        small.seed,
        small.config.families,
        small.config.days,
        keep.join(",")
    );
}

/// Runs the seed whole to learn its schedule, then replays the kept steps; 1 when they fail.
async fn replay_kept(seed: u64, cfg: Config, keep: &[u64]) -> i32 {
    let log = match run(seed, cfg).await {
        Err(f) => f.log,
        Ok(_) => {
            println!("seed {seed} passes whole: nothing to replay");
            return 0;
        }
    };
    let steps: Vec<_> = log
        .into_iter()
        .filter(|s| keep.contains(&s.index))
        .collect();
    match kezek_sim::replay(seed, cfg, steps).await {
        Ok(r) => {
            println!("the kept steps pass: {}", line(&r, 0));
            0
        }
        Err(f) => {
            print_shrunk(&f, &f);
            1
        }
    }
}
