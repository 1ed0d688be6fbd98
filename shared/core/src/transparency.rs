//! Queue transparency (issue 19): what anyone may read without logging in (the districts' voucher
//! run logs, append-only and hash-chained: [`crate::run_log`], checked by `kezek-verify-runs`),
//! and each child's position history with reasons, from its queue's book
//! ([`crate::queue_book`]).

use crate::access::{Operation, Principal};
use crate::domain::Language;
use crate::error::Failure;
use crate::queue;
use crate::queue_book::{self, Place};
use crate::run_log::RunLogEntry;
use crate::service::Service;
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// One move of a child's position (`GET /v1/applications/{id}/queue-history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueMoveView {
    pub at: Time,
    /// `null` for the registration (and a return to the queue).
    pub from_position: Option<u64>,
    /// `null` when the child left the queue.
    pub to_position: Option<u64>,
    /// A stable snake_case code ([`queue_book::MoveWhy`]).
    pub reason: String,
    pub reason_label: String,
    /// How many children made the move (the offers of one run are one move).
    pub count: u64,
}

/// What anyone sees of an application by its registration number
/// (`GET /v1/public/queue/{registration_number}`): no name, IIN, phone or e-mail, and no
/// privilege (a rank would mark military and special-service families).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicQueueView {
    pub registration_number: String,
    pub district: String,
    pub age_group: crate::queue::AgeGroup,
    /// The registration's day (Asia/Almaty), not its time.
    pub registered_on: chrono::NaiveDate,
    pub status: crate::domain::Status,
    pub status_label: String,
    /// The exact position while queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

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
    /// The public queue check: anyone, without logging in, by registration number (as people
    /// type it). 400 naming the field for a malformed number, 404 for one nobody has.
    pub async fn public_queue_check(
        &self,
        number: &str,
        lang: Language,
    ) -> Result<PublicQueueView, Failure> {
        let app = self
            .by_number(number, "registration_number")
            .await?
            .ok_or(Failure::NotFound { code: "not_found" })?;
        let now = self.now();
        Ok(PublicQueueView {
            registration_number: app.registration_number.clone(),
            district: app.district.clone(),
            age_group: queue::age_group(app.child_birth_date, crate::time::local_date(now)),
            registered_on: crate::time::local_date(app.registered_at),
            status: app.status(),
            status_label: self.texts().status(app.status(), lang),
            position: self.position(&app, now).await?,
        })
    }

    /// Every change of an application's exact position since its registration, with why,
    /// oldest first: its queue's book replayed (counts only, never another child's identity).
    pub async fn queue_history(
        &self,
        who: &Principal,
        id: &str,
        lang: Language,
    ) -> Result<Vec<QueueMoveView>, Failure> {
        let app = self.permitted(who, Operation::ReadHistory, id).await?;
        let cohort = queue::cohort_of(app.child_birth_date);
        let events = self.store.queue_book(&app.district, cohort).await?;
        let me = Place::of(&app.queue_key(self.reference()));
        Ok(queue_book::history(&events, &me)
            .into_iter()
            .map(|m| QueueMoveView {
                at: crate::time::local(
                    chrono::DateTime::from_timestamp_micros(m.at).unwrap_or_default(),
                ),
                from_position: m.from,
                to_position: m.to,
                reason: m.why.as_str().to_owned(),
                reason_label: self.texts().queue_move(m.why, lang),
                count: m.count,
            })
            .collect())
    }

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
