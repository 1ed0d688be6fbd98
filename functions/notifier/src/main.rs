//! Sends the e-mail (SES) and SMS (SNS) of notifications taken from the SQS queue, once per
//! message, with partial batch failures (see `docs/notifications.md`).
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`; only the functions that
//! need them link the SQS, SES and SNS clients.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    let make = kezek_lambda::Make {
        sender: Some(kezek_aws::aws_sender),
        ..Default::default()
    };
    kezek_lambda::run_with(kezek_lambda::Function::Notifier, make).await
}
