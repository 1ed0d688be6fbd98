//! Sends the e-mail (SES) and SMS (SNS) of notifications taken from the SQS queue, with partial
//! batch failures.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`; only this function links
//! the SES and SNS clients.

use kezek_aws::AwsSender;
use kezek_core::ports::Sender;
use std::sync::Arc;

fn sender(shared: &aws_config::SdkConfig, from: &str) -> Arc<dyn Sender> {
    Arc::new(AwsSender::from_config(shared, from))
}

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    let make = kezek_lambda::Make {
        sender: Some(sender),
        ..Default::default()
    };
    kezek_lambda::run_with(kezek_lambda::Function::Notifier, make).await
}
