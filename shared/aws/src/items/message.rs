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

/// A unit of a scheduled sweep's work between the schedule's invocation and the part's,
/// version 1: `{"v":1,"task":"due","sweep":"expiry","part":3}`, `{"v":1,"task":"status_counts"}`,
/// `{"v":1,"task":"republish"}`, `{"v":1,"task":"voucher_run","district":"KOK","age_group":3}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepPartMessageV1 {
    #[serde(rename = "v")]
    pub message_version: u32,
    pub task: SweepTaskV1,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<u32>,
    /// A voucher run's district and age group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_group: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepTaskV1 {
    Due,
    StatusCounts,
    Republish,
    VoucherRun,
}

impl SweepPartMessageV1 {
    /// The SQS body of a part.
    pub fn body(p: &kezek_core::ports::SweepPart) -> String {
        use kezek_core::ports::SweepPart;
        let m = match p {
            SweepPart::Due { sweep, part } => SweepPartMessageV1 {
                task: SweepTaskV1::Due,
                sweep: Some(sweep.as_str().to_owned()),
                part: Some(*part),
                ..SweepPartMessageV1::task(SweepTaskV1::Due)
            },
            SweepPart::StatusCounts => SweepPartMessageV1::task(SweepTaskV1::StatusCounts),
            SweepPart::Republish => SweepPartMessageV1::task(SweepTaskV1::Republish),
            SweepPart::VoucherRun {
                district,
                age_group,
            } => SweepPartMessageV1 {
                district: Some(district.clone()),
                age_group: Some(*age_group),
                ..SweepPartMessageV1::task(SweepTaskV1::VoucherRun)
            },
        };
        serde_json::to_string(&m).expect("a sweep part serializes")
    }

    /// A part from an SQS body.
    pub fn from_body(body: &str) -> Result<kezek_core::ports::SweepPart, StoreError> {
        use kezek_core::ports::SweepPart;
        let m: SweepPartMessageV1 =
            serde_json::from_str(body).map_err(|e| StoreError(format!("sweep part: {e}")))?;
        check_version("sweep part", m.message_version)?;
        match (m.task, m.sweep.as_deref(), m.part) {
            (SweepTaskV1::Due, Some(s), Some(part)) => {
                let sweep = kezek_core::lifecycle::Sweep::parse(s)
                    .ok_or_else(|| StoreError(format!("sweep part: no sweep {s:?}")))?;
                Ok(SweepPart::Due { sweep, part })
            }
            (SweepTaskV1::Due, _, _) => {
                Err(StoreError("sweep part: due without sweep or part".into()))
            }
            (SweepTaskV1::StatusCounts, _, _) => Ok(SweepPart::StatusCounts),
            (SweepTaskV1::Republish, _, _) => Ok(SweepPart::Republish),
            (SweepTaskV1::VoucherRun, _, _) => match (m.district, m.age_group) {
                (Some(district), Some(age_group)) => Ok(SweepPart::VoucherRun {
                    district,
                    age_group,
                }),
                _ => Err(StoreError(
                    "sweep part: voucher_run without district or age_group".into(),
                )),
            },
        }
    }

    /// A message of `task` with no other field.
    fn task(task: SweepTaskV1) -> SweepPartMessageV1 {
        SweepPartMessageV1 {
            message_version: 1,
            task,
            sweep: None,
            part: None,
            district: None,
            age_group: None,
        }
    }
}

#[cfg(test)]
mod sweep_part_tests {
    use super::*;
    use kezek_core::lifecycle::Sweep;
    use kezek_core::ports::SweepPart;

    #[test]
    fn parts_round_trip_and_bad_bodies_are_refused() {
        for p in [
            SweepPart::Due {
                sweep: Sweep::Expiry,
                part: 7,
            },
            SweepPart::Due {
                sweep: Sweep::Reconfirmation,
                part: 0,
            },
            SweepPart::StatusCounts,
            SweepPart::Republish,
            SweepPart::VoucherRun {
                district: "KOK".into(),
                age_group: 3,
            },
        ] {
            assert_eq!(
                SweepPartMessageV1::from_body(&SweepPartMessageV1::body(&p)).unwrap(),
                p
            );
        }
        assert_eq!(
            SweepPartMessageV1::body(&SweepPart::Due {
                sweep: Sweep::Expiry,
                part: 3
            }),
            r#"{"v":1,"task":"due","sweep":"expiry","part":3}"#
        );
        assert_eq!(
            SweepPartMessageV1::body(&SweepPart::VoucherRun {
                district: "KOK".into(),
                age_group: 3
            }),
            r#"{"v":1,"task":"voucher_run","district":"KOK","age_group":3}"#
        );
        for bad in [
            "",
            "{}",
            r#"{"v":2,"task":"republish"}"#,
            r#"{"v":1,"task":"due","sweep":"expiry"}"#,
            r#"{"v":1,"task":"due","sweep":"nope","part":1}"#,
            r#"{"v":1,"task":"nap"}"#,
            r#"{"v":1,"task":"voucher_run","district":"KOK"}"#,
            r#"{"v":1,"task":"voucher_run","age_group":3}"#,
            r#"{"v":1,"task":"voucher_run","district":"KOK","age_group":300}"#,
        ] {
            assert!(SweepPartMessageV1::from_body(bad).is_err(), "{bad}");
        }
    }
}
