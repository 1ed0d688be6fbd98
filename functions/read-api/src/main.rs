//! The read routes: health, districts, the catalogue, the journal, an application and its history.

use kezek_lambda::{cold_start, lambda_http, with_metrics, Error, Function, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB and the session key.
    let handler = cold_start(Function::ReadApi, Make::default()).await?;
    // Each request: the axum router of this function's routes.
    lambda_http::run(with_metrics(handler.router())).await
}
