//! The yearly reconfirmation and the voucher confirmation: `POST /v1/applications/{id}/reconfirm`, `POST /v1/applications/{id}/voucher/confirm`.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::Confirm).await
}
