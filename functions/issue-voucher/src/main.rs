//! Voucher runs: started by an operator (`POST /v1/admin/voucher-runs`) or by the schedule, which
//! fans out one unit per district and age group to the function's work queue; each unit is a run
//! of its own (at most `OFFERS_PER_PART` offers; a unit with places left sends itself again).

use kezek_lambda::{cold_start, run_events, Error, Function, Invocation, LambdaEvent, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration, DynamoDB, the session key and the runs' work queue.
    let handler = &cold_start(
        Function::IssueVoucher,
        Make {
            work: Some(kezek_aws::sqs_work_queue),
            ..Make::default()
        },
    )
    .await?;
    // Each invocation: the schedule's event (sends the units), a batch of units from the work
    // queue, or an operator's request through the router.
    run_events(|event: LambdaEvent<Invocation>| handler.invoke(event)).await
}
