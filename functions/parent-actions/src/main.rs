//! The other parent actions: voucher extension and refusal, restore from the stop-list, withdrawal.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::ParentActions).await
}
