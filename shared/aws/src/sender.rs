//! The [`Sender`] port in AWS: e-mail through SES v2, SMS through Amazon SNS.

use async_trait::async_trait;
use aws_smithy_runtime_api::client::result::SdkError;
use kezek_core::ports::{Channel, OutgoingMessage, SendError, Sender};
use std::sync::{Arc, OnceLock};

/// Sends e-mail with SES v2 from one verified address, and SMS with SNS. The clients are made on
/// the first send, not at the notifier's cold start.
#[derive(Clone)]
pub struct AwsSender {
    shared: aws_config::SdkConfig,
    clients: Arc<OnceLock<(aws_sdk_sesv2::Client, aws_sdk_sns::Client)>>,
    from: String,
}

impl AwsSender {
    pub fn from_config(shared: &aws_config::SdkConfig, from: &str) -> AwsSender {
        AwsSender {
            shared: shared.clone(),
            clients: Arc::default(),
            from: from.to_owned(),
        }
    }

    /// Clients with the standard retry mode: throttling and transient errors are retried
    /// within the call (3 attempts, exponential backoff with jitter); what still fails is retried
    /// by the queue.
    fn clients(&self) -> &(aws_sdk_sesv2::Client, aws_sdk_sns::Client) {
        self.clients.get_or_init(|| {
            let retry = aws_config::retry::RetryConfig::standard().with_max_attempts(3);
            let ses = aws_sdk_sesv2::config::Builder::from(&self.shared)
                .retry_config(retry.clone())
                .build();
            let sns = aws_sdk_sns::config::Builder::from(&self.shared)
                .retry_config(retry)
                .build();
            (
                aws_sdk_sesv2::Client::from_conf(ses),
                aws_sdk_sns::Client::from_conf(sns),
            )
        })
    }
}

/// Throttling, timeouts and server errors are retried; a rejected message or address is not.
/// The provider's text may quote the recipient, so only the error code is kept.
fn classify<E, R>(e: SdkError<E, R>) -> SendError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    let (code, retryable) = match &e {
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or("ServiceError").to_owned();
            let permanent = matches!(
                code.as_str(),
                "MessageRejected"
                    | "MailFromDomainNotVerifiedException"
                    | "BadRequestException"
                    | "InvalidParameter"
                    | "InvalidParameterException"
                    | "InvalidParameterValue"
                    | "OptedOut"
                    | "AccountSuspendedException"
            );
            (code, !permanent)
        }
        SdkError::ConstructionFailure(_) => ("ConstructionFailure".to_owned(), false),
        SdkError::TimeoutError(_) => ("Timeout".to_owned(), true),
        SdkError::DispatchFailure(_) => ("DispatchFailure".to_owned(), true),
        SdkError::ResponseError(_) => ("ResponseError".to_owned(), true),
        _ => ("Unknown".to_owned(), true),
    };
    SendError {
        message: code,
        retryable,
    }
}

#[async_trait]
impl Sender for AwsSender {
    async fn send(&self, m: &OutgoingMessage) -> Result<(), SendError> {
        match m.channel {
            Channel::Email => {
                use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
                let text = |s: &str| {
                    Content::builder()
                        .data(s)
                        .charset("UTF-8")
                        .build()
                        .map_err(|e| SendError {
                            message: format!("build: {e}"),
                            retryable: false,
                        })
                };
                let mut body = Body::builder().text(text(&m.body)?);
                if let Some(html) = &m.html {
                    body = body.html(text(html)?);
                }
                let message = Message::builder()
                    .subject(text(&m.subject)?)
                    .body(body.build())
                    .build();
                self.clients()
                    .0
                    .send_email()
                    .from_email_address(&self.from)
                    .destination(Destination::builder().to_addresses(&m.to).build())
                    .content(EmailContent::builder().simple(message).build())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(classify)
            }
            Channel::Sms => self
                .clients()
                .1
                .publish()
                .phone_number(&m.to)
                .message(&m.body)
                .send()
                .await
                .map(|_| ())
                .map_err(classify),
        }
    }
}
