//! Documents: `POST /v1/documents`, `GET /v1/applications/{id}/documents`.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`; only the functions that
//! touch documents link the S3 signer and the PDF renderer.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run_with(
        kezek_lambda::Function::Documents,
        kezek_lambda::Make::documents(),
    )
    .await
}
