//! API Gateway's Lambda authorizer of `/v1/admin/*`: lets through a valid session of an operator.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::Authorizer).await
}
