//! API Gateway's Lambda authorizer of `/v1/admin/*`: lets through a valid session of an operator.

use kezek_lambda::{cold_start, run_events, AuthorizerRequest, Error, Function, LambdaEvent, Make};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Once per cold start: the configuration and the session key.
    let handler = &cold_start(Function::Authorizer, Make::default()).await?;
    // Each authorizer request: an operator's valid session, or not authorized.
    run_events(|event: LambdaEvent<AuthorizerRequest>| async move {
        Ok::<_, Error>(handler.authorize(event.payload))
    })
    .await
}
