//! The yearly reconfirmation and the voucher confirmation: `POST /v1/applications/{id}/reconfirm`, `POST /v1/applications/{id}/voucher/confirm`.

use kezek_lambda::{cold_start, lambda_http, with_metrics, Error, Function, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB and the session key.
    let handler = cold_start(Function::Confirm, Make::default()).await?;
    // Each request: the axum router of this function's routes.
    lambda_http::run(with_metrics(handler.router())).await
}
