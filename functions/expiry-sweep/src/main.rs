//! The expiry sweep of every deadline: on the schedule (every 15 minutes) or by an operator.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::ExpirySweep).await
}
