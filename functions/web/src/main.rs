//! The parents' portal: every path outside `/v1` (the home page, the login, the application
//! form, the journal and each application's page), HTML rendered over the same use cases and
//! access policy as the API. It logs parents in, so it holds the session private key and the
//! code key (its form key is derived from the latter), and signs the upload forms of proofs.

use kezek_lambda::{cold_start, lambda_http, with_metrics, Error, Function, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB, the session and code keys.
    // S3: the proofs' upload forms (posted by the browser straight to the bucket) and the
    // application's documents (issued PDFs made on first view, as the documents function does).
    let handler = cold_start(Function::Web, Make::documents()).await?;
    // Each request: the portal's router.
    lambda_http::run(with_metrics(handler.router())).await
}
