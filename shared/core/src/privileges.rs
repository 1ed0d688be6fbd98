//! Privilege review (the operators' side of a privilege claim): the claims of a district waiting
//! for a look, a claim with its uploaded documents (operators of the application's district may
//! read them: `ReviewPrivilege` in the access policy), and the claim verified. Its rejection is
//! [`Service::reject_privilege`].

use crate::access::{self, On, Operation, Principal};
use crate::documents::{DocumentRecord, DocumentView, DOWNLOAD_URL_SECONDS};
use crate::domain::*;
use crate::error::Failure;
use crate::lifecycle::{self, Command};
use crate::queue;
use crate::reference::RANK_GENERAL;
use crate::retry::Retried;
use crate::service::Service;
use crate::time::local_date;
use crate::views::*;
use std::time::Duration;

/// How far into each age group's queue the review list looks at most: privileged claims rank
/// ahead of the general order, so they are at the head.
pub const CLAIMS_READ_PER_AGE_GROUP: usize = 500;

impl Service {
    /// The district's privilege claims waiting for a look (neither verified nor rejected), of
    /// queued children, oldest registration first.
    pub async fn privilege_claims(
        &self,
        who: &Principal,
        district: &str,
    ) -> Result<Vec<PrivilegeClaimView>, Failure> {
        let district = self.known_district(district, "district")?;
        access::permit(who, Operation::ReviewPrivilege, On::District(&district))?;
        let today = local_date(self.now());
        let mut out = Vec::new();
        for age in 0..=7u8 {
            let cohort = queue::cohort_of_age_group(age, today);
            // Claims rank ahead of the general order: read the head until it reaches the
            // general order (a few dozen rows in most districts), growing the page as needed.
            let mut limit = 64;
            let head = loop {
                let head = self.store.queue(&district, cohort, limit).await?;
                let more = head.len() == limit
                    && head
                        .last()
                        .is_some_and(|a| a.rank(self.reference()) < RANK_GENERAL);
                if !more || limit >= CLAIMS_READ_PER_AGE_GROUP {
                    break head;
                }
                limit = (limit * 4).min(CLAIMS_READ_PER_AGE_GROUP);
            };
            for (i, a) in head.iter().enumerate() {
                if a.rank(self.reference()) >= RANK_GENERAL {
                    break;
                }
                let Some(p) = &a.privilege else { continue };
                if p.rejected.is_some() || p.verified_at.is_some() {
                    continue;
                }
                out.push(PrivilegeClaimView {
                    application_id: a.id.clone(),
                    registration_number: a.registration_number.clone(),
                    registered_at: a.registered_at,
                    child: ChildView {
                        iin_masked: a.child_iin.masked(),
                        birth_date: a.child_birth_date,
                    },
                    age_group: age,
                    position: i as u64 + 1,
                    category: p.category.clone(),
                    documents: p.document_ids.len(),
                });
            }
        }
        out.sort_by_key(|c| c.registered_at);
        Ok(out)
    }

    /// A privilege claim as its reviewer sees it: the application and the claim's uploads, each
    /// with a short-lived link that opens it.
    pub async fn privilege_claim(
        &self,
        who: &Principal,
        id: &str,
        lang: Language,
    ) -> Result<(ApplicationView, Vec<DocumentView>), Failure> {
        let app = self.load(id).await?;
        access::permit(who, Operation::ReviewPrivilege, On::District(&app.district))?;
        let Some(claim) = &app.privilege else {
            return Err(Failure::NotFound { code: "not_found" });
        };
        let mut records = Vec::new();
        for doc in &claim.document_ids {
            if let Some(d) = self.store.document(doc).await? {
                records.push(d);
            }
        }
        let documents = self.document_views(records).await?;
        Ok((self.view(&app, self.now(), lang).await?, documents))
    }

    /// Verifies a privilege claim: an operator of the district checked its documents. The claim
    /// keeps its rank; the history says who checked it and when.
    pub async fn verify_privilege(
        &self,
        who: &Principal,
        id: &str,
        lang: Language,
    ) -> Result<ApplicationView, Failure> {
        let app = self.load(id).await?;
        access::permit(who, Operation::VerifyPrivilege, On::District(&app.district))?;
        let actor = who.actor();
        let decide = |app: &Application, now| {
            lifecycle::apply(app, Command::VerifyPrivilege, &actor, self.ctx(now))
        };
        match self.decide_and_commit(app, decide).await? {
            Retried::Committed { next, now, .. } => self.view(&next, now, lang).await,
            Retried::Refused { refusal, .. } => Err(refusal.into()),
            Retried::Gone { .. } => Err(Failure::NotFound { code: "not_found" }),
        }
    }

    /// Documents as a page or the API lists them: each with a short-lived download link, or
    /// none for an upload whose bytes have not arrived.
    pub(crate) async fn document_views(
        &self,
        records: Vec<DocumentRecord>,
    ) -> Result<Vec<DocumentView>, Failure> {
        let blobs = self.blobs()?.clone();
        let mut out = Vec::with_capacity(records.len());
        for d in records {
            let present = d.kind != DocumentKind::Upload || blobs.size(&d.key).await?.is_some();
            let download_url = if present {
                Some(
                    blobs
                        .download_url(&d.key, &d.name, Duration::from_secs(DOWNLOAD_URL_SECONDS))
                        .await?,
                )
            } else {
                None
            };
            out.push(DocumentView {
                id: d.id,
                kind: d.kind,
                name: d.name,
                content_type: d.content_type,
                size: d.size,
                download_url,
            });
        }
        Ok(out)
    }
}
