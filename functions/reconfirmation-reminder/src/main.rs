//! The yearly reconfirmation: reminders 30, 7 and 1 days before and removal after `reconfirm_by`.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::ReconfirmationReminder).await
}
