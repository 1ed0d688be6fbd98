//! Bulk loading of applications into the embedded store, as they are: what
//! `DynamoStore::import` writes to a table (the applications with their indexes, the child locks,
//! the applicants' live counts, the queue book's entries), plus the counters the embedded store
//! keeps in memory (the sequences, the outstanding vouchers, the status counts). No history and
//! no outbox: for a national-size dataset (`bench/scale`) and for migrating a queue in.

use super::EmbeddedStore;
use crate::domain::{Application, Status};
use crate::queue::cohort_of;
use crate::queue_book::{Place, QueueEvent, Why};
use crate::time::local_date;
use chrono::Datelike;

impl EmbeddedStore {
    /// Loads `apps` (none of which may be in the store yet, nor share a live child with one).
    /// Returns how many were loaded; an application whose id is already there, or whose child
    /// already has a live application, is left out (the store's own rule).
    pub fn import(&self, apps: impl IntoIterator<Item = Application>) -> usize {
        let mut g = self.lock();
        let reference = self.reference;
        let mut loaded = 0;
        let mut books_touched = std::collections::BTreeSet::new();
        for app in apps {
            let live = app.status() != Status::Archived;
            if g.apps.contains_key(&app.id) || (live && g.child_lock.contains_key(&app.child_iin)) {
                continue;
            }
            g.add_new(&app, live);
            let year = local_date(app.registered_at).year();
            let seq = g.sequences.entry((app.district.clone(), year)).or_default();
            *seq = (*seq).max(app.registration_seq);
            if app.status().holds_voucher() {
                if let Some(offer) = app.state.offer() {
                    *g.vouchers_out
                        .entry((app.district.clone(), offer.age_group))
                        .or_default() += 1;
                }
            }
            if app.status() == Status::Queued {
                let key = (app.district.clone(), cohort_of(app.child_birth_date));
                g.books.entry(key.clone()).or_default().push(QueueEvent {
                    at: app.registered_at.timestamp_micros(),
                    enters: true,
                    place: Place::of(&app.queue_key(reference)),
                    why: Why::Registered,
                    run: String::new(),
                });
                books_touched.insert(key);
            }
            g.index(&app, reference);
            g.apps.insert(app.id.clone(), app);
            loaded += 1;
        }
        // Each book in time order, as commits write it.
        for key in books_touched {
            if let Some(book) = g.books.get_mut(&key) {
                book.sort_by_key(|e| e.at);
            }
        }
        loaded
    }
}
