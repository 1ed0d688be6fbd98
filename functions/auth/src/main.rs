//! Login: `/v1/auth/otp`, `/v1/auth/otp/verify`, `/v1/auth/eds/challenge`, `/v1/auth/eds/verify`.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::Auth).await
}
