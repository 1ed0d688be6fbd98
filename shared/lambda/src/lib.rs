//! What every Kezek Lambda shares. A function's `main` is one line, [`run`]: JSON logs (with the
//! request id of each invocation), AWS clients built once per cold start, the handler of its
//! [`Function`], and the EMF metrics flushed after each invocation. [`Handler`] is the same code
//! the tests feed `events/` to, over any store.

pub mod function;

pub use function::{Function, Trigger};
pub use lambda_runtime::Error;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::dynamodb::Event as DynamoEvent;
use aws_lambda_events::encodings::Body as EventBody;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chrono::{DateTime, Utc};
use kezek_core::domain::Notification;
use kezek_core::lifecycle::Sweep;
use kezek_core::ports::{Credentials, NotificationQueue, Sender, SignatureVerifier, SystemClock};
use kezek_core::usecases::Delivered;
use kezek_core::{Failure, Service};
use kezek_http::{Api, NcaVerifier, Sessions};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, Response};
use lambda_runtime::{service_fn, LambdaEvent};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// The namespace of Kezek's business metrics in CloudWatch.
pub const METRICS_NAMESPACE: &str = "Kezek";

/// A function's handler: the service, the API when the function serves routes, and the sender
/// when it delivers notifications.
#[derive(Clone)]
pub struct Handler {
    pub function: Function,
    pub service: Service,
    api: Option<Api>,
    sessions: Option<Sessions>,
    sender: Option<Arc<dyn Sender>>,
    queue: Option<Arc<dyn NotificationQueue>>,
    /// The queue's receive count after which a message goes to the dead-letter queue.
    max_receives: u32,
}

/// The adapters a function needs besides the store.
#[derive(Clone, Default)]
pub struct Adapters {
    /// The notifier's e-mail and SMS sender.
    pub sender: Option<Arc<dyn Sender>>,
    /// The notifier's queue (the relay, and the expiry sweep's safety net).
    pub queue: Option<Arc<dyn NotificationQueue>>,
}

/// Receives of a notification message before SQS moves it to the dead-letter queue (the
/// template's `maxReceiveCount`), unless `MAX_RECEIVES` says otherwise.
pub const DEFAULT_MAX_RECEIVES: u32 = 5;

/// A scheduled event: EventBridge's envelope (`time`, `detail`); the schedules of
/// `infra/template.yaml` send it with the scheduled time.
#[derive(Debug, Default, Deserialize)]
struct Scheduled {
    #[serde(default)]
    time: Option<DateTime<Utc>>,
    #[serde(default)]
    detail: Option<ScheduledDetail>,
}

#[derive(Debug, Default, Deserialize)]
struct ScheduledDetail {
    /// A voucher run's district; every district when absent.
    #[serde(default)]
    district: Option<String>,
}

impl Handler {
    /// `api` for a function that serves routes (see [`api`]), `sessions` for the authorizer,
    /// `adapters` for the notifier and the publishers.
    pub fn new(
        function: Function,
        service: Service,
        api: Option<Api>,
        adapters: Adapters,
    ) -> Handler {
        let sessions = api.as_ref().map(|a| a.sessions.clone());
        Handler {
            function,
            service,
            api,
            sessions,
            sender: adapters.sender,
            queue: adapters.queue,
            max_receives: DEFAULT_MAX_RECEIVES,
        }
    }

    /// The authorizer's session keys.
    pub fn with_sessions(mut self, sessions: Sessions) -> Handler {
        self.sessions = Some(sessions);
        self
    }

    /// The receive count at which the notifier gives a message up (records it failed).
    pub fn with_max_receives(mut self, n: u32) -> Handler {
        self.max_receives = n.max(1);
        self
    }

    /// Handles one invocation's payload. An API Gateway request always gets a response in the
    /// contract's shape; a scheduled run or a batch reports what it did; an error is returned
    /// only when the whole invocation should be retried.
    pub async fn handle(&self, event: Value) -> Result<Value, Error> {
        if self.function.trigger() == Trigger::Authorizer {
            return Ok(self.authorize(&event));
        }
        if event.get("requestContext").is_some() && event.get("routeKey").is_some() {
            let request: ApiGatewayV2httpRequest = serde_json::from_value(event)?;
            let response = self.http(request).await;
            return Ok(serde_json::to_value(response)?);
        }
        match self.function.trigger() {
            Trigger::Schedule => self.scheduled(serde_json::from_value(event)?).await,
            Trigger::Queue => {
                let batch: SqsEvent = serde_json::from_value(event)?;
                Ok(serde_json::to_value(self.batch(batch).await)?)
            }
            Trigger::Stream => {
                let event: DynamoEvent = serde_json::from_value(event)?;
                Ok(serde_json::to_value(self.stream(event).await)?)
            }
            Trigger::Api | Trigger::Authorizer => {
                Err(format!("{}: not an API Gateway request", self.function.name()).into())
            }
        }
    }

    /// API Gateway's authorizer request (payload 2.0, simple response): authorized only for a
    /// valid, unexpired session of an operator. The functions still check the districts.
    pub fn authorize(&self, event: &Value) -> Value {
        let header = event
            .get("identitySource")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .or_else(|| {
                event
                    .get("headers")
                    .and_then(|h| h.get("authorization"))
                    .and_then(Value::as_str)
            })
            .unwrap_or_default();
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .unwrap_or_default()
            .trim();
        let who = self
            .sessions
            .as_ref()
            .ok_or(Failure::Unauthorized {
                code: "unauthorized",
            })
            .and_then(|s| s.verify(token));
        match who {
            Ok(p) if p.role == kezek_core::Role::Operator => serde_json::json!({
                "isAuthorized": true,
                "context": { "role": "operator", "districts": p.districts.join(",") },
            }),
            Ok(_) => {
                tracing::info!(code = "forbidden", "authorizer refused");
                serde_json::json!({ "isAuthorized": false })
            }
            Err(f) => {
                tracing::info!(code = f.code(), "authorizer refused");
                serde_json::json!({ "isAuthorized": false })
            }
        }
    }

    /// An API Gateway (HTTP API, payload 2.0) request to one of this function's routes.
    pub async fn http(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let req: Request = LambdaRequest::ApiGatewayV2(request).into();
        let route = kezek_http::route_key(req.method(), req.uri().path());
        let response = match (&self.api, route) {
            (Some(api), Some(r)) if self.function.routes().contains(&r) => api.handle(req).await,
            _ => {
                let lang = kezek_http::language(req.headers());
                let f = Failure::NotFound {
                    code: "route_not_found",
                };
                kezek_http::error_response(&f, lang, &self.service)
            }
        };
        to_apigw(response)
    }

    async fn scheduled(&self, event: Scheduled) -> Result<Value, Error> {
        let lag = event
            .time
            .map(|t| (Utc::now() - t).num_milliseconds() as f64 / 1000.0);
        let report = match self.function {
            Function::ExpirySweep | Function::ReconfirmationReminder => {
                let sweep = if self.function == Function::ExpirySweep {
                    Sweep::Expiry
                } else {
                    Sweep::Reconfirmation
                };
                let report = self.service.sweep(sweep).await.map_err(fail)?;
                kezek_core::telemetry::sweep(&report, lag);
                let mut out = serde_json::to_value(&report)?;
                if sweep == Sweep::Expiry {
                    self.service.report_status_counts().await.map_err(fail)?;
                    if let Some(queue) = &self.queue {
                        let n = self
                            .service
                            .republish_stale(queue.as_ref(), REPUBLISH_LIMIT)
                            .await
                            .map_err(fail)?;
                        if n > 0 {
                            tracing::warn!(republished = n, "outbox entries the relay missed");
                        }
                        out["republished"] = serde_json::json!(n);
                    }
                }
                out
            }
            Function::IssueVoucher => {
                let district = event.detail.and_then(|d| d.district);
                let runs = self
                    .service
                    .scheduled_voucher_runs(district.as_deref())
                    .await
                    .map_err(fail)?;
                let offered: usize = runs.iter().map(|r| r.run.offered).sum();
                tracing::info!(runs = runs.len(), offered, "scheduled voucher runs");
                serde_json::json!({ "runs": runs, "offered": offered })
            }
            f => return Err(format!("{}: not a scheduled function", f.name()).into()),
        };
        Ok(report)
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
}

impl Handler {
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
    async fn issue(
        &self,
        batch: &[(&aws_lambda_events::dynamodb::EventRecord, Notification)],
    ) -> DynamoDbEventResponse {
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

fn stream_failure(record: &aws_lambda_events::dynamodb::EventRecord) -> DynamoDbBatchItemFailure {
    let mut f = DynamoDbBatchItemFailure::default();
    f.item_identifier = record.change.sequence_number.clone();
    f
}

/// Most outbox entries one expiry sweep publishes again.
pub const REPUBLISH_LIMIT: usize = 100;

fn fail(f: Failure) -> Error {
    format!("{}: {f}", f.code()).into()
}

fn to_apigw(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = parts.headers;
    out.body = Some(match body {
        Body::Empty => EventBody::Empty,
        Body::Text(t) => EventBody::Text(t),
        Body::Binary(b) => EventBody::Binary(b),
        _ => EventBody::Empty,
    });
    out.is_base64_encoded = false;
    out
}

/// Configuration from the environment, set by `infra/template.yaml`.
pub struct Settings {
    /// `TABLE_NAME`: the DynamoDB table.
    pub table: String,
    /// `SESSION_SECRET_ID`: the Secrets Manager secret with the session key and the NCA roots
    /// ([`kezek_aws::ApiSecrets`]), read at cold start by the functions that need them.
    pub session_secret: Option<String>,
    /// `KEZEK_SESSION_KEY`: the session signing key, when no secret is named (local runs).
    pub session_key: Option<Vec<u8>>,
    /// `NCA_ROOTS_PEM`: NCA root certificates, when no secret is named (local runs).
    pub nca_roots: Option<String>,
    /// `DOCUMENTS_BUCKET`: the S3 bucket of documents (the functions that make or list them).
    pub documents_bucket: Option<String>,
    /// `S3_FORCE_PATH_STYLE`: address the bucket in the path (an endpoint without bucket
    /// subdomains).
    pub s3_path_style: bool,
    /// `REGISTERS_URL`: the state registers' JSON gateway ([`kezek_registers`]); the built-in
    /// registers when unset (development stacks only).
    pub registers_url: Option<String>,
    /// `SENDER_EMAIL`: the SES identity e-mail goes from (the notifier).
    pub sender_email: Option<String>,
    /// `NOTIFICATION_QUEUE_URL`: the notifier's queue (the relay and the expiry sweep).
    pub queue_url: Option<String>,
    /// `MAX_RECEIVES`: the queue's receives before the dead-letter queue (the notifier).
    pub max_receives: Option<u32>,
    /// `CALENDAR_FROM_TABLE=true`: read the working-day calendar files an operator published in
    /// the table (`kezek-admin calendar-publish`) at cold start, over the shipped years.
    pub calendar_from_table: bool,
}

impl Settings {
    pub fn from_env() -> Result<Settings, Error> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Ok(Settings {
            table: var("TABLE_NAME").ok_or("TABLE_NAME is not set")?,
            session_secret: var("SESSION_SECRET_ID"),
            session_key: var("KEZEK_SESSION_KEY").map(String::into_bytes),
            nca_roots: var("NCA_ROOTS_PEM"),
            registers_url: var("REGISTERS_URL"),
            documents_bucket: var("DOCUMENTS_BUCKET"),
            s3_path_style: var("S3_FORCE_PATH_STYLE").is_some_and(|v| v == "true"),
            sender_email: var("SENDER_EMAIL"),
            queue_url: var("NOTIFICATION_QUEUE_URL"),
            max_receives: var("MAX_RECEIVES").and_then(|v| v.parse().ok()),
            calendar_from_table: var("CALENDAR_FROM_TABLE").is_some_and(|v| v == "true"),
        })
    }
}

/// Makes the notifier's sender from the SDK config and the `SENDER_EMAIL` address. Given by the
/// notifier's `main`, so that only the notifier links the SES and SNS clients.
pub type MakeSender = fn(&aws_config::SdkConfig, &str) -> Arc<dyn Sender>;
/// Makes the notifier's queue from the SDK config and `NOTIFICATION_QUEUE_URL` (given by the
/// functions that publish, so that only they link the SQS client).
pub type MakeQueue = fn(&aws_config::SdkConfig, &str) -> Arc<dyn NotificationQueue>;

/// Makes the documents' blob store (S3) from the SDK config, the bucket and the path-style flag
/// (given by the functions that make or list documents).
pub type MakeBlobs = fn(&aws_config::SdkConfig, &str, bool) -> Arc<dyn kezek_core::ports::Blobs>;

/// What a function's `main` gives besides its [`Function`].
#[derive(Clone, Copy, Default)]
pub struct Make {
    pub sender: Option<MakeSender>,
    pub queue: Option<MakeQueue>,
    pub blobs: Option<MakeBlobs>,
    /// The PDF renderer of issued documents ([`kezek_core::documents::render_pdf`]).
    pub render: Option<kezek_core::documents::Render>,
}

impl Make {
    /// What the functions that keep documents give: S3 and the PDF renderer.
    pub fn documents() -> Make {
        Make {
            blobs: Some(kezek_aws::s3_blobs),
            render: Some(kezek_core::documents::render_pdf),
            ..Make::default()
        }
    }
}

/// The API of a function that serves routes: the service, login and signatures (codes in the
/// credentials store, EDS against `verifier`), and sessions signed with `key`.
pub fn api(
    service: &Service,
    credentials: Arc<dyn Credentials>,
    key: &[u8],
    verifier: Arc<dyn SignatureVerifier>,
) -> Result<Api, Error> {
    Ok(Api::build(service.clone(), credentials, key, verifier)?)
}

/// The calendar an operator published in the table over the shipped years, checked as the shipped
/// ones are; `None` (the shipped calendar) when none is published, or when it cannot be read or is
/// refused (logged as an error: the shipped calendar stays in force).
pub async fn published_calendar(
    store: &kezek_aws::DynamoStore,
) -> Option<Arc<kezek_core::calendar::Calendar>> {
    let items = match store.published_calendar().await {
        Ok(items) if items.is_empty() => return None,
        Ok(items) => items,
        Err(e) => {
            tracing::error!(error = %e, "published calendar not read: the shipped calendar is in force");
            return None;
        }
    };
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    match kezek_core::calendar::Calendar::with_published(&texts) {
        Ok(calendar) => {
            let years: Vec<i32> = items.iter().map(|i| i.year).collect();
            tracing::info!(?years, "published calendar in force");
            Some(Arc::new(calendar))
        }
        Err(e) => {
            tracing::error!(error = %e, "published calendar refused: the shipped calendar is in force");
            None
        }
    }
}

/// Builds a function's handler over DynamoDB (and its sender or queue) from a loaded SDK
/// config: the clients are made here once, at cold start, and the functions that need sessions
/// read their secret here.
pub async fn build(
    function: Function,
    shared: &aws_config::SdkConfig,
    settings: &Settings,
    make: Make,
) -> Result<Handler, Error> {
    let client = kezek_aws::dynamodb_client_from(shared, None);
    let store = Arc::new(kezek_aws::DynamoStore::new(client, &settings.table));
    let mut service = Service::new(
        store.clone(),
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(kezek_core::ports::BuiltinRegisters),
    );
    if settings.calendar_from_table && function.uses_calendar() {
        service.calendar = published_calendar(&store).await;
    }
    if let Some(make) = make.blobs {
        let bucket = settings
            .documents_bucket
            .as_deref()
            .ok_or("DOCUMENTS_BUCKET is not set")?;
        service.blobs = Some(make(shared, bucket, settings.s3_path_style));
    }
    service.render = make.render;
    if function.keeps_documents() && (service.blobs.is_none() || service.render.is_none()) {
        return Err(format!("{}: needs a blob store and a renderer", function.name()).into());
    }
    let mut sessions = None;
    let mut api_ = None;
    if function.needs_sessions() {
        let (key, roots, registers_token) = match &settings.session_secret {
            Some(id) => {
                let secrets = kezek_aws::api_secrets(shared, id).await?;
                (
                    secrets.session_key.into_bytes(),
                    secrets.nca_roots,
                    secrets.registers_token,
                )
            }
            None => (
                settings
                    .session_key
                    .clone()
                    .ok_or("neither SESSION_SECRET_ID nor KEZEK_SESSION_KEY is set")?,
                settings.nca_roots.clone().unwrap_or_default(),
                String::new(),
            ),
        };
        if let Some(url) = &settings.registers_url {
            let token = Some(registers_token).filter(|t| !t.is_empty());
            service.registers = Arc::new(kezek_registers::HttpRegisters::new(url, token));
        }
        if function.routes().is_empty() {
            sessions = Some(Sessions::new(&key)?);
        } else {
            let verifier = NcaVerifier::from_pem(&roots).map_err(|e| format!("NCA roots: {e}"))?;
            let credentials: Arc<dyn Credentials> = store.clone();
            api_ = Some(api(&service, credentials, &key, Arc::new(verifier))?);
        }
    }
    let mut adapters = Adapters::default();
    if function.trigger() == Trigger::Queue {
        let from = settings
            .sender_email
            .as_deref()
            .ok_or("SENDER_EMAIL is not set")?;
        let make = make.sender.ok_or("the notifier needs a sender")?;
        adapters.sender = Some(make(shared, from));
    }
    if let Some(make) = make.queue {
        let url = settings
            .queue_url
            .as_deref()
            .ok_or("NOTIFICATION_QUEUE_URL is not set")?;
        adapters.queue = Some(make(shared, url));
    } else if function == Function::OutboxRelay {
        return Err("the relay needs a queue".into());
    }
    let mut handler = Handler::new(function, service, api_, adapters);
    if let Some(s) = sessions {
        handler = handler.with_sessions(s);
    }
    Ok(match settings.max_receives {
        Some(n) => handler.with_max_receives(n),
        None => handler,
    })
}

/// JSON logs on stdout; the runtime's span adds each invocation's `requestId`. The level comes
/// from `AWS_LAMBDA_LOG_LEVEL` (Lambda's logging controls), INFO by default.
pub fn init_logging() {
    use tracing_subscriber::filter::LevelFilter;
    let level = match std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .unwrap_or_default()
        .to_ascii_uppercase()
        .as_str()
    {
        "TRACE" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "WARN" => LevelFilter::WARN,
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        _ => LevelFilter::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .try_init();
}

/// The EMF recorder of the process (installed once): metrics are flushed as one JSON line.
pub fn metrics_collector(
) -> Result<&'static metrics_cloudwatch_embedded::Collector, metrics_cloudwatch_embedded::Error> {
    use std::sync::OnceLock;
    static COLLECTOR: OnceLock<&'static metrics_cloudwatch_embedded::Collector> = OnceLock::new();
    if let Some(c) = COLLECTOR.get() {
        return Ok(c);
    }
    let c = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(METRICS_NAMESPACE)
        .init()?;
    Ok(COLLECTOR.get_or_init(|| c))
}

/// A function's `main`: logging, clients and handler once per cold start, then the invocations.
pub async fn run(function: Function) -> Result<(), Error> {
    run_with(function, Make::default()).await
}

/// [`run`], with the adapters the function's `main` makes.
pub async fn run_with(function: Function, make: Make) -> Result<(), Error> {
    init_logging();
    let shared = kezek_aws::lambda_sdk_config().await;
    let settings = Settings::from_env()?;
    let handler = build(function, &shared, &settings, make).await?;
    let metrics = metrics_collector()?;
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let result = handler.handle(event.payload).await;
        let _ = metrics
            .set_property("requestId", event.context.request_id)
            .flush(std::io::stdout().lock());
        result
    }))
    .await
}
