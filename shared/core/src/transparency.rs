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
use crate::wait_estimate::{self as wait, Month, Range, Source, Standing};
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

/// When a queued child's voucher is likely (`GET /v1/applications/{id}/wait-estimate`): an
/// estimate, not a promise ([`crate::wait_estimate`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitEstimateView {
    /// `YYYY-MM`; `null` when no estimate can be given (the queue did not move, or not before
    /// school age).
    pub earliest: Option<String>,
    /// `YYYY-MM`; `null` when not even the slow pace reaches the child within the horizon.
    pub latest: Option<String>,
    /// The range in the asked language ("июль 2027 – январь 2028"); `null` with no estimate.
    pub range_label: Option<String>,
    /// The method and its figures in plain words, in the asked language.
    pub basis: String,
    /// The children before this one in the district's order of offering.
    pub children_before: u64,
    /// Whose past the pace comes from: `own_cohort` or `older_cohort`.
    pub based_on: String,
    /// Vouchers offered to children before this one in the last 12 months (of the source).
    pub vouchers_last_12_months: u64,
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

    /// A range of months when a queued child's voucher is likely, from its queue's book (and
    /// the book of the cohort one year older when its own had no voucher in the last twelve
    /// months): 2 requests, 3 with the older cohort's. 409 `not_in_status` unless queued.
    pub async fn wait_estimate(
        &self,
        who: &Principal,
        id: &str,
        lang: Language,
    ) -> Result<WaitEstimateView, Failure> {
        let app = self.permitted(who, Operation::ReadHistory, id).await?;
        if app.status() != crate::domain::Status::Queued {
            return Err(Failure::conflict("not_in_status", app.status()));
        }
        let policy = self
            .reference()
            .district(&app.district)
            .map_or(crate::reference::AllocationPolicy::Strict, |d| d.allocation);
        let key = app.queue_key(self.reference());
        let me = Standing {
            rank: key.rank,
            registered_at: key.registered_at,
            seq: key.registration_seq,
        };
        let now = Month::of(crate::time::local_date(self.now()));
        let cohort = queue::cohort_of(app.child_birth_date);
        let events = self.store.queue_book(&app.district, cohort).await?;
        let before = wait::before(&events, &me, policy);
        let mut pace = wait::pace(&events, &me, policy, now);
        let mut source = Source::OwnCohort;
        if pace.vouchers == 0 {
            let older = self.store.queue_book(&app.district, cohort - 1).await?;
            let back = wait::pace(&older, &Standing::at_the_back(me.rank), policy, now);
            if back.vouchers > 0 {
                // its own runs this month still count against this month
                pace = wait::Pace {
                    this_month: pace.this_month,
                    ..back
                };
                source = Source::OlderCohort;
            }
        }
        let range = wait::range(&pace, before, now);
        Ok(self.wait_view(&pace, before, source, range, lang))
    }

    fn wait_view(
        &self,
        pace: &wait::Pace,
        before: u64,
        source: Source,
        range: Range,
        lang: Language,
    ) -> WaitEstimateView {
        let t = self.texts();
        let month = |m: Month| t.month(m.year(), m.month(), lang);
        let facts = match source {
            Source::OwnCohort => "wait.facts_own",
            Source::OlderCohort => "wait.facts_older",
        };
        let figures = [
            ("before", before.to_string()),
            ("vouchers", pace.vouchers.to_string()),
            ("summer", pace.summer_vouchers.to_string()),
            ("left", pace.left.to_string()),
            ("entered", pace.entered.to_string()),
        ];
        let range_label = match range {
            Range::Months { earliest, latest } => Some(match latest {
                Some(l) if l != earliest => format!("{} – {}", month(earliest), month(l)),
                Some(_) => month(earliest),
                None => format!("{} –", month(earliest)),
            }),
            _ => None,
        };
        let (earliest, latest, outcome) = match range {
            Range::Months {
                earliest,
                latest: Some(latest),
            } => (
                Some(earliest),
                Some(latest),
                t.label_with(
                    "wait.range",
                    lang,
                    &[("earliest", month(earliest)), ("latest", month(latest))],
                ),
            ),
            Range::Months {
                earliest,
                latest: None,
            } => (
                Some(earliest),
                None,
                t.label_with("wait.range_open", lang, &[("earliest", month(earliest))]),
            ),
            Range::NoMovement => (None, None, t.label_with("wait.no_movement", lang, &[])),
            Range::BeyondHorizon => (None, None, t.label_with("wait.beyond", lang, &[])),
        };
        let basis = [
            t.label_with("wait.lead", lang, &[]),
            t.label_with(facts, lang, &figures),
            outcome,
            t.label_with("wait.method", lang, &[]),
        ]
        .join(" ");
        WaitEstimateView {
            earliest: earliest.map(Month::code),
            latest: latest.map(Month::code),
            range_label,
            basis,
            children_before: before,
            based_on: source.as_str().to_owned(),
            vouchers_last_12_months: pace.vouchers,
        }
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
