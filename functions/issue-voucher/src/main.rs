//! Voucher runs: started by an operator (`POST /v1/admin/voucher-runs`) or by the schedule.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::IssueVoucher).await
}
