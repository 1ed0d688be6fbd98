//! National scale (issue 21): the dataset of 1,000,000 live applications ([`dataset`]), loaded
//! into a store, and the fanned-out summer run over it ([`summer`]): every district and age
//! group, unit by unit as the work queue hands them out, with each unit's time and the checks
//! that the offers equal the places where the queue is long enough.

pub mod dataset;
pub mod summer;

use chrono::{DateTime, Utc};

/// A clock standing still at one instant (the morning of the summer run).
pub struct At(pub std::sync::Mutex<DateTime<Utc>>);

impl At {
    pub fn new(t: DateTime<Utc>) -> At {
        At(std::sync::Mutex::new(t))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl kezek_core::ports::Clock for At {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// This process's resident memory in KiB (Linux `/proc/self/status`), when it can be read.
pub fn rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Percentile `p` (0–100) of sorted durations, in microseconds.
pub fn percentile_us(sorted: &[std::time::Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e6
}
