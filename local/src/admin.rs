//! One-off operator commands (`kezek-admin`): publish a corrected working-day calendar to a
//! deployed table, and recompute the stored deadlines a calendar change moves.

use kezek_aws::DynamoStore;
use kezek_core::calendar::Calendar;
use kezek_core::correct_deadlines::CorrectionReport;
use kezek_core::ports::{BuiltinRegisters, SystemClock};
use kezek_core::Service;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The year files of a folder (`*.toml`), by file name.
pub fn read_calendar_dir(dir: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push((path, text));
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no <year>.toml calendar file", dir.display()));
    }
    Ok(files)
}

/// The shipped calendar with a folder's year files put over it, each checked.
pub fn calendar_from_dir(dir: &Path) -> Result<Calendar, String> {
    let files = read_calendar_dir(dir)?;
    for (path, text) in &files {
        Calendar::from_toml(&[text.as_str()]).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let texts: Vec<&str> = files.iter().map(|(_, t)| t.as_str()).collect();
    Calendar::with_published(&texts).map_err(|e| e.to_string())
}

/// Checks a folder's year files and publishes each to the table; returns the years published.
pub async fn publish_calendar(store: &DynamoStore, dir: &Path) -> Result<Vec<i32>, String> {
    let files = read_calendar_dir(dir)?;
    let mut years = Vec::new();
    for (path, text) in &files {
        let one = Calendar::from_toml(&[text.as_str()])
            .map_err(|e| format!("{}: {e}; nothing was published", path.display()))?;
        years.extend(one.years());
    }
    let now = kezek_core::time::local(chrono::Utc::now());
    for ((_, text), year) in files.iter().zip(&years) {
        store
            .publish_calendar(*year, text, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(years)
}

/// The calendar the deployed functions use: the table's published years over the shipped ones.
pub async fn table_calendar(store: &DynamoStore) -> Result<Calendar, String> {
    let items = store
        .published_calendar()
        .await
        .map_err(|e| e.to_string())?;
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    Calendar::with_published(&texts).map_err(|e| e.to_string())
}

/// Recomputes the deadlines of every live application of the table with `calendar`.
pub async fn correct_deadlines(
    store: Arc<DynamoStore>,
    calendar: Calendar,
    reason: &str,
    dry_run: bool,
    limit: usize,
) -> Result<CorrectionReport, String> {
    let mut service = Service::new(
        store.clone(),
        store,
        Arc::new(SystemClock),
        Arc::new(BuiltinRegisters),
    );
    service.calendar = Some(Arc::new(calendar));
    service
        .correct_deadlines(reason, dry_run, limit)
        .await
        .map_err(|e| e.to_string())
}
