//! The run logs and the sweeps' records in memory.

use super::*;
use crate::run_log::RunLogEntry;

#[async_trait]
impl Records for EmbeddedStore {
    async fn append_run(&self, entry: &RunLogEntry) -> Result<bool, StoreError> {
        let mut g = self.lock();
        let log = g.run_logs.entry(entry.run.district.clone()).or_default();
        // Seqs are 1, 2, 3, … with no gap: the next one is the log's length + 1.
        if entry.seq != log.len() as u64 + 1 {
            return Ok(false);
        }
        log.push(entry.clone());
        Ok(true)
    }

    async fn runs(
        &self,
        district: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<RunLogEntry>, StoreError> {
        let g = self.lock();
        Ok(g.run_logs
            .get(district)
            .map(|log| {
                log.iter()
                    .filter(|e| e.seq > after)
                    .take(limit)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn latest_runs(&self, district: &str, n: usize) -> Result<Vec<RunLogEntry>, StoreError> {
        let g = self.lock();
        Ok(g.run_logs
            .get(district)
            .map(|log| log.iter().rev().take(n).cloned().collect())
            .unwrap_or_default())
    }

    async fn record_sweep(&self, record: &SweepRecord) -> Result<(), StoreError> {
        self.lock()
            .sweeps
            .insert((record.sweep, record.part), record.clone());
        Ok(())
    }

    async fn sweep_records(&self) -> Result<Vec<SweepRecord>, StoreError> {
        Ok(self.lock().sweeps.values().cloned().collect())
    }
}
