//! The naive function: what a DynamoDB-reading Lambda in Rust looks like with the ecosystem's
//! defaults, the yardstick of the cold-request harness (`bench/cold-start --cold-request`):
//! `aws_config::load_defaults(BehaviorVersion::latest())`, the DynamoDB client built at init, one
//! `GetItem` on its first request, AWS-LC's CPU-jitter entropy left on (its build sets
//! `AWS_LC_SYS_NO_JITTER_ENTROPY=0`), no connection primed.

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = std::env::var("TABLE_NAME")?;
    let client = &client;
    let table = table.as_str();
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<Value>| async move {
        let out = client
            .get_item()
            .table_name(table)
            .key("PK", AttributeValue::S("APP#naive".into()))
            .key("SK", AttributeValue::S("A".into()))
            .send()
            .await?;
        Ok::<Value, Error>(json!({"statusCode": 200, "found": out.item.is_some()}))
    }))
    .await
}
