//! Choosing a kindergarten and signing the contract: `POST /v1/applications/{id}/kindergarten`.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    // The documents the step issues (registration, voucher, enrolment) go to S3.
    let make = kezek_lambda::Make {
        blobs: Some(kezek_aws::s3_blobs),
        ..Default::default()
    };
    kezek_lambda::run_with(kezek_lambda::Function::SelectKindergarten, make).await
}
