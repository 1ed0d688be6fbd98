//! Documents: `POST /v1/documents`, `GET /v1/applications/{id}/documents`.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    let make = kezek_lambda::Make {
        blobs: Some(kezek_aws::s3_blobs),
        ..Default::default()
    };
    kezek_lambda::run_with(kezek_lambda::Function::Documents, make).await
}
