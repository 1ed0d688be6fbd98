//! Sends the e-mail (SES) and SMS (SNS) of notifications taken from the SQS queue, once per
//! message, with partial batch failures (see `docs/notifications.md`).

use kezek_lambda::{cold_start, run_events, Error, Function, LambdaEvent, Make, SqsEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB, SES and SNS.
    let handler = &cold_start(
        Function::Notifier,
        Make {
            sender: Some(kezek_aws::aws_sender),
            ..Make::default()
        },
    )
    .await?;
    // Each SQS batch: sent once each; what failed is reported back (partial batch failures).
    run_events(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(handler.batch(event.payload).await)
    })
    .await
}
