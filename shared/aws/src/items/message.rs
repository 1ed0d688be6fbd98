//! A notification between functions: the outbox item's `n` attribute, the table stream's image of
//! it (read by the relay and the document issuer) and the SQS body (read by the notifier) are all
//! this one versioned envelope.

use super::application::{ArchiveReasonV1, LanguageV1};
use super::{check_version, one};
use kezek_core::domain::{Notification, NotificationKind, Param};
use kezek_core::ports::StoreError;
use kezek_core::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a notification tells, as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindV1 {
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

impl From<NotificationKind> for KindV1 {
    fn from(k: NotificationKind) -> Self {
        use NotificationKind as N;
        match k {
            N::Registered => KindV1::Registered,
            N::VoucherOffered => KindV1::VoucherOffered,
            N::VoucherConfirmed => KindV1::VoucherConfirmed,
            N::ExtensionAvailable => KindV1::ExtensionAvailable,
            N::Extended => KindV1::Extended,
            N::Enrolled => KindV1::Enrolled,
            N::StopListed => KindV1::StopListed,
            N::Restored => KindV1::Restored,
            N::Archived => KindV1::Archived,
            N::ReconfirmReminder => KindV1::ReconfirmReminder,
            N::Reconfirmed => KindV1::Reconfirmed,
            N::VoucherConfirmReminder => KindV1::VoucherConfirmReminder,
            N::ChooseReminder => KindV1::ChooseReminder,
            N::PrivilegeRejected => KindV1::PrivilegeRejected,
            N::OtpCode => KindV1::OtpCode,
        }
    }
}

impl From<KindV1> for NotificationKind {
    fn from(k: KindV1) -> Self {
        use NotificationKind as N;
        match k {
            KindV1::Registered => N::Registered,
            KindV1::VoucherOffered => N::VoucherOffered,
            KindV1::VoucherConfirmed => N::VoucherConfirmed,
            KindV1::ExtensionAvailable => N::ExtensionAvailable,
            KindV1::Extended => N::Extended,
            KindV1::Enrolled => N::Enrolled,
            KindV1::StopListed => N::StopListed,
            KindV1::Restored => N::Restored,
            KindV1::Archived => N::Archived,
            KindV1::ReconfirmReminder => N::ReconfirmReminder,
            KindV1::Reconfirmed => N::Reconfirmed,
            KindV1::VoucherConfirmReminder => N::VoucherConfirmReminder,
            KindV1::ChooseReminder => N::ChooseReminder,
            KindV1::PrivilegeRejected => N::PrivilegeRejected,
            KindV1::OtpCode => N::OtpCode,
        }
    }
}

/// A value filled into a notification's text, as sent (`t` names the kind, `v` holds the value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum ParamV1 {
    Text(String),
    Time(Time),
    Number(u64),
    Reason(ArchiveReasonV1),
    District(String),
    QueuePosition,
}

impl From<&Param> for ParamV1 {
    fn from(p: &Param) -> Self {
        match p {
            Param::Text(s) => ParamV1::Text(s.clone()),
            Param::Time(t) => ParamV1::Time(*t),
            Param::Number(n) => ParamV1::Number(*n),
            Param::Reason(r) => ParamV1::Reason((*r).into()),
            Param::District(d) => ParamV1::District(d.clone()),
            Param::QueuePosition => ParamV1::QueuePosition,
        }
    }
}

impl From<ParamV1> for Param {
    fn from(p: ParamV1) -> Self {
        match p {
            ParamV1::Text(s) => Param::Text(s),
            ParamV1::Time(t) => Param::Time(t),
            ParamV1::Number(n) => Param::Number(n),
            ParamV1::Reason(r) => Param::Reason(r.into()),
            ParamV1::District(d) => Param::District(d),
            ParamV1::QueuePosition => Param::QueuePosition,
        }
    }
}

/// A notification between functions, version 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationMessageV1 {
    #[serde(rename = "v", default = "one")]
    pub message_version: u32,
    pub id: String,
    pub application_id: Option<String>,
    pub kind: KindV1,
    pub language: LanguageV1,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub params: BTreeMap<String, ParamV1>,
    pub created_at: Time,
}

impl From<&Notification> for NotificationMessageV1 {
    fn from(n: &Notification) -> Self {
        NotificationMessageV1 {
            message_version: 1,
            id: n.id.clone(),
            application_id: n.application_id.clone(),
            kind: n.kind.into(),
            language: n.language.into(),
            email: n.email.clone(),
            phone: n.phone.clone(),
            params: n
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.into()))
                .collect(),
            created_at: n.created_at,
        }
    }
}

impl TryFrom<NotificationMessageV1> for Notification {
    type Error = StoreError;
    fn try_from(m: NotificationMessageV1) -> Result<Self, StoreError> {
        check_version("notification message", m.message_version)?;
        Ok(Notification {
            id: m.id,
            application_id: m.application_id,
            kind: m.kind.into(),
            language: m.language.into(),
            email: m.email,
            phone: m.phone,
            params: m.params.into_iter().map(|(k, v)| (k, v.into())).collect(),
            created_at: m.created_at,
        })
    }
}

impl NotificationMessageV1 {
    /// The SQS body of a notification.
    pub fn body(n: &Notification) -> Result<String, StoreError> {
        serde_json::to_string(&NotificationMessageV1::from(n))
            .map_err(|e| StoreError(format!("notification message: {e}")))
    }

    /// A notification from an SQS body (bodies sent before versions existed read as version 1).
    pub fn from_body(body: &str) -> Result<Notification, StoreError> {
        let m: NotificationMessageV1 = serde_json::from_str(body)
            .map_err(|e| StoreError(format!("notification message: {e}")))?;
        m.try_into()
    }
}
