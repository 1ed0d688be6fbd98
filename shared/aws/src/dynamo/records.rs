//! The run logs and the sweeps' records in the table.
//!
//! - A run log entry: `RUNLOG#<district>` / `E#<seq, 10 digits>`, `v` = 1 and `entry`: the entry
//!   as published (`GET /v1/public/voucher-runs`), JSON. The published form is the stored form
//!   on purpose: the entry's hash is computed over it (`kezek_core::run_log::canonical`), so it
//!   cannot change shape without a new chain; a new shape would be `v` = 2 beside it. Appended
//!   with `attribute_not_exists(PK)`: an entry is never replaced.
//! - A sweep part's last pass: `SWEEPS` / `<sweep>#<part, 2 digits>`, `v` = 1, `at` (RFC 3339),
//!   `examined`, `acted`. Replaced at each pass: 16 small items in all.

use super::*;
use kezek_core::run_log::RunLogEntry;

const SWEEPS_PK: &str = "SWEEPS";

fn run_log_pk(district: &str) -> String {
    format!("RUNLOG#{district}")
}

fn run_log_sk(seq: u64) -> String {
    format!("E#{seq:010}")
}

fn entry_of(item: &Item) -> Result<RunLogEntry, StoreError> {
    let version = item
        .get("v")
        .and_then(|v| v.as_n().ok())
        .map(String::as_str);
    if version != Some("1") {
        return Err(err(format!("run log item of version {version:?}")));
    }
    let text = get_str(item, "entry").ok_or_else(|| err("run log item without entry"))?;
    serde_json::from_str(text).map_err(err)
}

fn sweep_of(item: &Item) -> Result<SweepRecord, StoreError> {
    let num = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let sk = get_str(item, SK).unwrap_or_default();
    let (sweep, part) = sk.split_once('#').unwrap_or((sk, "0"));
    let sweep = Sweep::parse(sweep)
        .ok_or_else(|| err(format!("sweep record of an unknown sweep {sweep:?}")))?;
    let at = get_str(item, "at")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(|| err("sweep record without at"))?;
    Ok(SweepRecord {
        sweep,
        part: part.parse().unwrap_or(0),
        at,
        examined: num("examined"),
        acted: num("acted"),
    })
}

impl DynamoStore {
    async fn run_page(
        &self,
        district: &str,
        after: Option<u64>,
        forward: bool,
        limit: usize,
    ) -> Result<Vec<RunLogEntry>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        while out.len() < limit {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .scan_index_forward(forward)
                .expression_attribute_values(":pk", s(run_log_pk(district)))
                .limit((limit - out.len()).min(1000) as i32)
                .set_exclusive_start_key(start.take());
            q = match after {
                Some(seq) => q
                    .key_condition_expression("PK = :pk AND SK > :sk")
                    .expression_attribute_values(":sk", s(run_log_sk(seq))),
                None => q
                    .key_condition_expression("PK = :pk AND begins_with(SK, :sk)")
                    .expression_attribute_values(":sk", s("E#")),
            };
            let page = q.send().await.map_err(sdk_err)?;
            self.read(page.items().len());
            for item in page.items() {
                out.push(entry_of(item)?);
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl Records for DynamoStore {
    async fn append_run(&self, entry: &RunLogEntry) -> Result<bool, StoreError> {
        let mut item = key(run_log_pk(&entry.run.district), &run_log_sk(entry.seq));
        item.insert("v".into(), n(1));
        item.insert(
            "entry".into(),
            s(serde_json::to_string(entry).map_err(err)?),
        );
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk_err(e)),
        }
    }

    async fn runs(
        &self,
        district: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<RunLogEntry>, StoreError> {
        self.run_page(district, Some(after), true, limit).await
    }

    async fn latest_runs(&self, district: &str, n: usize) -> Result<Vec<RunLogEntry>, StoreError> {
        self.run_page(district, None, false, n).await
    }

    async fn record_sweep(&self, record: &SweepRecord) -> Result<(), StoreError> {
        let mut item = key(
            SWEEPS_PK.to_owned(),
            &format!("{}#{:02}", record.sweep.as_str(), record.part),
        );
        item.insert("v".into(), n(1));
        item.insert("at".into(), s(record.at.to_rfc3339()));
        item.insert("examined".into(), n(record.examined));
        item.insert("acted".into(), n(record.acted));
        self.write_item(item).await
    }

    async fn sweep_records(&self) -> Result<Vec<SweepRecord>, StoreError> {
        self.query_all(None, PK, SWEEPS_PK.to_owned(), None, None)
            .await?
            .iter()
            .map(sweep_of)
            .collect()
    }
}
