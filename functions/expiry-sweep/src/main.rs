//! The expiry sweep of every deadline: on the schedule (every 15 minutes) or by an operator.
//! It also publishes again the outbox entries the relay missed (the safety net).
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

use kezek_aws::SqsQueue;
use kezek_core::ports::NotificationQueue;
use std::sync::Arc;

fn queue(shared: &aws_config::SdkConfig, url: &str) -> Arc<dyn NotificationQueue> {
    Arc::new(SqsQueue::from_config(shared, url))
}

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    let make = kezek_lambda::Make {
        queue: Some(queue),
        ..Default::default()
    };
    kezek_lambda::run_with(kezek_lambda::Function::ExpirySweep, make).await
}
