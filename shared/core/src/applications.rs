//! Applications: a parent's submission, journal, card and history, and the parent's actions on an
//! application (reconfirm, confirm, extend, refuse, choose, restore, withdraw).

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::iin::Iin;
use crate::inputs::*;
use crate::lifecycle::NewApplication;
use crate::lifecycle::{self, Command, Refusal};
use crate::ports::{CommitError, Conflict};
use crate::reference::District;
use crate::retry::Retried;
use crate::service::Service;
use crate::time::{local_date, Time};
use crate::values::{Email, KindergartenId, Phone};
use crate::views::*;

impl Service {
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
        let Submission {
            district,
            child_iin,
            email,
            phone,
            language,
            privilege,
        } = Submission::parse(input, today, lang, self.reference())?;
        if let Some((_, documents)) = &privilege {
            self.check_own_uploads(who, documents).await?;
        }
        let birth = self
            .registers
            .person(&child_iin)
            .await?
            .ok_or(Failure::bad("invalid_iin", "child_iin"))?
            .birth_date;
        // Only the child's parent or legal representative may register the child: checked
        // before a registration number is taken, so a refusal writes nothing.
        self.check_kinship(who, &child_iin).await?;
        let new = NewApplication {
            id: self.new_id(),
            registration_seq: 0,
            district: district.clone(),
            applicant_iin: who.iin.clone(),
            child_iin,
            child_birth_date: birth,
            email: email.into_string(),
            phone: phone.into_string(),
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
        // A stale commit of a new application is a transaction conflict on an item it shares
        // with another registration (the queue book's bucket, the status counters): the same
        // submission again, not a refusal.
        let mut attempts = 1;
        loop {
            match self.commit(decision.clone()).await {
                Ok(()) => break,
                Err(CommitError::Conflict(Conflict::Stale))
                    if attempts < crate::service::MAX_ATTEMPTS =>
                {
                    attempts += 1;
                    tracing::info!(
                        attempts,
                        "submit: a concurrent transaction; committing again"
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
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

    /// An application as its page shows it: the view, and the parent's actions its rules allow
    /// now (the decision the action itself would take, made without committing), in the order
    /// a page offers them. The kindergarten choice is not among them: it needs a kindergarten.
    pub async fn application_with_actions(
        &self,
        who: &Principal,
        id: &str,
        lang: Language,
    ) -> Result<(ApplicationView, Vec<ParentAction>), Failure> {
        let app = self.permitted(who, Operation::ReadApplication, id).await?;
        let now = self.now();
        let view = self.view(&app, now, lang).await?;
        let actor = who.actor();
        let mut offered = Vec::new();
        for (action, command) in [
            (ParentAction::Reconfirm, Command::Reconfirm),
            (
                ParentAction::ConfirmVoucher,
                Command::ConfirmVoucher {
                    signed_with: SignedWith::Session,
                },
            ),
            (ParentAction::Extend, Command::Extend),
            (ParentAction::Restore, Command::Restore),
            (ParentAction::Refuse, Command::Refuse),
            (ParentAction::Withdraw, Command::Withdraw),
        ] {
            let allowed = access::permit_role(who, action.operation()).is_ok()
                && self.permit_on(who, action.operation(), &app).await.is_ok()
                && lifecycle::apply(&app, command, &actor, self.ctx(now)).is_ok();
            if allowed {
                offered.push(action);
            }
        }
        // The choice, offered while its window is open (the kindergarten is the parent's to pick).
        let choose = ParentAction::Choose(ChooseInput {
            kindergarten_id: String::new(),
            signature: None,
        });
        if access::permit_role(who, choose.operation()).is_ok()
            && self.permit_on(who, choose.operation(), &app).await.is_ok()
            && lifecycle::choosing_open(&app, self.ctx(now))
        {
            offered.push(choose);
        }
        Ok((view, offered))
    }

    /// Where a code that signs an action on the application goes: the application's phone (where
    /// its notifications go), read under the same access rule as the application itself.
    pub async fn contact_phone(&self, who: &Principal, id: &str) -> Result<String, Failure> {
        let app = self.permitted(who, Operation::ReadApplication, id).await?;
        Ok(app.phone)
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
        let id = application_id(id)?;
        let id = id.as_str();
        // One read: the application, and for a choice the kindergarten with it.
        let (app, kindergarten) = match &action {
            ParentAction::Choose(c) => {
                let Some(kg_id) = KindergartenId::parse(&c.kindergarten_id) else {
                    self.permitted(who, op, id).await?;
                    return Err(Failure::bad("unknown_kindergarten", "kindergarten_id"));
                };
                self.store
                    .application_and_kindergarten(id, kg_id.as_str())
                    .await?
            }
            _ => (self.store.application(id).await?, None),
        };
        let app = app.ok_or(Failure::NotFound { code: "not_found" })?;
        self.permit_on(who, op, &app).await?;
        let command = match action {
            ParentAction::Reconfirm => Command::Reconfirm,
            ParentAction::ConfirmVoucher => Command::ConfirmVoucher { signed_with },
            ParentAction::Extend => Command::Extend,
            ParentAction::Refuse => Command::Refuse,
            ParentAction::Choose(_) => match kindergarten {
                Some(k) => Command::ChooseKindergarten {
                    kindergarten: Box::new(k),
                    signed_with,
                },
                None => return Err(Failure::bad("unknown_kindergarten", "kindergarten_id")),
            },
            ParentAction::Restore => Command::Restore,
            ParentAction::Withdraw => Command::Withdraw,
        };
        let actor = who.actor();
        let decide =
            |app: &Application, now| lifecycle::apply(app, command.clone(), &actor, self.ctx(now));
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
    pub(crate) async fn lapse(&self, app: &Application, now: Time) -> Status {
        let Ok(d) = lifecycle::apply(app, Command::Sweep, &Actor::System, self.ctx(now)) else {
            return app.status();
        };
        let status = d.application.status();
        match self.commit(d).await {
            Ok(()) => status,
            // Someone else (a sweep) committed first: read what it left.
            Err(e) => {
                tracing::info!(application = %app.id, error = %e, "lapse committed elsewhere");
                match self.store.application(&app.id).await {
                    Ok(Some(current)) => current.status(),
                    _ => status,
                }
            }
        }
    }
}

/// A submission's input, parsed: every value of its own type, checked before anything is read
/// or written.
#[derive(Debug, Clone)]
pub struct Submission {
    pub district: District,
    pub child_iin: Iin,
    pub email: Email,
    pub phone: Phone,
    pub language: Language,
    /// The privilege category and its documents' ids (their owner is checked in the store).
    pub privilege: Option<(String, Vec<String>)>,
}

/// Why the applications feature refuses a submission's input (400, naming the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionError {
    #[error("unknown district")]
    UnknownDistrict,
    #[error("invalid child IIN")]
    InvalidChildIin,
    #[error("the child is not born yet")]
    ChildNotBorn,
    #[error("invalid e-mail address")]
    InvalidEmail,
    #[error("invalid phone number")]
    InvalidPhone,
    #[error("unknown language")]
    InvalidLanguage,
    #[error("unknown privilege category")]
    UnknownPrivilege,
    #[error("a privilege needs its documents")]
    PrivilegeDocumentsRequired,
    #[error("invalid document ids")]
    InvalidDocumentIds,
}

impl SubmissionError {
    pub fn code(self) -> &'static str {
        match self {
            SubmissionError::UnknownDistrict => "unknown_district",
            SubmissionError::InvalidChildIin => "invalid_iin",
            SubmissionError::ChildNotBorn => "child_not_born",
            SubmissionError::InvalidEmail => "invalid_email",
            SubmissionError::InvalidPhone => "invalid_phone",
            SubmissionError::InvalidLanguage => "invalid_language",
            SubmissionError::UnknownPrivilege => "unknown_privilege",
            SubmissionError::PrivilegeDocumentsRequired => "privilege_documents_required",
            SubmissionError::InvalidDocumentIds => "invalid_field",
        }
    }

    /// The JSON path of the field at fault.
    pub fn field(self) -> &'static str {
        const FIELDS: [(SubmissionError, &str); 9] = [
            (SubmissionError::UnknownDistrict, "district"),
            (SubmissionError::InvalidChildIin, "child_iin"),
            (SubmissionError::ChildNotBorn, "child_iin"),
            (SubmissionError::InvalidEmail, "email"),
            (SubmissionError::InvalidPhone, "phone"),
            (SubmissionError::InvalidLanguage, "language"),
            (SubmissionError::UnknownPrivilege, "privilege.category"),
            (
                SubmissionError::PrivilegeDocumentsRequired,
                "privilege.document_ids",
            ),
            (
                SubmissionError::InvalidDocumentIds,
                "privilege.document_ids",
            ),
        ];
        FIELDS
            .iter()
            .find(|(e, _)| *e == self)
            .map_or("", |(_, f)| f)
    }
}

impl From<SubmissionError> for Failure {
    fn from(e: SubmissionError) -> Failure {
        Failure::bad(e.code(), e.field())
    }
}

impl Submission {
    /// Parses the input in the contract's order (district, child, contacts, language,
    /// privilege); `lang` is the request's language, the default of the notifications'.
    pub fn parse(
        input: SubmitInput,
        today: chrono::NaiveDate,
        lang: Language,
        reference: &crate::reference::Reference,
    ) -> Result<Submission, SubmissionError> {
        use SubmissionError as E;
        let district = reference
            .district(input.district.trim())
            .ok_or(E::UnknownDistrict)?
            .clone();
        let child_iin = Iin::parse(input.child_iin.trim(), today).map_err(|e| match e {
            crate::iin::IinError::FutureBirthDate => E::ChildNotBorn,
            _ => E::InvalidChildIin,
        })?;
        let email = Email::parse(&input.email).ok_or(E::InvalidEmail)?;
        let phone = Phone::parse(&input.phone).ok_or(E::InvalidPhone)?;
        let language = match input.language.as_deref() {
            None => lang,
            Some(l) => Language::parse(l).ok_or(E::InvalidLanguage)?,
        };
        let privilege = match input.privilege {
            None => None,
            Some(p) => {
                if reference.privilege(&p.category).is_none() {
                    return Err(E::UnknownPrivilege);
                }
                if p.document_ids.is_empty() {
                    return Err(E::PrivilegeDocumentsRequired);
                }
                if p.document_ids.len() > 20
                    || p.document_ids.iter().any(|d| d.is_empty() || d.len() > 100)
                {
                    return Err(E::InvalidDocumentIds);
                }
                Some((p.category, p.document_ids))
            }
        };
        Ok(Submission {
            district,
            child_iin,
            email,
            phone,
            language,
            privilege,
        })
    }
}
