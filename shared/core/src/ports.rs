//! Ports: what the use cases need from the outside world, as small traits. Adapters: the embedded
//! store ([`crate::store_embedded`]) for local runs and fast tests, DynamoDB in `kezek-aws`.

use crate::domain::*;
use crate::iin::Iin;
use crate::lifecycle::{Decision, Effect, Sweep};
use crate::queue::{AgeGroup, Cohort, QueueKey};
use crate::time::Time;
use crate::values::RegistrationNumber;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

mod ids;
mod records;
pub use ids::{Ids, RandomIds};
pub use records::{Records, SweepRecord};

/// A store failure that is not a conflict with the current state (I/O, throttling, corruption).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

/// Why a commit was refused by its conditions. Nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The application (or kindergarten) changed since it was read: re-read and decide again.
    Stale,
    /// The child already has a live application in the region.
    DuplicateChild,
    /// The kindergarten has no free place left for the age group.
    NoFreePlace,
    /// The district's free places for the age group are all covered by outstanding vouchers.
    NoVoucherPlace,
    /// The applicant already holds [`crate::rules::MAX_LIVE_APPLICATIONS_PER_APPLICANT`] live
    /// applications (submit; counted like the child lock: from submission until archived).
    ApplicantLimit,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One atomic unit: the application's new state, its history entry, its notifications (the
/// outbox) and the effects on places, vouchers and the child lock. All of it or nothing.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    pub application: Application,
    /// `None`: the application must not exist yet (submit). `Some(v)`: it must be at version v.
    pub expected_version: Option<u64>,
    pub previous_status: Option<Status>,
    pub history: HistoryEntry,
    pub notifications: Vec<Notification>,
    pub effects: Vec<Effect>,
}

impl From<Decision> for ChangeSet {
    fn from(d: Decision) -> Self {
        ChangeSet {
            expected_version: d.previous_status.map(|_| d.application.version - 1),
            application: d.application,
            previous_status: d.previous_status,
            history: d.history,
            notifications: d.notifications,
            effects: d.effects,
        }
    }
}

/// Delivery state of an outbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Delivered {
        at: Time,
    },
    /// Retries exhausted: kept for an operator, counted in stats.
    Failed {
        at: Time,
        error: String,
    },
}

// ----- The store, as small ports: one capability each. The adapters implement them all;
// a feature takes the ones it needs; [`Store`] is all of them.

/// A store that answers.
#[async_trait]
pub trait Health: Send + Sync {
    /// Answers when the store is reachable.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The one write of a state change: the change set in one transaction, and the registration sequence.
#[async_trait]
pub trait Commits: Send + Sync {
    /// The next registration-number sequence of a district and year (1, 2, 3, …; never reused).
    async fn next_sequence(&self, district: &str, year: i32) -> Result<u64, StoreError>;

    /// Commits a change set atomically, checking the version, the child lock and the counters.
    async fn commit(&self, change: ChangeSet) -> Result<(), CommitError>;
}

/// Applications and their history (the applications feature).
#[async_trait]
pub trait ApplicationReads: Send + Sync {
    async fn application(&self, id: &str) -> Result<Option<Application>, StoreError>;

    /// Applications submitted by an applicant, all statuses.
    async fn applications_by_applicant(&self, iin: &Iin) -> Result<Vec<Application>, StoreError>;

    /// Applications of a child, all statuses (for linked parents).
    async fn applications_by_child(&self, child: &Iin) -> Result<Vec<Application>, StoreError>;

    /// The application of a registration number (numbers are unique in the region).
    async fn application_by_number(
        &self,
        number: &RegistrationNumber,
    ) -> Result<Option<Application>, StoreError>;

    /// The change history of an application, oldest first.
    async fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError>;
}

/// The queue's order and counts (the queue and operations features).
#[async_trait]
pub trait QueueReads: Send + Sync {
    /// 1-based position of `key` among the `queued` applications of a district and cohort.
    async fn queue_position(
        &self,
        district: &str,
        cohort: Cohort,
        key: &QueueKey,
    ) -> Result<u64, StoreError>;

    /// The head of a queue in order (`queued` only), at most `limit`.
    async fn queue(
        &self,
        district: &str,
        cohort: Cohort,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError>;

    /// The queue book of a district and cohort: every entry into and exit from the queue
    /// ([`crate::queue_book`]), in no particular order.
    async fn queue_book(
        &self,
        district: &str,
        cohort: Cohort,
    ) -> Result<Vec<crate::queue_book::QueueEvent>, StoreError>;

    /// The queued applications after `after` in queue order (`after` itself need not be
    /// queued any more), at most `limit`: the next page of a queue, read from where the last
    /// one ended rather than from the head.
    async fn queue_after(
        &self,
        district: &str,
        cohort: Cohort,
        after: &QueueKey,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError>;

    /// Outstanding (offered or active) vouchers of a district and age group.
    async fn outstanding_vouchers(
        &self,
        district: &str,
        age_group: AgeGroup,
    ) -> Result<u32, StoreError>;

    /// Applications by status in a district.
    async fn status_counts(&self, district: &str) -> Result<BTreeMap<Status, u64>, StoreError>;
}

/// What the sweeps have due (the sweeps feature).
#[async_trait]
pub trait DueReads: Send + Sync {
    /// Applications a sweep has work on at `now` (due time ≤ now), earliest first, at most `limit`.
    async fn due(
        &self,
        sweep: Sweep,
        now: Time,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError>;

    /// The parts the due index is kept in (DynamoDB's shards): a scheduled sweep fans out one
    /// unit of work per part ([`SweepPart`]). One for a store kept in one piece.
    fn due_parts(&self) -> u32 {
        1
    }

    /// [`DueReads::due`] of one part (`part < due_parts()`): every due application is in
    /// exactly one part.
    async fn due_in_part(
        &self,
        sweep: Sweep,
        part: u32,
        now: Time,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        if part == 0 {
            self.due(sweep, now, limit).await
        } else {
            Ok(Vec::new())
        }
    }
}

/// One unit of a scheduled sweep's work: a scheduled sweep sends one per part of the due index
/// (and the expiry sweep its two chores) to its work queue, and each is done by its own
/// invocation, so that no sweep depends on one invocation finishing all of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepPart {
    /// The due applications of one part of the due index.
    Due { sweep: Sweep, part: u32 },
    /// The status counts of every district as metrics (the expiry sweep's, every 15 minutes).
    StatusCounts,
    /// Outbox entries the relay missed, published again (the expiry sweep's safety net).
    Republish,
    /// One district's voucher run for one age group (the scheduled runs' unit of work, at most
    /// [`crate::vouchers::OFFERS_PER_PART`] offers; a run with places left sends itself again).
    VoucherRun {
        district: String,
        age_group: crate::queue::AgeGroup,
    },
}

/// A sweep's work queue (SQS in AWS): the parts of a scheduled sweep.
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Sends the parts; an error when any could not be sent (the schedule retries the whole
    /// sweep, and each part is idempotent).
    async fn send(&self, parts: &[SweepPart]) -> Result<(), StoreError>;
}

/// The kindergartens and their places (the catalogue feature).
#[async_trait]
pub trait CatalogueStore: Send + Sync {
    async fn kindergarten(&self, id: &str) -> Result<Option<Kindergarten>, StoreError>;

    /// The catalogue, of one district or all.
    async fn kindergartens(&self, district: Option<&str>) -> Result<Vec<Kindergarten>, StoreError>;

    /// Creates (`expected_version` `None`) or replaces a catalogue entry at a version.
    async fn put_kindergarten(
        &self,
        kindergarten: Kindergarten,
        expected_version: Option<u64>,
    ) -> Result<(), CommitError>;
}

/// An application and a kindergarten in one read (choosing a kindergarten).
#[async_trait]
pub trait ChoiceReads: ApplicationReads + CatalogueStore {
    /// An application and a kindergarten in one read (choosing a kindergarten).
    async fn application_and_kindergarten(
        &self,
        id: &str,
        kindergarten_id: &str,
    ) -> Result<(Option<Application>, Option<Kindergarten>), StoreError> {
        Ok((
            self.application(id).await?,
            self.kindergarten(kindergarten_id).await?,
        ))
    }
}

/// Parents' profiles and linked children (the profiles feature).
#[async_trait]
pub trait ProfileStore: Send + Sync {
    async fn profile(&self, iin: &Iin) -> Result<Option<Profile>, StoreError>;

    async fn put_profile(&self, profile: Profile) -> Result<(), StoreError>;

    /// Records that `parent`'s kinship with `child` was confirmed.
    async fn link_child(&self, parent: &Iin, child: &Iin) -> Result<(), StoreError>;

    async fn linked_children(&self, parent: &Iin) -> Result<Vec<Iin>, StoreError>;
}

/// Document records (the documents feature).
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Records a document (an upload declared, a document issued); the same id replaces it.
    async fn put_document(&self, document: DocumentRecord) -> Result<(), StoreError>;

    /// A document by id.
    async fn document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError>;
}

/// The whole store: every small port (the embedded and DynamoDB adapters implement them all).
pub trait Store:
    Health
    + Commits
    + ApplicationReads
    + QueueReads
    + DueReads
    + CatalogueStore
    + ChoiceReads
    + ProfileStore
    + DocumentStore
    + Records
{
}

impl<T> Store for T where
    T: Health
        + Commits
        + ApplicationReads
        + QueueReads
        + DueReads
        + CatalogueStore
        + ChoiceReads
        + ProfileStore
        + DocumentStore
        + Records
{
}

/// The outbox: notifications committed with state changes, waiting for delivery.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Adds a notification that belongs to no application change (a one-time code).
    async fn enqueue(&self, n: Notification) -> Result<(), StoreError>;
    /// Pending notifications, oldest first.
    async fn pending(&self, limit: usize) -> Result<Vec<Notification>, StoreError>;
    /// Records the outcome of a delivery (idempotent per notification id).
    async fn mark(&self, id: &str, delivery: Delivery) -> Result<(), StoreError>;
    /// (pending, failed) counts, of a district's applications, or (`None`) of the region's
    /// districts and the notifications of no application (one-time codes).
    async fn counts(&self, district: Option<&str>) -> Result<(u64, u64), StoreError>;
    /// Claims the sending of one channel of a notification (a conditional write): the first
    /// claimant gets [`SendClaim::Claimed`] and sends; a send already recorded reads
    /// [`SendClaim::AlreadySent`]; a claim held elsewhere whose lease has not run out reads
    /// [`SendClaim::Busy`]. So a notification delivered twice sends each message once.
    async fn claim_send(
        &self,
        id: &str,
        channel: Channel,
        now: Time,
        lease: chrono::Duration,
    ) -> Result<SendClaim, StoreError>;
    /// Records that a claimed message was accepted by the provider.
    async fn record_sent(&self, id: &str, channel: Channel, at: Time) -> Result<(), StoreError>;
    /// Gives up a claim after a failed send, so that a retry may send at once.
    async fn release_send(&self, id: &str, channel: Channel) -> Result<(), StoreError>;
}

/// What [`Outbox::claim_send`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendClaim {
    Claimed,
    AlreadySent,
    Busy,
}

/// The notifier's queue (SQS in AWS): the relay publishes outbox entries to it.
#[async_trait]
pub trait NotificationQueue: Send + Sync {
    /// Publishes notifications; returns the ids of those that could not be published.
    async fn publish(&self, batch: &[Notification]) -> Result<Vec<String>, StoreError>;
}

/// The business clock. The local runner's can be moved; the production one is the system clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A state register failed to answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("register: {0}")]
pub struct RegisterError(pub String);

/// The state registers: individuals, mobile citizens (БМГ / МАБ), kinship.
#[async_trait]
pub trait Registers: Send + Sync {
    /// A person in the individuals register: the birth date and the full name (the seeds' forms
    /// fill the applicant's name from it; an EDS certificate's name wins where there is one).
    async fn person(&self, iin: &Iin) -> Result<Option<Person>, RegisterError>;
    /// Whether the phone and IIN are a registered pair in the mobile citizens database.
    async fn mobile_registered(&self, iin: &Iin, phone: &str) -> Result<bool, RegisterError>;
    /// Whether the kinship of parent and child is confirmed.
    async fn kinship(&self, parent: &Iin, child: &Iin) -> Result<bool, RegisterError>;
}

/// A person of the individuals register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub birth_date: NaiveDate,
    /// "SURNAME NAME PATRONYMIC" as the register spells it, if it gives one.
    pub name: Option<String>,
}

/// The name the built-in individuals register gives every person (a test name, so that no real
/// name is ever made up).
pub const BUILTIN_PERSON_NAME: &str = "ТЕСТОВ ТЕСТ ТЕСТОВИЧ";

/// The built-in registers for local runs and tests: they answer from the IIN alone. The birth date
/// comes from its digits, the name is [`BUILTIN_PERSON_NAME`], every valid IIN is registered with
/// any phone, and kinship is confirmed when the parent is at least 14 years older than the child
/// (service.md, "Identity").
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinRegisters;

/// Years a parent must be older than the child for the built-in kinship register.
pub const BUILTIN_KINSHIP_MIN_YEARS: u32 = 14;

#[async_trait]
impl Registers for BuiltinRegisters {
    async fn person(&self, iin: &Iin) -> Result<Option<Person>, RegisterError> {
        Ok(Some(Person {
            birth_date: iin.birth_date(),
            name: Some(BUILTIN_PERSON_NAME.to_owned()),
        }))
    }

    async fn mobile_registered(&self, _iin: &Iin, _phone: &str) -> Result<bool, RegisterError> {
        Ok(true)
    }

    async fn kinship(&self, parent: &Iin, child: &Iin) -> Result<bool, RegisterError> {
        Ok(
            crate::queue::age_on(parent.birth_date(), child.birth_date())
                >= BUILTIN_KINSHIP_MIN_YEARS,
        )
    }
}

/// A channel of delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// One e-mail or SMS as it is sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutgoingMessage {
    pub notification_id: String,
    pub channel: Channel,
    pub to: String,
    pub language: Language,
    pub subject: String,
    /// The plain text (the e-mail's text part, or the SMS).
    pub body: String,
    /// The e-mail's HTML part (the same text, escaped, in paragraphs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    pub at: Time,
}

/// A delivery failure; `retryable` ones are tried again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("delivery: {message}")]
pub struct SendError {
    pub message: String,
    pub retryable: bool,
}

/// Sends e-mail and SMS (SES and SNS in AWS, the dev outbox locally).
#[async_trait]
pub trait Sender: Send + Sync {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), SendError>;
}

/// A clock that runs with real time from a settable starting point: the local runner's simulated
/// business clock (`/v1/dev/clock`), and the clock of tests that walk through deadlines.
#[derive(Debug, Default)]
pub struct SimClock {
    offset: std::sync::Mutex<chrono::Duration>,
}

impl SimClock {
    pub fn new() -> SimClock {
        SimClock::default()
    }

    /// Moves business time so that it reads `now` at this real instant.
    pub fn set(&self, now: DateTime<Utc>) {
        let mut o = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *o = now - Utc::now();
    }

    /// Moves business time on by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut o = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *o += by;
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A one-time code as stored: only its keyed hash, never the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    pub iin: Iin,
    pub phone: String,
    /// Hex HMAC-SHA256 of the code (see [`crate::identity`]).
    pub hash: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Wrong attempts so far.
    pub attempts: u32,
}

/// What login needs kept for a short while: one-time codes, rate-limit windows, lockouts, EDS
/// nonces, and the staff register (operators and their districts). Every time here is real time,
/// never the simulated business clock. Items expire by themselves (DynamoDB TTL).
#[async_trait]
pub trait Credentials: Send + Sync {
    /// Counts one request in a fixed window that ends at `window_ends`; `false` (and nothing
    /// counted) when `limit` requests were already counted in it.
    async fn hit(
        &self,
        key: &str,
        window_ends: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, StoreError>;
    /// Stores the IIN's one active code, replacing any earlier one.
    async fn put_code(&self, code: CodeRecord) -> Result<(), StoreError>;
    /// The IIN's active code, if any (expired ones may still be returned: the caller checks).
    async fn code(&self, iin: &Iin) -> Result<Option<CodeRecord>, StoreError>;
    /// Counts one attempt on the code with this hash, before it is compared: a conditional write
    /// refused once `limit` attempts were counted, so concurrent guesses are never all compared.
    async fn count_attempt(&self, iin: &Iin, hash: &str, limit: u32)
        -> Result<Attempt, StoreError>;
    /// Removes the code with this hash; `true` only for the one caller that removed it (a code
    /// works once).
    async fn take_code(&self, iin: &Iin, hash: &str) -> Result<bool, StoreError>;
    /// Sets a marker (a lockout, an EDS nonce) that lasts until `until`.
    async fn put_marker(&self, key: &str, until: DateTime<Utc>) -> Result<(), StoreError>;
    /// The marker's end, if it is set.
    async fn marker(&self, key: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Removes the marker; its end only for the one caller that removed it (single use).
    async fn take_marker(&self, key: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// The staff register: an operator's districts, `None` for anyone who is not an operator.
    async fn operator_districts(&self, iin: &Iin) -> Result<Option<Vec<String>>, StoreError>;
    /// Adds or replaces an operator in the staff register.
    async fn put_operator(&self, iin: &Iin, districts: Vec<String>) -> Result<(), StoreError>;
}

/// What [`Credentials::count_attempt`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted: the attempts now (1 to the limit).
    Counted(u32),
    /// The code's attempts were all used.
    Exhausted,
    /// The code is gone (used, replaced or removed after its last attempt).
    Gone,
}

/// An EDS signature checked: who signed, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedContent {
    pub iin: Iin,
    pub name: Option<String>,
    pub content: Vec<u8>,
}

/// Why an EDS signature was refused: a stable error code (`eds_…`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signature refused: {0}")]
pub struct SignatureRefused(pub &'static str);

/// Checks EDS (CMS) signatures against the configured NCA roots, and the signer certificate's
/// revocation with the certification authority (adapter: `kezek-http`'s `NcaVerifier`, over
/// `kezek-eds`). Asynchronous: the revocation check asks an OCSP responder or fetches a CRL.
#[async_trait]
pub trait SignatureVerifier: Send + Sync {
    /// `signature`: base64 DER CMS SignedData; `detached`: the content when it is not attached.
    async fn verify(
        &self,
        signature: &str,
        detached: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<SignedContent, SignatureRefused>;
}

/// Trusts no root: every EDS signature is refused (`eds_not_configured`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRoots;

#[async_trait]
impl SignatureVerifier for NoRoots {
    async fn verify(
        &self,
        _signature: &str,
        _detached: Option<&[u8]>,
        _now: DateTime<Utc>,
    ) -> Result<SignedContent, SignatureRefused> {
        Err(SignatureRefused("eds_not_configured"))
    }
}

/// Where document bytes live (S3 in AWS, a data folder locally): reached by the clients through
/// short-lived signed URLs, written by the service for the documents it issues.
#[async_trait]
pub trait Blobs: Send + Sync {
    /// A URL that lets its holder PUT exactly this content type and size at `key` until it
    /// expires.
    async fn upload_url(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        expires_in: std::time::Duration,
    ) -> Result<String, StoreError>;
    /// A URL that lets its holder GET `key` until it expires, saved as `filename`.
    async fn download_url(
        &self,
        key: &str,
        filename: &str,
        expires_in: std::time::Duration,
    ) -> Result<String, StoreError>;
    /// Writes `bytes` at `key`.
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError>;
    /// The size of the object at `key`, if there is one.
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError>;
    /// An HTML form that POSTs one file of 1 to `max_size` bytes straight to storage at `key`
    /// until it expires (no JavaScript, and past a function's request limit); storage then sends
    /// the browser to `redirect`. Storage refuses any other key, size or redirect.
    async fn upload_form(
        &self,
        key: &str,
        max_size: u64,
        redirect: &str,
        expires_in: std::time::Duration,
    ) -> Result<UploadForm, StoreError>;
    /// The first `n` bytes of the object at `key` (fewer if it is shorter), if there is one.
    async fn first_bytes(&self, key: &str, n: usize) -> Result<Option<Vec<u8>>, StoreError>;
    /// Removes the object at `key` (an upload refused once it arrived).
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// A form that uploads one file straight to storage: where it posts, and the fields (the signed
/// policy) it carries before the file's field, [`UploadForm::FILE_FIELD`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadForm {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl UploadForm {
    /// The name of the file's field, last in the form (S3 reads the fields before it).
    pub const FILE_FIELD: &'static str = "file";

    /// The origin the form posts to (`scheme://host[:port]`), for the page's `form-action`.
    pub fn origin(&self) -> Option<&str> {
        let rest = self.action.split_once("://")?.1;
        let host_end = rest.find('/').unwrap_or(rest.len());
        let end = self.action.len() - rest.len() + host_end;
        Some(&self.action[..end])
    }
}

/// Renders an issued document as a PDF ([`crate::documents::render_pdf`] in the functions that issue documents).
pub type Render = fn(&kezek_pdf::DocumentData) -> Result<Vec<u8>, kezek_pdf::PdfError>;

/// Every store port, for `use kezek_core::ports::stores::*` where a caller reads through the
/// whole [`Store`] (the tests, the local runner, the seed).
pub mod stores {
    pub use super::{
        ApplicationReads, CatalogueStore, ChoiceReads, Commits, DocumentStore, DueReads, Health,
        ProfileStore, QueueReads, Records, Store,
    };
}
