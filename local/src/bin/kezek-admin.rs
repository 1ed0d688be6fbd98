//! `kezek-admin`: one-off operator commands against a deployed table (credentials, region and
//! `AWS_ENDPOINT_URL` from the environment, as the AWS CLI takes them). See docs/operations.md,
//! "Correcting the working-day calendar".
//!
//! ```text
//! kezek-admin calendar-publish --table T --dir D     check D/<year>.toml and publish them
//! kezek-admin calendar-show --table T                the published years
//! kezek-admin correct-deadlines --table T [--calendar-dir D] [--dry-run] [--reason TEXT]
//! kezek-admin session-keys --out D                   a new session key pair (docs/identity.md)
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
    /// Make a new RSA-2048 session key pair in a folder: `session-signing-secret.json` (the
    /// private key, for the login function's secret; readable by its owner only) and
    /// `session-public-key.pem` (for the SessionPublicKeys parameter). See docs/identity.md,
    /// "Session keys", for installing and rotating them.
    SessionKeys {
        #[arg(long)]
        out: PathBuf,
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

/// Writes a new session key pair into `out` (which must not hold one already).
fn session_keys(out: &std::path::Path) -> Result<(), String> {
    use std::io::Write;
    let pair = kezek_local::keys::SessionPair::generate()?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let secret = out.join("session-signing-secret.json");
    let public = out.join("session-public-key.pem");
    let text = serde_json::json!({
        "private_key": pair.private_pem,
        "public_key": pair.public_pem,
    })
    .to_string();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&secret)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", secret.display()))?;
    std::fs::write(&public, &pair.public_pem).map_err(|e| format!("{}: {e}", public.display()))?;
    println!("{}\n{}", secret.display(), public.display());
    Ok(())
}

async fn run(command: Cmd) -> Result<(), String> {
    match command {
        Cmd::SessionKeys { out } => session_keys(&out)?,
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
