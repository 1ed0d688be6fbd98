//! The expiry sweep of every deadline: on the schedule (every 15 minutes) it fans out one part
//! per shard of the due index to its work queue and does each part it receives; an operator's
//! sweep runs whole. Its chores are parts too: the status counts, and publishing again the
//! outbox entries the relay missed (the safety net).

use kezek_lambda::{cold_start, run_events, Error, Function, Invocation, LambdaEvent, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB, the session key, the notifier's queue and
    // the sweep's work queue.
    let handler = &cold_start(
        Function::ExpirySweep,
        Make {
            queue: Some(kezek_aws::sqs_queue),
            work: Some(kezek_aws::sqs_work_queue),
            ..Make::default()
        },
    )
    .await?;
    // Each invocation: the schedule's event (sends the parts), a batch of parts from the work
    // queue, or an operator's request through the router.
    run_events(|event: LambdaEvent<Invocation>| handler.invoke(event)).await
}
