//! Domain types: applicant, child, application, voucher, kindergarten, history entry, notification.
//! Statuses and what moves between them live in [`crate::lifecycle`]; nothing else changes a status.

mod state;
pub use state::{Confirmed, Inconsistent, Offer, RunLogRef, State};

use crate::iin::Iin;
use crate::queue::{AgeGroup, QueueKey};
use crate::reference::{Rank, Reference, RANK_GENERAL};
use crate::time::Time;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The language a parent reads messages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Kk,
    #[default]
    Ru,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Kk => "kk",
            Language::Ru => "ru",
            Language::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Language> {
        match s.trim().to_ascii_lowercase().as_str() {
            "kk" | "kz" | "kk-kz" => Some(Language::Kk),
            "ru" | "ru-ru" | "ru-kz" => Some(Language::Ru),
            "en" | "en-us" | "en-gb" => Some(Language::En),
            _ => None,
        }
    }
}

/// The six statuses of an application (service.md, "The application lifecycle").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    VoucherOffered,
    VoucherActive,
    Enrolled,
    StopListed,
    Archived,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Queued,
        Status::VoucherOffered,
        Status::VoucherActive,
        Status::Enrolled,
        Status::StopListed,
        Status::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::VoucherOffered => "voucher_offered",
            Status::VoucherActive => "voucher_active",
            Status::Enrolled => "enrolled",
            Status::StopListed => "stop_listed",
            Status::Archived => "archived",
        }
    }

    /// Final statuses: no transition leaves them.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Enrolled | Status::Archived)
    }

    /// Whether a voucher is outstanding (offered or active) in this status.
    pub fn holds_voucher(self) -> bool {
        matches!(self, Status::VoucherOffered | Status::VoucherActive)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an application left the queue for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveReason {
    NotReconfirmed,
    VoucherLapsed,
    StopListExpired,
    NotEnrolled,
    VoucherRefused,
    Withdrawn,
}

impl ArchiveReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveReason::NotReconfirmed => "not_reconfirmed",
            ArchiveReason::VoucherLapsed => "voucher_lapsed",
            ArchiveReason::StopListExpired => "stop_list_expired",
            ArchiveReason::NotEnrolled => "not_enrolled",
            ArchiveReason::VoucherRefused => "voucher_refused",
            ArchiveReason::Withdrawn => "withdrawn",
        }
    }
}

/// A claimed privilege category with its proof documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeClaim {
    pub category: String,
    pub document_ids: Vec<String>,
    /// Set when an operator rejected the claim: the child is then in the general order.
    pub rejected: Option<PrivilegeRejection>,
    /// When an operator checked the claim's documents and found them right.
    pub verified_at: Option<Time>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeRejection {
    pub reason: String,
    pub at: Time,
}

/// The voucher of an application, from the offer on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voucher {
    /// The voucher run that offered it (a retried run reuses its id).
    pub run_id: String,
    /// The age group the voucher was offered for (its places pool).
    pub age_group: AgeGroup,
    pub issued_at: Time,
    pub confirm_by: Time,
    /// The run's entry in the district's public log (see [`Offer::log`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<RunLogRef>,
    pub confirmed_at: Option<Time>,
    pub choose_by: Option<Time>,
    pub extended: bool,
    pub kindergarten_id: Option<String>,
    pub enrolled_at: Option<Time>,
}

/// How a signed action was confirmed by the parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedWith {
    /// An EDS (ЭЦП) signature over the request body.
    Eds,
    /// A fresh one-time code.
    OneTimeCode,
    /// The session alone (no signature supplied).
    Session,
}

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    Parent {
        iin: Iin,
    },
    Operator {
        iin: Iin,
    },
    /// A schedule or sweep.
    System,
}

impl Actor {
    pub fn label(&self) -> &'static str {
        match self {
            Actor::Parent { .. } => "parent",
            Actor::Operator { .. } => "operator",
            Actor::System => "system",
        }
    }
}

/// A preschool application: one child in one district's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub id: String,
    /// Optimistic concurrency: bumped by every committed change.
    pub version: u64,
    pub registration_number: String,
    /// The sequence part of the registration number (ties in the queue order).
    pub registration_seq: u64,
    /// The status with exactly the fields that status has.
    pub state: State,
    pub district: String,
    pub applicant_iin: Iin,
    pub child_iin: Iin,
    pub child_birth_date: NaiveDate,
    pub email: String,
    pub phone: String,
    pub language: Language,
    pub privilege: Option<PrivilegeClaim>,
    /// Kept through a restore from the stop-list, so the queue position is kept.
    pub registered_at: Time,
    /// The reconfirmation date before any move to a working day; +12 months per reconfirmation.
    pub reconfirm_base: NaiveDate,
    pub reconfirm_by: Time,
    /// Whether the one restore from the stop-list was used (kept for good: a second lapse
    /// archives).
    pub restore_used: bool,
    /// Reminder keys already sent (each reminder goes out once).
    pub reminders_sent: BTreeSet<String>,
    pub updated_at: Time,
}

impl Application {
    pub fn status(&self) -> Status {
        self.state.status()
    }

    /// The voucher's whole record, from the offer on (kept in the archive).
    pub fn voucher(&self) -> Option<Voucher> {
        self.state.voucher()
    }

    /// The restore deadline while stop-listed.
    pub fn restore_by(&self) -> Option<Time> {
        self.state.restore_by()
    }

    pub fn archive_reason(&self) -> Option<ArchiveReason> {
        self.state.archive_reason()
    }

    /// The privilege rank in force (general when no claim or the claim was rejected).
    pub fn rank(&self, reference: &Reference) -> Rank {
        match &self.privilege {
            Some(p) if p.rejected.is_none() => reference.rank_of(Some(&p.category)),
            _ => RANK_GENERAL,
        }
    }

    /// The key that orders this application in its queue.
    pub fn queue_key(&self, reference: &Reference) -> QueueKey {
        QueueKey {
            rank: self.rank(reference),
            registered_at: self.registered_at.timestamp_micros(),
            registration_seq: self.registration_seq,
            id: self.id.clone(),
        }
    }
}

/// One line of an application's change history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub application_id: String,
    /// The application version this entry produced (orders the history).
    pub version: u64,
    pub at: Time,
    pub actor: Actor,
    pub action: Action,
    pub from: Option<Status>,
    pub to: Status,
    pub reason: Option<String>,
    pub signed_with: Option<SignedWith>,
}

/// What happened, as the history names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    Reconfirm,
    OfferVoucher,
    ConfirmVoucher,
    Extend,
    Refuse,
    ChooseKindergarten,
    Restore,
    Withdraw,
    ExpireOffer,
    ExpireChoice,
    ExpireStopList,
    NotReconfirmed,
    PrivilegeRejected,
    /// An operator checked the privilege claim's documents and found them right.
    PrivilegeVerified,
    Reminder,
    /// Deadlines recomputed after a calendar correction (never shortened).
    DeadlinesCorrected,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Reconfirm => "reconfirm",
            Action::OfferVoucher => "offer_voucher",
            Action::ConfirmVoucher => "confirm_voucher",
            Action::Extend => "extend",
            Action::Refuse => "refuse",
            Action::ChooseKindergarten => "choose_kindergarten",
            Action::Restore => "restore",
            Action::Withdraw => "withdraw",
            Action::ExpireOffer => "expire_offer",
            Action::ExpireChoice => "expire_choice",
            Action::ExpireStopList => "expire_stop_list",
            Action::NotReconfirmed => "not_reconfirmed",
            Action::PrivilegeRejected => "privilege_rejected",
            Action::PrivilegeVerified => "privilege_verified",
            Action::Reminder => "reminder",
            Action::DeadlinesCorrected => "deadlines_corrected",
        }
    }
}

/// Every event a parent is told of (service.md, "Notifications").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Registered,
    VoucherOffered,
    VoucherConfirmed,
    ExtensionAvailable,
    Extended,
    Enrolled,
    StopListed,
    Restored,
    Archived,
    ReconfirmReminder,
    Reconfirmed,
    VoucherConfirmReminder,
    ChooseReminder,
    PrivilegeRejected,
    OtpCode,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 15] = [
        NotificationKind::Registered,
        NotificationKind::VoucherOffered,
        NotificationKind::VoucherConfirmed,
        NotificationKind::ExtensionAvailable,
        NotificationKind::Extended,
        NotificationKind::Enrolled,
        NotificationKind::StopListed,
        NotificationKind::Restored,
        NotificationKind::Archived,
        NotificationKind::ReconfirmReminder,
        NotificationKind::Reconfirmed,
        NotificationKind::VoucherConfirmReminder,
        NotificationKind::ChooseReminder,
        NotificationKind::PrivilegeRejected,
        NotificationKind::OtpCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Registered => "registered",
            NotificationKind::VoucherOffered => "voucher_offered",
            NotificationKind::VoucherConfirmed => "voucher_confirmed",
            NotificationKind::ExtensionAvailable => "extension_available",
            NotificationKind::Extended => "extended",
            NotificationKind::Enrolled => "enrolled",
            NotificationKind::StopListed => "stop_listed",
            NotificationKind::Restored => "restored",
            NotificationKind::Archived => "archived",
            NotificationKind::ReconfirmReminder => "reconfirm_reminder",
            NotificationKind::Reconfirmed => "reconfirmed",
            NotificationKind::VoucherConfirmReminder => "voucher_confirm_reminder",
            NotificationKind::ChooseReminder => "choose_reminder",
            NotificationKind::PrivilegeRejected => "privilege_rejected",
            NotificationKind::OtpCode => "otp_code",
        }
    }
}

/// A value a notification template fills in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Param {
    Text(String),
    /// Shown as a local date and time.
    Time(Time),
    Number(u64),
    /// Shown as the archive reason's label in the parent's language.
    Reason(ArchiveReason),
    /// Shown as the district's name in the parent's language.
    District(String),
    /// The application's queue position and name, read when the message is sent.
    QueuePosition,
}

/// A notification to a parent, recorded with the state change that caused it (the outbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique and stable: the delivery's idempotency key.
    pub id: String,
    pub application_id: Option<String>,
    pub kind: NotificationKind,
    pub language: Language,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub params: BTreeMap<String, Param>,
    pub created_at: Time,
}

/// Who owns a kindergarten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ownership {
    State,
    Private,
}

/// Kindergarten or mini-centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DdoType {
    Kindergarten,
    MiniCentre,
}

/// Languages of instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstructionLanguage {
    Kk,
    Ru,
    Both,
}

impl InstructionLanguage {
    /// Whether a kindergarten with these languages teaches in `wanted` (`kk` or `ru`).
    pub fn teaches(self, wanted: InstructionLanguage) -> bool {
        self == InstructionLanguage::Both || wanted == InstructionLanguage::Both || self == wanted
    }
}

/// General or special (for children with special educational needs) admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionMode {
    General,
    Special,
}

/// A preschool organisation (ДДО / МДҰ) in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kindergarten {
    pub id: String,
    pub version: u64,
    pub name_kk: String,
    pub name_ru: String,
    pub district: String,
    pub address: String,
    pub phone: String,
    pub ownership: Ownership,
    #[serde(rename = "type")]
    pub ddo_type: DdoType,
    pub languages: InstructionLanguage,
    pub admission: AdmissionMode,
    /// Free places by age group.
    pub free_places: BTreeMap<AgeGroup, u32>,
}

/// A parent's profile (first login asks for an e-mail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub iin: Iin,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Language,
}

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A parent's upload (a privilege proof).
    Upload,
    /// Issued: the registration in the queue.
    Registration,
    /// Issued: the voucher.
    Voucher,
    /// Issued: the enrolment in a kindergarten.
    Enrolment,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Upload => "upload",
            DocumentKind::Registration => "registration",
            DocumentKind::Voucher => "voucher",
            DocumentKind::Enrolment => "enrolment",
        }
    }
}

/// A document as the store keeps it: who owns it, what it is, where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub id: String,
    pub owner: Iin,
    pub kind: DocumentKind,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// The application of an issued document.
    pub application_id: Option<String>,
    /// The blob key.
    pub key: String,
    pub created_at: Time,
}
