//! Documents: `POST /v1/documents`, `GET /v1/applications/{id}/documents`.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`; only the functions that
//! touch documents link the S3 signer and the PDF renderer.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    let make = kezek_lambda::Make {
        blobs: Some(kezek_aws::s3_blobs),
        render: Some(kezek_core::documents::render_pdf),
        ..Default::default()
    };
    kezek_lambda::run_with(kezek_lambda::Function::Documents, make).await
}
