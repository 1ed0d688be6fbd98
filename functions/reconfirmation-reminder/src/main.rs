//! The yearly reconfirmation: reminders 30, 7 and 1 days before and removal after `reconfirm_by`;
//! and, on its own daily schedule (`{"job": "open_data"}`), the districts' open data exported to
//! the bucket.

use kezek_lambda::{cold_start, run_events, Error, Function, Invocation, LambdaEvent, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB, the session key, the work queue, S3
    // (the open data's bucket).
    let handler = &cold_start(
        Function::ReconfirmationReminder,
        Make {
            work: Some(kezek_aws::sqs_work_queue),
            blobs: Some(kezek_aws::s3_blobs),
            ..Make::default()
        },
    )
    .await?;
    // Each invocation: the schedule's event (sends the parts), a batch of parts from the work
    // queue, or an operator's request through the router.
    run_events(|event: LambdaEvent<Invocation>| handler.invoke(event)).await
}
