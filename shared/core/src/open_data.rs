//! Open data of each district's queue (issue 19): every child queued in a district, live
//! (`GET /v1/public/queue?district=&format=csv|json`) and exported daily to the bucket
//! (`open-data/<DISTRICT>/<YYYY-MM-DD>.csv|json` and `latest.csv|json`), with the head of the
//! district's voucher-run log ([`crate::run_log`]), so that a rewritten log contradicts what was
//! published.
//!
//! A row is a registration number, its registration day, age group, status and exact position
//! in its age group's queue. Never a name, an IIN, a phone, an e-mail, and never the privilege's
//! rank or category: an out-of-turn rank would mark military and special-service families.

use crate::error::Failure;
use crate::queue::{self, AgeGroup};
use crate::service::Service;
use crate::time::{local_date, Time};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The age groups a district's queues are read for: the API's age groups
/// ([`crate::inputs::parse_age_group`]).
pub const OPEN_DATA_AGE_GROUPS: std::ops::RangeInclusive<AgeGroup> = 0..=7;

/// Queued applications read per store request (DynamoDB's page limit).
pub const OPEN_DATA_PAGE: usize = 1000;

/// The CSV's header line, in the order of [`OpenDataRow`]'s fields.
pub const CSV_HEADER: [&str; 5] = [
    "registration_number",
    "registered_on",
    "age_group",
    "status",
    "position",
];

/// Where the daily export keeps a district's files in the bucket.
pub const OPEN_DATA_PREFIX: &str = "open-data";

/// `GET /v1/public/queue?district=&format=`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OpenDataQuery {
    pub district: Option<String>,
    pub format: Option<String>,
}

/// The two formats; JSON by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenDataFormat {
    #[default]
    Json,
    Csv,
}

impl OpenDataFormat {
    /// `json` (or nothing) and `csv`, in any case; anything else is 400 naming `format`.
    pub fn parse(s: Option<&str>) -> Result<OpenDataFormat, Failure> {
        match s.map(str::trim) {
            None | Some("") => Ok(OpenDataFormat::Json),
            Some(f) if f.eq_ignore_ascii_case("json") => Ok(OpenDataFormat::Json),
            Some(f) if f.eq_ignore_ascii_case("csv") => Ok(OpenDataFormat::Csv),
            Some(_) => Err(Failure::bad("invalid_field", "format")),
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            OpenDataFormat::Json => "json",
            OpenDataFormat::Csv => "csv",
        }
    }

    /// The body's `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            OpenDataFormat::Json => "application/json; charset=utf-8",
            OpenDataFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// One queued child, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDataRow {
    pub registration_number: String,
    /// The registration's day in Asia/Almaty (not its time).
    pub registered_on: NaiveDate,
    pub age_group: AgeGroup,
    /// A stable code ([`crate::domain::Status::as_str`]): `queued`.
    pub status: String,
    /// The exact position in its age group's queue, 1..n.
    pub position: u64,
}

/// The newest entry of a district's run log, as published with the open data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLogHead {
    pub seq: u64,
    pub hash: String,
}

impl RunLogHead {
    /// `<seq> <hash>`: the `Kezek-Run-Log-Head` header's value.
    pub fn header_value(&self) -> String {
        format!("{} {}", self.seq, self.hash)
    }
}

/// A district's open data: the JSON body as served and exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenData {
    pub district: String,
    pub generated_at: Time,
    /// `null` while the district has no voucher run.
    pub run_log_head: Option<RunLogHead>,
    /// By age group, then position.
    pub rows: Vec<OpenDataRow>,
}

impl OpenData {
    /// The JSON body.
    pub fn to_json(&self) -> Result<String, Failure> {
        serde_json::to_string(self).map_err(|e| Failure::Unavailable(format!("serialize: {e}")))
    }

    /// The CSV body (RFC 4180: a header line, CRLF line ends, fields quoted where they need it;
    /// UTF-8 without a byte-order mark).
    pub fn to_csv(&self) -> Result<String, Failure> {
        let fail = |e: &dyn std::fmt::Display| Failure::Unavailable(format!("csv: {e}"));
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::with_capacity(64 + self.rows.len() * 48));
        w.write_record(CSV_HEADER).map_err(|e| fail(&e))?;
        for r in &self.rows {
            w.write_record([
                r.registration_number.as_str(),
                &r.registered_on.to_string(),
                &r.age_group.to_string(),
                &r.status,
                &r.position.to_string(),
            ])
            .map_err(|e| fail(&e))?;
        }
        let bytes = w.into_inner().map_err(|e| fail(&e))?;
        String::from_utf8(bytes).map_err(|e| fail(&e))
    }

    /// The body in a format.
    pub fn body(&self, format: OpenDataFormat) -> Result<String, Failure> {
        match format {
            OpenDataFormat::Json => self.to_json(),
            OpenDataFormat::Csv => self.to_csv(),
        }
    }
}

/// What one daily export wrote for a district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedDistrict {
    pub district: String,
    pub rows: usize,
    /// The keys written (the day's two files, then `latest`'s two).
    pub keys: Vec<String>,
    /// Bytes of the CSV and the JSON.
    pub csv_bytes: usize,
    pub json_bytes: usize,
}

/// What a daily export did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDataExport {
    /// The day in the files' names (Asia/Almaty, the export's own day).
    pub day: NaiveDate,
    pub districts: Vec<ExportedDistrict>,
}

/// The key of a district's file of a day (`open-data/KOK/2026-06-02.csv`) or of `latest`.
pub fn open_data_key(district: &str, name: &str, format: OpenDataFormat) -> String {
    format!(
        "{OPEN_DATA_PREFIX}/{district}/{name}.{}",
        format.extension()
    )
}

impl Service {
    /// A district's open data (`GET /v1/public/queue`): 400 naming `district` when it is
    /// missing or unknown, then naming `format` when that is neither `json` nor `csv`.
    pub async fn open_data(
        &self,
        district: Option<&str>,
        format: Option<&str>,
    ) -> Result<(OpenData, OpenDataFormat), Failure> {
        let district = district
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .ok_or(Failure::bad("missing_field", "district"))?;
        let district = self.known_district(district, "district")?;
        let format = OpenDataFormat::parse(format)?;
        Ok((self.district_open_data(&district).await?, format))
    }

    /// Every child queued in a known district, by age group then position, with the head of
    /// its run log. Each age group's queue is read in order, page by page from where the last
    /// page ended, so a position is the child's place in the queue's index (the public check's
    /// position, counted from the queue's book, is the same: the contract cases check both).
    pub async fn district_open_data(&self, district: &str) -> Result<OpenData, Failure> {
        let generated_at = self.now();
        let today = local_date(generated_at);
        let head = self.store.latest_runs(district, 1).await?;
        let mut rows = Vec::new();
        for age in OPEN_DATA_AGE_GROUPS {
            let cohort = queue::cohort_of_age_group(age, today);
            let mut page = self.store.queue(district, cohort, OPEN_DATA_PAGE).await?;
            let mut position = 0u64;
            loop {
                for app in &page {
                    position += 1;
                    rows.push(OpenDataRow {
                        registration_number: app.registration_number.clone(),
                        registered_on: local_date(app.registered_at),
                        age_group: age,
                        status: app.status().as_str().to_owned(),
                        position,
                    });
                }
                let last = match page.last() {
                    Some(last) if page.len() == OPEN_DATA_PAGE => last,
                    _ => break,
                };
                let key = last.queue_key(self.reference());
                page = self
                    .store
                    .queue_after(district, cohort, &key, OPEN_DATA_PAGE)
                    .await?;
            }
        }
        Ok(OpenData {
            district: district.to_owned(),
            generated_at,
            run_log_head: head.first().map(|e| RunLogHead {
                seq: e.seq,
                hash: e.hash.clone(),
            }),
            rows,
        })
    }

    /// The daily export: for every district, the day's CSV and JSON and `latest` (the same
    /// bodies as the live route) written to the blob store. Idempotent: a rerun the same day
    /// writes the same keys again. A district that fails does not stop the others; the export
    /// then fails naming them, so that the schedule retries it.
    pub async fn export_open_data(&self) -> Result<OpenDataExport, Failure> {
        let blobs = self
            .blobs
            .clone()
            .ok_or_else(|| Failure::Unavailable("open data: no blob store".into()))?;
        let day = local_date(self.now());
        let mut districts = Vec::new();
        let mut failed = Vec::new();
        for d in &self.reference().districts {
            let done = async {
                let data = self.district_open_data(&d.code).await?;
                let mut out = ExportedDistrict {
                    district: d.code.clone(),
                    rows: data.rows.len(),
                    keys: Vec::new(),
                    csv_bytes: 0,
                    json_bytes: 0,
                };
                for format in [OpenDataFormat::Csv, OpenDataFormat::Json] {
                    let body = data.body(format)?;
                    match format {
                        OpenDataFormat::Csv => out.csv_bytes = body.len(),
                        OpenDataFormat::Json => out.json_bytes = body.len(),
                    }
                    for name in [day.to_string(), "latest".to_owned()] {
                        let key = open_data_key(&d.code, &name, format);
                        blobs
                            .put(&key, body.clone().into_bytes(), format.content_type())
                            .await?;
                        out.keys.push(key);
                    }
                }
                Ok::<_, Failure>(out)
            }
            .await;
            match done {
                Ok(out) => districts.push(out),
                Err(e) => {
                    tracing::error!(district = %d.code, error = %e, "open data export");
                    failed.push(d.code.clone());
                }
            }
        }
        if !failed.is_empty() {
            return Err(Failure::Unavailable(format!(
                "open data export failed for {}",
                failed.join(", ")
            )));
        }
        districts.iter_mut().for_each(|d| d.keys.sort());
        Ok(OpenDataExport { day, districts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rows: Vec<OpenDataRow>) -> OpenData {
        OpenData {
            district: "KOK".into(),
            generated_at: chrono::DateTime::parse_from_rfc3339("2026-06-02T00:30:00+05:00")
                .unwrap(),
            run_log_head: None,
            rows,
        }
    }

    fn row(number: &str, position: u64) -> OpenDataRow {
        OpenDataRow {
            registration_number: number.into(),
            registered_on: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            age_group: 3,
            status: "queued".into(),
            position,
        }
    }

    #[test]
    fn csv_is_rfc_4180_with_a_header_and_crlf() {
        let d = data(vec![row("КОК.2026.248", 1), row("a,\"b\"", 2)]);
        let csv = d.to_csv().unwrap();
        assert_eq!(
            csv,
            "registration_number,registered_on,age_group,status,position\r\n\
             КОК.2026.248,2026-06-01,3,queued,1\r\n\
             \"a,\"\"b\"\"\",2026-06-01,3,queued,2\r\n"
        );
        // An empty queue still has its header.
        assert_eq!(
            data(vec![]).to_csv().unwrap(),
            "registration_number,registered_on,age_group,status,position\r\n"
        );
    }

    #[test]
    fn json_has_the_head_even_when_null() {
        let v: serde_json::Value =
            serde_json::from_str(&data(vec![row("КОК.2026.1", 1)]).to_json().unwrap()).unwrap();
        assert_eq!(v["run_log_head"], serde_json::Value::Null);
        assert_eq!(v["rows"][0]["registered_on"], "2026-06-01");
        assert_eq!(v["generated_at"], "2026-06-02T00:30:00+05:00");
    }

    #[test]
    fn formats_parse_and_name_the_field() {
        assert_eq!(OpenDataFormat::parse(None).unwrap(), OpenDataFormat::Json);
        assert_eq!(
            OpenDataFormat::parse(Some("CSV")).unwrap(),
            OpenDataFormat::Csv
        );
        assert_eq!(
            OpenDataFormat::parse(Some("xml")),
            Err(Failure::bad("invalid_field", "format"))
        );
        assert_eq!(
            open_data_key("KOK", "latest", OpenDataFormat::Csv),
            "open-data/KOK/latest.csv"
        );
    }
}
