//! The outbox port in memory.

use super::*;

#[async_trait]
impl Outbox for EmbeddedStore {
    async fn enqueue(&self, n: Notification) -> Result<(), StoreError> {
        let mut g = self.lock();
        if g.notifications.contains_key(&n.id) {
            return Ok(());
        }
        g.outbox_seq += 1;
        let seq = g.outbox_seq;
        g.notifications.insert(n.id.clone(), (None, None));
        g.pending.insert(seq, n);
        Ok(())
    }

    async fn pending(&self, limit: usize) -> Result<Vec<Notification>, StoreError> {
        Ok(self.lock().pending.values().take(limit).cloned().collect())
    }

    async fn mark(&self, id: &str, delivery: Delivery) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.pending.retain(|_, n| n.id != id);
        if let Some(entry) = g.notifications.get_mut(id) {
            entry.1 = Some(delivery);
        }
        // The entry (with a one-time code's code) is gone from `pending`: only the outcome stays.
        Ok(())
    }

    async fn counts(&self, district: Option<&str>) -> Result<(u64, u64), StoreError> {
        let g = self.lock();
        let mut pending = 0;
        let mut failed = 0;
        for (d, outcome) in g.notifications.values() {
            if district.is_some_and(|x| d.as_deref() != Some(x)) {
                continue;
            }
            match outcome {
                None => pending += 1,
                Some(Delivery::Failed { .. }) => failed += 1,
                Some(Delivery::Delivered { .. }) => {}
            }
        }
        Ok((pending, failed))
    }

    async fn claim_send(
        &self,
        id: &str,
        channel: Channel,
        now: Time,
        lease: chrono::Duration,
    ) -> Result<SendClaim, StoreError> {
        let mut g = self.lock();
        let key = (id.to_owned(), channel);
        match g.sends.get(&key) {
            Some(SendState::Sent) => Ok(SendClaim::AlreadySent),
            Some(SendState::Sending { until }) if *until > now => Ok(SendClaim::Busy),
            _ => {
                g.sends
                    .insert(key, SendState::Sending { until: now + lease });
                Ok(SendClaim::Claimed)
            }
        }
    }

    async fn record_sent(&self, id: &str, channel: Channel, _at: Time) -> Result<(), StoreError> {
        self.lock()
            .sends
            .insert((id.to_owned(), channel), SendState::Sent);
        Ok(())
    }

    async fn release_send(&self, id: &str, channel: Channel) -> Result<(), StoreError> {
        let mut g = self.lock();
        let key = (id.to_owned(), channel);
        if matches!(g.sends.get(&key), Some(SendState::Sending { .. })) {
            g.sends.remove(&key);
        }
        Ok(())
    }
}
