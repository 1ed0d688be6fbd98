//! What anyone may read without logging in to check the queue (issue 19): the districts' voucher
//! run logs (append-only, hash-chained: [`crate::run_log`]), checked by `kezek-verify-runs`.

use crate::error::Failure;
use crate::run_log::RunLogEntry;
use crate::service::Service;
use serde::{Deserialize, Serialize};

/// Entries of a run log on one page of `GET /v1/public/voucher-runs`.
pub const RUN_LOG_PAGE: usize = 50;

/// `GET /v1/public/voucher-runs?district=&after=`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RunLogQuery {
    pub district: Option<String>,
    /// The last entry already read (its `seq`); the page starts after it.
    pub after: Option<String>,
}

/// A page of a district's run log, oldest first: the verifier's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLogPage {
    pub district: String,
    pub entries: Vec<RunLogEntry>,
    /// The `after` of the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<u64>,
}

impl Service {
    /// A page of a district's voucher-run log, for anyone: children appear in it by
    /// registration number and order key only.
    pub async fn run_log(&self, q: RunLogQuery) -> Result<RunLogPage, Failure> {
        let district = q
            .district
            .as_deref()
            .ok_or(Failure::bad("missing_field", "district"))?;
        let district = self.known_district(district, "district")?;
        let after = match q.after.as_deref().map(str::trim) {
            None | Some("") => 0,
            Some(a) => a
                .parse::<u64>()
                .map_err(|_| Failure::bad("invalid_field", "after"))?,
        };
        let mut entries = self.store.runs(&district, after, RUN_LOG_PAGE + 1).await?;
        let next_after = if entries.len() > RUN_LOG_PAGE {
            entries.truncate(RUN_LOG_PAGE);
            entries.last().map(|e| e.seq)
        } else {
            None
        };
        Ok(RunLogPage {
            district: district.into_string(),
            entries,
            next_after,
        })
    }
}
