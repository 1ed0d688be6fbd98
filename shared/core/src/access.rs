//! The one access policy (service.md, "Identity and roles"): who may do what, and which actions
//! must be signed. Every use case asks it before it acts, for the JSON API and the web pages alike;
//! no handler decides access. The table is [`POLICY`]; `tests/access.rs` checks every route against
//! an expectation table of its own.

use crate::domain::{Actor, Application};
use crate::iin::Iin;
use crate::Failure;

/// A signed-in user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Parent,
    Operator,
}

/// Who calls: from the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub iin: Iin,
    pub role: Role,
    /// Operator's districts (empty for parents).
    pub districts: Vec<String>,
}

impl Principal {
    pub(crate) fn actor(&self) -> Actor {
        match self.role {
            Role::Parent => Actor::Parent {
                iin: self.iin.clone(),
            },
            Role::Operator => Actor::Operator {
                iin: self.iin.clone(),
            },
        }
    }
}

/// What a caller asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Register a child in a queue.
    Submit,
    /// The own and linked applications.
    ReadJournal,
    ReadApplication,
    ReadHistory,
    /// An application's uploads and issued documents.
    ReadDocuments,
    /// Declare an upload (a privilege proof).
    Upload,
    Reconfirm,
    ConfirmVoucher,
    Extend,
    RefuseVoucher,
    ChooseKindergarten,
    Restore,
    Withdraw,
    /// Link a child's applications by the child's IIN.
    LinkChild,
    /// The own profile.
    Profile,
    /// Create or edit a kindergarten, or set its free places.
    ManageCatalogue,
    /// A district's queue, in order.
    ViewQueue,
    /// A district's numbers.
    ViewStats,
    RejectPrivilege,
    /// The privilege claims waiting for a look, and their uploaded documents.
    ReviewPrivilege,
    VerifyPrivilege,
    StartVoucherRun,
    /// Start a sweep now (the schedules run them otherwise).
    RunSweep,
}

/// What a role is granted for an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Not for this role.
    Denied,
    /// Whatever the resource.
    Any,
    /// A parent: the applicant of the application or a parent linked to its child.
    OwnOrLinked,
    /// An operator: of the district the resource belongs to.
    OwnDistrict,
}

/// One row of the policy.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub operation: Operation,
    pub parent: Grant,
    pub operator: Grant,
    /// The action is signed (EDS over the body or a fresh one-time code) and the history records
    /// how; without a signature the session alone is recorded.
    pub signed: bool,
}

const fn rule(operation: Operation, parent: Grant, operator: Grant, signed: bool) -> Rule {
    Rule {
        operation,
        parent,
        operator,
        signed,
    }
}

use Grant::*;
use Operation::*;

/// Who may do what. Operators act only in their districts; parents only on their own or linked
/// children's applications.
pub const POLICY: [Rule; 23] = [
    rule(Submit, Any, Denied, true),
    rule(ReadJournal, Any, Denied, false),
    rule(ReadApplication, OwnOrLinked, OwnDistrict, false),
    rule(ReadHistory, OwnOrLinked, OwnDistrict, false),
    rule(ReadDocuments, OwnOrLinked, Denied, false),
    rule(Upload, Any, Denied, false),
    rule(Reconfirm, OwnOrLinked, Denied, false),
    rule(ConfirmVoucher, OwnOrLinked, Denied, true),
    rule(Extend, OwnOrLinked, Denied, false),
    rule(RefuseVoucher, OwnOrLinked, Denied, false),
    rule(ChooseKindergarten, OwnOrLinked, Denied, true),
    rule(Restore, OwnOrLinked, Denied, false),
    rule(Withdraw, OwnOrLinked, Denied, false),
    rule(LinkChild, Any, Denied, false),
    rule(Profile, Any, Any, false),
    rule(ManageCatalogue, Denied, OwnDistrict, false),
    rule(ViewQueue, Denied, OwnDistrict, false),
    rule(ViewStats, Denied, OwnDistrict, false),
    rule(RejectPrivilege, Denied, OwnDistrict, false),
    rule(ReviewPrivilege, Denied, OwnDistrict, false),
    rule(VerifyPrivilege, Denied, OwnDistrict, false),
    rule(StartVoucherRun, Denied, OwnDistrict, false),
    rule(RunSweep, Denied, Any, false),
];

/// The policy's row of an operation.
pub fn rule_of(op: Operation) -> Rule {
    POLICY
        .iter()
        .copied()
        .find(|r| r.operation == op)
        .unwrap_or(rule(op, Denied, Denied, false))
}

/// What `role` is granted for `op`.
pub fn grant(role: Role, op: Operation) -> Grant {
    let r = rule_of(op);
    match role {
        Role::Parent => r.parent,
        Role::Operator => r.operator,
    }
}

/// Whether `op` is a signed action.
pub fn needs_signature(op: Operation) -> bool {
    rule_of(op).signed
}

/// The resource an operation is asked on.
#[derive(Debug, Clone, Copy)]
pub enum On<'a> {
    /// No resource beyond the caller (the own journal, profile, a new application, a sweep).
    Caller,
    /// A district's data (catalogue, queue, numbers, runs).
    District(&'a str),
    /// An application; `linked`: the caller is a parent linked to its child.
    Application { app: &'a Application, linked: bool },
}

fn forbidden() -> Failure {
    Failure::Forbidden { code: "forbidden" }
}

/// Whether the caller's role may ask for `op` at all: checked before anything is read, so a
/// parent's route answers an operator 403 whether or not the id exists.
pub fn permit_role(who: &Principal, op: Operation) -> Result<(), Failure> {
    match grant(who.role, op) {
        Denied => Err(forbidden()),
        _ => Ok(()),
    }
}

/// The decision: may `who` do `op` on `on`.
pub fn permit(who: &Principal, op: Operation, on: On<'_>) -> Result<(), Failure> {
    let district_of = |on: On<'_>| match on {
        On::District(d) => Some(d.to_owned()),
        On::Application { app, .. } => Some(app.district.clone()),
        On::Caller => None,
    };
    match grant(who.role, op) {
        Denied => Err(forbidden()),
        Any => Ok(()),
        OwnOrLinked => match on {
            On::Application { app, linked } if app.applicant_iin == who.iin || linked => Ok(()),
            _ => Err(forbidden()),
        },
        OwnDistrict => match district_of(on) {
            Some(d) if who.districts.contains(&d) => Ok(()),
            Some(_) => Err(Failure::Forbidden {
                code: "forbidden_district",
            }),
            None => Err(forbidden()),
        },
    }
}

/// Whether deciding `op` on an application needs to know if the caller is linked to its child
/// (one more read): only for a parent who is not the applicant.
pub fn needs_link(who: &Principal, op: Operation, app: &Application) -> bool {
    grant(who.role, op) == OwnOrLinked && app.applicant_iin != who.iin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_one_row() {
        for (i, r) in POLICY.iter().enumerate() {
            assert!(
                POLICY[i + 1..].iter().all(|o| o.operation != r.operation),
                "{:?} twice",
                r.operation
            );
        }
    }

    #[test]
    fn the_signed_actions_are_submit_confirm_and_choose() {
        let signed: Vec<Operation> = POLICY
            .iter()
            .filter(|r| r.signed)
            .map(|r| r.operation)
            .collect();
        assert_eq!(signed, vec![Submit, ConfirmVoucher, ChooseKindergarten]);
    }
}
