//! The families of a simulated year: their registrations and visits (on time, at a deadline,
//! twice at once, a live child registered again) and the checks at each of their actions.

use crate::check::Violation;
use crate::faulty::{FAIL_BEFORE, KILLED_BEFORE, LOST_ANSWER, RETRY_REFUSED, THROTTLED};
use crate::world::{micros, Event, World};
use kezek_core::access::Principal;
use kezek_core::domain::*;
use kezek_core::inputs::*;
use kezek_core::lifecycle;
use kezek_core::ports::StoreError;
use kezek_core::Failure;

impl World {
    pub(crate) async fn register(&mut self, f: usize) -> Result<(), Violation> {
        let (who, fam) = self.who(f);
        let mut input = SubmitInput {
            district: self.districts[fam.district].clone(),
            child_iin: fam.child.as_str().to_owned(),
            email: "p@example.kz".into(),
            phone: "+77011234567".into(),
            language: None,
            privilege: None,
            signature: None,
        };
        let who = who.clone();
        let lost = self.landed_unanswered();
        let r = match self.families[f].privilege {
            // a claim: the certificate uploaded first (the browser puts it straight to S3)
            Some(category) => match self.upload(&who).await {
                Ok(id) => {
                    input.privilege = Some(PrivilegeInput {
                        category: category.to_owned(),
                        document_ids: vec![id],
                    });
                    self.svc.submit(&who, input, Language::Ru).await
                }
                Err(e) => Err(e),
            },
            None => self.svc.submit(&who, input, Language::Ru).await,
        };
        self.note(format!("family {f} registers: {}", outcome(&r)));
        match &r {
            Ok(_) => self.report.submitted += 1,
            Err(e) if self.landed_unanswered() > lost && wrong_status(e, true) => {
                return Err(Violation::new(
                    "lost answer",
                    format!("a submit that landed answered {e}"),
                ));
            }
            Err(e) if e.code() == "conflict" => {
                return Err(Violation::new(
                    "a transient conflict refuses no registration",
                    format!("family {f}'s submit was answered {}", e.code()),
                ));
            }
            Err(Failure::Unavailable(_)) => {
                // tried again later, as a parent would
                let later = micros(self.now()) + 3_600_000_000;
                self.schedule(later, Event::Register(f));
                return Ok(());
            }
            Err(_) => {
                // refused (the child is in the queue already, or too old): its visits go on;
                // a family whose first submit landed in a killed process starts them now
                self.report.refused += 1;
                let parent = self.families[f].parent.iin.clone();
                let live = self
                    .store
                    .applications_by_applicant(&parent)
                    .await
                    .map_err(|e| Violation::new("read", e.to_string()))?
                    .iter()
                    .any(|a| a.status() != Status::Archived);
                if live && !self.families[f].visiting {
                    self.next_turn(f);
                }
                return Ok(());
            }
        }
        if !self.families[f].visiting {
            self.next_turn(f);
        }
        Ok(())
    }

    /// A parent's upload of a certificate: the ticket from the service, then the bytes straight
    /// to storage (the browser's PUT, past the service's faults).
    async fn upload(&mut self, who: &Principal) -> Result<String, Failure> {
        let ticket = self
            .svc
            .request_upload(
                who,
                kezek_core::documents::UploadInput {
                    name: "anyktama.pdf".into(),
                    content_type: "application/pdf".into(),
                    size: 1000.into(),
                },
            )
            .await?;
        let key = ticket
            .upload_url
            .trim_start_matches("https://s3.example/")
            .trim_end_matches("?put")
            .to_owned();
        self.blobs
            .objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, vec![b'%'; 1000]);
        Ok(ticket.id)
    }

    /// The family's next visit: mostly within days; sometimes right at a deadline (just before
    /// or just after it); sometimes twice at once.
    pub(crate) fn next_turn(&mut self, f: usize) {
        self.families[f].visiting = true;
        let now = micros(self.now());
        let later = now + (2 * 3600 + self.dice.below(4 * 86_400) as i64) * 1_000_000;
        self.schedule(later, Event::Parent(f));
        if self.dice.chance(50) {
            self.schedule(later, Event::Again(f));
        }
    }

    pub(crate) async fn parent(&mut self, f: usize, visits_again: bool) -> Result<(), Violation> {
        let (who, _) = self.who(f);
        let who = who.clone();
        let apps = self
            .store
            .applications_by_applicant(&who.iin)
            .await
            .map_err(|e| Violation::new("read", e.to_string()))?;
        let Some(app) = apps.into_iter().max_by_key(|a| a.registered_at) else {
            if visits_again {
                self.next_turn(f);
            }
            return Ok(());
        };
        let roll = self.dice.below(100);
        let window =
            app.reconfirm_by - chrono::Duration::days(kezek_core::rules::RECONFIRM_WINDOW_DAYS);
        let open = self.svc.now() >= window;
        if app.status() != Status::Archived && self.dice.chance(20) {
            // registers the same child again while it is live: refused
            self.schedule(micros(self.now()), Event::Register(f));
        }
        let action = match app.status() {
            Status::Queued if open && roll < 60 => Some(ParentAction::Reconfirm),
            Status::Queued if roll < 3 => Some(ParentAction::Reconfirm),
            Status::Queued if roll < 4 => Some(ParentAction::Withdraw),
            Status::VoucherOffered if roll < 80 => Some(ParentAction::ConfirmVoucher),
            Status::VoucherOffered if roll < 84 => Some(ParentAction::Refuse),
            Status::VoucherActive if roll < 70 => self.choice(&app).await,
            Status::VoucherActive if roll < 80 => Some(ParentAction::Extend),
            Status::StopListed if roll < 60 => Some(ParentAction::Restore),
            Status::Archived if roll < 10 => {
                // registers the child again
                self.schedule(micros(self.now()), Event::Register(f));
                None
            }
            _ => None,
        };
        if let Some(action) = action {
            if self.dice.chance(50) {
                self.stranger(f, &app, action.clone()).await?;
            }
            // the other parent, once linked to the child, acts now and then
            let actor = match &self.families[f].co_parent {
                Some((co, true)) if self.dice.chance(300) => {
                    self.report.co_parent_actions += 1;
                    co.clone()
                }
                _ => who,
            };
            self.act(f, &actor, &app, action).await?;
        }
        if let Some((co, false)) = self.families[f].co_parent.clone() {
            if self.dice.chance(300) {
                self.link(f, &co).await;
            }
        }
        if !visits_again {
            return Ok(());
        }
        // Now and then a visit right at the deadline, either side of it.
        match lifecycle::current_deadline(&app) {
            Some(d) if self.dice.chance(150) => {
                let off = self.dice.below(60 * 60) as i64 - 30 * 60;
                let t = (d.timestamp() + off) * 1_000_000;
                if t > micros(self.now()) {
                    self.schedule(t, Event::Parent(f));
                    return Ok(());
                }
                self.next_turn(f);
            }
            _ => self.next_turn(f),
        }
        Ok(())
    }

    /// The other parent links the child (the kinship register confirms it) and may act on its
    /// application from then on.
    async fn link(&mut self, f: usize, co: &Principal) {
        let input = LinkInput {
            child_iin: self.families[f].child.as_str().to_owned(),
        };
        let r = self.svc.link_child(co, input, Language::Kk).await;
        self.note(format!(
            "family {f}'s other parent links the child: {}",
            outcome(&r)
        ));
        if r.is_ok() {
            self.report.links += 1;
            if let Some((_, linked)) = &mut self.families[f].co_parent {
                *linked = true;
            }
        }
    }

    /// Another family's parent, not linked to this child, tries the same action: refused by
    /// the access policy (or not reached at all, in a killed process), and nothing written.
    async fn stranger(
        &mut self,
        f: usize,
        app: &Application,
        action: ParentAction,
    ) -> Result<(), Violation> {
        let other = (f + 1) % self.families.len();
        if other == f {
            return Ok(());
        }
        let stranger = self.families[other].parent.clone();
        let read = |e: StoreError| Violation::new("read", e.to_string());
        let before = self.store.application(&app.id).await.map_err(read)?;
        let r = self.svc.act(&stranger, &app.id, action, Language::Ru).await;
        let after = self.store.application(&app.id).await.map_err(read)?;
        self.note(format!(
            "family {other}'s parent acts on family {f}'s application: {}",
            outcome(&r)
        ));
        let refused = matches!(r, Err(Failure::Forbidden { .. } | Failure::Unavailable(_)));
        if !refused || before != after {
            return Err(Violation::new(
                "one access policy",
                format!(
                    "a parent not linked to the child was answered {} on {}",
                    outcome(&r),
                    app.registration_number
                ),
            ));
        }
        self.report.refused += 1;
        self.report.strangers_refused += 1;
        Ok(())
    }

    /// A kindergarten of the district with a place for the voucher's age group, if any.
    pub(crate) async fn choice(&mut self, app: &Application) -> Option<ParentAction> {
        let age = app.voucher()?.age_group;
        let kgs = self.store.kindergartens(Some(&app.district)).await.ok()?;
        let open: Vec<_> = kgs
            .iter()
            .filter(|k| k.free_places.get(&age).copied().unwrap_or(0) > 0)
            .collect();
        let pick = if open.is_empty() {
            kgs.first()? // a full one: refused with no_free_place
        } else {
            open[self.dice.below(open.len() as u64) as usize]
        };
        Some(ParentAction::Choose(ChooseInput {
            kindergarten_id: pick.id.clone(),
            signature: None,
        }))
    }

    pub(crate) async fn act(
        &mut self,
        f: usize,
        who: &Principal,
        app: &Application,
        action: ParentAction,
    ) -> Result<(), Violation> {
        let name = format!("{action:?}");
        let lost = self.landed_unanswered();
        let failed = self.failed_before();
        let now = self.svc.now();
        let r = self.svc.act(who, &app.id, action, Language::Kk).await;
        self.report.parent_actions += 1;
        self.note(format!(
            "family {f} {name} on {:?}: {}",
            app.status(),
            outcome(&r)
        ));
        let after = self
            .store
            .application(&app.id)
            .await
            .map_err(|e| Violation::new("read", e.to_string()))?;
        match &r {
            Ok(_) => {
                // no parent action succeeded after its deadline
                if let (Some(d), false) = (lifecycle::current_deadline(app), name == "Withdraw") {
                    if now > d {
                        return Err(Violation::new(
                            "action after its deadline",
                            format!("{name} at {now} on {:?} due {d}", app.status()),
                        ));
                    }
                }
                if name.starts_with("Choose") {
                    self.report.enrolled += 1;
                }
            }
            // (another commit of the request may be the one that landed: a late action
            // commits the deadline's own move, then answers deadline_passed, rightly)
            Err(e) if self.landed_unanswered() > lost && wrong_status(e, false) => {
                return Err(Violation::new(
                    "lost answer",
                    format!("{name} landed but the parent was answered {e}"),
                ));
            }
            Err(Failure::Unavailable(_)) => {
                let changed = after.as_ref().map(|a| a.version) != Some(app.version);
                let faulted = self.failed_before();
                if changed && faulted > failed && app.status() != Status::Archived {
                    // a failed commit must write nothing, unless another writer won meanwhile
                    let raced = after.as_ref().map(|a| a.version) != Some(app.version + 1);
                    if !raced {
                        return Err(Violation::new(
                            "failed commit wrote",
                            format!("{name} failed yet the application moved on"),
                        ));
                    }
                }
            }
            Err(_) => self.report.refused += 1,
        }
        Ok(())
    }
}

impl World {
    /// Commits that landed whose caller did not hear so: a lost answer, a refused retry.
    fn landed_unanswered(&self) -> u64 {
        self.faults.count(LOST_ANSWER) + self.faults.count(RETRY_REFUSED)
    }

    /// Commits that failed before they landed, in any way.
    fn failed_before(&self) -> u64 {
        [FAIL_BEFORE, THROTTLED, KILLED_BEFORE]
            .iter()
            .map(|k| self.faults.count(k))
            .sum()
    }
}

/// The answers a parent would get if their own success were in the way: "wrong status", a
/// conflict, unavailable; for a registration, "already registered" too.
fn wrong_status(e: &Failure, submit: bool) -> bool {
    matches!(e.code(), "not_in_status" | "conflict" | "unavailable")
        || (submit && e.code() == "duplicate_child")
}

fn outcome<T>(r: &Result<T, Failure>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(f) => f.code().to_owned(),
    }
}
