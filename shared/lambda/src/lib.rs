//! What every Kezek Lambda shares: the function table ([`Function`]), each function's typed
//! configuration ([`Settings`]), its clients made once at cold start ([`cold_start`]), JSON logs,
//! EMF metrics, and the typed handlers a function's `main` runs:
//!
//! - API functions: the axum router of their routes ([`Handler::router`]) through
//!   `lambda_http::run`;
//! - the sweeps and the voucher runs: a schedule's event or an operator's API request
//!   ([`Invocation`]); a sweep's parts: [`SqsEvent`] from its work queue;
//! - the notifier: [`SqsEvent`] with partial batch failures;
//! - the relay and the issuer of documents: the table stream's [`DynamoEvent`];
//! - the authorizer: API Gateway's authorizer request ([`AuthorizerRequest`]).
//!
//! [`Handler::handle`] takes any of these as JSON, the way the tests feed `events/` to them.

pub mod config;
pub mod events;
pub mod function;
pub mod http;
pub mod runtime;
pub mod setup;

pub use aws_lambda_events::dynamodb::Event as DynamoEvent;
pub use aws_lambda_events::sqs::SqsEvent;
pub use config::{Missing, Settings};
pub use events::{ScheduleEvent, OPEN_DATA_JOB, REPUBLISH_LIMIT};
pub use function::{Function, Trigger};
pub use http::{AuthorizerRequest, Invocation};
pub use lambda_http;
pub use lambda_runtime::{self, service_fn, Error, LambdaEvent};
pub use runtime::{
    cold_start, init_logging, metrics_collector, run_events, with_metrics, METRICS_NAMESPACE,
};
pub use setup::{
    api, build, published_calendar, Make, MakeBlobs, MakeQueue, MakeSender, MakeWorkQueue,
};

use kezek_core::ports::{NotificationQueue, Sender, WorkQueue};
use kezek_core::{Failure, Service};
use kezek_http::{Api, Sessions};
use serde_json::Value;
use std::sync::Arc;

/// A function's handler: the service, the API when the function serves routes, the session
/// keys of the authorizer, and the sender or queue of the functions that deliver or publish.
#[derive(Clone)]
pub struct Handler {
    pub function: Function,
    pub service: Service,
    api: Option<Api>,
    sessions: Option<Sessions>,
    sender: Option<Arc<dyn Sender>>,
    queue: Option<Arc<dyn NotificationQueue>>,
    /// The sweep's work queue (the sweep functions).
    work: Option<Arc<dyn WorkQueue>>,
    /// The portal's pages (the web function).
    web: Option<kezek_web::Web>,
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
    /// A sweep's work queue of parts.
    pub work: Option<Arc<dyn WorkQueue>>,
    /// The portal over the function's API (the web function).
    pub web: Option<kezek_web::Web>,
}

/// Receives of a notification message before SQS moves it to the dead-letter queue (the
/// template's `maxReceiveCount`), unless `MAX_RECEIVES` says otherwise.
pub const DEFAULT_MAX_RECEIVES: u32 = 5;

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
            work: adapters.work,
            web: adapters.web,
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

    /// One invocation's payload as JSON, dispatched to the function's typed handler as the
    /// Lambda runtime would: an API Gateway request always gets a response in the contract's
    /// shape; a scheduled run or a batch reports what it did; an error is returned only when
    /// the whole invocation should be retried.
    pub async fn handle(&self, event: Value) -> Result<Value, Error> {
        match self.function.trigger() {
            Trigger::Authorizer => {
                let request: AuthorizerRequest = serde_json::from_value(event)?;
                Ok(serde_json::to_value(self.authorize(request))?)
            }
            Trigger::Api | Trigger::Schedule => {
                let invocation: Invocation = serde_json::from_value(event)?;
                self.invoke(LambdaEvent::new(invocation, Default::default()))
                    .await
            }
            Trigger::Queue => {
                let batch: SqsEvent = serde_json::from_value(event)?;
                Ok(serde_json::to_value(self.batch(batch).await)?)
            }
            Trigger::Stream => {
                let event: DynamoEvent = serde_json::from_value(event)?;
                Ok(serde_json::to_value(self.stream(event).await)?)
            }
        }
    }
}

fn fail(f: Failure) -> Error {
    format!("{}: {f}", f.code()).into()
}
