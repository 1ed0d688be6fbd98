//! Issues the documents of an event (registration, the confirmed voucher, enrolment) as PDFs in
//! S3, from the outbox entries the table's DynamoDB stream passes (see `docs/documents.md`).

use kezek_lambda::{cold_start, run_events, DynamoEvent, Error, Function, LambdaEvent, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB, S3 and the PDF renderer.
    let handler = &cold_start(Function::IssueDocuments, Make::documents()).await?;
    // Each batch of the table's stream (new outbox entries), failures reported from the first.
    run_events(|event: LambdaEvent<DynamoEvent>| async move {
        Ok::<_, Error>(handler.stream(event.payload).await)
    })
    .await
}
