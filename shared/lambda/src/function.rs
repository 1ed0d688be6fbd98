//! The table of Kezek's Lambda functions: the binary of each flow step, the API routes it serves
//! and what else triggers it. `infra/template.yaml`, `infra/openapi.yaml` and `events/` are
//! checked against this table by the tests.

/// One Lambda function (one binary crate under `functions/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// Registration in a district's queue.
    Submit,
    /// The yearly reconfirmation and the voucher confirmation.
    Confirm,
    /// Choosing a kindergarten and signing the contract.
    SelectKindergarten,
    /// The other parent actions: extension, refusal, restore, withdrawal.
    ParentActions,
    /// Read routes: health, districts, catalogue, journal, application, history.
    ReadApi,
    /// The parent's profile and linked children.
    Profile,
    /// Operators' catalogue, places, queue view, statistics and privilege rejection.
    Operator,
    /// Voucher runs: operator-started and scheduled.
    IssueVoucher,
    /// The expiry sweep of every deadline (scheduled and operator-started).
    ExpirySweep,
    /// The yearly reconfirmation reminders and removals (scheduled and operator-started).
    ReconfirmationReminder,
    /// Sends the e-mail and SMS of notifications taken from the queue.
    Notifier,
    /// Moves new outbox entries from the table's stream to the notifier's queue.
    OutboxRelay,
    /// Login: one-time codes and EDS.
    Auth,
    /// API Gateway's Lambda authorizer of the operator routes: a valid session of an operator.
    Authorizer,
    /// Documents: upload URLs, and the application's uploads and issued PDFs.
    Documents,
    /// Issues the documents of an event (registration, the confirmed voucher, enrolment) from
    /// the outbox entries on the table's stream.
    IssueDocuments,
}

/// What starts a function besides API routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// API Gateway (HTTP API, payload 2.0) only.
    Api,
    /// EventBridge Scheduler, and the API routes listed.
    Schedule,
    /// SQS batches.
    Queue,
    /// DynamoDB stream batches (the table's new outbox entries).
    Stream,
    /// API Gateway's authorizer requests (payload 2.0, simple responses).
    Authorizer,
}

impl Function {
    pub const ALL: [Function; 16] = [
        Function::Submit,
        Function::Confirm,
        Function::SelectKindergarten,
        Function::ParentActions,
        Function::ReadApi,
        Function::Profile,
        Function::Operator,
        Function::IssueVoucher,
        Function::ExpirySweep,
        Function::ReconfirmationReminder,
        Function::Notifier,
        Function::OutboxRelay,
        Function::Auth,
        Function::Authorizer,
        Function::Documents,
        Function::IssueDocuments,
    ];

    /// The crate and binary name under `functions/`, and the folder of its sample events.
    pub fn name(self) -> &'static str {
        match self {
            Function::Submit => "submit",
            Function::Confirm => "confirm",
            Function::SelectKindergarten => "select-kindergarten",
            Function::ParentActions => "parent-actions",
            Function::ReadApi => "read-api",
            Function::Profile => "profile",
            Function::Operator => "operator",
            Function::IssueVoucher => "issue-voucher",
            Function::ExpirySweep => "expiry-sweep",
            Function::ReconfirmationReminder => "reconfirmation-reminder",
            Function::Notifier => "notifier",
            Function::OutboxRelay => "outbox-relay",
            Function::Auth => "auth",
            Function::Authorizer => "authorizer",
            Function::Documents => "documents",
            Function::IssueDocuments => "issue-documents",
        }
    }

    /// The logical id of the function in `infra/template.yaml`.
    pub fn logical_id(self) -> &'static str {
        match self {
            Function::Submit => "SubmitFunction",
            Function::Confirm => "ConfirmFunction",
            Function::SelectKindergarten => "SelectKindergartenFunction",
            Function::ParentActions => "ParentActionsFunction",
            Function::ReadApi => "ReadApiFunction",
            Function::Profile => "ProfileFunction",
            Function::Operator => "OperatorFunction",
            Function::IssueVoucher => "IssueVoucherFunction",
            Function::ExpirySweep => "ExpirySweepFunction",
            Function::ReconfirmationReminder => "ReconfirmationReminderFunction",
            Function::Notifier => "NotifierFunction",
            Function::OutboxRelay => "OutboxRelayFunction",
            Function::Auth => "AuthFunction",
            Function::Authorizer => "AuthorizerFunction",
            Function::Documents => "DocumentsFunction",
            Function::IssueDocuments => "IssueDocumentsFunction",
        }
    }

    pub fn parse(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn trigger(self) -> Trigger {
        match self {
            Function::IssueVoucher | Function::ExpirySweep | Function::ReconfirmationReminder => {
                Trigger::Schedule
            }
            Function::Notifier => Trigger::Queue,
            Function::OutboxRelay | Function::IssueDocuments => Trigger::Stream,
            Function::Authorizer => Trigger::Authorizer,
            _ => Trigger::Api,
        }
    }

    /// The API routes (keys of [`kezek_http::ROUTES`]) this function serves.
    pub fn routes(self) -> &'static [&'static str] {
        match self {
            Function::Submit => &["POST /v1/applications"],
            Function::Confirm => &[
                "POST /v1/applications/{id}/reconfirm",
                "POST /v1/applications/{id}/voucher/confirm",
            ],
            Function::SelectKindergarten => &["POST /v1/applications/{id}/kindergarten"],
            Function::ParentActions => &[
                "POST /v1/applications/{id}/voucher/extend",
                "POST /v1/applications/{id}/voucher/refuse",
                "POST /v1/applications/{id}/restore",
                "POST /v1/applications/{id}/withdraw",
            ],
            Function::ReadApi => &[
                "GET /v1/health",
                "GET /v1/districts",
                "GET /v1/kindergartens",
                "GET /v1/applications",
                "GET /v1/applications/{id}",
                "GET /v1/applications/{id}/history",
            ],
            Function::Profile => &["GET /v1/me", "PUT /v1/me", "POST /v1/me/children"],
            Function::Operator => &[
                "POST /v1/admin/kindergartens",
                "PUT /v1/admin/kindergartens/{id}",
                "PUT /v1/admin/kindergartens/{id}/places",
                "GET /v1/admin/queue",
                "GET /v1/admin/stats",
                "POST /v1/admin/privileges/{application_id}/reject",
            ],
            Function::IssueVoucher => &["POST /v1/admin/voucher-runs"],
            Function::ExpirySweep => &["POST /v1/admin/sweeps/expiry"],
            Function::ReconfirmationReminder => &["POST /v1/admin/sweeps/reconfirmation"],
            Function::Auth => &[
                "POST /v1/auth/otp",
                "POST /v1/auth/otp/verify",
                "POST /v1/auth/eds/challenge",
                "POST /v1/auth/eds/verify",
            ],
            Function::Documents => &["POST /v1/documents", "GET /v1/applications/{id}/documents"],
            Function::Notifier
            | Function::OutboxRelay
            | Function::Authorizer
            | Function::IssueDocuments => &[],
        }
    }

    /// Whether the function keeps documents: it needs the blob store (S3) and the PDF renderer.
    pub fn keeps_documents(self) -> bool {
        matches!(self, Function::Documents | Function::IssueDocuments)
    }

    /// Whether the function decides deadlines or shows working days left, and so reads the
    /// published calendar at cold start when `CALENDAR_FROM_TABLE` is on.
    pub fn uses_calendar(self) -> bool {
        !matches!(
            self,
            Function::Authorizer
                | Function::Notifier
                | Function::OutboxRelay
                | Function::IssueDocuments
        )
    }

    /// Whether the function needs the session key (it serves routes or authorizes them).
    pub fn needs_sessions(self) -> bool {
        !self.routes().is_empty() || self == Function::Authorizer
    }

    /// The function that serves a route key, if any.
    pub fn of_route(route: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|f| f.routes().contains(&route))
    }
}
