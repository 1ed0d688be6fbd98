//! Keys of the single table (see `docs/dynamodb.md`): every item's partition and sort key and the
//! sparse index keys, in one place.

use kezek_core::domain::{Application, Status};
use kezek_core::iin::Iin;
use kezek_core::lifecycle::{next_due, Sweep};
use kezek_core::queue::{cohort_of, AgeGroup, Cohort, QueueKey};
use kezek_core::reference::Reference;

pub const PK: &str = "PK";
pub const SK: &str = "SK";
/// Queue order: `Q#<district>#<cohort>` / `<rank>#<registered µs>#<seq>#<id>`; queued only.
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
/// Due work, sharded: `DUE#<sweep>#<shard>` / `<due µs>#<id>`; and pending outbox entries:
/// `OUTBOX#<shard>` / `<created µs>#<id>`.
pub const GSI2: &str = "GSI2";
pub const GSI2PK: &str = "GSI2PK";
pub const GSI2SK: &str = "GSI2SK";
/// Owner lookups: `PARENT#<applicant IIN>` / `<registered µs>#<id>`.
pub const GSI3: &str = "GSI3";
pub const GSI3PK: &str = "GSI3PK";
pub const GSI3SK: &str = "GSI3SK";
/// Applications of a child (for linked parents): `CHILD#<child IIN>` / `<registered µs>#<id>`;
/// and the catalogue: `KG` / `<district>#<id>` (one district is a `begins_with`).
pub const GSI4: &str = "GSI4";
pub const GSI4PK: &str = "GSI4PK";
pub const GSI4SK: &str = "GSI4SK";
/// Applications by registration number: `REG#<number>` (hash key only; numbers are unique).
pub const GSI5: &str = "GSI5";
pub const GSI5PK: &str = "GSI5PK";

/// Shards of the due index and the outbox index: enough that no partition runs hot at
/// 1,000,000 live applications, few enough that a sweep reads them all in one page each.
pub const DUE_SHARDS: u64 = 8;
/// Shards of a district's status counters.
pub const STAT_SHARDS: u64 = 4;

pub use kezek_core::documents::fnv;

pub fn micros(t: kezek_core::time::Time) -> String {
    format!("{:020}", t.timestamp_micros().max(0))
}

pub fn app_pk(id: &str) -> String {
    format!("APP#{id}")
}
pub const APP_SK: &str = "A";

pub fn history_sk(version: u64) -> String {
    format!("H#{version:010}")
}

/// A parent's applications in GSI3.
pub fn applicant_pk(iin: &Iin) -> String {
    format!("PARENT#{}", iin.as_str())
}

/// An application's registration number in GSI5.
pub fn number_pk(number: &str) -> String {
    format!("REG#{number}")
}

/// A child's applications in GSI4.
pub fn child_pk(child: &Iin) -> String {
    format!("CHILD#{}", child.as_str())
}

/// The count of an applicant's live applications (`live`), below
/// [`kezek_core::rules::MAX_LIVE_APPLICATIONS_PER_APPLICANT`].
pub fn applicant_live_pk(iin: &Iin) -> String {
    format!("LIVE#{}", iin.as_str())
}
pub const APPLICANT_LIVE_SK: &str = "COUNT";

pub fn child_lock_pk(child: &Iin) -> String {
    format!("CHILD#{}", child.as_str())
}
pub const CHILD_LOCK_SK: &str = "LOCK";

pub fn sequence_pk(district: &str, year: i32) -> String {
    format!("SEQ#{district}#{year}")
}

pub fn kindergarten_pk(id: &str) -> String {
    format!("KG#{id}")
}
pub const KG_SK: &str = "KG";

/// The catalogue's partition in GSI4.
pub const CATALOGUE: &str = "KG";

/// A catalogue entry's sort key in GSI4; a district's entries share the prefix `<district>#`.
pub fn catalogue_sk(district: &str, id: &str) -> String {
    format!("{district}#{id}")
}

/// Outbox entries with no application (one-time codes) count under this pseudo-district.
pub const NO_DISTRICT: &str = "-";

/// A queue's book (issue 19): `QB#<district>#<cohort>` / `<registration day>#<shard>`.
pub fn book_pk(district: &str, cohort: Cohort) -> String {
    format!("QB#{district}#{cohort}")
}
pub fn book_sk(day: &str, shard: u64) -> String {
    format!("{day}#{shard:02}")
}

/// A district's age-group pool: free places (sum over its kindergartens) and outstanding vouchers.
pub fn pool_pk(district: &str, age: AgeGroup) -> String {
    format!("POOL#{district}#{age}")
}
pub const POOL_SK: &str = "POOL";

pub fn stats_pk(district: &str, shard: u64) -> String {
    format!("STATS#{district}#{shard}")
}
pub const STATS_SK: &str = "S";

pub fn stats_shard(id: &str) -> u64 {
    fnv(id) % STAT_SHARDS
}

pub fn status_attr(s: Status) -> String {
    format!("st_{}", s.as_str())
}

pub fn profile_pk(iin: &Iin) -> String {
    format!("PERSON#{}", iin.as_str())
}
pub const PROFILE_SK: &str = "PROFILE";
pub fn link_sk(child: &Iin) -> String {
    format!("LINK#{}", child.as_str())
}

pub fn notification_pk(id: &str) -> String {
    format!("NOTIF#{id}")
}
pub const NOTIFICATION_SK: &str = "N";

/// The record of one channel's send of a notification: `SEND#<notification id>` / `<channel>`.
pub fn send_pk(id: &str) -> String {
    format!("SEND#{id}")
}

/// Days a send record is kept (DynamoDB TTL removes it after): longer than any redelivery.
pub const SEND_RECORD_DAYS: i64 = 30;

pub fn outbox_pk(id: &str) -> String {
    format!("OUTBOX#{}", fnv(id) % DUE_SHARDS)
}

pub fn queue_pk(district: &str, cohort: Cohort) -> String {
    format!("Q#{district}#{cohort}")
}

pub fn queue_sk(key: &QueueKey) -> String {
    format!(
        "{:03}#{:020}#{:010}#{}",
        key.rank,
        key.registered_at.max(0),
        key.registration_seq,
        key.id
    )
}

pub fn due_pk(sweep: Sweep, shard: u64) -> String {
    format!("DUE#{}#{shard}", sweep.as_str())
}

/// The index attributes of an application item, by its state: sparse keys are absent when the
/// application is not in that index.
pub fn application_index_keys(
    app: &Application,
    reference: &Reference,
) -> Vec<(&'static str, String)> {
    let registered = format!("{}#{}", micros(app.registered_at), app.id);
    let mut keys = vec![
        (GSI3PK, applicant_pk(&app.applicant_iin)),
        (GSI3SK, registered.clone()),
        (GSI4PK, child_pk(&app.child_iin)),
        (GSI4SK, registered),
        (GSI5PK, number_pk(&app.registration_number)),
    ];
    if app.status() == Status::Queued {
        keys.push((
            GSI1PK,
            queue_pk(&app.district, cohort_of(app.child_birth_date)),
        ));
        keys.push((GSI1SK, queue_sk(&app.queue_key(reference))));
    }
    if let Some((sweep, due)) = next_due(app) {
        keys.push((GSI2PK, due_pk(sweep, fnv(&app.id) % DUE_SHARDS)));
        keys.push((GSI2SK, format!("{}#{}", micros(due), app.id)));
    }
    keys
}

/// A rate-limit window: `RATE#<key>#<window end, epoch s>` / `RATE`.
pub fn rate_pk(key: &str, window_end: i64) -> String {
    format!("RATE#{key}#{window_end}")
}
pub const RATE_SK: &str = "RATE";

/// An IIN's one-time code (hashed): `OTP#<iin>` / `OTP`.
pub fn code_pk(iin: &Iin) -> String {
    format!("OTP#{}", iin.as_str())
}
pub const CODE_SK: &str = "OTP";

/// A lockout or an EDS nonce: `MARK#<key>` / `MARK`.
pub fn marker_pk(key: &str) -> String {
    format!("MARK#{key}")
}
pub const MARKER_SK: &str = "MARK";

/// The staff register: `STAFF#<iin>` / `STAFF` with the operator's districts.
pub fn staff_pk(iin: &Iin) -> String {
    format!("STAFF#{}", iin.as_str())
}
pub const STAFF_SK: &str = "STAFF";

/// A document's record (an upload or an issued document): `DOC#<id>` / `DOC`.
pub fn document_pk(id: &str) -> String {
    format!("DOC#{id}")
}
pub const DOCUMENT_SK: &str = "DOC";
