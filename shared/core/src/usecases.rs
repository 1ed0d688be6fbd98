//! Use cases: one method per route or scheduled step. Each reads through the ports, decides with
//! the pure lifecycle and commits one change set. The HTTP layer and the Lambdas only parse, call
//! and map.

use crate::access::{self, On, Operation};
use crate::calendar::Calendar;
use crate::domain::*;
use crate::error::Failure;
use crate::iin::{Iin, IinError};
use crate::lifecycle::{self, Command, Context, NewApplication, Refusal, Sweep};
use crate::ports::*;
use crate::queue::{self, AgeGroup};
use crate::reference::Reference;
use crate::retry::Retried;
use crate::texts::{QueueFacts, Texts};
use crate::time::{local, local_date, Time};
use crate::views::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Attempts at a change that keeps losing optimistic-concurrency races before a 409 `conflict`.
pub(crate) const MAX_ATTEMPTS: usize = 5;
/// Longest free-text field (reasons, names, addresses).
pub const MAX_TEXT: usize = 500;
/// Most due items `GET /v1/admin/stats` reads per sweep (region-wide, then counted for the
/// district): the sweeps run every 15 minutes and keep this backlog small.
pub const STATS_DUE_LIMIT: usize = 1000;
/// A sweep reads the due index in pages of this size.
pub const SWEEP_PAGE: usize = 100;

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

#[derive(Debug, Clone, Deserialize)]
pub struct PrivilegeInput {
    pub category: String,
    #[serde(default)]
    pub document_ids: Vec<String>,
}

/// `POST /v1/applications`.
#[derive(Debug, Clone, Deserialize)]
pub struct SubmitInput {
    pub district: String,
    pub child_iin: String,
    pub email: String,
    pub phone: String,
    pub language: Option<String>,
    pub privilege: Option<PrivilegeInput>,
    /// EDS signature over the body (verified by the identity layer when present).
    pub signature: Option<String>,
}

/// `POST /v1/applications/{id}/kindergarten`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChooseInput {
    pub kindergarten_id: String,
    pub signature: Option<String>,
}

/// A parent's action on an application.
#[derive(Debug, Clone)]
pub enum ParentAction {
    Reconfirm,
    ConfirmVoucher,
    Extend,
    Refuse,
    Choose(ChooseInput),
    Restore,
    Withdraw,
}

impl ParentAction {
    /// The operation the access policy knows it by.
    pub fn operation(&self) -> Operation {
        match self {
            ParentAction::Reconfirm => Operation::Reconfirm,
            ParentAction::ConfirmVoucher => Operation::ConfirmVoucher,
            ParentAction::Extend => Operation::Extend,
            ParentAction::Refuse => Operation::RefuseVoucher,
            ParentAction::Choose(_) => Operation::ChooseKindergarten,
            ParentAction::Restore => Operation::Restore,
            ParentAction::Withdraw => Operation::Withdraw,
        }
    }
}

/// `POST /v1/admin/kindergartens` and `PUT /v1/admin/kindergartens/{id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct KindergartenInput {
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
    #[serde(default)]
    pub free_places: Option<BTreeMap<String, u32>>,
}

/// How long a claim on a send holds off other deliveries of the same message.
pub const SEND_LEASE: chrono::Duration = chrono::Duration::minutes(2);
/// How long an outbox entry stays pending before the expiry sweep publishes it again.
pub const REPUBLISH_AFTER: chrono::Duration = chrono::Duration::minutes(30);

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Every message sent; the outbox records it.
    Sent,
    /// A permanent failure (e.g. a rejected address); the outbox records it for the operators.
    Failed,
    /// A transient failure; nothing recorded, to be tried again.
    Retry,
}

/// `POST /v1/admin/voucher-runs`.
#[derive(Debug, Clone, Deserialize)]
pub struct RunInput {
    pub district: String,
    pub age_group: i64,
}

/// `POST /v1/admin/privileges/{id}/reject`.
#[derive(Debug, Clone, Deserialize)]
pub struct RejectInput {
    pub reason: String,
}

/// `PUT /v1/me`.
#[derive(Debug, Clone, Deserialize)]
pub struct ProfileInput {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub name: Option<String>,
}

/// `POST /v1/me/children`.
#[derive(Debug, Clone, Deserialize)]
pub struct LinkInput {
    pub child_iin: String,
}

/// Catalogue filter of `GET /v1/kindergartens`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CatalogueFilter {
    pub district: Option<String>,
    pub language: Option<String>,
    pub ownership: Option<String>,
    pub age_group: Option<String>,
}

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
    pub render: Option<crate::documents::Render>,
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
        }
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
    pub(crate) async fn commit(&self, decision: lifecycle::Decision) -> Result<(), CommitError> {
        let (action, to) = (decision.history.action, decision.application.status);
        let district = decision.application.district.clone();
        self.store.commit(decision.into()).await?;
        crate::telemetry::committed(&district, action, to);
        Ok(())
    }

    pub(crate) fn ctx(&self, now: Time) -> Context<'_> {
        Context {
            now,
            calendar: self.calendar(),
            reference: self.reference(),
        }
    }

    // ----- public -------------------------------------------------------------------------

    pub async fn health(&self) -> Result<(), Failure> {
        Ok(self.store.ping().await?)
    }

    pub fn districts(&self) -> Vec<DistrictView> {
        self.reference().districts.iter().map(Into::into).collect()
    }

    pub async fn catalogue(&self, f: CatalogueFilter) -> Result<Vec<KindergartenView>, Failure> {
        let district = match f.district.as_deref().filter(|s| !s.is_empty()) {
            Some(d) => Some(self.known_district(d, "district")?),
            None => None,
        };
        let language = match f.language.as_deref().filter(|s| !s.is_empty()) {
            Some("kk") => Some(InstructionLanguage::Kk),
            Some("ru") => Some(InstructionLanguage::Ru),
            Some("both") => Some(InstructionLanguage::Both),
            Some(_) => return Err(Failure::bad("invalid_field", "language")),
            None => None,
        };
        let ownership = match f.ownership.as_deref().filter(|s| !s.is_empty()) {
            Some("state") => Some(Ownership::State),
            Some("private") => Some(Ownership::Private),
            Some(_) => return Err(Failure::bad("invalid_field", "ownership")),
            None => None,
        };
        let age_group = match f.age_group.as_deref().filter(|s| !s.is_empty()) {
            Some(a) => {
                Some(parse_age_group(a).ok_or(Failure::bad("invalid_age_group", "age_group"))?)
            }
            None => None,
        };
        let list = self.store.kindergartens(district.as_deref()).await?;
        Ok(list
            .iter()
            .filter(|k| language.is_none_or(|l| k.languages.teaches(l)))
            .filter(|k| ownership.is_none_or(|o| k.ownership == o))
            .filter(|k| age_group.is_none_or(|a| k.free_places.get(&a).copied().unwrap_or(0) > 0))
            .map(Into::into)
            .collect())
    }

    // ----- parents ------------------------------------------------------------------------

    /// Submit: registers a child in a district's queue (signed by the session alone).
    pub async fn submit(
        &self,
        who: &Principal,
        input: SubmitInput,
        lang: Language,
    ) -> Result<ApplicationView, Failure> {
        self.submit_signed(who, input, SignedWith::Session, lang)
            .await
    }

    /// Submit, signed as `signed_with` says (checked by [`crate::identity::Identity::sign_off`]).
    pub async fn submit_signed(
        &self,
        who: &Principal,
        input: SubmitInput,
        signed_with: SignedWith,
        lang: Language,
    ) -> Result<ApplicationView, Failure> {
        access::permit(who, Operation::Submit, On::Caller)?;
        let now = self.now();
        let today = local_date(now);
        let district = self
            .reference()
            .district(input.district.trim())
            .ok_or(Failure::bad("unknown_district", "district"))?
            .clone();
        let child_iin = parse_iin(&input.child_iin, today, "child_iin")?;
        let email = valid_email(&input.email)?;
        let phone = valid_phone(&input.phone)?;
        let language = match input.language.as_deref() {
            None => lang,
            Some(l) => Language::parse(l).ok_or(Failure::bad("invalid_language", "language"))?,
        };
        let privilege = match input.privilege {
            None => None,
            Some(p) => {
                if self.reference().privilege(&p.category).is_none() {
                    return Err(Failure::bad("unknown_privilege", "privilege.category"));
                }
                if p.document_ids.is_empty() {
                    return Err(Failure::bad(
                        "privilege_documents_required",
                        "privilege.document_ids",
                    ));
                }
                if p.document_ids.len() > 20
                    || p.document_ids.iter().any(|d| d.is_empty() || d.len() > 100)
                {
                    return Err(Failure::bad("invalid_field", "privilege.document_ids"));
                }
                self.check_own_uploads(who, &p.document_ids).await?;
                Some((p.category, p.document_ids))
            }
        };
        let birth = self
            .registers
            .birth_date(&child_iin)
            .await?
            .ok_or(Failure::bad("invalid_iin", "child_iin"))?;
        let new = NewApplication {
            id: uuid::Uuid::new_v4().to_string(),
            registration_seq: 0,
            district: district.clone(),
            applicant_iin: who.iin.clone(),
            child_iin,
            child_birth_date: birth,
            email,
            phone,
            language,
            privilege,
            signed_with,
        };
        // Decide before taking a sequence number, so refused input takes none.
        lifecycle::submit(new.clone(), self.ctx(now))?;
        use chrono::Datelike;
        let seq = self
            .store
            .next_sequence(&district.code, today.year())
            .await?;
        let decision = lifecycle::submit(
            NewApplication {
                registration_seq: seq,
                ..new
            },
            self.ctx(now),
        )?;
        let app = decision.application.clone();
        self.commit(decision).await?;
        self.view(&app, now, lang).await
    }

    /// The journal: the parent's own and linked applications, newest first.
    pub async fn journal(
        &self,
        who: &Principal,
        lang: Language,
    ) -> Result<Vec<ApplicationView>, Failure> {
        access::permit(who, Operation::ReadJournal, On::Caller)?;
        let now = self.now();
        let mut apps = self.store.applications_by_applicant(&who.iin).await?;
        for child in self.store.linked_children(&who.iin).await? {
            for a in self.store.applications_by_child(&child).await? {
                if !apps.iter().any(|x| x.id == a.id) {
                    apps.push(a);
                }
            }
        }
        apps.sort_by_key(|a| std::cmp::Reverse(a.registered_at));
        let mut out = Vec::with_capacity(apps.len());
        for a in &apps {
            out.push(self.view(a, now, lang).await?);
        }
        Ok(out)
    }

    pub async fn application(
        &self,
        who: &Principal,
        id: &str,
        lang: Language,
    ) -> Result<ApplicationView, Failure> {
        let app = self.permitted(who, Operation::ReadApplication, id).await?;
        self.view(&app, self.now(), lang).await
    }

    pub async fn history(
        &self,
        who: &Principal,
        id: &str,
        lang: Language,
    ) -> Result<Vec<HistoryView>, Failure> {
        self.permitted(who, Operation::ReadHistory, id).await?;
        let h = self.store.history(id).await?;
        Ok(h.iter()
            .map(|e| HistoryView::new(e, self.texts(), lang))
            .collect())
    }

    /// A parent's action: reconfirm, confirm, extend, refuse, choose, restore, withdraw (signed
    /// by the session alone).
    pub async fn act(
        &self,
        who: &Principal,
        id: &str,
        action: ParentAction,
        lang: Language,
    ) -> Result<ApplicationView, Failure> {
        self.act_signed(who, id, action, SignedWith::Session, lang)
            .await
    }

    /// A parent's action, signed as `signed_with` says (voucher confirmation and kindergarten
    /// choice record it in the history).
    pub async fn act_signed(
        &self,
        who: &Principal,
        id: &str,
        action: ParentAction,
        signed_with: SignedWith,
        lang: Language,
    ) -> Result<ApplicationView, Failure> {
        let op = action.operation();
        access::permit_role(who, op)?;
        if !valid_id(id) {
            return Err(Failure::NotFound { code: "not_found" });
        }
        // One read: the application, and for a choice the kindergarten with it.
        let (app, kindergarten) = match &action {
            ParentAction::Choose(c) => {
                let kg_id = c.kindergarten_id.trim();
                if !valid_id(kg_id) {
                    self.permitted(who, op, id).await?;
                    return Err(Failure::bad("unknown_kindergarten", "kindergarten_id"));
                }
                self.store.application_and_kindergarten(id, kg_id).await?
            }
            _ => (self.store.application(id).await?, None),
        };
        let app = app.ok_or(Failure::NotFound { code: "not_found" })?;
        self.permit_on(who, op, &app).await?;
        if matches!(action, ParentAction::Choose(_)) && kindergarten.is_none() {
            return Err(Failure::bad("unknown_kindergarten", "kindergarten_id"));
        }
        let command = || match &action {
            ParentAction::Reconfirm => Command::Reconfirm,
            ParentAction::ConfirmVoucher => Command::ConfirmVoucher { signed_with },
            ParentAction::Extend => Command::Extend,
            ParentAction::Refuse => Command::Refuse,
            ParentAction::Choose(_) => Command::ChooseKindergarten {
                kindergarten: Box::new(kindergarten.clone().unwrap_or_else(placeholder_kg)),
                signed_with,
            },
            ParentAction::Restore => Command::Restore,
            ParentAction::Withdraw => Command::Withdraw,
        };
        let actor = who.actor();
        let decide =
            |app: &Application, now| lifecycle::apply(app, command(), &actor, self.ctx(now));
        match self.decide_and_commit(app, decide).await? {
            Retried::Committed { next, now, .. } => self.view(&next, now, lang).await,
            Retried::Refused {
                refusal: Refusal::DeadlinePassed,
                app,
                now,
                ..
            } => {
                // The lapsed outcome, at once: the sweep's transition, then the refusal naming
                // the status it left the application in.
                let status = self.lapse(&app, now).await;
                Err(Failure::conflict("deadline_passed", status))
            }
            Retried::Refused { refusal, .. } => Err(refusal.into()),
            Retried::Gone { .. } => Err(Failure::NotFound { code: "not_found" }),
        }
    }

    /// Applies what a passed deadline means now (the sweep does it otherwise) and returns the
    /// application's status after it.
    async fn lapse(&self, app: &Application, now: Time) -> Status {
        let Ok(d) = lifecycle::apply(app, Command::Sweep, &Actor::System, self.ctx(now)) else {
            return app.status;
        };
        let status = d.application.status;
        match self.commit(d).await {
            Ok(()) => status,
            // Someone else (a sweep) committed first: read what it left.
            Err(e) => {
                tracing::info!(application = %app.id, error = %e, "lapse committed elsewhere");
                match self.store.application(&app.id).await {
                    Ok(Some(current)) => current.status,
                    _ => status,
                }
            }
        }
    }

    // ----- profile and linking --------------------------------------------------------------

    pub async fn profile(&self, who: &Principal) -> Result<ProfileView, Failure> {
        let p = self.store.profile(&who.iin).await?;
        Ok(profile_view(&who.iin, p))
    }

    pub async fn update_profile(
        &self,
        who: &Principal,
        input: ProfileInput,
    ) -> Result<ProfileView, Failure> {
        let mut p = self.store.profile(&who.iin).await?.unwrap_or(Profile {
            iin: who.iin.clone(),
            name: None,
            email: None,
            phone: None,
            language: Language::Ru,
        });
        if let Some(e) = input.email {
            p.email = Some(valid_email(&e)?);
        }
        if let Some(ph) = input.phone {
            p.phone = Some(valid_phone(&ph)?);
        }
        if let Some(l) = input.language {
            p.language = Language::parse(&l).ok_or(Failure::bad("invalid_language", "language"))?;
        }
        if let Some(n) = input.name {
            p.name = Some(valid_text(&n, "name")?);
        }
        self.store.put_profile(p.clone()).await?;
        Ok(profile_view(&who.iin, Some(p)))
    }

    /// Links a child's IIN to the parent after the kinship register confirms it.
    pub async fn link_child(
        &self,
        who: &Principal,
        input: LinkInput,
        lang: Language,
    ) -> Result<LinkedChildView, Failure> {
        access::permit(who, Operation::LinkChild, On::Caller)?;
        let now = self.now();
        let child = parse_iin(&input.child_iin, local_date(now), "child_iin")?;
        if child == who.iin {
            return Err(Failure::bad("applicant_is_child", "child_iin"));
        }
        if !self.registers.kinship(&who.iin, &child).await? {
            return Err(Failure::Forbidden {
                code: "kinship_not_confirmed",
            });
        }
        self.store.link_child(&who.iin, &child).await?;
        let mut applications = Vec::new();
        for a in self.store.applications_by_child(&child).await? {
            applications.push(self.view(&a, now, lang).await?);
        }
        Ok(LinkedChildView {
            child: ChildView {
                iin_masked: child.masked(),
                birth_date: child.birth_date(),
            },
            kinship_confirmed: true,
            applications,
        })
    }

    // ----- operators ------------------------------------------------------------------------

    pub async fn create_kindergarten(
        &self,
        who: &Principal,
        input: KindergartenInput,
    ) -> Result<KindergartenView, Failure> {
        let kg = self.kindergarten_from(input, uuid::Uuid::new_v4().to_string(), 1)?;
        access::permit(who, Operation::ManageCatalogue, On::District(&kg.district))?;
        self.store.put_kindergarten(kg.clone(), None).await?;
        Ok((&kg).into())
    }

    pub async fn update_kindergarten(
        &self,
        who: &Principal,
        id: &str,
        input: KindergartenInput,
    ) -> Result<KindergartenView, Failure> {
        let old = self.kindergarten_of(who, id).await?;
        let mut kg = self.kindergarten_from(input, old.id.clone(), old.version + 1)?;
        access::permit(who, Operation::ManageCatalogue, On::District(&kg.district))?;
        if kg.district != old.district {
            return Err(Failure::bad("invalid_field", "district"));
        }
        if kg.free_places.is_empty() {
            kg.free_places = old.free_places.clone();
        }
        self.store
            .put_kindergarten(kg.clone(), Some(old.version))
            .await?;
        Ok((&kg).into())
    }

    /// Sets free places per age group (`{"3": 10, "4": 0}`); age groups not named keep theirs.
    pub async fn set_places(
        &self,
        who: &Principal,
        id: &str,
        places: BTreeMap<String, i64>,
    ) -> Result<KindergartenView, Failure> {
        let parsed = parse_places(&places)?;
        for _ in 0..MAX_ATTEMPTS {
            let old = self.kindergarten_of(who, id).await?;
            let mut kg = old.clone();
            kg.version += 1;
            kg.free_places.extend(parsed.iter().map(|(a, n)| (*a, *n)));
            match self
                .store
                .put_kindergarten(kg.clone(), Some(old.version))
                .await
            {
                Ok(()) => return Ok((&kg).into()),
                Err(CommitError::Conflict(Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Failure::Conflict {
            code: "conflict",
            status: None,
        })
    }

    /// A voucher run for a district and age group: offers as many vouchers from the head of the
    /// queue as there are free places not covered by outstanding vouchers. Safe to run twice or
    /// to retry: every offer is checked against the places in its own commit.
    pub async fn voucher_run(
        &self,
        who: Option<&Principal>,
        input: RunInput,
    ) -> Result<VoucherRunView, Failure> {
        let district = self
            .reference()
            .district(input.district.trim())
            .ok_or(Failure::bad("unknown_district", "district"))?
            .clone();
        if let Some(p) = who {
            access::permit(p, Operation::StartVoucherRun, On::District(&district.code))?;
        }
        let age_group = u8::try_from(input.age_group)
            .ok()
            .filter(|a| *a <= 7)
            .ok_or(Failure::bad("invalid_age_group", "age_group"))?;
        let now = self.now();
        let cohort = queue::cohort_of_age_group(age_group, local_date(now));
        let free: u32 = self
            .store
            .kindergartens(Some(&district.code))
            .await?
            .iter()
            .map(|k| k.free_places.get(&age_group).copied().unwrap_or(0))
            .sum();
        let outstanding = self
            .store
            .outstanding_vouchers(&district.code, age_group)
            .await?;
        let capacity = free.saturating_sub(outstanding) as usize;
        let run_id = uuid::Uuid::new_v4().to_string();
        let mut offered = Vec::new();
        if capacity > 0 {
            // Read enough of the head for the allocation policy to interleave.
            let head = self
                .store
                .queue(
                    &district.code,
                    cohort,
                    capacity.saturating_mul(4).max(capacity),
                )
                .await?;
            let keys: Vec<_> = head.iter().map(|a| a.queue_key(self.reference())).collect();
            let actor = who.map_or(Actor::System, |p| p.actor());
            // The whole head in the policy's order: a child skipped (reconfirmation lapsed, changed
            // meanwhile) is replaced by the next, until the places are offered.
            for i in queue::select_for_run(district.allocation, &keys, keys.len()) {
                if offered.len() >= capacity {
                    break;
                }
                let command = Command::OfferVoucher {
                    run_id: run_id.clone(),
                    age_group,
                };
                let Ok(d) = lifecycle::apply(&head[i], command, &actor, self.ctx(now)) else {
                    continue; // e.g. its reconfirmation lapsed: the sweep archives it
                };
                let id = d.application.id.clone();
                match self.commit(d).await {
                    Ok(()) => offered.push(id),
                    Err(CommitError::Conflict(Conflict::NoVoucherPlace)) => break,
                    Err(CommitError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        tracing::info!(district = %district.code, age_group, offered = offered.len(), "voucher run");
        Ok(VoucherRunView {
            run_id,
            offered: offered.len(),
            application_ids: offered,
            free_places: free,
            outstanding_before: outstanding,
        })
    }

    /// The queue of a district and age group in order, for operators.
    pub async fn admin_queue(
        &self,
        who: &Principal,
        district: &str,
        age_group: &str,
        limit: usize,
    ) -> Result<Vec<QueueEntryView>, Failure> {
        let district = self.known_district(district, "district")?;
        access::permit(who, Operation::ViewQueue, On::District(&district))?;
        let age =
            parse_age_group(age_group).ok_or(Failure::bad("invalid_age_group", "age_group"))?;
        let cohort = queue::cohort_of_age_group(age, local_date(self.now()));
        let apps = self.store.queue(&district, cohort, limit).await?;
        Ok(apps
            .iter()
            .enumerate()
            .map(|(i, a)| QueueEntryView {
                position: i as u64 + 1,
                id: a.id.clone(),
                registration_number: a.registration_number.clone(),
                registered_at: a.registered_at,
                privilege: a
                    .privilege
                    .as_ref()
                    .filter(|p| p.rejected.is_none())
                    .map(|p| p.category.clone()),
                rank: a.rank(self.reference()),
                child: ChildView {
                    iin_masked: a.child_iin.masked(),
                    birth_date: a.child_birth_date,
                },
            })
            .collect())
    }

    pub async fn stats(&self, who: &Principal, district: &str) -> Result<StatsView, Failure> {
        let district = self.known_district(district, "district")?;
        access::permit(who, Operation::ViewStats, On::District(&district))?;
        let counts = self.store.status_counts(&district).await?;
        let now = self.now();
        let mut due = 0u64;
        for sweep in [Sweep::Expiry, Sweep::Reconfirmation] {
            due += self
                .store
                .due(sweep, now, STATS_DUE_LIMIT)
                .await?
                .iter()
                .filter(|a| a.district == district)
                .count() as u64;
        }
        let (pending, failed) = self.outbox.counts(Some(&district)).await?;
        let mut free_places = BTreeMap::new();
        for k in self.store.kindergartens(Some(&district)).await? {
            for (a, n) in k.free_places {
                *free_places.entry(a.to_string()).or_insert(0) += n;
            }
        }
        let get = |s: Status| counts.get(&s).copied().unwrap_or(0);
        Ok(StatsView {
            by_status: Status::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), get(*s)))
                .collect(),
            deadlines_due: due,
            vouchers: VoucherStats {
                offered: get(Status::VoucherOffered),
                active: get(Status::VoucherActive),
            },
            notifications: NotificationStats { pending, failed },
            free_places,
            district,
        })
    }

    /// The scheduled voucher runs: one run per age group that has free places, in a district or
    /// (`None`) in every district of the region. Each run is [`Service::voucher_run`], so a run
    /// started twice never offers more vouchers than places.
    pub async fn scheduled_voucher_runs(
        &self,
        district: Option<&str>,
    ) -> Result<Vec<ScheduledRunView>, Failure> {
        let districts: Vec<String> = match district {
            Some(d) => vec![self.known_district(d, "district")?],
            None => self
                .reference()
                .districts
                .iter()
                .map(|d| d.code.clone())
                .collect(),
        };
        let mut out = Vec::new();
        for code in districts {
            let mut ages: Vec<AgeGroup> = Vec::new();
            for k in self.store.kindergartens(Some(&code)).await? {
                for (age, free) in k.free_places {
                    if free > 0 && !ages.contains(&age) {
                        ages.push(age);
                    }
                }
            }
            ages.sort_unstable();
            for age in ages {
                let input = RunInput {
                    district: code.clone(),
                    age_group: i64::from(age),
                };
                let run = self.voucher_run(None, input).await?;
                out.push(ScheduledRunView {
                    district: code.clone(),
                    age_group: age,
                    run,
                });
            }
        }
        Ok(out)
    }

    /// Counts of applications by status in every district, for the operators' dashboard
    /// (reads the status counters only: one small read per district).
    pub async fn report_status_counts(&self) -> Result<(), Failure> {
        for d in &self.reference().districts {
            let counts = self.store.status_counts(&d.code).await?;
            for status in Status::ALL {
                let n = counts.get(&status).copied().unwrap_or(0);
                crate::telemetry::applications(&d.code, status, n);
            }
        }
        Ok(())
    }

    /// An operator rejects a privilege claim: the child moves to the general order.
    pub async fn reject_privilege(
        &self,
        who: &Principal,
        id: &str,
        input: RejectInput,
        lang: Language,
    ) -> Result<ApplicationView, Failure> {
        let reason = valid_text(&input.reason, "reason")?;
        if reason.is_empty() {
            return Err(Failure::bad("missing_field", "reason"));
        }
        let app = self.load(id).await?;
        access::permit(who, Operation::RejectPrivilege, On::District(&app.district))?;
        let actor = who.actor();
        let decide = |app: &Application, now| {
            let command = Command::RejectPrivilege {
                reason: reason.clone(),
            };
            lifecycle::apply(app, command, &actor, self.ctx(now))
        };
        match self.decide_and_commit(app, decide).await? {
            Retried::Committed { next, now, .. } => self.view(&next, now, lang).await,
            Retried::Refused { refusal, .. } => Err(refusal.into()),
            Retried::Gone { .. } => Err(Failure::NotFound { code: "not_found" }),
        }
    }

    /// A sweep an operator starts now (`POST /v1/admin/sweeps/{kind}`).
    pub async fn sweep_as(&self, who: &Principal, sweep: Sweep) -> Result<SweepReport, Failure> {
        access::permit(who, Operation::RunSweep, On::Caller)?;
        self.sweep(sweep).await
    }

    /// After a login: an EDS certificate's name fills an empty profile name. Whether the profile
    /// still needs an e-mail (the first login asks for one).
    pub async fn after_login(
        &self,
        who: &Principal,
        name: Option<String>,
    ) -> Result<bool, Failure> {
        access::permit(who, Operation::Profile, On::Caller)?;
        let profile = self.store.profile(&who.iin).await?;
        if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
            if profile.as_ref().is_none_or(|p| p.name.is_none()) {
                let mut p = profile.clone().unwrap_or(Profile {
                    iin: who.iin.clone(),
                    name: None,
                    email: None,
                    phone: None,
                    language: Language::Ru,
                });
                p.name = Some(name.chars().take(200).collect());
                self.store.put_profile(p).await?;
            }
        }
        Ok(profile.and_then(|p| p.email).is_none())
    }

    /// A sweep: acts on every due deadline and reminder, page by page, until none is due. Safe to
    /// run concurrently with itself and with parents: each item is one conditional commit, and a
    /// lost race is re-read and decided again.
    pub async fn sweep(&self, sweep: Sweep) -> Result<SweepReport, Failure> {
        let mut report = SweepReport {
            sweep: sweep.as_str().to_owned(),
            ..Default::default()
        };
        let now = self.now();
        loop {
            let page = self.store.due(sweep, now, SWEEP_PAGE).await?;
            let mut progressed = false;
            for app in &page {
                report.examined += 1;
                // Decided at the sweep's instant: the page was read as due then.
                let decide = |app: &Application, _| {
                    lifecycle::apply(app, Command::Sweep, &Actor::System, self.ctx(now))
                };
                match self.decide_and_commit(app.clone(), decide).await {
                    Ok(Retried::Committed { action, stale, .. }) => {
                        report.conflicts += stale as usize;
                        progressed = true;
                        if action == Action::Reminder {
                            report.reminders += 1;
                        } else {
                            report.lapsed += 1;
                        }
                    }
                    Ok(Retried::Refused { stale, .. }) => {
                        report.conflicts += stale as usize;
                        report.skipped += 1;
                    }
                    Ok(Retried::Gone { stale }) => report.conflicts += stale as usize,
                    // Lost every race: the next sweep takes it up.
                    Err(Failure::Conflict {
                        code: "conflict",
                        status: None,
                    }) => report.conflicts += MAX_ATTEMPTS,
                    Err(e) => return Err(e),
                }
            }
            if page.len() < SWEEP_PAGE || !progressed {
                break;
            }
        }
        tracing::info!(
            sweep = sweep.as_str(),
            examined = report.examined,
            lapsed = report.lapsed,
            reminders = report.reminders,
            "sweep done"
        );
        Ok(report)
    }

    // ----- outbox delivery ----------------------------------------------------------------

    /// Renders and sends pending notifications by e-mail and SMS; returns how many were sent.
    pub async fn deliver_pending(
        &self,
        sender: &dyn Sender,
        limit: usize,
    ) -> Result<usize, Failure> {
        let pending = self.outbox.pending(limit).await?;
        let mut sent = 0;
        for n in pending {
            if self.deliver(&n, sender).await? == Delivered::Sent {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Renders one notification, sends its e-mail and SMS and records the outcome in the outbox.
    /// Each message is claimed before it is sent and recorded once the provider accepts it, so a
    /// notification delivered twice (an SQS redelivery, a retry after one channel failed) sends
    /// each message once. A retryable failure records nothing but gives the claim up: the caller
    /// tries again later.
    pub async fn deliver(
        &self,
        n: &Notification,
        sender: &dyn Sender,
    ) -> Result<Delivered, Failure> {
        let messages = self.render(n).await?;
        let mut failed = None;
        for m in &messages {
            let now = self.now();
            match self
                .outbox
                .claim_send(&n.id, m.channel, now, SEND_LEASE)
                .await?
            {
                SendClaim::AlreadySent => continue,
                SendClaim::Busy => return Ok(Delivered::Retry),
                SendClaim::Claimed => {}
            }
            match sender.send(m).await {
                Ok(()) => {
                    self.outbox
                        .record_sent(&n.id, m.channel, self.now())
                        .await?;
                    crate::telemetry::notification(m.channel.as_str(), true);
                }
                Err(e) => {
                    self.outbox.release_send(&n.id, m.channel).await?;
                    failed = Some((m.channel, e));
                    break;
                }
            }
        }
        let now = self.now();
        Ok(match failed {
            None => {
                self.outbox
                    .mark(&n.id, Delivery::Delivered { at: now })
                    .await?;
                Delivered::Sent
            }
            Some((channel, e)) if !e.retryable => {
                self.give_up(n, &e.message).await?;
                crate::telemetry::notification(channel.as_str(), false);
                Delivered::Failed
            }
            // The provider's text may name the recipient: log only that it will be retried.
            Some(_) => {
                tracing::warn!(notification = %n.id, "delivery failed, retried later");
                Delivered::Retry
            }
        })
    }

    /// Records that a notification will not be delivered (a permanent failure, or its retries
    /// are exhausted): it stays in the outbox as failed, counted in the operators' stats.
    pub async fn give_up(&self, n: &Notification, reason: &str) -> Result<(), Failure> {
        let at = self.now();
        self.outbox
            .mark(
                &n.id,
                Delivery::Failed {
                    at,
                    error: reason.to_owned(),
                },
            )
            .await?;
        Ok(())
    }

    /// The relay: publishes outbox entries to the notifier's queue; returns the ids that could
    /// not be published (the caller retries them).
    pub async fn relay(
        &self,
        queue: &dyn NotificationQueue,
        batch: &[Notification],
    ) -> Result<Vec<String>, Failure> {
        let mut failed = Vec::new();
        for chunk in batch.chunks(10) {
            failed.extend(queue.publish(chunk).await?);
        }
        Ok(failed)
    }

    /// The relay's safety net, run with the expiry sweep: publishes again the outbox entries
    /// still pending [`REPUBLISH_AFTER`] after they were written (the relay failed past its
    /// retries), at most `limit`. The notifier's claims make a second publication harmless.
    pub async fn republish_stale(
        &self,
        queue: &dyn NotificationQueue,
        limit: usize,
    ) -> Result<usize, Failure> {
        let cutoff = self.now() - REPUBLISH_AFTER;
        let stale: Vec<Notification> = self
            .outbox
            .pending(limit)
            .await?
            .into_iter()
            .filter(|n| n.created_at < cutoff)
            .collect();
        let failed = self.relay(queue, &stale).await?;
        Ok(stale.len() - failed.len())
    }

    /// The e-mail and SMS of a notification in the parent's language.
    pub async fn render(&self, n: &Notification) -> Result<Vec<OutgoingMessage>, Failure> {
        let mut facts = QueueFacts::default();
        if let Some(app) = match &n.application_id {
            Some(id) => self.store.application(id).await?,
            None => None,
        } {
            let now = self.now();
            facts.age_group = Some(queue::age_group(app.child_birth_date, local_date(now)));
            facts.position = self.position(&app, now).await?;
        }
        let Some(r) = self.texts().render(n, self.reference(), facts) else {
            return Ok(Vec::new());
        };
        let at = self.now();
        let mut out = Vec::new();
        if let Some(to) = &n.email {
            out.push(OutgoingMessage {
                notification_id: n.id.clone(),
                channel: Channel::Email,
                to: to.clone(),
                language: n.language,
                subject: r.subject.clone(),
                body: r.body.clone(),
                html: Some(crate::texts::html_email(n.language, &r.subject, &r.body)),
                at,
            });
        }
        if let Some(to) = &n.phone {
            out.push(OutgoingMessage {
                notification_id: n.id.clone(),
                channel: Channel::Sms,
                to: to.clone(),
                language: n.language,
                subject: String::new(),
                body: r.sms.clone(),
                html: None,
                at,
            });
        }
        Ok(out)
    }

    // ----- helpers --------------------------------------------------------------------------

    async fn load(&self, id: &str) -> Result<Application, Failure> {
        if !valid_id(id) {
            return Err(Failure::NotFound { code: "not_found" });
        }
        self.store
            .application(id)
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

    async fn kindergarten_of(&self, who: &Principal, id: &str) -> Result<Kindergarten, Failure> {
        if !valid_id(id) {
            return Err(Failure::NotFound { code: "not_found" });
        }
        let kg = self
            .store
            .kindergarten(id)
            .await?
            .ok_or(Failure::NotFound { code: "not_found" })?;
        access::permit(who, Operation::ManageCatalogue, On::District(&kg.district))?;
        Ok(kg)
    }

    fn known_district(&self, code: &str, field: &str) -> Result<String, Failure> {
        self.reference()
            .district(code.trim())
            .map(|d| d.code.clone())
            .ok_or(Failure::bad("unknown_district", field))
    }

    fn kindergarten_from(
        &self,
        input: KindergartenInput,
        id: String,
        version: u64,
    ) -> Result<Kindergarten, Failure> {
        let district = self.known_district(&input.district, "district")?;
        let required = |s: &str, f: &str| -> Result<String, Failure> {
            let v = valid_text(s, f)?;
            if v.is_empty() {
                Err(Failure::bad("missing_field", f))
            } else {
                Ok(v)
            }
        };
        let places = match &input.free_places {
            Some(p) => parse_places(&p.iter().map(|(k, v)| (k.clone(), i64::from(*v))).collect())?,
            None => BTreeMap::new(),
        };
        Ok(Kindergarten {
            id,
            version,
            name_kk: required(&input.name_kk, "name_kk")?,
            name_ru: required(&input.name_ru, "name_ru")?,
            district,
            address: required(&input.address, "address")?,
            phone: required(&input.phone, "phone")?,
            ownership: input.ownership,
            ddo_type: input.ddo_type,
            languages: input.languages,
            admission: input.admission,
            free_places: places,
        })
    }

    /// The exact queue position of a queued application now; `None` in other statuses.
    pub async fn position(&self, app: &Application, _now: Time) -> Result<Option<u64>, Failure> {
        if app.status != Status::Queued {
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

    async fn view(
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

fn profile_view(iin: &Iin, p: Option<Profile>) -> ProfileView {
    let p = p.unwrap_or(Profile {
        iin: iin.clone(),
        name: None,
        email: None,
        phone: None,
        language: Language::Ru,
    });
    ProfileView {
        iin: iin.masked(),
        email_required: p.email.is_none(),
        name: p.name,
        email: p.email,
        phone: p.phone,
        language: p.language,
    }
}

fn placeholder_kg() -> Kindergarten {
    Kindergarten {
        id: String::new(),
        version: 0,
        name_kk: String::new(),
        name_ru: String::new(),
        district: String::new(),
        address: String::new(),
        phone: String::new(),
        ownership: Ownership::State,
        ddo_type: DdoType::Kindergarten,
        languages: InstructionLanguage::Both,
        admission: AdmissionMode::General,
        free_places: BTreeMap::new(),
    }
}

/// Ids are UUIDs; anything else is unknown without a store read.
pub fn valid_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

/// Parses an IIN field, mapping every defect to 400 `invalid_iin` (or `child_not_born`).
pub fn parse_iin(s: &str, today: chrono::NaiveDate, field: &str) -> Result<Iin, Failure> {
    Iin::parse(s.trim(), today).map_err(|e| match e {
        IinError::FutureBirthDate => Failure::bad("child_not_born", field),
        _ => Failure::bad("invalid_iin", field),
    })
}

/// Age groups 0..=7 as the API's strings or numbers.
pub fn parse_age_group(s: &str) -> Option<AgeGroup> {
    s.trim().parse::<u8>().ok().filter(|a| *a <= 7)
}

fn parse_places(p: &BTreeMap<String, i64>) -> Result<BTreeMap<AgeGroup, u32>, Failure> {
    let mut out = BTreeMap::new();
    for (k, v) in p {
        let age = parse_age_group(k).ok_or_else(|| Failure::bad("invalid_age_group", k))?;
        let n = u32::try_from(*v)
            .ok()
            .filter(|n| *n <= 10_000)
            .ok_or_else(|| Failure::bad("invalid_field", k))?;
        out.insert(age, n);
    }
    Ok(out)
}

/// A trimmed e-mail address of plausible shape (one `@`, a dotted domain, no spaces).
pub fn valid_email(s: &str) -> Result<String, Failure> {
    let e = s.trim();
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if ok {
        Ok(e.to_owned())
    } else {
        Err(Failure::bad("invalid_email", "email"))
    }
}

/// A Kazakh mobile number (+7 7XX XXX XX XX; spaces, dashes, brackets and a leading 8 accepted),
/// normalised to `+77XXXXXXXXX`.
pub fn valid_phone(s: &str) -> Result<String, Failure> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
    let national = match digits.len() {
        11 if digits.starts_with('7') || digits.starts_with('8') => &digits[1..],
        10 => &digits[..],
        _ => "",
    };
    if allowed && national.len() == 10 && national.starts_with('7') {
        Ok(format!("+7{national}"))
    } else {
        Err(Failure::bad("invalid_phone", "phone"))
    }
}

fn valid_text(s: &str, field: &str) -> Result<String, Failure> {
    let t = s.trim();
    if t.chars().count() > MAX_TEXT || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Failure::bad("invalid_field", field));
    }
    Ok(t.to_owned())
}
