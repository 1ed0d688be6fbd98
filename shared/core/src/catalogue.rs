//! The catalogue: the public reads (health, districts, kindergartens) and the operators' edits of
//! kindergartens and their free places.

use crate::access::{self, On, Operation, Principal};
use crate::domain::*;
use crate::error::Failure;
use crate::inputs::*;
use crate::ports::*;
use crate::service::{Service, MAX_ATTEMPTS};
use crate::values::{DistrictCode, KindergartenId};
use crate::views::*;
use std::collections::BTreeMap;

impl Service {
    pub async fn health(&self) -> Result<(), Failure> {
        Ok(self.store.ping().await?)
    }

    pub fn districts(&self) -> Vec<DistrictView> {
        self.reference().districts.iter().map(Into::into).collect()
    }

    pub async fn catalogue(&self, f: CatalogueFilter) -> Result<Vec<KindergartenView>, Failure> {
        let Filter {
            district,
            language,
            ownership,
            age_group,
        } = Filter::parse(&f, self.reference())?;
        let list = self
            .store
            .kindergartens(district.as_ref().map(DistrictCode::as_str))
            .await?;
        Ok(list
            .iter()
            .filter(|k| language.is_none_or(|l| k.languages.teaches(l)))
            .filter(|k| ownership.is_none_or(|o| k.ownership == o))
            .filter(|k| age_group.is_none_or(|a| k.free_places.get(&a).copied().unwrap_or(0) > 0))
            .map(Into::into)
            .collect())
    }

    pub async fn create_kindergarten(
        &self,
        who: &Principal,
        input: KindergartenInput,
    ) -> Result<KindergartenView, Failure> {
        let kg = self.kindergarten_from(input, self.new_id(), 1)?;
        access::permit(who, Operation::ManageCatalogue, On::District(&kg.district))?;
        self.store.put_kindergarten(kg.clone(), None).await?;
        Ok((&kg).into())
    }

    pub async fn update_kindergarten(
        &self,
        who: &Principal,
        id: &str,
        input: KindergartenInput,
    ) -> Result<KindergartenView, Failure> {
        let old = self.kindergarten_of(who, id).await?;
        let mut kg = self.kindergarten_from(input, old.id.clone(), old.version + 1)?;
        access::permit(who, Operation::ManageCatalogue, On::District(&kg.district))?;
        if kg.district != old.district {
            return Err(Failure::bad("invalid_field", "district"));
        }
        if kg.free_places.is_empty() {
            kg.free_places = old.free_places.clone();
        }
        self.keeps_promised_places(&old, &kg).await?;
        self.store
            .put_kindergarten(kg.clone(), Some(old.version))
            .await?;
        Ok((&kg).into())
    }

    /// Sets free places per age group (`{"3": 10, "4": 0}`); age groups not named keep theirs.
    pub async fn set_places(
        &self,
        who: &Principal,
        id: &str,
        places: BTreeMap<String, i64>,
    ) -> Result<KindergartenView, Failure> {
        let parsed = parse_places(&places)?;
        for _ in 0..MAX_ATTEMPTS {
            let old = self.kindergarten_of(who, id).await?;
            let mut kg = old.clone();
            kg.version += 1;
            kg.free_places.extend(parsed.iter().map(|(a, n)| (*a, *n)));
            self.keeps_promised_places(&old, &kg).await?;
            match self
                .store
                .put_kindergarten(kg.clone(), Some(old.version))
                .await
            {
                Ok(()) => return Ok((&kg).into()),
                Err(CommitError::Conflict(Conflict::Stale)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Failure::Conflict {
            code: "conflict",
            status: None,
        })
    }

    /// A cut of free places keeps a place for every voucher offered and not yet used: the
    /// district's free places of each age group cut stay at least its vouchers outstanding, or
    /// the change is refused (409 `places_promised`) and nothing is written. The stores guard
    /// the same on the write, so a voucher run racing the change cannot slip between the two.
    async fn keeps_promised_places(
        &self,
        old: &Kindergarten,
        new: &Kindergarten,
    ) -> Result<(), Failure> {
        let cut: Vec<crate::queue::AgeGroup> = old
            .free_places
            .iter()
            .filter(|(a, n)| new.free_places.get(a).copied().unwrap_or(0) < **n)
            .map(|(a, _)| *a)
            .collect();
        if cut.is_empty() {
            return Ok(());
        }
        let district = self.store.kindergartens(Some(&new.district)).await?;
        for age in cut {
            let free: u32 = district
                .iter()
                .map(|k| if k.id == new.id { new } else { k })
                .map(|k| k.free_places.get(&age).copied().unwrap_or(0))
                .sum();
            let outstanding = self.store.outstanding_vouchers(&new.district, age).await?;
            if outstanding > free {
                return Err(Failure::Conflict {
                    code: "places_promised",
                    status: None,
                });
            }
        }
        Ok(())
    }

    /// A kindergarten as its operators see it (the operators' catalogue pages): refused unless
    /// the caller may manage its district's catalogue.
    pub async fn managed_kindergarten(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<KindergartenView, Failure> {
        Ok((&self.kindergarten_of(who, id).await?).into())
    }

    pub(crate) async fn kindergarten_of(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<Kindergarten, Failure> {
        let id = KindergartenId::parse(id).ok_or(Failure::NotFound { code: "not_found" })?;
        let kg = self
            .store
            .kindergarten(id.as_str())
            .await?
            .ok_or(Failure::NotFound { code: "not_found" })?;
        access::permit(who, Operation::ManageCatalogue, On::District(&kg.district))?;
        Ok(kg)
    }

    pub(crate) fn kindergarten_from(
        &self,
        input: KindergartenInput,
        id: String,
        version: u64,
    ) -> Result<Kindergarten, Failure> {
        let district = self.known_district(&input.district, "district")?;
        let required = |s: &str, f: &str| -> Result<String, Failure> {
            let v = valid_text(s, f)?;
            if v.is_empty() {
                Err(Failure::bad("missing_field", f))
            } else {
                Ok(v)
            }
        };
        let places = match &input.free_places {
            Some(p) => parse_places(&p.iter().map(|(k, v)| (k.clone(), i64::from(*v))).collect())?,
            None => BTreeMap::new(),
        };
        Ok(Kindergarten {
            id,
            version,
            name_kk: required(&input.name_kk, "name_kk")?,
            name_ru: required(&input.name_ru, "name_ru")?,
            district: district.into_string(),
            address: required(&input.address, "address")?,
            phone: required(&input.phone, "phone")?,
            ownership: input.ownership,
            ddo_type: input.ddo_type,
            languages: input.languages,
            admission: input.admission,
            free_places: places,
        })
    }
}

/// The catalogue's filter, parsed (an empty parameter filters nothing).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub district: Option<DistrictCode>,
    pub language: Option<InstructionLanguage>,
    pub ownership: Option<Ownership>,
    pub age_group: Option<crate::queue::AgeGroup>,
}

/// Why the catalogue feature refuses a filter (400, naming the parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("unknown district")]
    UnknownDistrict,
    #[error("unknown language of instruction")]
    Language,
    #[error("unknown ownership")]
    Ownership,
    #[error("invalid age group")]
    AgeGroup,
}

impl From<FilterError> for Failure {
    fn from(e: FilterError) -> Failure {
        match e {
            FilterError::UnknownDistrict => Failure::bad("unknown_district", "district"),
            FilterError::Language => Failure::bad("invalid_field", "language"),
            FilterError::Ownership => Failure::bad("invalid_field", "ownership"),
            FilterError::AgeGroup => Failure::bad("invalid_age_group", "age_group"),
        }
    }
}

impl Filter {
    pub fn parse(
        f: &CatalogueFilter,
        reference: &crate::reference::Reference,
    ) -> Result<Filter, FilterError> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let district = match given(&f.district) {
            Some(d) => {
                Some(DistrictCode::parse(&d, reference).ok_or(FilterError::UnknownDistrict)?)
            }
            None => None,
        };
        let language = match given(&f.language).as_deref() {
            Some("kk") => Some(InstructionLanguage::Kk),
            Some("ru") => Some(InstructionLanguage::Ru),
            Some("both") => Some(InstructionLanguage::Both),
            Some(_) => return Err(FilterError::Language),
            None => None,
        };
        let ownership = match given(&f.ownership).as_deref() {
            Some("state") => Some(Ownership::State),
            Some("private") => Some(Ownership::Private),
            Some(_) => return Err(FilterError::Ownership),
            None => None,
        };
        let age_group = match given(&f.age_group) {
            Some(a) => Some(parse_age_group(&a).ok_or(FilterError::AgeGroup)?),
            None => None,
        };
        Ok(Filter {
            district,
            language,
            ownership,
            age_group,
        })
    }
}
