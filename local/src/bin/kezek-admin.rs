//! `kezek-admin`: one-off operator commands against a deployed table (credentials, region and
//! `AWS_ENDPOINT_URL` from the environment, as the AWS CLI takes them). See docs/operations.md,
//! "Correcting the working-day calendar".
//!
//! ```text
//! kezek-admin calendar-publish --table T --dir D     check D/<year>.toml and publish them
//! kezek-admin calendar-show --table T                the published years
//! kezek-admin correct-deadlines --table T [--calendar-dir D] [--dry-run] [--reason TEXT]
//! ```

use clap::{Parser, Subcommand};
use kezek_aws::DynamoStore;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(about = "Kezek operator commands: the working-day calendar and deadline corrections")]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check every <year>.toml of a folder as the functions do, then publish them to the table;
    /// the functions read them at their next cold start (CALENDAR_FROM_TABLE=true).
    CalendarPublish {
        #[arg(long)]
        table: String,
        #[arg(long)]
        dir: PathBuf,
    },
    /// List the published year files.
    CalendarShow {
        #[arg(long)]
        table: String,
    },
    /// Recompute the stored deadlines that the calendar in force moves later (never earlier),
    /// with a history entry per changed application. Idempotent.
    CorrectDeadlines {
        #[arg(long)]
        table: String,
        /// The calendar to correct with: these year files over the shipped ones. Default: the
        /// table's published calendar over the shipped one (what the functions use).
        #[arg(long)]
        calendar_dir: Option<PathBuf>,
        /// List what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Why, for each history entry.
        #[arg(long, default_value = "working-day calendar corrected")]
        reason: String,
        /// At most this many applications read per sweep index.
        #[arg(long, default_value_t = 2_000_000)]
        limit: usize,
    },
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args.command).await {
        eprintln!("kezek-admin: {e}");
        std::process::exit(1);
    }
}

async fn store(table: &str) -> Arc<DynamoStore> {
    Arc::new(DynamoStore::new(
        kezek_aws::dynamodb_client(None).await,
        table,
    ))
}

async fn run(command: Cmd) -> Result<(), String> {
    match command {
        Cmd::CalendarPublish { table, dir } => {
            let years = kezek_local::admin::publish_calendar(&*store(&table).await, &dir).await?;
            println!("published to {table}: {years:?}");
        }
        Cmd::CalendarShow { table } => {
            let items = store(&table)
                .await
                .published_calendar()
                .await
                .map_err(|e| e.to_string())?;
            for i in &items {
                println!("{} published {}", i.year, i.published_at);
            }
            if items.is_empty() {
                println!("no published calendar: the shipped years are in force");
            }
        }
        Cmd::CorrectDeadlines {
            table,
            calendar_dir,
            dry_run,
            reason,
            limit,
        } => {
            let store = store(&table).await;
            let calendar = match &calendar_dir {
                Some(dir) => kezek_local::admin::calendar_from_dir(dir)?,
                None => kezek_local::admin::table_calendar(&store).await?,
            };
            let report =
                kezek_local::admin::correct_deadlines(store, calendar, &reason, dry_run, limit)
                    .await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
            );
            eprintln!(
                "{} applications examined, {} {}",
                report.examined,
                report.corrected.len(),
                if dry_run {
                    "would be corrected (dry run: nothing written)"
                } else {
                    "corrected"
                }
            );
        }
    }
    Ok(())
}
