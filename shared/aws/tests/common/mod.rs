//! The moto emulator for integration tests (see `kezek_contract::moto`).

#![allow(dead_code)]

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use kezek_aws::{dynamodb_client_from, DynamoStore, RequestCounter};
use std::sync::Arc;

fn endpoint() -> &'static str {
    kezek_contract::moto::endpoint()
}

pub fn sdk_config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "moto",
            )),
        )
        .build()
}

/// A store on a fresh table of its own.
pub async fn store_with(counter: Option<RequestCounter>) -> Arc<DynamoStore> {
    let client = dynamodb_client_from(&sdk_config(), counter);
    let table = format!("kezek-test-{}", uuid::Uuid::new_v4().simple());
    let store = DynamoStore::new(client, table);
    store.ensure_table().await.expect("create the test table");
    Arc::new(store)
}

pub async fn store() -> Arc<DynamoStore> {
    store_with(None).await
}
