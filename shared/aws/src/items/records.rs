//! Catalogue entries (`KG#<id>` / `KG`), profiles and document records, as stored.

use super::application::LanguageV1;
use super::{check_version, iin, one};
use kezek_core::documents::{DocumentKind, DocumentRecord};
use kezek_core::domain::*;
use kezek_core::ports::StoreError;
use kezek_core::queue::AgeGroup;
use kezek_core::time::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnershipV1 {
    State,
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DdoTypeV1 {
    Kindergarten,
    MiniCentre,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstructionLanguageV1 {
    Kk,
    Ru,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionModeV1 {
    General,
    Special,
}

/// A catalogue entry as stored: free places keyed by age group as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindergartenItemV1 {
    #[serde(rename = "v", default = "one")]
    pub item_version: u32,
    pub id: String,
    pub version: u64,
    pub name_kk: String,
    pub name_ru: String,
    pub district: String,
    pub address: String,
    pub phone: String,
    pub ownership: OwnershipV1,
    #[serde(rename = "type")]
    pub ddo_type: DdoTypeV1,
    pub languages: InstructionLanguageV1,
    pub admission: AdmissionModeV1,
    pub free_places: BTreeMap<String, u32>,
}

impl From<&Kindergarten> for KindergartenItemV1 {
    fn from(k: &Kindergarten) -> Self {
        KindergartenItemV1 {
            item_version: 1,
            id: k.id.clone(),
            version: k.version,
            name_kk: k.name_kk.clone(),
            name_ru: k.name_ru.clone(),
            district: k.district.clone(),
            address: k.address.clone(),
            phone: k.phone.clone(),
            ownership: match k.ownership {
                Ownership::State => OwnershipV1::State,
                Ownership::Private => OwnershipV1::Private,
            },
            ddo_type: match k.ddo_type {
                DdoType::Kindergarten => DdoTypeV1::Kindergarten,
                DdoType::MiniCentre => DdoTypeV1::MiniCentre,
            },
            languages: match k.languages {
                InstructionLanguage::Kk => InstructionLanguageV1::Kk,
                InstructionLanguage::Ru => InstructionLanguageV1::Ru,
                InstructionLanguage::Both => InstructionLanguageV1::Both,
            },
            admission: match k.admission {
                AdmissionMode::General => AdmissionModeV1::General,
                AdmissionMode::Special => AdmissionModeV1::Special,
            },
            free_places: k
                .free_places
                .iter()
                .map(|(a, n)| (a.to_string(), *n))
                .collect(),
        }
    }
}

impl TryFrom<KindergartenItemV1> for Kindergarten {
    type Error = StoreError;
    fn try_from(k: KindergartenItemV1) -> Result<Self, StoreError> {
        check_version("kindergarten item", k.item_version)?;
        let mut free_places = BTreeMap::new();
        for (age, n) in k.free_places {
            let age: AgeGroup = age
                .parse()
                .map_err(|_| StoreError(format!("stored age group {age:?}")))?;
            free_places.insert(age, n);
        }
        Ok(Kindergarten {
            id: k.id,
            version: k.version,
            name_kk: k.name_kk,
            name_ru: k.name_ru,
            district: k.district,
            address: k.address,
            phone: k.phone,
            ownership: match k.ownership {
                OwnershipV1::State => Ownership::State,
                OwnershipV1::Private => Ownership::Private,
            },
            ddo_type: match k.ddo_type {
                DdoTypeV1::Kindergarten => DdoType::Kindergarten,
                DdoTypeV1::MiniCentre => DdoType::MiniCentre,
            },
            languages: match k.languages {
                InstructionLanguageV1::Kk => InstructionLanguage::Kk,
                InstructionLanguageV1::Ru => InstructionLanguage::Ru,
                InstructionLanguageV1::Both => InstructionLanguage::Both,
            },
            admission: match k.admission {
                AdmissionModeV1::General => AdmissionMode::General,
                AdmissionModeV1::Special => AdmissionMode::Special,
            },
            free_places,
        })
    }
}

/// A person's profile as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileItemV1 {
    #[serde(rename = "v", default = "one")]
    pub item_version: u32,
    pub iin: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: LanguageV1,
}

impl From<&Profile> for ProfileItemV1 {
    fn from(p: &Profile) -> Self {
        ProfileItemV1 {
            item_version: 1,
            iin: p.iin.as_str().to_owned(),
            name: p.name.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            language: p.language.into(),
        }
    }
}

impl TryFrom<ProfileItemV1> for Profile {
    type Error = StoreError;
    fn try_from(p: ProfileItemV1) -> Result<Self, StoreError> {
        check_version("profile item", p.item_version)?;
        Ok(Profile {
            iin: iin(p.iin)?,
            name: p.name,
            email: p.email,
            phone: p.phone,
            language: p.language.into(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKindV1 {
    Upload,
    Registration,
    Voucher,
    Enrolment,
}

/// A document record as stored (the bytes are in S3 under `key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentItemV1 {
    #[serde(rename = "v", default = "one")]
    pub item_version: u32,
    pub id: String,
    pub owner: String,
    pub kind: DocumentKindV1,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub application_id: Option<String>,
    pub key: String,
    pub created_at: Time,
}

impl From<&DocumentRecord> for DocumentItemV1 {
    fn from(d: &DocumentRecord) -> Self {
        DocumentItemV1 {
            item_version: 1,
            id: d.id.clone(),
            owner: d.owner.as_str().to_owned(),
            kind: match d.kind {
                DocumentKind::Upload => DocumentKindV1::Upload,
                DocumentKind::Registration => DocumentKindV1::Registration,
                DocumentKind::Voucher => DocumentKindV1::Voucher,
                DocumentKind::Enrolment => DocumentKindV1::Enrolment,
            },
            name: d.name.clone(),
            content_type: d.content_type.clone(),
            size: d.size,
            application_id: d.application_id.clone(),
            key: d.key.clone(),
            created_at: d.created_at,
        }
    }
}

impl TryFrom<DocumentItemV1> for DocumentRecord {
    type Error = StoreError;
    fn try_from(d: DocumentItemV1) -> Result<Self, StoreError> {
        check_version("document item", d.item_version)?;
        Ok(DocumentRecord {
            id: d.id,
            owner: iin(d.owner)?,
            kind: match d.kind {
                DocumentKindV1::Upload => DocumentKind::Upload,
                DocumentKindV1::Registration => DocumentKind::Registration,
                DocumentKindV1::Voucher => DocumentKind::Voucher,
                DocumentKindV1::Enrolment => DocumentKind::Enrolment,
            },
            name: d.name,
            content_type: d.content_type,
            size: d.size,
            application_id: d.application_id,
            key: d.key,
            created_at: d.created_at,
        })
    }
}
