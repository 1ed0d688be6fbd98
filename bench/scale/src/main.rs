//! `kezek-scale`: the national-size dataset loaded into the embedded store (and, as far as moto
//! and the machine allow, into DynamoDB on moto), the position and sweep costs at that size, and
//! the fanned-out summer run over it. Figures are printed; `docs/scale.md` keeps them.
//!
//! `cargo run --release -p kezek-scale -- [--applications 1000000] [--districts 200]
//!  [--dynamodb-up-to 0]` (with `--dynamodb-up-to N`, moto at `AWS_ENDPOINT_URL`).

use chrono::Duration as Days;
use clap::Parser;
use kezek_core::domain::Status;
use kezek_core::lifecycle::Sweep;
use kezek_core::ports::{BuiltinRegisters, CatalogueStore};
use kezek_core::reference::Reference;
use kezek_core::store_embedded::EmbeddedStore;
use kezek_core::Service;
use kezek_scale::{dataset, percentile_us, rss_kib, summer, At};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "The national-size dataset and the fanned-out summer run over it (issue 21)")]
struct Args {
    /// Live applications in all.
    #[arg(long, default_value_t = 1_000_000)]
    applications: usize,
    /// Districts: Akmola's 20, then generated ones.
    #[arg(long, default_value_t = 200)]
    districts: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Position reads to time.
    #[arg(long, default_value_t = 2_000)]
    reads: usize,
    /// Also load the first N applications into DynamoDB on moto (`AWS_ENDPOINT_URL`), in
    /// chunks, printing each chunk's time.
    #[arg(long, default_value_t = 0)]
    dynamodb_up_to: usize,
    /// Applications per chunk of the DynamoDB import.
    #[arg(long, default_value_t = 20_000)]
    chunk: usize,
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let shape = dataset::Shape {
        applications: args.applications,
        districts: args.districts,
        seed: args.seed,
        ..dataset::Shape::default()
    };
    let rss0 = rss_kib();
    let reference = Reference::install(dataset::reference(shape.districts))
        .map_err(|_| "the reference data was read before it was installed")?;
    let calendar = kezek_core::calendar::Calendar::builtin();

    let t = Instant::now();
    let data = dataset::generate(&shape, reference, calendar);
    let generated = t.elapsed();
    let apps = data.applications;
    println!(
        "dataset: {} live applications over {} districts, made in {:.1} s (seed {}); by status: {}",
        apps.len(),
        reference.districts.len(),
        generated.as_secs_f64(),
        shape.seed,
        data.statuses
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let privileged = apps.iter().filter(|a| a.privilege.is_some()).count();
    let years: std::collections::BTreeMap<i32, usize> =
        apps.iter().fold(Default::default(), |mut m, a| {
            *m.entry(chrono::Datelike::year(&a.registered_at))
                .or_default() += 1;
            m
        });
    println!(
        "  privilege claims {:.1}%; registrations by year: {years:?}",
        privileged as f64 * 100.0 / apps.len().max(1) as f64
    );

    // The embedded store: load time and memory.
    let rss1 = rss_kib();
    let store = Arc::new(EmbeddedStore::new());
    let t = Instant::now();
    let loaded = store.import(apps.iter().cloned());
    let load = t.elapsed();
    let rss2 = rss_kib();
    println!(
        "embedded store: {loaded} loaded in {:.2} s; memory: process {} before the dataset, {} with it made, {} with it loaded (the store's share {})",
        load.as_secs_f64(),
        mib(rss0),
        mib(rss1),
        mib(rss2),
        mib(rss2.zip(rss1).map(|(a, b)| a.saturating_sub(b)))
    );
    if loaded != apps.len() {
        return Err(format!("{} of {} loaded", loaded, apps.len()));
    }

    let morning = kezek_core::time::at_local(
        shape.summer,
        chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("a time"),
    );
    let clock = Arc::new(At::new(morning.with_timezone(&chrono::Utc)));
    let svc = Service::new(
        store.clone(),
        store.clone(),
        clock.clone(),
        Arc::new(BuiltinRegisters),
    );
    let districts: Vec<String> = reference.districts.iter().map(|d| d.code.clone()).collect();

    // Position reads at that size: children spread over the deepest queues.
    let sizes = summer::cohort_sizes(&apps);
    let deepest = sizes.iter().max_by_key(|(_, n)| **n);
    let mut queued: Vec<&kezek_core::domain::Application> = apps
        .iter()
        .filter(|a| a.status() == Status::Queued)
        .collect();
    queued.sort_by_key(|a| std::cmp::Reverse(a.registered_at));
    let step = (queued.len() / args.reads.max(1)).max(1);
    let mut took = Vec::new();
    let mut deepest_position = 0;
    for a in queued.iter().step_by(step).take(args.reads) {
        let t = Instant::now();
        let p = svc
            .position(a, morning)
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or(0);
        took.push(t.elapsed());
        deepest_position = deepest_position.max(p);
    }
    took.sort();
    println!(
        "position reads (embedded): {} reads, p50 {:.1} us, p99 {:.1} us, max {:.1} us; deepest position read {deepest_position}; the longest queue {:?} holds {}",
        took.len(),
        percentile_us(&took, 50.0),
        percentile_us(&took, 99.0),
        percentile_us(&took, 100.0),
        deepest.map(|(k, _)| k),
        deepest.map_or(0, |(_, n)| *n)
    );

    // The sweeps at that size: the expiry sweep (the stop-listed, offered and active deadlines)
    // and the reconfirmation reminders due this morning.
    for sweep in [Sweep::Expiry, Sweep::Reconfirmation] {
        let t = Instant::now();
        let report = svc.sweep(sweep).await.map_err(|e| e.to_string())?;
        println!(
            "{} sweep at 10:00 on {}: {:.1} ms, examined {}, lapsed {}, reminders {}",
            sweep.as_str(),
            shape.summer,
            t.elapsed().as_secs_f64() * 1000.0,
            report.examined,
            report.lapsed,
            report.reminders
        );
    }

    // The summer run.
    let places = summer::places_for(&apps, &districts, shape.summer);
    let queued_by_age = summer::queued_by_age(&apps, shape.summer);
    let outstanding = summer::outstanding(&apps);
    let t = Instant::now();
    for kg in summer::catalogue(&districts, &places) {
        store
            .put_kindergarten(kg, None)
            .await
            .map_err(|e| e.to_string())?;
    }
    println!(
        "catalogue: {} kindergartens, {} places, put in {:.2} s",
        districts.len() * summer::KINDERGARTENS_PER_DISTRICT,
        places.values().map(|p| u64::from(*p)).sum::<u64>(),
        t.elapsed().as_secs_f64()
    );
    let run = summer::run(&svc).await?;
    let (wrong, long_enough) = summer::check(&run, &places, &queued_by_age, &outstanding);
    let longest = run.longest();
    let largest = run.largest();
    println!(
        "summer run (fanned out): {} messages ({} first units = districts x 8 age groups), {} offers in {:.1} s; {} district-age queues long enough for their places",
        run.messages,
        districts.len() * 8,
        run.offered(),
        run.took.as_secs_f64(),
        long_enough
    );
    if let (Some(l), Some(g)) = (longest, largest) {
        println!(
            "  longest unit: {} age {} ({} offers) {:.1} ms; largest unit: {} age {} ({} offers, the most one unit may make) {:.1} ms",
            l.district,
            l.age_group,
            l.offered,
            l.took.as_secs_f64() * 1000.0,
            g.district,
            g.age_group,
            g.offered,
            g.took.as_secs_f64() * 1000.0
        );
    }
    let mut unit_times: Vec<_> = run.units.iter().map(|u| u.took).collect();
    unit_times.sort();
    println!(
        "  unit times: p50 {:.1} ms, p99 {:.1} ms; units sent again (places left): {}",
        percentile_us(&unit_times, 50.0) / 1000.0,
        percentile_us(&unit_times, 99.0) / 1000.0,
        run.units.iter().filter(|u| u.more).count()
    );
    if !wrong.is_empty() {
        for w in wrong.iter().take(20) {
            println!("  WRONG {w}");
        }
        return Err(format!(
            "{} district-age groups offered wrongly",
            wrong.len()
        ));
    }
    println!("  every district and age group done: offers = places free of outstanding vouchers where the queue is long enough, every queued child where not");

    // The sweep again, the morning after: the offers' confirmation deadlines not yet due.
    clock.set(kezek_core::ports::Clock::now(&*clock) + Days::days(1));
    let t = Instant::now();
    let report = svc.sweep(Sweep::Expiry).await.map_err(|e| e.to_string())?;
    println!(
        "expiry sweep the morning after the run: {:.1} ms, examined {}, lapsed {}",
        t.elapsed().as_secs_f64() * 1000.0,
        report.examined,
        report.lapsed
    );

    if args.dynamodb_up_to > 0 {
        dynamo(&apps[..args.dynamodb_up_to.min(apps.len())], args.chunk).await?;
    }
    Ok(())
}

/// The chunked import into DynamoDB on moto: each chunk's time, until the limit.
async fn dynamo(apps: &[kezek_core::domain::Application], chunk: usize) -> Result<(), String> {
    use aws_config::{BehaviorVersion, Region, SdkConfig};
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").map_err(|_| "--dynamodb-up-to: no AWS_ENDPOINT_URL")?;
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("testing", "testing", None, None, "scale"),
            ),
        )
        .http_client(kezek_aws::lazy_https_client())
        .timeout_config(kezek_aws::sdk_timeouts())
        .build();
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("kezek-scale-{}", std::process::id());
    let store = kezek_aws::dynamo::DynamoStore::new(client, table);
    store.ensure_table().await.map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut done = 0;
    for part in apps.chunks(chunk.max(1)) {
        let t = Instant::now();
        store.import(part).await.map_err(|e| e.to_string())?;
        done += part.len();
        println!(
            "dynamodb (moto): {done} applications imported; this chunk of {} in {:.1} s ({:.0}/s); {:.0} s in all",
            part.len(),
            t.elapsed().as_secs_f64(),
            part.len() as f64 / t.elapsed().as_secs_f64(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
