//! The simulated world's stand-ins: a clock that stands still, ids drawn from the seed, and the
//! provider (SES and SMS) that records every message sent and refuses some.

use crate::dice::Dice;
use crate::faulty::{Faults, KILLED, KILLED_AFTER_SEND};
use chrono::{DateTime, Utc};
use kezek_core::domain::Notification;
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
    pub(crate) clock: Arc<StillClock>,
    /// An outage: every message refused until then.
    pub(crate) down_until: Mutex<DateTime<Utc>>,
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
        let outage = self.clock.now() < *self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        if outage && self.faults.is_on() {
            self.faults.note(PROVIDER_DOWN);
            return Err(SendError {
                message: "simulated: the provider is out".into(),
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

/// S3 in memory, for the documents the issuer makes and the parents' uploads: it refuses a
/// write while it is down, and a process may be killed right after a write landed (the
/// record of the document then never comes; the stream's retry issues it again).
pub struct MemBlobs {
    pub(crate) faults: Arc<Faults>,
    pub(crate) clock: Arc<StillClock>,
    /// An outage: every write refused until then.
    pub(crate) down_until: Mutex<DateTime<Utc>>,
    pub objects: Mutex<HashMap<String, Vec<u8>>>,
}

pub const S3_DOWN: &str = "S3 refused a write";

impl MemBlobs {
    pub(crate) fn new(faults: Arc<Faults>, clock: Arc<StillClock>) -> MemBlobs {
        let start = clock.now();
        MemBlobs {
            faults,
            clock,
            down_until: Mutex::new(start),
            objects: Mutex::new(HashMap::new()),
        }
    }

    fn objects(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.objects.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl Blobs for MemBlobs {
    async fn upload_url(
        &self,
        key: &str,
        _content_type: &str,
        _size: u64,
        _expires_in: std::time::Duration,
    ) -> Result<String, StoreError> {
        Ok(format!("https://s3.example/{key}?put"))
    }
    async fn download_url(
        &self,
        key: &str,
        _filename: &str,
        _expires_in: std::time::Duration,
    ) -> Result<String, StoreError> {
        Ok(format!("https://s3.example/{key}"))
    }
    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> Result<(), StoreError> {
        self.faults.dead()?;
        let out = self.clock.now() < *self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        if out && self.faults.is_on() {
            self.faults.note(S3_DOWN);
            return Err(StoreError("simulated: S3 is out".into()));
        }
        if self.faults.roll(S3_DOWN, self.faults.rates.provider_down) {
            return Err(StoreError("simulated: S3 is down".into()));
        }
        self.objects().insert(key.to_owned(), bytes);
        if self.faults.roll(KILLED, self.faults.rates.kill) {
            self.faults.kill();
            return Err(StoreError("simulated: the process was killed".into()));
        }
        Ok(())
    }
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.objects().get(key).map(|b| b.len() as u64))
    }
    async fn upload_form(
        &self,
        key: &str,
        _max_size: u64,
        redirect: &str,
        _expires_in: std::time::Duration,
    ) -> Result<UploadForm, StoreError> {
        Ok(UploadForm {
            action: format!("https://s3.example/{key}"),
            fields: vec![("redirect".into(), redirect.into())],
        })
    }
    async fn first_bytes(&self, key: &str, n: usize) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .objects()
            .get(key)
            .map(|b| b[..n.min(b.len())].to_vec()))
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.faults.dead()?;
        self.objects().remove(key);
        Ok(())
    }
}

/// An operator of `district` (a valid IIN of 1985).
pub(crate) fn operator(district: &str) -> kezek_core::access::Principal {
    kezek_core::access::Principal {
        iin: kezek_core::iin::Iin::try_from("850505300001".to_owned())
            .unwrap_or_else(|_| unreachable!()),
        role: kezek_core::access::Role::Operator,
        districts: vec![district.to_owned()],
    }
}

pub const SQS_DOWN: &str = "SQS refused a publication";
/// Entries the relay's stream gave up on (the safety net publishes them again).
pub const RELAY_GAVE_UP: &str = "relay gave up on an entry";
/// Messages that went to the dead-letter queue.
pub const DEAD_LETTERS: &str = "message to the dead-letter queue";
/// Messages SQS delivered again after they were handled.
pub const SQS_AGAIN: &str = "SQS delivered a message again";

/// The queue's receives before the dead-letter queue (the template's `maxReceiveCount`).
pub const MAX_RECEIVES: u32 = 5;

pub struct Message {
    pub n: Notification,
    pub receives: u32,
}

/// SQS in memory: the notifier's queue and its dead-letter queue.
pub struct SimQueue {
    pub(crate) faults: Arc<Faults>,
    pub(crate) clock: Arc<StillClock>,
    /// An outage: every publication refused until then.
    pub(crate) down_until: Mutex<chrono::DateTime<chrono::Utc>>,
    pub messages: Mutex<Vec<Message>>,
    pub dead: Mutex<Vec<Notification>>,
}

impl SimQueue {
    pub(crate) fn new(faults: Arc<Faults>, clock: Arc<StillClock>) -> SimQueue {
        let start = kezek_core::ports::Clock::now(&*clock);
        SimQueue {
            faults,
            clock,
            down_until: Mutex::new(start),
            messages: Mutex::new(Vec::new()),
            dead: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn messages(&self) -> std::sync::MutexGuard<'_, Vec<Message>> {
        self.messages.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl NotificationQueue for SimQueue {
    async fn publish(&self, batch: &[Notification]) -> Result<Vec<String>, StoreError> {
        self.faults.dead()?;
        let out = kezek_core::ports::Clock::now(&*self.clock)
            < *self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        if (out && self.faults.is_on())
            || self.faults.roll(SQS_DOWN, self.faults.rates.provider_down)
        {
            return Err(StoreError("simulated: SQS refused the batch".into()));
        }
        self.messages().extend(batch.iter().map(|n| Message {
            n: n.clone(),
            receives: 0,
        }));
        Ok(Vec::new())
    }
}
