//! What runs around a handler in Lambda: JSON logs, the EMF metrics flushed after each
//! invocation, and the cold start that reads the configuration and builds the handler.

use crate::{build, Error, Function, Handler, Make, Settings};

/// The namespace of Kezek's business metrics in CloudWatch.
pub const METRICS_NAMESPACE: &str = "Kezek";

/// Cold start: logging, the function's configuration (every missing variable named in one
/// error), the SDK config, and the handler over the clients the function needs.
pub async fn cold_start(function: Function, make: Make) -> Result<Handler, Error> {
    init_logging();
    let settings = Settings::for_function(function)?;
    let shared = kezek_aws::lambda_sdk_config().await;
    build(function, &shared, &settings, make).await
}

/// JSON logs on stdout; the runtime's span adds each invocation's `requestId`. The level comes
/// from `AWS_LAMBDA_LOG_LEVEL` (Lambda's logging controls), INFO by default. (The runtime's
/// own `init_default_subscriber` writes text unless the function's log format is JSON; the
/// logs' JSON shape and their redaction are checked by `tests/logs.rs`, whatever the template
/// says.)
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

/// Flushes the metrics of one invocation (as one EMF line with its request id).
pub fn flush_metrics(request_id: &str) {
    if let Ok(metrics) = metrics_collector() {
        let _ = metrics
            .set_property("requestId", request_id.to_owned())
            .flush(std::io::stdout().lock());
    }
}

/// A router whose every request flushes the invocation's metrics after its response.
pub fn with_metrics(router: axum::Router) -> axum::Router {
    router.layer(axum::middleware::from_fn(
        |req: axum::extract::Request, next: axum::middleware::Next| async move {
            use lambda_http::RequestExt;
            let id = req
                .lambda_context_ref()
                .map(|c| c.request_id.clone())
                .unwrap_or_default();
            let response = next.run(req).await;
            flush_metrics(&id);
            response
        },
    ))
}

/// Runs a typed handler of events (the runtime deserializes each payload into `E`), flushing
/// the metrics after each invocation.
pub async fn run_events<E, R, F, Fut>(handler: F) -> Result<(), Error>
where
    E: serde::de::DeserializeOwned + Send,
    R: serde::Serialize + Send,
    F: Fn(lambda_runtime::LambdaEvent<E>) -> Fut,
    Fut: std::future::Future<Output = Result<R, Error>>,
{
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<E>| async move {
            let id = event.context.request_id.clone();
            let result = handler(event).await;
            flush_metrics(&id);
            result
        },
    ))
    .await
}
