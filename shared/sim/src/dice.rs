//! The one source of chance in a simulation: a ChaCha generator seeded with the run's seed, so a
//! seed replays the same schedule of parents, operators, schedules and faults.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub struct Dice(ChaCha8Rng);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(ChaCha8Rng::seed_from_u64(seed))
    }

    /// 0 ≤ n < `below` (0 when `below` is 0).
    pub fn below(&mut self, below: u64) -> u64 {
        if below == 0 {
            0
        } else {
            self.0.random_range(0..below)
        }
    }

    /// True `per_mille` times in 1,000.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }

    /// Sixteen random bytes (a UUID's).
    pub fn bytes16(&mut self) -> [u8; 16] {
        self.0.random()
    }

    /// A fresh generator for another stream (the faults' own), drawn from this one.
    pub fn split(&mut self) -> Dice {
        Dice::new(self.0.random())
    }
}

/// Fault rates per 1,000 of each kind's chances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    /// A commit that fails before it lands.
    pub fail_before: u32,
    /// A commit that lands and whose answer is lost.
    pub lost_answer: u32,
    /// A commit refused as throttled.
    pub throttle: u32,
    /// A commit that lands, loses its answer, and whose retry is refused as stale.
    pub retry_refused: u32,
    /// A commit cancelled by a concurrent transaction (answered as stale).
    pub conflict: u32,
    /// A message the provider (SES, SMS) refuses for now.
    pub provider_down: u32,
    /// The clock jumps past several sweeps at once (per step).
    pub clock_jump: u32,
    /// The provider (SES, SMS) goes out for 1–3 days (per step).
    pub outage: u32,
    /// The process is killed after a write landed (per write), or between a send and its record
    /// (per message sent).
    pub kill: u32,
}

impl Rates {
    pub const NONE: Rates = Rates {
        fail_before: 0,
        lost_answer: 0,
        throttle: 0,
        retry_refused: 0,
        conflict: 0,
        provider_down: 0,
        clock_jump: 0,
        outage: 0,
        kill: 0,
    };

    /// The test command's rates: every kind often enough to meet each path many times a year.
    pub const DEFAULT: Rates = Rates {
        fail_before: 30,
        lost_answer: 30,
        throttle: 20,
        retry_refused: 15,
        conflict: 20,
        provider_down: 50,
        clock_jump: 5,
        outage: 1,
        kill: 10,
    };
}
