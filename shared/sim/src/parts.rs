//! The simulated world's stand-ins: a clock that stands still, ids drawn from the seed, and the
//! provider (SES and SMS) that records every message sent and refuses some.

use crate::dice::Dice;
use crate::faulty::{Faults, KILLED_AFTER_SEND};
use chrono::{DateTime, Utc};
use kezek_core::ports::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A clock that stands still until the simulation moves it.
pub struct StillClock(pub(crate) Mutex<DateTime<Utc>>);

impl StillClock {
    pub(crate) fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl Clock for StillClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The service's ids from the seed: a seed replays its ids too.
pub(crate) struct SeededIds(pub(crate) Mutex<Dice>);

impl Ids for SeededIds {
    fn new_id(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner()).bytes16();
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

/// Records every message "sent", and refuses some while the provider is down.
pub struct Provider {
    pub(crate) faults: Arc<Faults>,
    pub sent: Mutex<HashMap<(String, Channel), u64>>,
}

pub const PROVIDER_DOWN: &str = "provider refused a message";

#[async_trait::async_trait]
impl Sender for Provider {
    async fn send(&self, m: &OutgoingMessage) -> Result<(), SendError> {
        // a network call: a racing delivery of the same message may run meanwhile
        tokio::task::yield_now().await;
        if self.faults.dead().is_err() {
            // a killed process sends nothing more
            return Err(SendError {
                message: "simulated: the process was killed".into(),
                retryable: true,
            });
        }
        if self
            .faults
            .roll(PROVIDER_DOWN, self.faults.rates.provider_down)
        {
            return Err(SendError {
                message: "simulated: the provider is down".into(),
                retryable: true,
            });
        }
        *self
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((m.notification_id.clone(), m.channel))
            .or_insert(0) += 1;
        if self.faults.roll(KILLED_AFTER_SEND, self.faults.rates.kill) {
            // accepted by the provider; the process dies before it records the send
            self.faults.kill();
        }
        Ok(())
    }
}
