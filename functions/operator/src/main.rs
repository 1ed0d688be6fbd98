//! Operators' routes: the catalogue, free places, the queue view, statistics, privilege rejection.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::Operator).await
}
