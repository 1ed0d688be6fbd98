//! What voucher runs and sweeps leave behind: each district's run log (append-only and
//! hash-chained, [`crate::run_log`]) and the last pass of each part of each sweep. The desk's
//! numbers read them; the run log is public (issue 19, "verifiable voucher runs").

use super::StoreError;
use crate::lifecycle::Sweep;
use crate::run_log::RunLogEntry;
use crate::time::Time;
use async_trait::async_trait;

/// One part of a sweep, the last time it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepRecord {
    pub sweep: Sweep,
    /// The due index's part (0 for a sweep over the whole index).
    pub part: u32,
    pub at: Time,
    pub examined: u64,
    /// Deadlines acted on and reminders sent.
    pub acted: u64,
}

#[async_trait]
pub trait Records: Send + Sync {
    /// Appends an entry to its district's run log unless an entry with its `seq` is there
    /// already (another run appended first): `false` then, and nothing is written.
    async fn append_run(&self, entry: &RunLogEntry) -> Result<bool, StoreError>;

    /// A district's run log from the entry after `after` (0: from the first), oldest first, at
    /// most `limit` entries.
    async fn runs(
        &self,
        district: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<RunLogEntry>, StoreError>;

    /// A district's newest `n` entries, newest first.
    async fn latest_runs(&self, district: &str, n: usize) -> Result<Vec<RunLogEntry>, StoreError>;

    /// Records a sweep part's pass (replaces the part's last record).
    async fn record_sweep(&self, record: &SweepRecord) -> Result<(), StoreError>;

    /// The last record of every sweep part that ever ran.
    async fn sweep_records(&self) -> Result<Vec<SweepRecord>, StoreError>;
}
