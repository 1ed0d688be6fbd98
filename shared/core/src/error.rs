//! The one error type of the use cases, mapped to the HTTP contract's status codes by
//! `kezek-http` (which adds the failures only HTTP has: 405, 413). Each carries a stable snake_case code with messages in `data/texts/errors.toml`.

use crate::domain::Status;
use crate::lifecycle::Refusal;
use crate::ports::{CommitError, Conflict, RegisterError, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// 400: the input is malformed or invalid; `field` is the JSON path at fault.
    #[error("bad input: {code}")]
    BadInput {
        code: &'static str,
        field: Option<String>,
    },
    /// 401: no session, or a bad one.
    #[error("unauthorized: {code}")]
    Unauthorized { code: &'static str },
    /// 403: not yours, or not your role or district.
    #[error("forbidden: {code}")]
    Forbidden { code: &'static str },
    /// 404: unknown id or route.
    #[error("not found: {code}")]
    NotFound { code: &'static str },
    /// 409: conflicts with the current state; `status` is the application's current status.
    #[error("conflict: {code}")]
    Conflict {
        code: &'static str,
        status: Option<Status>,
    },
    /// 429: too many requests (`rate_limited`), attempts (`too_many_attempts`), a lockout
    /// (`locked_out`) or a code asked again too soon (`code_recently_sent`).
    #[error("rate limited: {code}")]
    RateLimited { code: &'static str },
    /// 503: a dependency (store, register) did not answer; nothing was changed.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl Failure {
    pub fn bad(code: &'static str, field: &str) -> Failure {
        Failure::BadInput {
            code,
            field: Some(field.to_owned()),
        }
    }

    pub fn conflict(code: &'static str, status: Status) -> Failure {
        Failure::Conflict {
            code,
            status: Some(status),
        }
    }

    /// The stable error code of the contract.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::BadInput { code, .. }
            | Failure::Unauthorized { code }
            | Failure::Forbidden { code }
            | Failure::NotFound { code }
            | Failure::Conflict { code, .. }
            | Failure::RateLimited { code } => code,
            Failure::Unavailable(_) => "unavailable",
        }
    }

    /// The HTTP status of the contract.
    pub fn http_status(&self) -> u16 {
        match self {
            Failure::BadInput { .. } => 400,
            Failure::Unauthorized { .. } => 401,
            Failure::Forbidden { .. } => 403,
            Failure::NotFound { .. } => 404,
            Failure::Conflict { .. } => 409,
            Failure::RateLimited { .. } => 429,
            Failure::Unavailable(_) => 503,
        }
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Failure {
        let c = |code| Failure::Conflict { code, status: None };
        match r {
            Refusal::NotInStatus(s) => Failure::conflict("not_in_status", s),
            Refusal::DeadlinePassed => c("deadline_passed"),
            Refusal::RestoreUsed => c("restore_used"),
            Refusal::ExtensionUsed => c("extension_used"),
            Refusal::ExtensionNotAvailable => c("extension_not_available"),
            Refusal::ReconfirmNotOpen => c("reconfirm_not_open"),
            Refusal::NoPrivilegeClaim => c("no_privilege_claim"),
            Refusal::NoFreePlace => c("no_free_place"),
            Refusal::NothingDue => c("not_in_status"),
            Refusal::KindergartenWrongDistrict => {
                Failure::bad("kindergarten_wrong_district", "kindergarten_id")
            }
            Refusal::ChildTooOld => Failure::bad("child_too_old", "child_iin"),
            Refusal::ChildNotBorn => Failure::bad("child_not_born", "child_iin"),
            Refusal::ApplicantIsChild => Failure::bad("applicant_is_child", "child_iin"),
            Refusal::UnknownPrivilege => Failure::bad("unknown_privilege", "privilege.category"),
            Refusal::PrivilegeDocumentsRequired => {
                Failure::bad("privilege_documents_required", "privilege.document_ids")
            }
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Unavailable(e.0)
    }
}

impl From<RegisterError> for Failure {
    fn from(e: RegisterError) -> Failure {
        Failure::Unavailable(e.0)
    }
}

impl From<CommitError> for Failure {
    fn from(e: CommitError) -> Failure {
        let c = |code| Failure::Conflict { code, status: None };
        match e {
            CommitError::Store(s) => s.into(),
            CommitError::Conflict(Conflict::Stale) => c("conflict"),
            CommitError::Conflict(Conflict::DuplicateChild) => c("duplicate_child"),
            CommitError::Conflict(Conflict::ApplicantLimit) => c("too_many_applications"),
            CommitError::Conflict(Conflict::NoFreePlace | Conflict::NoVoucherPlace) => {
                c("no_free_place")
            }
        }
    }
}
