//! What the API returns: the contract's JSON shapes (api.md), built from domain types.

use crate::domain::*;
use crate::queue::AgeGroup;
use crate::reference::District;
use crate::texts::Texts;
use crate::time::Time;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub name: String,
    /// Exact at the moment of reading; `null` when the application is not waiting in the queue.
    pub position: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildView {
    pub iin_masked: String,
    pub birth_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeView {
    pub category: String,
    pub document_ids: Vec<String>,
    pub rejected: bool,
    pub rejection_reason: Option<String>,
    /// An operator checked the claim's documents and found them right.
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherView {
    pub issued_at: Time,
    pub confirm_by: Time,
    pub confirmed_at: Option<Time>,
    pub choose_by: Option<Time>,
    pub extended: bool,
    pub kindergarten_id: Option<String>,
    pub age_group: AgeGroup,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopListView {
    pub restore_by: Option<Time>,
    pub restore_used: bool,
}

/// An application as parents and operators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub id: String,
    pub registration_number: String,
    pub status: Status,
    /// The status in the asked language ("Растауда").
    pub status_label: String,
    pub district: String,
    pub age_group: AgeGroup,
    pub queue: QueueView,
    pub registered_at: Time,
    pub reconfirm_by: Option<Time>,
    pub child: ChildView,
    pub privilege: Option<PrivilegeView>,
    pub voucher: Option<VoucherView>,
    pub stop_list: Option<StopListView>,
    pub archive_reason: Option<ArchiveReason>,
    pub archive_reason_label: Option<String>,
    pub language: Language,
    pub version: u64,
}

impl ApplicationView {
    pub fn new(
        app: &Application,
        age_group: AgeGroup,
        position: Option<u64>,
        texts: &Texts,
        lang: Language,
    ) -> ApplicationView {
        ApplicationView {
            id: app.id.clone(),
            registration_number: app.registration_number.clone(),
            status: app.status(),
            status_label: texts.status(app.status(), lang),
            district: app.district.clone(),
            age_group,
            queue: QueueView {
                name: texts.queue_name(age_group, lang),
                position,
            },
            registered_at: app.registered_at,
            reconfirm_by: (app.status() == Status::Queued).then_some(app.reconfirm_by),
            child: ChildView {
                iin_masked: app.child_iin.masked(),
                birth_date: app.child_birth_date,
            },
            privilege: app.privilege.as_ref().map(|p| PrivilegeView {
                category: p.category.clone(),
                document_ids: p.document_ids.clone(),
                rejected: p.rejected.is_some(),
                rejection_reason: p.rejected.as_ref().map(|r| r.reason.clone()),
                verified: p.verified_at.is_some(),
            }),
            // A cancelled voucher (stop-listed, archived) is history, not a voucher in hand.
            voucher: app
                .voucher()
                .as_ref()
                .filter(|_| app.status().holds_voucher() || app.status() == Status::Enrolled)
                .map(|v| VoucherView {
                    issued_at: v.issued_at,
                    confirm_by: v.confirm_by,
                    confirmed_at: v.confirmed_at,
                    choose_by: v.choose_by,
                    extended: v.extended,
                    kindergarten_id: v.kindergarten_id.clone(),
                    age_group: v.age_group,
                }),
            stop_list: (app.restore_by().is_some() || app.restore_used).then_some(StopListView {
                restore_by: app.restore_by(),
                restore_used: app.restore_used,
            }),
            archive_reason: app.archive_reason(),
            archive_reason_label: app.archive_reason().map(|r| texts.archive_reason(r, lang)),
            language: app.language,
            version: app.version,
        }
    }
}

/// One line of the change history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    pub at: Time,
    pub actor: String,
    pub action: Action,
    pub action_label: String,
    pub from: Option<Status>,
    pub to: Status,
    pub reason: Option<String>,
    pub signed_with: Option<SignedWith>,
}

impl HistoryView {
    pub fn new(h: &HistoryEntry, texts: &Texts, lang: Language) -> HistoryView {
        HistoryView {
            at: h.at,
            actor: h.actor.label().to_owned(),
            action: h.action,
            action_label: texts.action(h.action, lang),
            from: h.from,
            to: h.to,
            reason: h.reason.clone(),
            signed_with: h.signed_with,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistrictView {
    pub code: String,
    pub name_kk: String,
    pub name_ru: String,
}

impl From<&District> for DistrictView {
    fn from(d: &District) -> Self {
        DistrictView {
            code: d.code.clone(),
            name_kk: d.name_kk.clone(),
            name_ru: d.name_ru.clone(),
        }
    }
}

/// A catalogue entry with free places keyed by age group as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindergartenView {
    pub id: String,
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
    pub free_places: BTreeMap<String, u32>,
    pub version: u64,
}

impl From<&Kindergarten> for KindergartenView {
    fn from(k: &Kindergarten) -> Self {
        KindergartenView {
            id: k.id.clone(),
            name_kk: k.name_kk.clone(),
            name_ru: k.name_ru.clone(),
            district: k.district.clone(),
            address: k.address.clone(),
            phone: k.phone.clone(),
            ownership: k.ownership,
            ddo_type: k.ddo_type,
            languages: k.languages,
            admission: k.admission,
            free_places: k
                .free_places
                .iter()
                .map(|(a, n)| (a.to_string(), *n))
                .collect(),
            version: k.version,
        }
    }
}

/// The catalogue entry back from its view (also the DynamoDB item's shape); age-group keys that
/// are not numbers are dropped.
impl From<KindergartenView> for Kindergarten {
    fn from(k: KindergartenView) -> Self {
        Kindergarten {
            id: k.id,
            version: k.version,
            name_kk: k.name_kk,
            name_ru: k.name_ru,
            district: k.district,
            address: k.address,
            phone: k.phone,
            ownership: k.ownership,
            ddo_type: k.ddo_type,
            languages: k.languages,
            admission: k.admission,
            free_places: k
                .free_places
                .into_iter()
                .filter_map(|(a, n)| a.parse::<AgeGroup>().ok().map(|a| (a, n)))
                .collect(),
        }
    }
}

/// One entry of the operator's queue view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntryView {
    pub position: u64,
    pub id: String,
    pub registration_number: String,
    pub registered_at: Time,
    pub privilege: Option<String>,
    pub rank: u8,
    pub child: ChildView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherRunView {
    pub run_id: String,
    pub offered: usize,
    pub application_ids: Vec<String>,
    pub free_places: u32,
    pub outstanding_before: u32,
}

/// What a voucher run would do now (nothing committed): the operators' page before a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPreviewView {
    pub district: String,
    pub age_group: AgeGroup,
    pub free_places: u32,
    pub outstanding: u32,
    /// How many vouchers the run would offer now.
    pub would_offer: usize,
    /// Who would be offered one, in the order the run would offer them.
    pub head: Vec<QueueEntryView>,
}

/// A privilege claim waiting for an operator's look (the operators' review list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeClaimView {
    pub application_id: String,
    pub registration_number: String,
    pub registered_at: Time,
    pub child: ChildView,
    pub age_group: AgeGroup,
    /// The place in its queue now.
    pub position: u64,
    pub category: String,
    pub documents: usize,
}

/// One run of a scheduled voucher issuance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledRunView {
    pub district: String,
    pub age_group: u8,
    #[serde(flatten)]
    pub run: VoucherRunView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundView {
    pub entry: QueueEntryView,
    pub status: Status,
    /// The exact position while queued.
    pub position: Option<u64>,
    pub age_group: crate::queue::AgeGroup,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsView {
    pub district: String,
    pub by_status: BTreeMap<String, u64>,
    /// Due now: the next sweep takes them.
    pub deadlines_due: u64,
    /// Due later today and tomorrow (Asia/Almaty days).
    pub deadlines_today: u64,
    pub deadlines_tomorrow: u64,
    /// Each sweep's last pass (region-wide).
    pub sweeps: Vec<SweepSummary>,
    /// The district's newest voucher runs, newest first, from its run log.
    pub runs: Vec<RunSummary>,
    pub vouchers: VoucherStats,
    pub notifications: NotificationStats,
    pub free_places: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSummary {
    pub sweep: String,
    pub at: Time,
    /// Applications read from the due index at the parts' last pass.
    pub examined: u64,
    /// Deadlines acted on and reminders sent then.
    pub acted: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The entry's place in the district's run log.
    pub seq: u64,
    pub at: Time,
    pub age_group: AgeGroup,
    /// Vouchers the places allowed.
    pub allowed: u32,
    pub offered: usize,
    /// The entry's hash in the log's chain.
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherStats {
    pub offered: u64,
    pub active: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationStats {
    pub pending: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    pub sweep: String,
    /// Applications read from the due index.
    pub examined: usize,
    /// Deadlines acted on (stop-listed, archived).
    pub lapsed: usize,
    pub reminders: usize,
    /// Due entries with nothing to do (changed meanwhile); the next sweep sees them again.
    pub skipped: usize,
    /// Lost a race with a parent's action and re-read.
    pub conflicts: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub iin: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Language,
    /// The first login asks for an e-mail address.
    pub email_required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedChildView {
    pub child: ChildView,
    pub kinship_confirmed: bool,
    pub applications: Vec<ApplicationView>,
}
