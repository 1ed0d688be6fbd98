//! Kezek core: the pure heart of the preschool e-queue and voucher service.
//!
//! Where each rule of `service.md` lives:
//! - [`iin`]: IIN check digit, birth date and century digit.
//! - [`calendar`] and [`time`]: working days of Kazakhstan (data per year), Asia/Almaty deadlines.
//! - [`reference`]: Akmola's districts, privilege categories and allocation policy (data).
//! - [`queue`]: age group, birth cohort, queue order, voucher-run selection.
//! - [`lifecycle`]: the six statuses, every transition, guard, deadline and reminder.
//! - [`correction`]: stored deadlines recomputed after a calendar correction (never shortened).
//! - [`domain`]: the types; [`views`]: the API's shapes; [`texts`]: kk/ru/en messages.
//! - [`ports`]: store, outbox, clock, registers, sender; [`store_embedded`]: the embedded store.
//! - [`usecases`]: one method per route or scheduled step.
//! - [`open_data`]: each district's queue as open data (live, and exported daily).
//! - [`access`]: the one access policy (who may do what, which actions are signed).
//!
//! No I/O and no clock of its own: time comes in through the [`ports::Clock`] port.

pub mod access;
pub mod applications;
pub mod calendar;
pub mod catalogue;
pub mod correct_deadlines;
pub mod correction;
pub mod documents;
pub mod domain;
pub mod error;
pub mod identity;
pub mod iin;
pub mod inputs;
pub mod lifecycle;
pub mod notifications;
pub mod open_data;
pub mod operations;
pub mod ports;
pub mod privileges;
pub mod profiles;
pub mod queue;
pub mod queue_book;
pub mod reference;
mod retry;
pub mod rules;
pub mod run_log;
pub mod service;
pub mod store_embedded;
pub mod sweeps;
pub mod telemetry;
pub mod texts;
pub mod time;
pub mod transparency;
pub mod uploads;
pub mod usecases;
pub mod values;
pub mod views;
pub mod vouchers;
pub mod wait_estimate;

pub use access::{Principal, Role};
pub use error::Failure;
pub use service::Service;
