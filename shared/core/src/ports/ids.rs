//! Where new ids come from (applications, kindergartens, voucher runs, uploads): random UUIDs
//! (v4) in service, like the clock a port, so that a simulation (`kezek-sim`) draws them from its
//! seed and a seed replays its year exactly.

/// A source of new ids: each a UUID in its text form.
pub trait Ids: Send + Sync {
    fn new_id(&self) -> String;
}

/// Random version-4 UUIDs.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl Ids for RandomIds {
    fn new_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}
