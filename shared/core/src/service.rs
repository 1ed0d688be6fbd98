//! The application service: the ports it works through, business time, the calendar and the
//! reference data, the commit of one decision, and the reads every feature shares (an application,
//! the access policy on it, its view). The use cases live by business area, each file adding its own
//! `impl Service`: `applications`, `vouchers`, `sweeps`, `catalogue`, `profiles`, `operations`,
//! `notifications`, `documents`, `identity`, `correct_deadlines`. None of them imports another.

use crate::access::{self, On, Operation, Principal};
use crate::calendar::Calendar;
use crate::domain::*;
use crate::error::Failure;
use crate::inputs::application_id;
use crate::lifecycle::{self, Context};
use crate::ports::*;
use crate::queue;
use crate::reference::Reference;
use crate::texts::Texts;
use crate::time::local_date;
use crate::time::{local, Time};
use crate::values::DistrictCode;
use crate::views::*;
use std::sync::Arc;

/// Attempts at a change that keeps losing optimistic-concurrency races before a 409 `conflict`.
pub(crate) const MAX_ATTEMPTS: usize = 5;

/// The application service: every use case, over the ports.
#[derive(Clone)]
pub struct Service {
    pub store: Arc<dyn Store>,
    pub outbox: Arc<dyn Outbox>,
    pub clock: Arc<dyn Clock>,
    pub registers: Arc<dyn Registers>,
    /// Replacement working-day calendar (the operator's files); the shipped one when `None`.
    pub calendar: Option<Arc<Calendar>>,
    /// Where document bytes live (S3, the local data folder).
    pub blobs: Option<Arc<dyn crate::ports::Blobs>>,
    /// What makes the issued documents' PDFs ([`crate::documents::render_pdf`]). Given only to
    /// the code that issues documents, so that the other functions do not link the renderer.
    pub render: Option<crate::ports::Render>,
    /// Where new ids come from ([`RandomIds`] but in a simulation).
    pub ids: Arc<dyn Ids>,
}

impl Service {
    pub fn new(
        store: Arc<dyn Store>,
        outbox: Arc<dyn Outbox>,
        clock: Arc<dyn Clock>,
        registers: Arc<dyn Registers>,
    ) -> Service {
        Service {
            store,
            outbox,
            clock,
            registers,
            calendar: None,
            blobs: None,
            render: None,
            ids: Arc::new(RandomIds),
        }
    }

    /// A new id (a UUID) from the service's source of ids.
    pub fn new_id(&self) -> String {
        self.ids.new_id()
    }

    /// Business time now, in Asia/Almaty.
    pub fn now(&self) -> Time {
        use chrono::SubsecRound;
        local(self.clock.now()).trunc_subsecs(3)
    }

    /// The working-day calendar. The shipped data is parsed on first use, not when the service
    /// is built, so a Lambda's cold start does not pay for it.
    pub fn calendar(&self) -> &Calendar {
        self.calendar
            .as_deref()
            .unwrap_or_else(|| Calendar::builtin())
    }

    /// The region's reference data (districts, privileges), parsed on first use.
    pub fn reference(&self) -> &'static Reference {
        Reference::builtin()
    }

    /// The kk/ru/en texts, parsed on first use.
    pub fn texts(&self) -> &'static Texts {
        Texts::builtin()
    }

    /// Commits a decision (state, history, outbox and effects in one change set) and counts it.
    ///
    /// A store failure may be a commit that landed and whose answer was lost (a timeout after
    /// the write reached the table); and a conflict may be the client's own retry of such a
    /// commit, refused by the conditions its first attempt already met (DynamoDB's idempotency
    /// token covers this in AWS for ten minutes; no store need rely on it). Either way the
    /// application is read back, and the commit counts as done when the stored application is
    /// exactly the one decided (its version and every field, the decision's instant included),
    /// so a retried request never finds its own success in its way ("wrong status").
    pub(crate) async fn commit(&self, decision: lifecycle::Decision) -> Result<(), CommitError> {
        let (action, to) = (decision.history.action, decision.application.status());
        let decided = decision.application.clone();
        if let Err(e) = self.store.commit(decision.into()).await {
            match self.store.application(&decided.id).await {
                Ok(Some(stored)) if stored == decided => {
                    tracing::warn!(
                        action = action.as_str(),
                        refused = matches!(e, CommitError::Conflict(_)),
                        "a commit's answer was lost or its retry refused; read back: it landed"
                    );
                }
                _ => return Err(e),
            }
        }
        crate::telemetry::committed(&decided.district, action, to);
        Ok(())
    }

    pub(crate) fn ctx(&self, now: Time) -> Context<'_> {
        Context {
            now,
            calendar: self.calendar(),
            reference: self.reference(),
        }
    }

    pub(crate) async fn load(&self, id: &str) -> Result<Application, Failure> {
        let id = application_id(id)?;
        self.store
            .application(id.as_str())
            .await?
            .ok_or(Failure::NotFound { code: "not_found" })
    }

    /// The application if it exists and the access policy lets the caller do `op` on it.
    pub(crate) async fn permitted(
        &self,
        who: &Principal,
        op: Operation,
        id: &str,
    ) -> Result<Application, Failure> {
        let app = self.load(id).await?;
        self.permit_on(who, op, &app).await?;
        Ok(app)
    }

    /// The access policy on an application; the caller's links are read only when they decide.
    pub(crate) async fn permit_on(
        &self,
        who: &Principal,
        op: Operation,
        app: &Application,
    ) -> Result<(), Failure> {
        let linked = access::needs_link(who, op, app)
            && self
                .store
                .linked_children(&who.iin)
                .await?
                .contains(&app.child_iin);
        access::permit(who, op, On::Application { app, linked })
    }

    /// The application of a registration number as someone typed it: 400
    /// `invalid_registration_number` naming `field` when it is none, `None` when nobody has it.
    pub(crate) async fn by_number(
        &self,
        typed: &str,
        field: &str,
    ) -> Result<Option<Application>, Failure> {
        let number = crate::values::RegistrationNumber::parse(typed, self.reference())
            .ok_or(Failure::bad("invalid_registration_number", field))?;
        Ok(self.store.application_by_number(&number).await?)
    }

    pub(crate) fn known_district(&self, code: &str, field: &str) -> Result<DistrictCode, Failure> {
        DistrictCode::parse(code, self.reference()).ok_or(Failure::bad("unknown_district", field))
    }

    /// The exact queue position of a queued application now; `None` in other statuses.
    pub async fn position(&self, app: &Application, _now: Time) -> Result<Option<u64>, Failure> {
        if app.status() != Status::Queued {
            return Ok(None);
        }
        let cohort = queue::cohort_of(app.child_birth_date);
        let key = app.queue_key(self.reference());
        Ok(Some(
            self.store
                .queue_position(&app.district, cohort, &key)
                .await?,
        ))
    }

    pub(crate) async fn view(
        &self,
        app: &Application,
        now: Time,
        lang: Language,
    ) -> Result<ApplicationView, Failure> {
        let position = self.position(app, now).await?;
        let age = queue::age_group(app.child_birth_date, local_date(now));
        Ok(ApplicationView::new(app, age, position, self.texts(), lang))
    }
}
