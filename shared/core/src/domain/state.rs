//! The application's state: its status with exactly the fields that status has. No deadline is
//! optional where the status has one, and no status carries another's fields.

use super::{ArchiveReason, Status, Voucher};
use crate::queue::AgeGroup;
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// A voucher as offered by a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The voucher run that offered it (a retried run reuses its id).
    pub run_id: String,
    /// The age group the voucher was offered for (its places pool).
    pub age_group: AgeGroup,
    pub issued_at: Time,
    /// The end of the second working day after the offer.
    pub confirm_by: Time,
    /// The run's first entry in its district's public log, written before the offer: printed
    /// on the voucher's notification and document (none for offers made outside a run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<RunLogRef>,
}

/// An entry of a district's voucher-run log as families hold it: its number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLogRef {
    pub seq: u64,
    /// Lowercase hex SHA-256.
    pub hash: String,
}

/// What a confirmed voucher adds to its offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmed {
    pub confirmed_at: Time,
    /// The end of the fifth working day after the confirmation (+2 once extended).
    pub choose_by: Time,
    /// Whether the one extension was used.
    pub extended: bool,
}

/// An application's status and what that status holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum State {
    /// In the queue (the reconfirmation date is the application's own: it is kept across a
    /// stop-list and a restore).
    Queued,
    /// Offered a voucher, to confirm by `offer.confirm_by`.
    VoucherOffered { offer: Offer },
    /// The voucher confirmed: a kindergarten to choose and sign by `confirmed.choose_by`.
    VoucherActive { offer: Offer, confirmed: Confirmed },
    /// The offer lapsed: one restore to the queue until `restore_by`.
    StopListed { offer: Offer, restore_by: Time },
    /// A kindergarten chosen and signed.
    Enrolled {
        offer: Offer,
        confirmed: Confirmed,
        kindergarten_id: String,
        enrolled_at: Time,
    },
    /// Left the queue for good; the voucher it had, if any, is kept for the record.
    Archived {
        reason: ArchiveReason,
        voucher: Option<Voucher>,
    },
}

/// A stored status whose fields do not fit it (an item written by a broken or foreign writer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {status} application without its {missing}")]
pub struct Inconsistent {
    pub status: Status,
    pub missing: &'static str,
}

impl State {
    pub fn status(&self) -> Status {
        match self {
            State::Queued => Status::Queued,
            State::VoucherOffered { .. } => Status::VoucherOffered,
            State::VoucherActive { .. } => Status::VoucherActive,
            State::StopListed { .. } => Status::StopListed,
            State::Enrolled { .. } => Status::Enrolled,
            State::Archived { .. } => Status::Archived,
        }
    }

    /// The offer of a status that has one (offered, active, stop-listed, enrolled).
    pub fn offer(&self) -> Option<&Offer> {
        match self {
            State::VoucherOffered { offer }
            | State::VoucherActive { offer, .. }
            | State::StopListed { offer, .. }
            | State::Enrolled { offer, .. } => Some(offer),
            State::Queued | State::Archived { .. } => None,
        }
    }

    /// The voucher's whole record (what the views and the stored item show).
    pub fn voucher(&self) -> Option<Voucher> {
        let record = |offer: &Offer, confirmed: Option<&Confirmed>| Voucher {
            run_id: offer.run_id.clone(),
            age_group: offer.age_group,
            issued_at: offer.issued_at,
            confirm_by: offer.confirm_by,
            log: offer.log.clone(),
            confirmed_at: confirmed.map(|c| c.confirmed_at),
            choose_by: confirmed.map(|c| c.choose_by),
            extended: confirmed.is_some_and(|c| c.extended),
            kindergarten_id: None,
            enrolled_at: None,
        };
        match self {
            State::Queued => None,
            State::VoucherOffered { offer } | State::StopListed { offer, .. } => {
                Some(record(offer, None))
            }
            State::VoucherActive { offer, confirmed } => Some(record(offer, Some(confirmed))),
            State::Enrolled {
                offer,
                confirmed,
                kindergarten_id,
                enrolled_at,
            } => Some(Voucher {
                kindergarten_id: Some(kindergarten_id.clone()),
                enrolled_at: Some(*enrolled_at),
                ..record(offer, Some(confirmed))
            }),
            State::Archived { voucher, .. } => voucher.clone(),
        }
    }

    /// The restore deadline of a stop-listed application.
    pub fn restore_by(&self) -> Option<Time> {
        match self {
            State::StopListed { restore_by, .. } => Some(*restore_by),
            _ => None,
        }
    }

    pub fn archive_reason(&self) -> Option<ArchiveReason> {
        match self {
            State::Archived { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The state of a stored status and its fields (the adapters' items keep them flat).
    pub fn from_parts(
        status: Status,
        voucher: Option<Voucher>,
        restore_by: Option<Time>,
        archive_reason: Option<ArchiveReason>,
    ) -> Result<State, Inconsistent> {
        let missing = |missing| Inconsistent { status, missing };
        let offer = |v: &Voucher| Offer {
            run_id: v.run_id.clone(),
            age_group: v.age_group,
            issued_at: v.issued_at,
            confirm_by: v.confirm_by,
            log: v.log.clone(),
        };
        let confirmed = |v: &Voucher| -> Result<Confirmed, Inconsistent> {
            Ok(Confirmed {
                confirmed_at: v.confirmed_at.ok_or(missing("confirmed_at"))?,
                choose_by: v.choose_by.ok_or(missing("choose_by"))?,
                extended: v.extended,
            })
        };
        Ok(match status {
            Status::Queued => State::Queued,
            Status::VoucherOffered => State::VoucherOffered {
                offer: offer(voucher.as_ref().ok_or(missing("voucher"))?),
            },
            Status::VoucherActive => {
                let v = voucher.as_ref().ok_or(missing("voucher"))?;
                State::VoucherActive {
                    offer: offer(v),
                    confirmed: confirmed(v)?,
                }
            }
            Status::StopListed => State::StopListed {
                offer: offer(voucher.as_ref().ok_or(missing("voucher"))?),
                restore_by: restore_by.ok_or(missing("restore_by"))?,
            },
            Status::Enrolled => {
                let v = voucher.as_ref().ok_or(missing("voucher"))?;
                State::Enrolled {
                    offer: offer(v),
                    confirmed: confirmed(v)?,
                    kindergarten_id: v
                        .kindergarten_id
                        .clone()
                        .ok_or(missing("kindergarten_id"))?,
                    enrolled_at: v.enrolled_at.ok_or(missing("enrolled_at"))?,
                }
            }
            Status::Archived => State::Archived {
                reason: archive_reason.ok_or(missing("archive_reason"))?,
                voucher,
            },
        })
    }
}
