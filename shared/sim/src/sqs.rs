//! The relay and the notifier's queue of a simulated year, as in AWS: the table's stream feeds
//! the relay every new outbox entry (it gives up on an entry after 3 failed tries, as the stream
//! source's retries do; the expiry sweep's safety net publishes again what is still pending after
//! 30 minutes); the relay publishes to SQS, which SQS may refuse; the notifier receives what is
//! visible, in any order, some late, some twice; a message that fails is received again, and on
//! its 5th receive goes to the dead-letter queue with its notification recorded failed.

use crate::check::Violation;
use crate::world::World;
use kezek_core::domain::*;
use kezek_core::notifications::Delivered;

pub use crate::parts::{
    Message, SimQueue, DEAD_LETTERS, MAX_RECEIVES, RELAY_GAVE_UP, SQS_AGAIN, SQS_DOWN,
};
/// The stream's tries of an entry before it gives up.
const RELAY_TRIES: u32 = 3;

impl World {
    /// One invocation of the relay over its stream's entries.
    pub(crate) async fn relay(&mut self) -> Result<(), Violation> {
        let pending = self
            .outbox
            .pending(1000)
            .await
            .map_err(|e| Violation::new("read", e.to_string()))?;
        self.capture(&pending);
        let batch: Vec<Notification> = self.relay_stream.iter().map(|(n, _)| n.clone()).collect();
        if batch.is_empty() {
            return Ok(());
        }
        let failed = match self.svc.relay(&*self.queue, &batch).await {
            Ok(failed) => failed,
            Err(_) => batch.iter().map(|n| n.id.clone()).collect(),
        };
        let mut kept = std::collections::VecDeque::new();
        for (n, tries) in self.relay_stream.drain(..) {
            if !failed.contains(&n.id) {
                continue;
            }
            if tries + 1 >= RELAY_TRIES {
                self.faults.note(RELAY_GAVE_UP);
            } else {
                kept.push_back((n, tries + 1));
            }
        }
        self.relay_stream = kept;
        self.note(format!(
            "relay: {} of {} published",
            batch.len() - failed.len(),
            batch.len()
        ));
        Ok(())
    }

    /// One receive of the notifier: the visible messages in any order, some late (left for
    /// the next), some twice at once (two invocations racing), some twice in a row; a message
    /// handled is deleted (and now and then delivered again, SQS being at-least-once); one that
    /// fails stays, and on its last receive goes to the dead-letter queue, its notification
    /// recorded failed.
    pub(crate) async fn deliver(&mut self) -> Result<(), Violation> {
        let mut received: Vec<Message> = std::mem::take(&mut *self.queue.messages());
        for i in (1..received.len()).rev() {
            let j = self.dice.below(i as u64 + 1) as usize;
            received.swap(i, j);
        }
        let (mut sent, mut twice, all) = (0, 0, received.len());
        let mut back = Vec::new();
        for mut m in received {
            if self.dice.chance(100) {
                back.push(m); // late: the next receive
                continue;
            }
            m.receives += 1;
            let n = m.n.clone();
            let r = if self.dice.chance(50) {
                twice += 1;
                self.faults.pause_kills(true);
                let (a, b) = if self.racing {
                    tokio::join!(
                        self.svc.deliver(&n, &self.provider),
                        self.svc.deliver(&n, &self.provider)
                    )
                } else {
                    // on DynamoDB one after the other: a race over real connections moves the
                    // dice with the network's timing
                    let a = self.svc.deliver(&n, &self.provider).await;
                    (a, self.svc.deliver(&n, &self.provider).await)
                };
                self.faults.pause_kills(false);
                // the message is deleted when either handled it
                match (a, b) {
                    (Ok(Delivered::Sent | Delivered::Failed), _)
                    | (_, Ok(Delivered::Sent | Delivered::Failed)) => Ok(Delivered::Sent),
                    (a, _) => a,
                }
            } else {
                self.svc.deliver(&n, &self.provider).await
            };
            match r {
                Ok(Delivered::Sent | Delivered::Failed) => {
                    sent += 1;
                    if self.dice.chance(50) {
                        // at-least-once: the same message again
                        self.faults.note(SQS_AGAIN);
                        twice += 1;
                        back.push(Message { n, receives: 0 });
                    }
                }
                _ if m.receives >= MAX_RECEIVES => {
                    // the last receive: to the dead-letter queue, recorded failed
                    self.faults.note(DEAD_LETTERS);
                    let _ = self.svc.give_up(&n, "retries exhausted").await;
                    self.queue
                        .dead
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(n);
                }
                _ => back.push(m),
            }
        }
        self.queue.messages().extend(back);
        self.note(format!("deliver {sent} of {all} received ({twice} twice)"));
        Ok(())
    }
}
