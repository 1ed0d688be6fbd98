//! Reference data shipped with the code: Akmola region's districts and cities with their
//! allocation policy, and the privilege categories with their ranks (service.md, "The queue").

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const DISTRICTS: &str = include_str!("../data/districts.toml");
const PRIVILEGES: &str = include_str!("../data/privileges.toml");

/// The reference data in force ([`Reference::builtin`], [`Reference::install`]).
static REFERENCE: OnceLock<Reference> = OnceLock::new();

/// How a district gives vouchers to first-priority children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationPolicy {
    /// Strict precedence: out-of-turn, then first-priority, then everyone else.
    Strict,
    /// Out-of-turn first; then every fourth voucher of a run goes to the first-priority head, the
    /// others to the head of the general order (first-priority children included, by time).
    OneInFour,
}

/// A district (аудан / район) or city of Akmola region; every queue is per district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct District {
    /// ASCII code used in the API and URLs, e.g. `KOK`.
    pub code: String,
    /// Cyrillic prefix of registration numbers, e.g. `КОК` in `КОК.2026.248`.
    pub prefix: String,
    pub name_kk: String,
    pub name_ru: String,
    pub allocation: AllocationPolicy,
}

/// Privilege rank: lower goes first in the queue.
pub type Rank = u8;
/// Rank of out-of-turn categories.
pub const RANK_OUT_OF_TURN: Rank = 0;
/// Rank of first-priority categories.
pub const RANK_FIRST_PRIORITY: Rank = 1;
/// Rank of everyone else (no privilege claimed, or the claim was rejected).
pub const RANK_GENERAL: Rank = 2;

/// A privilege category (льгота / жеңілдік): data with a rank, not code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeCategory {
    pub id: String,
    pub rank: Rank,
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
}

#[derive(Deserialize)]
struct DistrictsFile {
    district: Vec<District>,
}

#[derive(Deserialize)]
struct PrivilegesFile {
    category: Vec<PrivilegeCategory>,
}

/// The region's reference data.
#[derive(Debug, Clone)]
pub struct Reference {
    pub districts: Vec<District>,
    pub privileges: Vec<PrivilegeCategory>,
}

impl Reference {
    /// The reference data in force: the shipped data (validated by tests, so it never fails at
    /// run time), unless a program installed its own first ([`Reference::install`]).
    pub fn builtin() -> &'static Reference {
        REFERENCE.get_or_init(Reference::shipped)
    }

    /// The shipped data: Akmola region's districts and the privilege categories.
    pub fn shipped() -> Reference {
        Reference::from_toml(DISTRICTS, PRIVILEGES).unwrap_or(Reference {
            districts: Vec::new(),
            privileges: Vec::new(),
        })
    }

    /// Makes `reference` the data in force for the whole process: a deployment beyond Akmola
    /// region (more regions' districts), or the national-scale dataset (`bench/scale`). Only
    /// before anything has read the reference data; `Err` gives it back when too late.
    pub fn install(reference: Reference) -> Result<&'static Reference, Reference> {
        let mut given = Some(reference);
        let installed = REFERENCE.get_or_init(|| given.take().unwrap_or_else(Reference::shipped));
        match given {
            None => Ok(installed),
            Some(back) => Err(back),
        }
    }

    pub fn from_toml(districts: &str, privileges: &str) -> Result<Reference, String> {
        let d: DistrictsFile = toml::from_str(districts).map_err(|e| e.to_string())?;
        let p: PrivilegesFile = toml::from_str(privileges).map_err(|e| e.to_string())?;
        Ok(Reference {
            districts: d.district,
            privileges: p.category,
        })
    }

    pub fn district(&self, code: &str) -> Option<&District> {
        self.districts.iter().find(|d| d.code == code)
    }

    pub fn privilege(&self, id: &str) -> Option<&PrivilegeCategory> {
        self.privileges.iter().find(|p| p.id == id)
    }

    /// The queue rank of a claim (general when none or unknown).
    pub fn rank_of(&self, category: Option<&str>) -> Rank {
        category
            .and_then(|c| self.privilege(c))
            .map_or(RANK_GENERAL, |p| p.rank)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn shipped_reference_data_is_valid() {
        let r = Reference::from_toml(DISTRICTS, PRIVILEGES).expect("valid TOML");
        assert!(
            r.districts.len() >= 17,
            "Akmola has 17+ districts and cities"
        );
        let codes: HashSet<_> = r.districts.iter().map(|d| d.code.as_str()).collect();
        let prefixes: HashSet<_> = r.districts.iter().map(|d| d.prefix.as_str()).collect();
        assert_eq!(codes.len(), r.districts.len(), "codes are unique");
        assert_eq!(prefixes.len(), r.districts.len(), "prefixes are unique");
        for d in &r.districts {
            assert!(d.code.len() == 3 && d.code.chars().all(|c| c.is_ascii_uppercase()));
            assert!(!d.name_kk.is_empty() && !d.name_ru.is_empty());
        }
        assert!(r.district("KOK").is_some());
        for rank in [RANK_OUT_OF_TURN, RANK_FIRST_PRIORITY] {
            assert!(r.privileges.iter().any(|p| p.rank == rank));
        }
        assert!(r.privileges.iter().all(|p| p.rank < RANK_GENERAL));
        assert_eq!(r.rank_of(Some("military")), RANK_OUT_OF_TURN);
        assert_eq!(r.rank_of(None), RANK_GENERAL);
    }
}
