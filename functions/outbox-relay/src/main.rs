//! Moves new outbox entries from the table's DynamoDB stream to the notifier's SQS queue
//! (stream batches, partial batch failures; see `docs/notifications.md`).

use kezek_lambda::{cold_start, run_events, DynamoEvent, Error, Function, LambdaEvent, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB and the SQS queue.
    let handler = &cold_start(
        Function::OutboxRelay,
        Make {
            queue: Some(kezek_aws::sqs_queue),
            ..Make::default()
        },
    )
    .await?;
    // Each batch of the table's stream (new outbox entries), failures reported from the first.
    run_events(|event: LambdaEvent<DynamoEvent>| async move {
        Ok::<_, Error>(handler.stream(event.payload).await)
    })
    .await
}
