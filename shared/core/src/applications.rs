//! Applications: a parent's submission, journal, card and history, and the parent's actions on an
//! application (reconfirm, confirm, extend, refuse, choose, restore, withdraw).

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::inputs::*;
use crate::lifecycle::NewApplication;
use crate::lifecycle::{self, Command, Refusal};
use crate::retry::Retried;
use crate::service::Service;
use crate::time::{local_date, Time};
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
