//! Published working-day calendar files in the table: how an operator corrects the calendar in AWS
//! without a rebuild (docs/operations.md, "Correcting the working-day calendar").
//!
//! One item per year, `PK = CALENDAR`, `SK = YEAR#<year>`, holding the year file's TOML text as
//! published (checked by the publisher with [`kezek_core::calendar::Calendar::from_toml`], and
//! again by every function that reads it at cold start). Functions with `CALENDAR_FROM_TABLE=true`
//! read them with one Query and put them over the shipped years; on any failure they keep the
//! shipped calendar.

use super::{err, n, s, DynamoStore, Item};
use crate::keys::{PK, SK};
use kezek_core::ports::StoreError;
use kezek_core::time::Time;

const CALENDAR_PK: &str = "CALENDAR";

/// The stored shape of a published year file (item version `v = 1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarItemV1 {
    pub year: i32,
    /// The year file, as `shared/core/data/calendar/<year>.toml` has it.
    pub text: String,
    /// RFC 3339, Asia/Almaty.
    pub published_at: String,
}

impl CalendarItemV1 {
    fn from_item(i: &Item) -> Result<CalendarItemV1, StoreError> {
        let str_of = |k: &str| i.get(k).and_then(|v| v.as_s().ok()).cloned();
        let version = i.get("v").and_then(|v| v.as_n().ok()).map(String::as_str);
        if version != Some("1") {
            return Err(err(format!("calendar item of version {version:?}")));
        }
        Ok(CalendarItemV1 {
            year: i
                .get("year")
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| err("calendar item without year"))?,
            text: str_of("text").ok_or_else(|| err("calendar item without text"))?,
            published_at: str_of("published_at").unwrap_or_default(),
        })
    }

    fn into_item(self) -> Item {
        [
            (PK.to_owned(), s(CALENDAR_PK)),
            (SK.to_owned(), s(format!("YEAR#{}", self.year))),
            ("v".to_owned(), n(1)),
            ("year".to_owned(), n(self.year)),
            ("text".to_owned(), s(self.text)),
            ("published_at".to_owned(), s(self.published_at)),
        ]
        .into_iter()
        .collect()
    }
}

impl DynamoStore {
    /// The published year files, by year (one Query, strongly consistent).
    pub async fn published_calendar(&self) -> Result<Vec<CalendarItemV1>, StoreError> {
        self.query_all(None, PK, CALENDAR_PK.to_owned(), None, None)
            .await?
            .iter()
            .map(CalendarItemV1::from_item)
            .collect()
    }

    /// Publishes one year file (replacing the year's earlier one). The caller checks the text.
    pub async fn publish_calendar(
        &self,
        year: i32,
        text: &str,
        at: Time,
    ) -> Result<(), StoreError> {
        let item = CalendarItemV1 {
            year,
            text: text.to_owned(),
            published_at: at.to_rfc3339(),
        }
        .into_item();
        self.write_item(item).await
    }
}
