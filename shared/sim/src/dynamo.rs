//! The simulation against DynamoDB (issue 20, part 4): the DynamoDB adapter on a table of its
//! own on moto, its SDK client's HTTP connector injecting the faults below the SDK's retry loop,
//! where they happen in AWS:
//! - a write throttled (`ThrottlingException`, 400) before it reaches the table;
//! - a write whose connection fails before it is sent;
//! - a write that reaches the table and whose answer is lost (a timeout after moto answered).
//!
//! The SDK retries them as it would in AWS (standard mode, 5 attempts; its backoff shortened to
//! milliseconds so a simulated year does not sleep for real); whatever the retries do not absorb
//! reaches the adapter and the core's ambiguity handling (the read-back of a commit). The kills
//! stay in [`crate::faulty::Faulty`], as on the embedded store. The checks read the table through
//! a second client with no faults.
//!
//! Why a connector and not an interceptor: an interceptor cannot keep a request from reaching the
//! server, nor answer it with a timeout the retry loop treats as one; the connector is the layer
//! where throttles and lost answers arrive in AWS.

use crate::faulty::{Faults, FAIL_BEFORE, LOST_ANSWER, THROTTLED};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use kezek_aws::DynamoStore;
use std::sync::Arc;

/// The operations that write: the faults are where a write's outcome can be in doubt.
const WRITES: [&str; 5] = [
    "TransactWriteItems",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
];

#[derive(Clone)]
struct FaultyHttp {
    inner: SharedHttpClient,
    faults: Arc<Faults>,
}

impl std::fmt::Debug for FaultyHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaultyHttp")
    }
}

impl HttpClient for FaultyHttp {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            faults: self.faults.clone(),
        })
    }
}

struct FaultyConnector {
    inner: SharedHttpConnector,
    faults: Arc<Faults>,
}

impl std::fmt::Debug for FaultyConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaultyConnector")
    }
}

fn throttled() -> HttpResponse {
    let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;
    let mut r = HttpResponse::new(
        400u16.try_into().unwrap_or_else(|_| unreachable!()),
        SdkBody::from(body),
    );
    r.headers_mut()
        .insert("content-type", "application/x-amz-json-1.0");
    r
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let op = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("");
        let write = WRITES.contains(&op);
        let r = self.faults.rates;
        if write && self.faults.roll(THROTTLED, r.throttle) {
            return HttpConnectorFuture::ready(Ok(throttled()));
        }
        if write && self.faults.roll(FAIL_BEFORE, r.fail_before) {
            return HttpConnectorFuture::ready(Err(ConnectorError::io(
                "simulated: the connection failed before the request was sent".into(),
            )));
        }
        let lost = write && self.faults.roll(LOST_ANSWER, r.lost_answer);
        let call = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let answer = call.await?;
            if lost {
                // moto applied it; the answer never comes back
                return Err(ConnectorError::timeout(
                    "simulated: the answer was lost after the request reached the table".into(),
                ));
            }
            Ok(answer)
        })
    }
}

/// A table of its own on moto at `endpoint`: the store the service writes through (its HTTP
/// faulty) and the one the checks read (no faults), over the same table.
pub async fn stores(
    endpoint: &str,
    faults: Arc<Faults>,
) -> Result<(Arc<DynamoStore>, Arc<DynamoStore>), String> {
    use aws_config::{BehaviorVersion, Region, SdkConfig};
    let sdk = |http: SharedHttpClient| {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("testing", "testing", None, None, "sim"),
                ),
            )
            .http_client(http)
            .timeout_config(kezek_aws::sdk_timeouts())
            .build()
    };
    let retry = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(std::time::Duration::from_millis(2));
    let client = |http: SharedHttpClient| {
        let conf = aws_sdk_dynamodb::config::Builder::from(&sdk(http)).retry_config(retry.clone());
        aws_sdk_dynamodb::Client::from_conf(conf.build())
    };
    let plain = kezek_aws::lazy_https_client();
    let faulty = SharedHttpClient::new(FaultyHttp {
        inner: plain.clone(),
        faults,
    });
    let table = format!("kezek-sim-{}", uuid::Uuid::new_v4().simple());
    let clean = DynamoStore::new(client(plain), table.clone());
    // a table the SAM template would own; here made for the run
    clean
        .ensure_table()
        .await
        .map_err(|e| format!("DynamoDB at {endpoint}: cannot create the table: {e}"))?;
    Ok((
        Arc::new(DynamoStore::new(client(faulty), table)),
        Arc::new(clean),
    ))
}
