//! Voucher runs: started by an operator (`POST /v1/admin/voucher-runs`) or by the schedule.

use kezek_lambda::{cold_start, run_events, Error, Function, Invocation, LambdaEvent, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB, the session key.
    let handler = &cold_start(Function::IssueVoucher, Make::default()).await?;
    // Each invocation: the schedule's event, or an operator's request through the router.
    run_events(|event: LambdaEvent<Invocation>| handler.invoke(event)).await
}
