//! The typed handlers of the functions that no API request starts: the schedules' event
//! (sweeps, voucher runs), the notifier's SQS batch (partial batch failures) and the table
//! stream's batch (the relay, the issuer of documents).

use crate::{fail, Error, Function, Handler};
use aws_lambda_events::dynamodb::{Event as DynamoEvent, EventRecord};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chrono::{DateTime, Utc};
use kezek_core::domain::Notification;
use kezek_core::lifecycle::Sweep;
use kezek_core::ports::SweepPart;
use kezek_core::usecases::Delivered;
use kezek_core::Failure;
use serde::Deserialize;
use serde_json::Value;

/// Most outbox entries one expiry sweep publishes again.
pub const REPUBLISH_LIMIT: usize = 100;

/// A scheduled event: EventBridge's envelope (`time`, `detail`); the schedules of
/// `infra/template.yaml` send it with the scheduled time.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ScheduleEvent {
    #[serde(default)]
    pub time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub detail: Option<ScheduleDetail>,
}

/// What a schedule names.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ScheduleDetail {
    /// A voucher run's district; every district when absent.
    #[serde(default)]
    pub district: Option<String>,
    /// Which of the function's scheduled jobs to run when it has more than one: `open_data`
    /// (the reconfirmation function's daily open-data export); its sweep when absent.
    #[serde(default)]
    pub job: Option<String>,
}

/// The job of the daily open-data export ([`ScheduleDetail::job`]).
pub const OPEN_DATA_JOB: &str = "open_data";

impl Handler {
    /// A schedule's run: the sweep of this function, or the voucher runs due.
    pub async fn scheduled(&self, event: ScheduleEvent) -> Result<Value, Error> {
        let lag = event
            .time
            .map(|t| (Utc::now() - t).num_milliseconds() as f64 / 1000.0);
        let job = event.detail.as_ref().and_then(|d| d.job.as_deref());
        if let Some(job) = job {
            if job != OPEN_DATA_JOB || !self.function.publishes_open_data() {
                return Err(format!("{}: no scheduled job {job:?}", self.function.name()).into());
            }
            let export = self.service.export_open_data().await.map_err(fail)?;
            let rows: usize = export.districts.iter().map(|d| d.rows).sum();
            tracing::info!(day = %export.day, districts = export.districts.len(), rows, lag, "open data exported");
            return Ok(serde_json::json!({ "open_data": export }));
        }
        let report = match self.function {
            Function::ExpirySweep | Function::ReconfirmationReminder => {
                let sweep = if self.function == Function::ExpirySweep {
                    Sweep::Expiry
                } else {
                    Sweep::Reconfirmation
                };
                // Fanned out: one part per part of the due index (and the expiry sweep's
                // chores), each done by an invocation of its own from the work queue.
                let work = self
                    .work
                    .as_ref()
                    .ok_or_else(|| format!("{}: no work queue", self.function.name()))?;
                let parts = self.service.sweep_parts(sweep);
                work.send(&parts).await.map_err(|e| fail(e.into()))?;
                let started = kezek_core::views::SweepReport {
                    sweep: sweep.as_str().to_owned(),
                    ..Default::default()
                };
                kezek_core::telemetry::sweep(&started, lag);
                tracing::info!(
                    sweep = sweep.as_str(),
                    parts = parts.len(),
                    "sweep fanned out"
                );
                serde_json::json!({ "sweep": sweep.as_str(), "parts": parts.len() })
            }
            Function::IssueVoucher => {
                // Fanned out: one unit per district and age group, each a run of its own from
                // the work queue (a unit with places left after its offers sends itself again).
                let district = event.detail.and_then(|d| d.district);
                let parts = self
                    .service
                    .voucher_run_parts(district.as_deref())
                    .map_err(fail)?;
                let work = self
                    .work
                    .as_ref()
                    .ok_or_else(|| format!("{}: no work queue", self.function.name()))?;
                work.send(&parts).await.map_err(|e| fail(e.into()))?;
                tracing::info!(parts = parts.len(), "voucher runs fanned out");
                serde_json::json!({ "voucher_runs": parts.len() })
            }
            f => return Err(format!("{}: not a scheduled function", f.name()).into()),
        };
        Ok(report)
    }

    /// A batch of a sweep's parts from its work queue (partial batch failures): each part is
    /// done while the invocation has time (`deadline`, Lambda's, in ms since the epoch; 0: no
    /// limit), and sent again when due work was left. The answer carries each part's report
    /// beside `batchItemFailures` (which is all Lambda reads of it).
    pub async fn parts(&self, batch: SqsEvent, deadline: u64) -> Value {
        /// Time left when a part stops taking pages and hands the rest to a new message.
        const RESERVE_MS: u64 = 60_000;
        let keep_going = move || {
            deadline == 0 || (Utc::now().timestamp_millis().max(0) as u64) + RESERVE_MS < deadline
        };
        let mut failures = Vec::new();
        let mut reports = Vec::new();
        for record in batch.records {
            let id = record.message_id.clone().unwrap_or_default();
            let part = record
                .body
                .as_deref()
                .ok_or_else(|| kezek_core::ports::StoreError("empty message".into()))
                .and_then(kezek_aws::items::SweepPartMessageV1::from_body);
            let done = match part {
                Ok(part) => self.part(part, &keep_going).await,
                // A message no version of this function can read: retrying will not help,
                // and after the last receive it rests in the dead-letter queue.
                Err(e) => Err(Failure::Unavailable(e.0)),
            };
            match done {
                Ok(report) => reports.push(report),
                Err(e) => {
                    tracing::error!(message = %id, error = %e, "sweep part failed, retried");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    failures.push(failure);
                }
            }
        }
        serde_json::json!({ "batchItemFailures": failures, "reports": reports })
    }

    /// One part of a sweep, with what it did.
    async fn part(
        &self,
        part: SweepPart,
        keep_going: &(dyn Fn() -> bool + Send + Sync),
    ) -> Result<Value, Failure> {
        let function = self.function;
        match part {
            SweepPart::VoucherRun { .. } if function != Function::IssueVoucher => Err(
                Failure::Unavailable(format!("a voucher run sent to {}", function.name())),
            ),
            SweepPart::VoucherRun {
                ref district,
                age_group,
            } => {
                let (view, more) = self.service.voucher_run_part(district, age_group).await?;
                if more {
                    // The places left go to a new unit (a new invocation).
                    let work = self.work.as_ref().ok_or_else(|| {
                        Failure::Unavailable("no work queue for the rest of a run".into())
                    })?;
                    work.send(std::slice::from_ref(&part)).await?;
                }
                let mut out =
                    serde_json::to_value(&view).map_err(|e| Failure::Unavailable(e.to_string()))?;
                out["more"] = serde_json::json!(more);
                Ok(out)
            }
            _ if function == Function::IssueVoucher => Err(Failure::Unavailable(format!(
                "a sweep's part sent to {}",
                function.name()
            ))),
            SweepPart::Due { sweep, part: n } => {
                let mine = match self.function {
                    Function::ExpirySweep => Sweep::Expiry,
                    _ => Sweep::Reconfirmation,
                };
                if sweep != mine {
                    return Err(Failure::Unavailable(format!(
                        "a {} part sent to {}",
                        sweep.as_str(),
                        self.function.name()
                    )));
                }
                let (report, more) = self.service.sweep_part(sweep, n, keep_going).await?;
                kezek_core::telemetry::sweep(&report, None);
                if more {
                    // The rest of this part goes to a new invocation.
                    let work = self.work.as_ref().ok_or_else(|| {
                        Failure::Unavailable("no work queue for the rest of a part".into())
                    })?;
                    work.send(&[part]).await?;
                }
                let mut out = serde_json::to_value(&report)
                    .map_err(|e| Failure::Unavailable(e.to_string()))?;
                out["part"] = serde_json::json!(n);
                out["more"] = serde_json::json!(more);
                Ok(out)
            }
            // The chores are the expiry sweep's.
            SweepPart::StatusCounts | SweepPart::Republish
                if self.function != Function::ExpirySweep =>
            {
                Err(Failure::Unavailable(format!(
                    "a chore of the expiry sweep sent to {}",
                    self.function.name()
                )))
            }
            SweepPart::StatusCounts => {
                self.service.report_status_counts().await?;
                Ok(serde_json::json!({ "status_counts": true }))
            }
            SweepPart::Republish => {
                let queue = self
                    .queue
                    .as_ref()
                    .ok_or_else(|| Failure::Unavailable("no notification queue".into()))?;
                let n = self
                    .service
                    .republish_stale(queue.as_ref(), REPUBLISH_LIMIT)
                    .await?;
                if n > 0 {
                    tracing::warn!(republished = n, "outbox entries the relay missed");
                }
                Ok(serde_json::json!({ "republished": n }))
            }
        }
    }

    /// An SQS batch of notifications: each is sent once and recorded; a transient failure leaves
    /// the message for a retry (partial batch failure), and after the last retry it rests in
    /// the dead-letter queue.
    pub async fn batch(&self, batch: SqsEvent) -> SqsBatchResponse {
        let mut failures = Vec::new();
        for record in batch.records {
            let id = record.message_id.clone().unwrap_or_default();
            let outcome = match (
                record
                    .body
                    .as_deref()
                    .map(kezek_aws::items::NotificationMessageV1::from_body),
                &self.sender,
            ) {
                (Some(Ok(n)), Some(sender)) => self.service.deliver(&n, sender.as_ref()).await,
                (Some(Err(e)), _) => {
                    tracing::error!(message = %id, error = %e, "not a notification");
                    Err(Failure::Unavailable("malformed message".into()))
                }
                (None, _) => Err(Failure::Unavailable("empty message".into())),
                (_, None) => Err(Failure::Unavailable("no sender".into())),
            };
            let receives: u32 = record
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1);
            match outcome {
                Ok(Delivered::Sent | Delivered::Failed) => {}
                Ok(Delivered::Retry) | Err(_) => {
                    if receives >= self.max_receives {
                        // The last retry: the message goes to the dead-letter queue; the outbox
                        // keeps the notification, recorded as failed for the operators.
                        if let Some(Ok(n)) = record
                            .body
                            .as_deref()
                            .map(kezek_aws::items::NotificationMessageV1::from_body)
                        {
                            if let Err(e) = self.service.give_up(&n, "retries exhausted").await {
                                tracing::error!(message = %id, error = %e, "recording a failed notification");
                            }
                            kezek_core::telemetry::notification("queue", false);
                        }
                    }
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    failures.push(failure);
                }
            }
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failures;
        response
    }

    /// New outbox entries from the table's stream (the event source passes only inserted
    /// outbox items): the relay moves them to the notifier's queue, the issuer makes the
    /// documents of their events. A record that fails fails the batch from it on
    /// (`ReportBatchItemFailures`), so the stream retries it and those after it.
    pub async fn stream(&self, event: DynamoEvent) -> DynamoDbEventResponse {
        #[derive(Deserialize)]
        struct OutboxItem {
            n: kezek_aws::items::NotificationMessageV1,
        }
        let mut batch = Vec::new();
        for record in &event.records {
            if record.event_name != "INSERT" {
                continue;
            }
            match serde_dynamo::from_item::<_, OutboxItem>(record.change.new_image.clone()) {
                Ok(item) => match Notification::try_from(item.n) {
                    Ok(n) => batch.push((record, n)),
                    Err(e) => {
                        tracing::error!(error = %e, "an outbox entry this function cannot read")
                    }
                },
                // Not an outbox entry (the event filter lets none through): nothing to do.
                Err(_) => continue,
            }
        }
        if self.function == Function::IssueDocuments {
            return self.issue(&batch).await;
        }
        let mut response = DynamoDbEventResponse::default();
        let Some(queue) = &self.queue else {
            tracing::error!("the relay has no queue");
            if let Some(first) = event.records.first() {
                response.batch_item_failures.push(stream_failure(first));
            }
            return response;
        };
        let notifications: Vec<Notification> = batch.iter().map(|(_, n)| n.clone()).collect();
        let failed = match self.service.relay(queue.as_ref(), &notifications).await {
            Ok(failed) => failed,
            Err(e) => {
                tracing::error!(error = %e, "relay");
                notifications.iter().map(|n| n.id.clone()).collect()
            }
        };
        if let Some((record, _)) = batch.iter().find(|(_, n)| failed.contains(&n.id)) {
            response.batch_item_failures.push(stream_failure(record));
        }
        tracing::info!(
            relayed = notifications.len() - failed.len(),
            failed = failed.len(),
            "outbox relay"
        );
        response
    }

    /// The issuer's part of [`Self::stream`]: the documents of each event, in order; the first
    /// failure stops the batch there (the stream retries from it; issuing is idempotent).
    async fn issue(&self, batch: &[(&EventRecord, Notification)]) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        let mut issued = 0;
        for (record, n) in batch {
            match self.service.issue_on_event(n).await {
                Ok(made) => issued += made,
                Err(e) => {
                    tracing::error!(notification = %n.id, error = %e, "issuing documents");
                    response.batch_item_failures.push(stream_failure(record));
                    break;
                }
            }
        }
        tracing::info!(
            events = batch.len(),
            issued,
            failed = response.batch_item_failures.len(),
            "documents issued"
        );
        response
    }
}

fn stream_failure(record: &EventRecord) -> DynamoDbBatchItemFailure {
    let mut f = DynamoDbBatchItemFailure::default();
    f.item_identifier = record.change.sequence_number.clone();
    f
}
