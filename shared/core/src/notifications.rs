//! Notifications: delivery of the outbox by e-mail and SMS (once per message and channel), the
//! relay to the queue, the safety-net republication, and the rendering of each message.

use crate::domain::*;
use crate::error::Failure;
use crate::ports::*;
use crate::queue;
use crate::service::Service;
use crate::texts::QueueFacts;
use crate::time::local_date;

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
    ///
    /// The critical path is three round trips: the claims go with the reads the texts need, the
    /// e-mail and the SMS go at once, and their records go with the outbox's mark. Each step
    /// depends only on what it waits for: a message is sent only once claimed and rendered, the
    /// mark says "delivered" only once every provider has accepted its message.
    pub async fn deliver(
        &self,
        n: &Notification,
        sender: &dyn Sender,
    ) -> Result<Delivered, Failure> {
        let channels: Vec<Channel> = [
            (n.email.is_some(), Channel::Email),
            (n.phone.is_some(), Channel::Sms),
        ]
        .into_iter()
        .filter_map(|(has, c)| has.then_some(c))
        .collect();
        let now = self.now();
        let (rendered, claims) = futures::join!(
            self.render(n),
            futures::future::join_all(
                channels
                    .iter()
                    .map(|&c| self.outbox.claim_send(&n.id, c, now, SEND_LEASE))
            )
        );
        let mut claimed = Vec::new();
        let mut claim_error = None;
        let mut busy = false;
        for (c, claim) in channels.iter().zip(claims) {
            match claim {
                Ok(SendClaim::Claimed) => claimed.push(*c),
                Ok(SendClaim::AlreadySent) => {}
                Ok(SendClaim::Busy) => busy = true,
                Err(e) => claim_error = Some(e),
            }
        }
        let messages = match (rendered, claim_error) {
            (Ok(m), None) => m,
            // Nothing was sent: the claims taken are given up, so a retry finds them free.
            (Err(e), _) => {
                self.release(n, &claimed).await;
                return Err(e);
            }
            (Ok(_), Some(e)) => {
                self.release(n, &claimed).await;
                return Err(e.into());
            }
        };
        // A channel whose text is empty (no message of that kind) is not sent; its claim goes.
        let unsent: Vec<Channel> = claimed
            .iter()
            .copied()
            .filter(|c| !messages.iter().any(|m| m.channel == *c))
            .collect();
        self.release(n, &unsent).await;
        // Only the claimed messages go: the others were sent before or are being sent.
        let to_send: Vec<&OutgoingMessage> = messages
            .iter()
            .filter(|m| claimed.contains(&m.channel))
            .collect();
        let results = futures::future::join_all(to_send.iter().map(|m| sender.send(m))).await;
        let at = self.now();
        let mut failed: Option<(Channel, SendError)> = None;
        let mut sent = Vec::new();
        for (m, result) in to_send.iter().zip(results) {
            match result {
                Ok(()) => sent.push(m.channel),
                Err(e) => {
                    // A permanent failure decides over a retryable one.
                    let worse = match &failed {
                        None => true,
                        Some((_, f)) => !e.retryable && f.retryable,
                    };
                    if worse {
                        failed = Some((m.channel, e));
                    }
                }
            }
        }
        let failed_channels: Vec<Channel> = to_send
            .iter()
            .map(|m| m.channel)
            .filter(|c| !sent.contains(c))
            .collect();
        let records =
            futures::future::join_all(sent.iter().map(|&c| self.outbox.record_sent(&n.id, c, at)));
        let releases = futures::future::join_all(
            failed_channels
                .iter()
                .map(|&c| self.outbox.release_send(&n.id, c)),
        );
        // Delivered: every message was accepted now or before, and none is being sent elsewhere.
        let delivered = failed.is_none() && !busy;
        let mark = async {
            if delivered {
                self.outbox.mark(&n.id, Delivery::Delivered { at }).await
            } else {
                Ok(())
            }
        };
        let (records, releases, mark) = futures::join!(records, releases, mark);
        for r in records.into_iter().chain(releases).chain([mark]) {
            r?;
        }
        for c in &sent {
            crate::telemetry::notification(c.as_str(), true);
        }
        // Another delivery is sending a message of it: that one decides, this one retries later
        // (the failed message's claim is given up, so the retry tries it again).
        if busy {
            return Ok(Delivered::Retry);
        }
        Ok(match failed {
            None => Delivered::Sent,
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

    /// Gives claims up (best effort: a claim not given up lapses after [`SEND_LEASE`]).
    async fn release(&self, n: &Notification, channels: &[Channel]) {
        for r in
            futures::future::join_all(channels.iter().map(|&c| self.outbox.release_send(&n.id, c)))
                .await
        {
            if let Err(e) = r {
                tracing::warn!(notification = %n.id, error = %e, "a send claim left to lapse");
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
        if let Some(app) = match &n.application_id {
            Some(id) => self.store.application(id).await?,
            None => None,
        } {
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
