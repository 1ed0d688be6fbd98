//! The stored shapes of the DynamoDB adapter and the messages between functions, owned here and
//! versioned, mapped field by field to and from the domain (docs/dynamodb.md, "Item versions").
//!
//! A domain or API type can be renamed or reshaped without touching stored data or messages in
//! flight: only these types decide what is written, and a change of shape is a new version
//! (`ApplicationItemV2`, …) read beside the old one. Every item carries its version in `v`; items
//! written before versions existed have none and are read as version 1, whose shape they have
//! (`tests/items.rs` reads fixtures captured from those items).
//!
//! - [`application`]: the application and its history entries;
//! - [`records`]: kindergartens, profiles, documents;
//! - [`message`]: a notification as the outbox item holds it, the stream image carries it and the
//!   SQS body sends it.

pub mod application;
pub mod message;
pub mod records;

pub use application::{ApplicationItemV1, HistoryItemV1};
pub use message::{NotificationMessageV1, SweepPartMessageV1};
pub use records::{DocumentItemV1, KindergartenItemV1, ProfileItemV1};

use kezek_core::ports::StoreError;

/// The version attribute of every item and message.
pub const VERSION: &str = "v";

pub(crate) fn one() -> u32 {
    1
}

/// Refuses an item or message of a version this code does not read.
pub(crate) fn check_version(kind: &str, v: u32) -> Result<(), StoreError> {
    if v == 1 {
        Ok(())
    } else {
        Err(StoreError(format!(
            "{kind} of version {v}: not readable here"
        )))
    }
}

pub(crate) fn iin(s: String) -> Result<kezek_core::iin::Iin, StoreError> {
    kezek_core::iin::Iin::try_from(s).map_err(|e| StoreError(format!("stored IIN: {e}")))
}
