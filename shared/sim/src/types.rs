//! The simulation's types: its size and store, a step, what a run reports, and a failure.

use crate::check::Violation;
use crate::dice::Rates;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// What a simulation is made of.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub families: usize,
    pub days: i64,
    pub rates: Rates,
}

impl Config {
    /// A district's year in small: the test command's size.
    pub const YEAR: Config = Config {
        families: 40,
        days: 365,
        rates: Rates::DEFAULT,
    };
}

/// The store a simulation runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The embedded store; the faults in [`Faulty`].
    Embedded,
    /// DynamoDB at `endpoint` (moto), a table of its own; the commit faults in the SDK client.
    DynamoDb { endpoint: String },
}

/// What happened in a run that kept every invariant.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub seed: u64,
    pub steps: u64,
    pub checks: u64,
    pub faults: BTreeMap<String, u64>,
    pub submitted: u64,
    pub parent_actions: u64,
    pub refused: u64,
    pub offers: u64,
    pub enrolled: u64,
    pub sweeps: u64,
    pub messages: u64,
    /// Runs cut off by a kill whose outcome the district's next run wrote from the book.
    pub recovered_runs: u64,
    /// Places changes, catalogue edits and privilege reviews.
    pub operator_actions: u64,
    /// Documents the issuer made (PDFs with their records).
    pub documents: u64,
    /// Children linked by their other parent, and that parent's actions.
    pub links: u64,
    pub co_parent_actions: u64,
    /// Parents' actions on a child not theirs, refused by the access policy.
    pub strangers_refused: u64,
    /// The steps run, in order (a replay of them runs the same year).
    pub log: Vec<Step>,
}

/// A run that broke an invariant: its seed, the step, what broke, and the steps before it.
#[derive(Debug, Clone)]
pub struct Failed {
    pub seed: u64,
    pub step: u64,
    /// The simulated day it failed on (0: the first).
    pub day: i64,
    /// The simulation's size.
    pub config: Config,
    pub violation: Violation,
    pub trail: Vec<String>,
    /// The steps run up to the failure (the shrinking's start).
    pub log: Vec<Step>,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "seed {} failed at step {}: {}",
            self.seed, self.step, self.violation
        )?;
        writeln!(
            f,
            "replay: cargo run -p kezek-sim -- --seed {} --families {} --days {}",
            self.seed, self.config.families, self.config.days
        )?;
        for s in &self.trail {
            writeln!(f, "  {s}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    Register(usize),
    Parent(usize),
    /// The same visit a second time at once (a double click): it schedules no further visit.
    Again(usize),
    Run(usize, u8),
    Summer,
    Sweep,
    Deliver,
    /// The issuer takes the stream's entries.
    Issue,
    /// The relay publishes the stream's entries to SQS.
    Relay,
    /// An operator of the district changes a kindergarten's places.
    Places(usize),
    /// An operator of the district edits a kindergarten's details.
    Catalogue(usize),
    /// An operator of the district reviews the privilege claims.
    Review(usize),
}

/// One step of a simulation: its place in the seed's schedule, when, and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub index: u64,
    pub at: i64,
    pub event: Event,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} {} {:?}",
            self.index,
            at(self.at).format("%Y-%m-%d %H:%M"),
            self.event
        )
    }
}

/// A step's own seed: the run's seed and the step's place, mixed (SplitMix64).
pub(crate) fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn at(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}
