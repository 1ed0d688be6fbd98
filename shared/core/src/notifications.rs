//! Notifications: delivery of the outbox by e-mail and SMS (once per message and channel), the
//! relay to the queue, the safety-net republication, and the rendering of each message.

use crate::domain::*;
use crate::error::Failure;
use crate::ports::*;
use crate::queue;
use crate::service::Service;
use crate::texts::QueueFacts;
use crate::time::local_date;

/// What became of one message of a notification.
enum Sent {
    /// Sent now, or before.
    Done,
    /// Another delivery holds its claim: try the notification again later.
    Busy,
    /// The provider refused it; its claim is given up.
    Failed(Channel, SendError),
}

/// How long a claim on a send holds off other deliveries of the same message.
pub const SEND_LEASE: chrono::Duration = chrono::Duration::minutes(2);
/// How long an outbox entry stays pending before the expiry sweep publishes it again.
pub const REPUBLISH_AFTER: chrono::Duration = chrono::Duration::minutes(30);

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Every message sent; the outbox records it.
    Sent,
    /// A permanent failure (e.g. a rejected address); the outbox records it for the operators.
    Failed,
    /// A transient failure; nothing recorded, to be tried again.
    Retry,
}

impl Service {
    /// Renders and sends pending notifications by e-mail and SMS; returns how many were sent.
    pub async fn deliver_pending(
        &self,
        sender: &dyn Sender,
        limit: usize,
    ) -> Result<usize, Failure> {
        let pending = self.outbox.pending(limit).await?;
        let mut sent = 0;
        for n in pending {
            if self.deliver(&n, sender).await? == Delivered::Sent {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Renders one notification, sends its e-mail and SMS and records the outcome in the outbox.
    /// Each message is claimed before it is sent and recorded once the provider accepts it, so a
    /// notification delivered twice (an SQS redelivery, a retry after one channel failed) sends
    /// each message once. A retryable failure records nothing but gives the claim up: the caller
    /// tries again later.
    pub async fn deliver(
        &self,
        n: &Notification,
        sender: &dyn Sender,
    ) -> Result<Delivered, Failure> {
        let messages = self.render(n).await?;
        // The e-mail and the SMS go at once (the parent gets both sooner); each is claimed,
        // sent and recorded on its own, so one channel's failure neither stops nor repeats the
        // other's: a retry finds the sent one recorded and sends only what failed.
        let outcomes =
            futures::future::join_all(messages.iter().map(|m| self.send_one(n, m, sender))).await;
        let mut failed: Option<(Channel, SendError)> = None;
        let mut busy = false;
        for outcome in outcomes {
            match outcome? {
                Sent::Done => {}
                Sent::Busy => busy = true,
                Sent::Failed(channel, e) => {
                    // A permanent failure decides over a retryable one.
                    let worse = match &failed {
                        None => true,
                        Some((_, f)) => !e.retryable && f.retryable,
                    };
                    if worse {
                        failed = Some((channel, e));
                    }
                }
            }
        }
        // Another delivery is sending a message of it: that one decides, this one retries later
        // (the failed message's claim is given up, so the retry tries it again).
        if busy {
            return Ok(Delivered::Retry);
        }
        let now = self.now();
        Ok(match failed {
            None => {
                self.outbox
                    .mark(&n.id, Delivery::Delivered { at: now })
                    .await?;
                Delivered::Sent
            }
            Some((channel, e)) if !e.retryable => {
                self.give_up(n, &e.message).await?;
                crate::telemetry::notification(channel.as_str(), false);
                Delivered::Failed
            }
            // The provider's text may name the recipient: log only that it will be retried.
            Some(_) => {
                tracing::warn!(notification = %n.id, "delivery failed, retried later");
                Delivered::Retry
            }
        })
    }

    /// One message of a notification: claimed, sent, and recorded once the provider accepts it
    /// (the claim given up when it does not).
    async fn send_one(
        &self,
        n: &Notification,
        m: &OutgoingMessage,
        sender: &dyn Sender,
    ) -> Result<Sent, Failure> {
        match self
            .outbox
            .claim_send(&n.id, m.channel, self.now(), SEND_LEASE)
            .await?
        {
            SendClaim::AlreadySent => return Ok(Sent::Done),
            SendClaim::Busy => return Ok(Sent::Busy),
            SendClaim::Claimed => {}
        }
        match sender.send(m).await {
            Ok(()) => {
                self.outbox
                    .record_sent(&n.id, m.channel, self.now())
                    .await?;
                crate::telemetry::notification(m.channel.as_str(), true);
                Ok(Sent::Done)
            }
            Err(e) => {
                self.outbox.release_send(&n.id, m.channel).await?;
                Ok(Sent::Failed(m.channel, e))
            }
        }
    }

    /// Records that a notification will not be delivered (a permanent failure, or its retries
    /// are exhausted): it stays in the outbox as failed, counted in the operators' stats.
    pub async fn give_up(&self, n: &Notification, reason: &str) -> Result<(), Failure> {
        let at = self.now();
        self.outbox
            .mark(
                &n.id,
                Delivery::Failed {
                    at,
                    error: reason.to_owned(),
                },
            )
            .await?;
        Ok(())
    }

    /// The relay: publishes outbox entries to the notifier's queue; returns the ids that could
    /// not be published (the caller retries them).
    pub async fn relay(
        &self,
        queue: &dyn NotificationQueue,
        batch: &[Notification],
    ) -> Result<Vec<String>, Failure> {
        let mut failed = Vec::new();
        for chunk in batch.chunks(10) {
            failed.extend(queue.publish(chunk).await?);
        }
        Ok(failed)
    }

    /// The relay's safety net, run with the expiry sweep: publishes again the outbox entries
    /// still pending [`REPUBLISH_AFTER`] after they were written (the relay failed past its
    /// retries), at most `limit`. The notifier's claims make a second publication harmless.
    pub async fn republish_stale(
        &self,
        queue: &dyn NotificationQueue,
        limit: usize,
    ) -> Result<usize, Failure> {
        let cutoff = self.now() - REPUBLISH_AFTER;
        let stale: Vec<Notification> = self
            .outbox
            .pending(limit)
            .await?
            .into_iter()
            .filter(|n| n.created_at < cutoff)
            .collect();
        let failed = self.relay(queue, &stale).await?;
        Ok(stale.len() - failed.len())
    }

    /// The e-mail and SMS of a notification in the parent's language.
    pub async fn render(&self, n: &Notification) -> Result<Vec<OutgoingMessage>, Failure> {
        let mut facts = QueueFacts::default();
        // The application is read only for a text that names its queue (registered, restored,
        // a privilege rejected); a deadline's or a voucher's notice carries all it says.
        let app = match &n.application_id {
            Some(id) if self.texts().names_queue(n.kind, n.language) => {
                self.store.application(id).await?
            }
            _ => None,
        };
        if let Some(app) = app {
            let now = self.now();
            facts.age_group = Some(queue::age_group(app.child_birth_date, local_date(now)));
            facts.position = self.position(&app, now).await?;
        }
        let Some(r) = self.texts().render(n, self.reference(), facts) else {
            return Ok(Vec::new());
        };
        let at = self.now();
        let mut out = Vec::new();
        if let Some(to) = &n.email {
            out.push(OutgoingMessage {
                notification_id: n.id.clone(),
                channel: Channel::Email,
                to: to.clone(),
                language: n.language,
                subject: r.subject.clone(),
                body: r.body.clone(),
                html: Some(crate::texts::html_email(n.language, &r.subject, &r.body)),
                at,
            });
        }
        if let Some(to) = &n.phone {
            out.push(OutgoingMessage {
                notification_id: n.id.clone(),
                channel: Channel::Sms,
                to: to.clone(),
                language: n.language,
                subject: String::new(),
                body: r.sms.clone(),
                html: None,
                at,
            });
        }
        Ok(out)
    }
}
