//! What the use cases take: the inputs as the API sends them, and the checks that parse them.

use crate::access::Operation;
use crate::domain::*;
use crate::error::Failure;
use crate::iin::{Iin, IinError};
use crate::queue::AgeGroup;
use crate::values::{ApplicationId, Email, Phone};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Longest free-text field (reasons, names, addresses).
pub const MAX_TEXT: usize = 500;

#[derive(Debug, Clone, Deserialize)]
pub struct PrivilegeInput {
    pub category: String,
    #[serde(default)]
    pub document_ids: Vec<String>,
}

/// `POST /v1/applications`.
#[derive(Debug, Clone, Deserialize)]
pub struct SubmitInput {
    pub district: String,
    pub child_iin: String,
    pub email: String,
    pub phone: String,
    pub language: Option<String>,
    pub privilege: Option<PrivilegeInput>,
    /// EDS signature over the body (verified by the identity layer when present).
    pub signature: Option<String>,
}

/// `POST /v1/applications/{id}/kindergarten`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChooseInput {
    pub kindergarten_id: String,
    pub signature: Option<String>,
}

/// A parent's action on an application.
#[derive(Debug, Clone)]
pub enum ParentAction {
    Reconfirm,
    ConfirmVoucher,
    Extend,
    Refuse,
    Choose(ChooseInput),
    Restore,
    Withdraw,
}

impl ParentAction {
    /// The operation the access policy knows it by.
    pub fn operation(&self) -> Operation {
        match self {
            ParentAction::Reconfirm => Operation::Reconfirm,
            ParentAction::ConfirmVoucher => Operation::ConfirmVoucher,
            ParentAction::Extend => Operation::Extend,
            ParentAction::Refuse => Operation::RefuseVoucher,
            ParentAction::Choose(_) => Operation::ChooseKindergarten,
            ParentAction::Restore => Operation::Restore,
            ParentAction::Withdraw => Operation::Withdraw,
        }
    }
}

/// `POST /v1/admin/kindergartens` and `PUT /v1/admin/kindergartens/{id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct KindergartenInput {
    pub name_kk: String,
    pub name_ru: String,
    pub district: String,
    pub address: String,
    pub phone: String,
    pub ownership: Ownership,
    #[serde(rename = "type")]
    pub ddo_type: DdoType,
    pub languages: InstructionLanguage,
    pub admission: AdmissionMode,
    #[serde(default)]
    pub free_places: Option<BTreeMap<String, u32>>,
}

/// `POST /v1/admin/voucher-runs`.
#[derive(Debug, Clone, Deserialize)]
pub struct RunInput {
    pub district: String,
    pub age_group: i64,
}

/// `POST /v1/admin/privileges/{id}/reject`.
#[derive(Debug, Clone, Deserialize)]
pub struct RejectInput {
    pub reason: String,
}

/// `PUT /v1/me`.
#[derive(Debug, Clone, Deserialize)]
pub struct ProfileInput {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub name: Option<String>,
}

/// `POST /v1/me/children`.
#[derive(Debug, Clone, Deserialize)]
pub struct LinkInput {
    pub child_iin: String,
}

/// Catalogue filter of `GET /v1/kindergartens`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CatalogueFilter {
    pub district: Option<String>,
    pub language: Option<String>,
    pub ownership: Option<String>,
    pub age_group: Option<String>,
}

/// An application id from a path: a UUID, or 404 without a store read.
pub fn application_id(id: &str) -> Result<ApplicationId, Failure> {
    ApplicationId::parse(id).ok_or(Failure::NotFound { code: "not_found" })
}

/// Parses an IIN field, mapping every defect to 400 `invalid_iin` (or `child_not_born`).
pub fn parse_iin(s: &str, today: chrono::NaiveDate, field: &str) -> Result<Iin, Failure> {
    Iin::parse(s.trim(), today).map_err(|e| match e {
        IinError::FutureBirthDate => Failure::bad("child_not_born", field),
        _ => Failure::bad("invalid_iin", field),
    })
}

/// Age groups 0..=7 as the API's strings or numbers.
pub fn parse_age_group(s: &str) -> Option<AgeGroup> {
    s.trim().parse::<u8>().ok().filter(|a| *a <= 7)
}

pub(crate) fn parse_places(p: &BTreeMap<String, i64>) -> Result<BTreeMap<AgeGroup, u32>, Failure> {
    let mut out = BTreeMap::new();
    for (k, v) in p {
        let age = parse_age_group(k).ok_or_else(|| Failure::bad("invalid_age_group", k))?;
        let n = u32::try_from(*v)
            .ok()
            .filter(|n| *n <= 10_000)
            .ok_or_else(|| Failure::bad("invalid_field", k))?;
        out.insert(age, n);
    }
    Ok(out)
}

/// The `email` field as an [`Email`] (400 `invalid_email`).
pub fn valid_email(s: &str) -> Result<Email, Failure> {
    Email::parse(s).ok_or(Failure::bad("invalid_email", "email"))
}

/// The `phone` field as a [`Phone`] (400 `invalid_phone`).
pub fn valid_phone(s: &str) -> Result<Phone, Failure> {
    Phone::parse(s).ok_or(Failure::bad("invalid_phone", "phone"))
}

/// Whether a character is invisible formatting: bidirectional controls (U+202E turns
/// "gpj.exe" into "exe.jpg" on screen), zero-width spaces and joiners, the BOM (Unicode's general
/// category Cf). Refused in names, addresses and reasons: they would print on official PDFs.
pub fn is_hidden_format(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format
}

pub(crate) fn valid_text(s: &str, field: &str) -> Result<String, Failure> {
    let t = s.trim();
    if t.chars().count() > MAX_TEXT
        || t.chars()
            .any(|c| (c.is_control() && c != '\n') || is_hidden_format(c))
    {
        return Err(Failure::bad("invalid_field", field));
    }
    Ok(t.to_owned())
}
