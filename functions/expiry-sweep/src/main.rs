//! The expiry sweep of every deadline: on the schedule (every 15 minutes) or by an operator.
//! It also publishes again the outbox entries the relay missed (the safety net).

use kezek_lambda::{cold_start, run_events, Error, Function, Invocation, LambdaEvent, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB, the session key, the SQS queue.
    let handler = &cold_start(
        Function::ExpirySweep,
        Make {
            queue: Some(kezek_aws::sqs_queue),
            ..Make::default()
        },
    )
    .await?;
    // Each invocation: the schedule's event, or an operator's request through the router.
    run_events(|event: LambdaEvent<Invocation>| handler.invoke(event)).await
}
