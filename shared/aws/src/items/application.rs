//! The application item (`APP#<id>` / `A`) and its history entries (`APP#<id>` / `H#<version>`).

use super::{check_version, iin, one};
use chrono::NaiveDate;
use kezek_core::domain::*;
use kezek_core::ports::StoreError;
use kezek_core::queue::AgeGroup;
use kezek_core::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A status as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusV1 {
    Queued,
    VoucherOffered,
    VoucherActive,
    Enrolled,
    StopListed,
    Archived,
}

impl From<Status> for StatusV1 {
    fn from(s: Status) -> Self {
        match s {
            Status::Queued => StatusV1::Queued,
            Status::VoucherOffered => StatusV1::VoucherOffered,
            Status::VoucherActive => StatusV1::VoucherActive,
            Status::Enrolled => StatusV1::Enrolled,
            Status::StopListed => StatusV1::StopListed,
            Status::Archived => StatusV1::Archived,
        }
    }
}

impl From<StatusV1> for Status {
    fn from(s: StatusV1) -> Self {
        match s {
            StatusV1::Queued => Status::Queued,
            StatusV1::VoucherOffered => Status::VoucherOffered,
            StatusV1::VoucherActive => Status::VoucherActive,
            StatusV1::Enrolled => Status::Enrolled,
            StatusV1::StopListed => Status::StopListed,
            StatusV1::Archived => Status::Archived,
        }
    }
}

/// A language as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguageV1 {
    Kk,
    Ru,
    En,
}

impl From<Language> for LanguageV1 {
    fn from(l: Language) -> Self {
        match l {
            Language::Kk => LanguageV1::Kk,
            Language::Ru => LanguageV1::Ru,
            Language::En => LanguageV1::En,
        }
    }
}

impl From<LanguageV1> for Language {
    fn from(l: LanguageV1) -> Self {
        match l {
            LanguageV1::Kk => Language::Kk,
            LanguageV1::Ru => Language::Ru,
            LanguageV1::En => Language::En,
        }
    }
}

/// Why an application was archived, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveReasonV1 {
    NotReconfirmed,
    VoucherLapsed,
    StopListExpired,
    NotEnrolled,
    VoucherRefused,
    Withdrawn,
}

impl From<ArchiveReason> for ArchiveReasonV1 {
    fn from(r: ArchiveReason) -> Self {
        match r {
            ArchiveReason::NotReconfirmed => ArchiveReasonV1::NotReconfirmed,
            ArchiveReason::VoucherLapsed => ArchiveReasonV1::VoucherLapsed,
            ArchiveReason::StopListExpired => ArchiveReasonV1::StopListExpired,
            ArchiveReason::NotEnrolled => ArchiveReasonV1::NotEnrolled,
            ArchiveReason::VoucherRefused => ArchiveReasonV1::VoucherRefused,
            ArchiveReason::Withdrawn => ArchiveReasonV1::Withdrawn,
        }
    }
}

impl From<ArchiveReasonV1> for ArchiveReason {
    fn from(r: ArchiveReasonV1) -> Self {
        match r {
            ArchiveReasonV1::NotReconfirmed => ArchiveReason::NotReconfirmed,
            ArchiveReasonV1::VoucherLapsed => ArchiveReason::VoucherLapsed,
            ArchiveReasonV1::StopListExpired => ArchiveReason::StopListExpired,
            ArchiveReasonV1::NotEnrolled => ArchiveReason::NotEnrolled,
            ArchiveReasonV1::VoucherRefused => ArchiveReason::VoucherRefused,
            ArchiveReasonV1::Withdrawn => ArchiveReason::Withdrawn,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeItemV1 {
    pub category: String,
    pub document_ids: Vec<String>,
    pub rejected: Option<RejectionItemV1>,
    /// Added within version 1: absent in items written before it (read as not verified), and
    /// not written while unset, so an unverified claim's item stays as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<Time>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionItemV1 {
    pub reason: String,
    pub at: Time,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLogRefItemV1 {
    pub seq: u64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherItemV1 {
    pub run_id: String,
    pub age_group: AgeGroup,
    pub issued_at: Time,
    pub confirm_by: Time,
    /// The run's first entry in its district's log (added within v1: absent before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<RunLogRefItemV1>,
    pub confirmed_at: Option<Time>,
    pub choose_by: Option<Time>,
    pub extended: bool,
    pub kindergarten_id: Option<String>,
    pub enrolled_at: Option<Time>,
}

/// The application item's own attributes (the adapter adds the key and index attributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationItemV1 {
    #[serde(rename = "v", default = "one")]
    pub item_version: u32,
    pub id: String,
    pub version: u64,
    pub registration_number: String,
    pub registration_seq: u64,
    pub status: StatusV1,
    pub district: String,
    pub applicant_iin: String,
    pub child_iin: String,
    pub child_birth_date: NaiveDate,
    pub email: String,
    pub phone: String,
    pub language: LanguageV1,
    pub privilege: Option<PrivilegeItemV1>,
    pub registered_at: Time,
    pub reconfirm_base: NaiveDate,
    pub reconfirm_by: Time,
    pub voucher: Option<VoucherItemV1>,
    pub restore_by: Option<Time>,
    pub restore_used: bool,
    pub archive_reason: Option<ArchiveReasonV1>,
    pub reminders_sent: BTreeSet<String>,
    pub updated_at: Time,
}

impl From<&Application> for ApplicationItemV1 {
    fn from(a: &Application) -> Self {
        ApplicationItemV1 {
            item_version: 1,
            id: a.id.clone(),
            version: a.version,
            registration_number: a.registration_number.clone(),
            registration_seq: a.registration_seq,
            status: a.status().into(),
            district: a.district.clone(),
            applicant_iin: a.applicant_iin.as_str().to_owned(),
            child_iin: a.child_iin.as_str().to_owned(),
            child_birth_date: a.child_birth_date,
            email: a.email.clone(),
            phone: a.phone.clone(),
            language: a.language.into(),
            privilege: a.privilege.as_ref().map(|p| PrivilegeItemV1 {
                category: p.category.clone(),
                document_ids: p.document_ids.clone(),
                rejected: p.rejected.as_ref().map(|r| RejectionItemV1 {
                    reason: r.reason.clone(),
                    at: r.at,
                }),
                verified_at: p.verified_at,
            }),
            registered_at: a.registered_at,
            reconfirm_base: a.reconfirm_base,
            reconfirm_by: a.reconfirm_by,
            voucher: a.voucher().map(|v| VoucherItemV1 {
                run_id: v.run_id.clone(),
                age_group: v.age_group,
                issued_at: v.issued_at,
                confirm_by: v.confirm_by,
                log: v.log.as_ref().map(|l| RunLogRefItemV1 {
                    seq: l.seq,
                    hash: l.hash.clone(),
                }),
                confirmed_at: v.confirmed_at,
                choose_by: v.choose_by,
                extended: v.extended,
                kindergarten_id: v.kindergarten_id,
                enrolled_at: v.enrolled_at,
            }),
            restore_by: a.restore_by(),
            restore_used: a.restore_used,
            archive_reason: a.archive_reason().map(Into::into),
            reminders_sent: a.reminders_sent.clone(),
            updated_at: a.updated_at,
        }
    }
}

impl TryFrom<ApplicationItemV1> for Application {
    type Error = StoreError;
    fn try_from(i: ApplicationItemV1) -> Result<Self, StoreError> {
        check_version("application item", i.item_version)?;
        let voucher = i.voucher.map(|v| Voucher {
            run_id: v.run_id,
            age_group: v.age_group,
            issued_at: v.issued_at,
            confirm_by: v.confirm_by,
            log: v.log.map(|l| RunLogRef {
                seq: l.seq,
                hash: l.hash,
            }),
            confirmed_at: v.confirmed_at,
            choose_by: v.choose_by,
            extended: v.extended,
            kindergarten_id: v.kindergarten_id,
            enrolled_at: v.enrolled_at,
        });
        let state = State::from_parts(
            i.status.into(),
            voucher,
            i.restore_by,
            i.archive_reason.map(Into::into),
        )
        .map_err(|e| StoreError(format!("application item {}: {e}", i.id)))?;
        Ok(Application {
            id: i.id,
            version: i.version,
            registration_number: i.registration_number,
            registration_seq: i.registration_seq,
            state,
            district: i.district,
            applicant_iin: iin(i.applicant_iin)?,
            child_iin: iin(i.child_iin)?,
            child_birth_date: i.child_birth_date,
            email: i.email,
            phone: i.phone,
            language: i.language.into(),
            privilege: i.privilege.map(|p| PrivilegeClaim {
                category: p.category,
                document_ids: p.document_ids,
                rejected: p.rejected.map(|r| PrivilegeRejection {
                    reason: r.reason,
                    at: r.at,
                }),
                verified_at: p.verified_at,
            }),
            registered_at: i.registered_at,
            reconfirm_base: i.reconfirm_base,
            reconfirm_by: i.reconfirm_by,
            restore_used: i.restore_used,
            reminders_sent: i.reminders_sent,
            updated_at: i.updated_at,
        })
    }
}

/// Who did something, as stored (`kind` tag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActorV1 {
    Parent { iin: String },
    Operator { iin: String },
    System,
}

/// A history entry's action, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionV1 {
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
    PrivilegeVerified,
    Reminder,
    DeadlinesCorrected,
}

impl From<Action> for ActionV1 {
    fn from(a: Action) -> Self {
        match a {
            Action::Submit => ActionV1::Submit,
            Action::Reconfirm => ActionV1::Reconfirm,
            Action::OfferVoucher => ActionV1::OfferVoucher,
            Action::ConfirmVoucher => ActionV1::ConfirmVoucher,
            Action::Extend => ActionV1::Extend,
            Action::Refuse => ActionV1::Refuse,
            Action::ChooseKindergarten => ActionV1::ChooseKindergarten,
            Action::Restore => ActionV1::Restore,
            Action::Withdraw => ActionV1::Withdraw,
            Action::ExpireOffer => ActionV1::ExpireOffer,
            Action::ExpireChoice => ActionV1::ExpireChoice,
            Action::ExpireStopList => ActionV1::ExpireStopList,
            Action::NotReconfirmed => ActionV1::NotReconfirmed,
            Action::PrivilegeRejected => ActionV1::PrivilegeRejected,
            Action::PrivilegeVerified => ActionV1::PrivilegeVerified,
            Action::Reminder => ActionV1::Reminder,
            Action::DeadlinesCorrected => ActionV1::DeadlinesCorrected,
        }
    }
}

impl From<ActionV1> for Action {
    fn from(a: ActionV1) -> Self {
        match a {
            ActionV1::Submit => Action::Submit,
            ActionV1::Reconfirm => Action::Reconfirm,
            ActionV1::OfferVoucher => Action::OfferVoucher,
            ActionV1::ConfirmVoucher => Action::ConfirmVoucher,
            ActionV1::Extend => Action::Extend,
            ActionV1::Refuse => Action::Refuse,
            ActionV1::ChooseKindergarten => Action::ChooseKindergarten,
            ActionV1::Restore => Action::Restore,
            ActionV1::Withdraw => Action::Withdraw,
            ActionV1::ExpireOffer => Action::ExpireOffer,
            ActionV1::ExpireChoice => Action::ExpireChoice,
            ActionV1::ExpireStopList => Action::ExpireStopList,
            ActionV1::NotReconfirmed => Action::NotReconfirmed,
            ActionV1::PrivilegeRejected => Action::PrivilegeRejected,
            ActionV1::PrivilegeVerified => Action::PrivilegeVerified,
            ActionV1::Reminder => Action::Reminder,
            ActionV1::DeadlinesCorrected => Action::DeadlinesCorrected,
        }
    }
}

/// How a signed action was confirmed, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedWithV1 {
    Eds,
    OneTimeCode,
    Session,
}

impl From<SignedWith> for SignedWithV1 {
    fn from(s: SignedWith) -> Self {
        match s {
            SignedWith::Eds => SignedWithV1::Eds,
            SignedWith::OneTimeCode => SignedWithV1::OneTimeCode,
            SignedWith::Session => SignedWithV1::Session,
        }
    }
}

impl From<SignedWithV1> for SignedWith {
    fn from(s: SignedWithV1) -> Self {
        match s {
            SignedWithV1::Eds => SignedWith::Eds,
            SignedWithV1::OneTimeCode => SignedWith::OneTimeCode,
            SignedWithV1::Session => SignedWith::Session,
        }
    }
}

/// A history entry's own attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItemV1 {
    #[serde(rename = "v", default = "one")]
    pub item_version: u32,
    pub application_id: String,
    pub version: u64,
    pub at: Time,
    pub actor: ActorV1,
    pub action: ActionV1,
    pub from: Option<StatusV1>,
    pub to: StatusV1,
    pub reason: Option<String>,
    pub signed_with: Option<SignedWithV1>,
}

impl From<&HistoryEntry> for HistoryItemV1 {
    fn from(h: &HistoryEntry) -> Self {
        HistoryItemV1 {
            item_version: 1,
            application_id: h.application_id.clone(),
            version: h.version,
            at: h.at,
            actor: match &h.actor {
                Actor::Parent { iin } => ActorV1::Parent {
                    iin: iin.as_str().to_owned(),
                },
                Actor::Operator { iin } => ActorV1::Operator {
                    iin: iin.as_str().to_owned(),
                },
                Actor::System => ActorV1::System,
            },
            action: h.action.into(),
            from: h.from.map(Into::into),
            to: h.to.into(),
            reason: h.reason.clone(),
            signed_with: h.signed_with.map(Into::into),
        }
    }
}

impl TryFrom<HistoryItemV1> for HistoryEntry {
    type Error = StoreError;
    fn try_from(h: HistoryItemV1) -> Result<Self, StoreError> {
        check_version("history item", h.item_version)?;
        Ok(HistoryEntry {
            application_id: h.application_id,
            version: h.version,
            at: h.at,
            actor: match h.actor {
                ActorV1::Parent { iin: i } => Actor::Parent { iin: iin(i)? },
                ActorV1::Operator { iin: i } => Actor::Operator { iin: iin(i)? },
                ActorV1::System => Actor::System,
            },
            action: h.action.into(),
            from: h.from.map(Into::into),
            to: h.to.into(),
            reason: h.reason,
            signed_with: h.signed_with.map(Into::into),
        })
    }
}
