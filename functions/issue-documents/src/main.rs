//! Issues the documents of an event (registration, the confirmed voucher, enrolment) as PDFs in
//! S3, from the outbox entries the table's DynamoDB stream passes (see `docs/documents.md`).
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run_with(
        kezek_lambda::Function::IssueDocuments,
        kezek_lambda::Make::documents(),
    )
    .await
}
