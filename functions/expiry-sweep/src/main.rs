//! The expiry sweep of every deadline: on the schedule (every 15 minutes) or by an operator.
//! It also publishes again the outbox entries the relay missed (the safety net).
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`; only the functions that
//! need them link the SQS, SES and SNS clients.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    let make = kezek_lambda::Make {
        queue: Some(kezek_aws::sqs_queue),
        ..Default::default()
    };
    kezek_lambda::run_with(kezek_lambda::Function::ExpirySweep, make).await
}
