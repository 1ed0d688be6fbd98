//! Choosing a kindergarten and signing the contract: `POST /v1/applications/{id}/kindergarten`.
//!
//! Thin: the handler and its cold-start set-up live in `kezek-lambda`.

#[tokio::main]
async fn main() -> Result<(), kezek_lambda::Error> {
    kezek_lambda::run(kezek_lambda::Function::SelectKindergarten).await
}
