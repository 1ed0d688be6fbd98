//! Documents: `POST /v1/documents`, `GET /v1/applications/{id}/documents`.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`; only the functions that
//! touch documents link the S3 signer and the PDF renderer.

use kezek_lambda::{cold_start, lambda_http, with_metrics, Error, Function, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB and the session key.
    let handler = cold_start(Function::Documents, Make::documents()).await?;
    // Each request: the axum router of this function's routes.
    lambda_http::run(with_metrics(handler.router())).await
}
