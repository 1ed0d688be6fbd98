//! AWS adapters of Kezek's ports: the DynamoDB store and outbox (single-table design, see
//! `docs/dynamodb.md`) and a request-counting interceptor for the SDK client.

pub mod counter;
pub mod dynamo;
pub mod http_client;
pub mod https;
pub mod items;
pub mod keys;
pub mod queue;
pub mod s3;
pub mod secrets;
pub mod sender;

pub use counter::RequestCounter;
pub use dynamo::DynamoStore;
pub use http_client::lazy_https_client;
pub use queue::{SqsQueue, SqsWorkQueue};
pub use s3::S3Blobs;
pub use secrets::{
    parse_secret, read_secret, CodeKeySecret, RegistersSecret, SessionSigningSecret,
};
pub use sender::AwsSender;

/// A DynamoDB client from the environment (region, credentials, `AWS_ENDPOINT_URL`), with the
/// standard retry mode: throttling and transient errors are retried with exponential backoff.
pub async fn dynamodb_client(counter: Option<RequestCounter>) -> aws_sdk_dynamodb::Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    dynamodb_client_from(&shared, counter)
}

/// A DynamoDB client from a loaded SDK config, with standard retries (5 attempts, exponential
/// backoff with jitter) and, when given, the request counter.
pub fn dynamodb_client_from(
    shared: &aws_config::SdkConfig,
    counter: Option<RequestCounter>,
) -> aws_sdk_dynamodb::Client {
    let mut conf = aws_sdk_dynamodb::config::Builder::from(shared)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5));
    if let Some(c) = counter {
        conf = conf.interceptor(c);
    }
    aws_sdk_dynamodb::Client::from_conf(conf.build())
}

/// The SDK config of a Lambda: region and credentials from the environment Lambda sets (no
/// provider chain to build at cold start), `AWS_ENDPOINT_URL` honoured, and one HTTPS client set
/// up on first use.
pub async fn lambda_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
        .http_client(lazy_https_client())
        .timeout_config(sdk_timeouts())
        .load()
        .await
}

/// Connecting to an AWS endpoint gives up after this long.
pub const SDK_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
/// One attempt of a call (connect, send, answer) gives up after this long; the SDK retries.
pub const SDK_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// A whole call, its retries included, gives up after this long: below the API functions'
/// 10-second timeout, so a hung dependency is a 503 the function answers, not a Lambda timeout.
pub const SDK_OPERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(8);

/// The timeouts of every AWS call the functions make.
pub fn sdk_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(SDK_CONNECT_TIMEOUT)
        .operation_attempt_timeout(SDK_ATTEMPT_TIMEOUT)
        .operation_timeout(SDK_OPERATION_TIMEOUT)
        .build()
}

/// The sweeps' work queue at `url` (what `kezek_lambda::Make::work` takes).
pub fn sqs_work_queue(
    shared: &aws_config::SdkConfig,
    url: &str,
) -> std::sync::Arc<dyn kezek_core::ports::WorkQueue> {
    std::sync::Arc::new(SqsWorkQueue::from_config(shared, url))
}

/// The notifier's queue (SQS) as the publishing Lambdas' `main` makes it.
pub fn sqs_queue(
    shared: &aws_config::SdkConfig,
    url: &str,
) -> std::sync::Arc<dyn kezek_core::ports::NotificationQueue> {
    std::sync::Arc::new(SqsQueue::from_config(shared, url))
}

/// The e-mail (SES) and SMS (SNS) sender as the notifier's `main` makes it.
pub fn aws_sender(
    shared: &aws_config::SdkConfig,
    from: &str,
) -> std::sync::Arc<dyn kezek_core::ports::Sender> {
    std::sync::Arc::new(AwsSender::from_config(shared, from))
}

/// The documents' blob store (S3) as the documents-making Lambdas' `main` makes it.
pub fn s3_blobs(
    shared: &aws_config::SdkConfig,
    bucket: &str,
    path_style: bool,
) -> std::sync::Arc<dyn kezek_core::ports::Blobs> {
    std::sync::Arc::new(S3Blobs::from_config(shared, bucket, path_style))
}
