//! Sends the e-mail (SES) and SMS (SNS) of notifications taken from the SQS queue, with partial batch failures.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::Notifier).await
}
