//! The issuer of a simulated year: the table's stream feeds it every outbox entry once (in AWS
//! the `issue-documents` function); an invocation that fails or is killed leaves its entries for
//! the stream's retry. S3 refuses writes now and then, and a process dies before or after any
//! write: between a PDF's bytes and its record, most tellingly.

use crate::check::{Observed, Violation};
use crate::world::World;
use kezek_core::documents::{issued_id, issued_key};
use kezek_core::domain::*;
use kezek_core::ports::*;

impl World {
    /// Takes the outbox entries not seen yet onto the stream (each committed entry is pending
    /// until it is delivered, and every delivery first reads what is pending).
    pub(crate) fn capture(&mut self, pending: &[Notification]) {
        for n in pending {
            if self.seen.insert(n.id.clone()) {
                self.stream.push_back(n.clone());
                self.relay_stream.push_back((n.clone(), 0));
            }
        }
    }

    /// One invocation of the issuer over the stream's entries, in order. A failure or a kill
    /// ends it; the entry it was on and those after it are retried by the next invocation.
    pub(crate) async fn issue(&mut self) -> Result<(), Violation> {
        let pending = self
            .outbox
            .pending(1000)
            .await
            .map_err(|e| Violation::new("read", e.to_string()))?;
        self.capture(&pending);
        let mut made = 0;
        while let Some(n) = self.stream.front().cloned() {
            match self.svc.issue_on_event(&n).await {
                Ok(k) => {
                    made += k;
                    self.stream.pop_front();
                }
                Err(_) => break,
            }
        }
        self.report.documents += made as u64;
        self.note(format!(
            "issue: {made} made, {} left for the retry",
            self.stream.len()
        ));
        Ok(())
    }
}

impl World {
    /// At the end: every application has the documents its state calls for (the registration; the
    /// voucher once confirmed and still held or used; the enrolment), and every document's bytes
    /// are stored at its size: a record never points at nothing.
    pub(crate) async fn documents_issued(&self) -> Result<u64, Violation> {
        let w = self;
        let read = |e: StoreError| Violation::new("read", e.to_string());
        let mut checked = 0;
        for a in crate::check::applications(w).await {
            let mut kinds = vec![DocumentKind::Registration];
            if matches!(a.status(), Status::VoucherActive | Status::Enrolled) {
                kinds.push(DocumentKind::Voucher);
            }
            if a.status() == Status::Enrolled {
                kinds.push(DocumentKind::Enrolment);
            }
            for kind in kinds {
                let Some(d) = w
                    .store()
                    .document(&issued_id(&a.id, kind))
                    .await
                    .map_err(read)?
                else {
                    return Err(Violation::new(
                        "every document issued",
                        format!("{} ({:?}) has no {kind:?} document", a.id, a.status()),
                    ));
                };
                let size = w
                    .blobs
                    .objects
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&issued_key(&a.id, kind))
                    .map(|b| b.len() as u64);
                if size != Some(d.size) {
                    return Err(Violation::new(
                        "every document issued",
                        format!(
                            "{}'s {kind:?} record says {} bytes, S3 has {size:?}",
                            a.id, d.size
                        ),
                    ));
                }
                checked += 1;
            }
        }
        Ok(checked)
    }
}
