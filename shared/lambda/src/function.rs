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
    /// The parents' portal: HTML pages (every path outside `/v1`) over the same use cases.
    Web,
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
    pub const ALL: [Function; 17] = [
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
        Function::Web,
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
            Function::Web => "web",
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
            Function::Web => "WebFunction",
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

    /// The API routes (keys of [`kezek_http::ROUTES`]) this function serves: those the route
    /// table ([`kezek_http::TABLE`]) gives its name.
    pub fn routes(self) -> &'static [&'static str] {
        use std::sync::OnceLock;
        static BY_FUNCTION: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
        let all = BY_FUNCTION.get_or_init(|| {
            Function::ALL
                .iter()
                .map(|f| {
                    kezek_http::TABLE
                        .iter()
                        .zip(kezek_http::ROUTES)
                        .filter(|(r, _)| r.function == f.name())
                        .map(|(_, key)| *key)
                        .collect()
                })
                .collect()
        });
        let i = Function::ALL.iter().position(|f| *f == self).unwrap_or(0);
        all.get(i).map_or(&[], Vec::as_slice)
    }

    /// Whether the function publishes outbox entries to the notifier's queue: the relay, and
    /// the expiry sweep's safety net.
    pub fn publishes(self) -> bool {
        matches!(self, Function::OutboxRelay | Function::ExpirySweep)
    }

    /// Whether the function fans its scheduled work out to its work queue (`SWEEP_QUEUE_URL`)
    /// and does the parts it receives from it: the sweeps, and the scheduled voucher runs (one
    /// unit per district and age group).
    pub fn sweeps(self) -> bool {
        matches!(
            self,
            Function::ExpirySweep | Function::ReconfirmationReminder | Function::IssueVoucher
        )
    }

    /// Whether the function exports the districts' open data to the bucket every day (its
    /// `OpenData` schedule, `{"job": "open_data"}`): it needs the blob store (S3), and may write
    /// under `open-data/` only.
    pub fn publishes_open_data(self) -> bool {
        self == Function::ReconfirmationReminder
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

    /// Whether the function serves the portal's pages (every path outside `/v1`).
    pub fn serves_pages(self) -> bool {
        self == Function::Web
    }

    /// Whether API Gateway sends it requests: API routes or pages.
    pub fn serves_http(self) -> bool {
        !self.routes().is_empty() || self.serves_pages()
    }

    /// Whether the function needs the session key (it serves routes or pages, or authorizes
    /// them).
    pub fn needs_sessions(self) -> bool {
        self.serves_http() || self == Function::Authorizer
    }

    /// Issues sessions (logs people in): holds the session private key. No other function does.
    pub fn signs_sessions(self) -> bool {
        matches!(self, Function::Auth | Function::Web)
    }

    /// Checks one-time codes (login, and actions signed with a code) and EDS nonces: holds the
    /// code key.
    pub fn checks_codes(self) -> bool {
        matches!(
            self,
            Function::Auth
                | Function::Submit
                | Function::Confirm
                | Function::ParentActions
                | Function::SelectKindergarten
                | Function::Web
        )
    }

    /// Asks the state registers (mobile citizens at login, kinship at submit and linking).
    pub fn asks_registers(self) -> bool {
        matches!(
            self,
            Function::Auth | Function::Submit | Function::Profile | Function::Web
        )
    }

    /// The function that serves a route key, if any.
    pub fn of_route(route: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|f| f.routes().contains(&route))
    }
}
