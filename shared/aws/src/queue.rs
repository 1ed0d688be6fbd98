//! The queues in AWS: SQS. The notifier's: each message is one notification (JSON), so the
//! notifier needs no read to know what to send; its id is the message's deduplication key
//! downstream. The sweeps' work queues: each message is one part of a scheduled sweep.

use async_trait::async_trait;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use kezek_core::domain::Notification;
use kezek_core::ports::{NotificationQueue, StoreError, SweepPart, WorkQueue};
use std::sync::{Arc, OnceLock};

/// The queue at `url`; the client is made on the first publish, not at a cold start (the expiry
/// sweep publishes only the entries the relay missed).
#[derive(Clone)]
pub struct SqsQueue {
    shared: aws_config::SdkConfig,
    client: Arc<OnceLock<aws_sdk_sqs::Client>>,
    url: String,
}

impl SqsQueue {
    pub fn from_config(shared: &aws_config::SdkConfig, url: &str) -> SqsQueue {
        SqsQueue {
            shared: shared.clone(),
            client: Arc::default(),
            url: url.to_owned(),
        }
    }

    fn client(&self) -> &aws_sdk_sqs::Client {
        self.client
            .get_or_init(|| aws_sdk_sqs::Client::new(&self.shared))
    }
}

#[async_trait]
impl NotificationQueue for SqsQueue {
    async fn publish(&self, batch: &[Notification]) -> Result<Vec<String>, StoreError> {
        let mut failed = Vec::new();
        for chunk in batch.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, n) in chunk.iter().enumerate() {
                let body = crate::items::NotificationMessageV1::body(n)?;
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| StoreError(e.to_string()))?,
                );
            }
            let out = self
                .client()
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    StoreError(format!(
                        "sqs: {}",
                        aws_sdk_sqs::error::DisplayErrorContext(e)
                    ))
                })?;
            for f in out.failed() {
                if let Some(n) = f.id().parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                    failed.push(n.id.clone());
                }
            }
        }
        Ok(failed)
    }
}

/// A sweep's work queue on SQS: the parts of a scheduled sweep, ten to a `SendMessageBatch`.
#[derive(Clone)]
pub struct SqsWorkQueue(SqsQueue);

impl SqsWorkQueue {
    pub fn from_config(shared: &aws_config::SdkConfig, url: &str) -> SqsWorkQueue {
        SqsWorkQueue(SqsQueue::from_config(shared, url))
    }
}

#[async_trait]
impl WorkQueue for SqsWorkQueue {
    async fn send(&self, parts: &[SweepPart]) -> Result<(), StoreError> {
        let q = &self.0;
        let batches = parts.chunks(10).map(|chunk| {
            let entries: Result<Vec<_>, StoreError> = chunk
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(crate::items::SweepPartMessageV1::body(p))
                        .build()
                        .map_err(|e| StoreError(e.to_string()))
                })
                .collect();
            async move {
                let out = q
                    .client()
                    .send_message_batch()
                    .queue_url(&q.url)
                    .set_entries(Some(entries?))
                    .send()
                    .await
                    .map_err(|e| {
                        StoreError(format!(
                            "sqs: {}",
                            aws_sdk_sqs::error::DisplayErrorContext(e)
                        ))
                    })?;
                match out.failed().len() {
                    0 => Ok(()),
                    n => Err(StoreError(format!("sqs: {n} sweep parts not sent"))),
                }
            }
        });
        for r in futures::future::join_all(batches).await {
            r?;
        }
        Ok(())
    }
}
