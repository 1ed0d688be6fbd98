//! Moves new outbox entries from the table's DynamoDB stream to the notifier's SQS queue
//! (stream batches, partial batch failures; see `docs/notifications.md`).
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`; only the functions that
//! need them link the SQS, SES and SNS clients.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    let make = kezek_lambda::Make {
        queue: Some(kezek_aws::sqs_queue),
        ..Default::default()
    };
    kezek_lambda::run_with(kezek_lambda::Function::OutboxRelay, make).await
}
